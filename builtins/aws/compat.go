package aws

import (
	"context"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// The names below forward to awscall for the packages outside the AWS modules that still
// reach AWS through this module (builtins/store; local/logs' tests): delete them once those
// import awscall (store: awscall.SSM with awscall.Call and awscall.Try).

// Session is awscall.Session.
type Session = awscall.Session

// SessionFor is awscall.SessionFor.
func SessionFor(ctx context.Context, run *engine.Run) (*Session, error) {
	return awscall.SessionFor(ctx, run)
}

// Client returns the session's client of service, made with newClient on first use.
func Client[C any](run *engine.Run, s *Session, service string, newClient func(awssdk.Config) C) C {
	sv := &awscall.Service[C]{Name: service, New: func(s *Session) C { return newClient(s.Config) }}
	return sv.Client(run, s)
}

// Call runs fn with the interpreter lock released and the run's session, raising
// awscall.Error(doing, err) when it fails.
func Call[T any](L *lua.LState, doing string, fn func(ctx context.Context, s *Session) (T, error)) T {
	run := engine.FromL(L)
	out, err := engine.Unlocked(L, func(ctx context.Context) (T, error) {
		s, err := awscall.SessionFor(ctx, run)
		if err != nil {
			var zero T
			return zero, err
		}
		return fn(ctx, s)
	})
	if err != nil {
		engine.Raise(L, awscall.Error(doing, err))
	}
	return out
}

// Error is awscall.Error.
func Error(doing string, err error) error { return awscall.Error(doing, err) }

// IsNotFound is awscall.IsNotFound.
func IsNotFound(err error) bool { return awscall.IsNotFound(err) }

// HTTPClient is awscall.HTTPClient.
func HTTPClient(c awssdk.HTTPClient) awssdk.HTTPClient { return awscall.HTTPClient(c) }
