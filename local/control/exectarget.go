package control

import (
	"context"
	"errors"

	"github.com/agentcore/agentcore/internal/netns"
)

// errCallerGone ends a request whose caller has left: its handler answers nothing.
var errCallerGone = errors.New("the caller has gone")

// answered is a handler's error to answer: nil for errCallerGone.
func answered(err error) error {
	if errors.Is(err, errCallerGone) {
		return nil
	}
	return err
}

// execTarget is where a session's commands and shells run: a Docker container (container set)
// or the host, in dir with env (a code version run as a host process).
type execTarget struct {
	version   int
	container string
	dir       string
	env       []string
	sandbox   *netns.Sandbox // a host process's netns sandbox: commands run in it (codens.go)
}

// execTargetFor finds where to run a command for a session of a runtime's endpoint: the
// session's own sandbox (sessionSandbox), started when the session has none, as AgentCore
// starts one for a command in a new session. The returned func ends the command's use of the
// session, which until then is busy (its idle timeout does not end it). version is the one
// the request named, for the error; a failure is AgentCore's RuntimeClientError, or
// errCallerGone when the caller left while the sandbox started (nothing is to be answered).
func (s *Service) execTargetFor(ctx context.Context, rt *runtimeRec, qualifier, sessionID string, version int) (execTarget, func(), error) {
	sb, isNew, err := s.sessionSandbox(ctx, rt, qualifier, sessionID)
	if err == nil && !isNew {
		err = s.touchSession(sb)
	}
	if err != nil {
		if ctx.Err() != nil {
			return execTarget{}, nil, errCallerGone
		}
		return execTarget{}, nil, runtimeClientErrorf("the sandbox of session %s (version %d of %s) could not be started: %v", sessionID, version, rt.ID, err)
	}
	done := s.use(sb)
	t := s.sandboxTarget(rt, sb)
	return execTarget{version: sb.version, container: t.Container, dir: t.Dir, env: t.Env, sandbox: t.NS}, done, nil
}
