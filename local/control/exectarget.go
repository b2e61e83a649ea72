package control

import (
	"context"

	"github.com/agentcore/agentcore/internal/netns"
)

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
// session, which until then is busy (its idle timeout does not end it).
func (s *Service) execTargetFor(ctx context.Context, rt *runtimeRec, qualifier, sessionID string) (execTarget, func(), error) {
	sb, isNew, err := s.sessionSandbox(ctx, rt, qualifier, sessionID)
	if err != nil {
		return execTarget{}, nil, err
	}
	if !isNew {
		if err := s.touchSession(sb); err != nil {
			return execTarget{}, nil, err
		}
	}
	done := s.use(sb)
	t := s.sandboxTarget(rt, sb)
	return execTarget{version: sb.version, container: t.Container, dir: t.Dir, env: t.Env, sandbox: t.NS}, done, nil
}
