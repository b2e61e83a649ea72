package logs

import (
	"context"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/xray"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/engine"
)

// client returns the CloudWatch Logs client of the session's environment (aws.Client: one
// per environment, so with_env talks to the other environment's endpoint).
func client(run *engine.Run, s *aws.Session) *cwl.Client {
	return aws.Client(run, s, "cloudwatchlogs", func(cfg awssdk.Config) *cwl.Client { return cwl.NewFromConfig(cfg) })
}

// xrayClient is client for X-Ray (Transaction Search's trace segment destination).
func xrayClient(run *engine.Run, s *aws.Session) *xray.Client {
	return aws.Client(run, s, "xray", func(cfg awssdk.Config) *xray.Client { return xray.NewFromConfig(cfg) })
}

// try runs fn with the interpreter lock released and the environment's Logs client.
func try[T any](L *lua.LState, fn func(ctx context.Context, s *aws.Session, c *cwl.Client) (T, error)) (T, error) {
	run := engine.FromL(L)
	return aws.Try(L, func(ctx context.Context, s *aws.Session) (T, error) { return fn(ctx, s, client(run, s)) })
}

func call[T any](L *lua.LState, doing string, fn func(ctx context.Context, s *aws.Session, c *cwl.Client) (T, error)) T {
	out, err := try(L, fn)
	if err != nil {
		engine.Raise(L, aws.Error(doing, err))
	}
	return out
}
