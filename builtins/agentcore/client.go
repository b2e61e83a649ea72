package agentcore

import (
	"context"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	control "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/engine"
)

// controlAPI is the part of the AgentCore control plane this module calls.
type controlAPI interface {
	CreateAgentRuntime(context.Context, *control.CreateAgentRuntimeInput, ...func(*control.Options)) (*control.CreateAgentRuntimeOutput, error)
	UpdateAgentRuntime(context.Context, *control.UpdateAgentRuntimeInput, ...func(*control.Options)) (*control.UpdateAgentRuntimeOutput, error)
	GetAgentRuntime(context.Context, *control.GetAgentRuntimeInput, ...func(*control.Options)) (*control.GetAgentRuntimeOutput, error)
	DeleteAgentRuntime(context.Context, *control.DeleteAgentRuntimeInput, ...func(*control.Options)) (*control.DeleteAgentRuntimeOutput, error)
	ListAgentRuntimes(context.Context, *control.ListAgentRuntimesInput, ...func(*control.Options)) (*control.ListAgentRuntimesOutput, error)
	ListAgentRuntimeVersions(context.Context, *control.ListAgentRuntimeVersionsInput, ...func(*control.Options)) (*control.ListAgentRuntimeVersionsOutput, error)
	CreateAgentRuntimeEndpoint(context.Context, *control.CreateAgentRuntimeEndpointInput, ...func(*control.Options)) (*control.CreateAgentRuntimeEndpointOutput, error)
	UpdateAgentRuntimeEndpoint(context.Context, *control.UpdateAgentRuntimeEndpointInput, ...func(*control.Options)) (*control.UpdateAgentRuntimeEndpointOutput, error)
	GetAgentRuntimeEndpoint(context.Context, *control.GetAgentRuntimeEndpointInput, ...func(*control.Options)) (*control.GetAgentRuntimeEndpointOutput, error)
	DeleteAgentRuntimeEndpoint(context.Context, *control.DeleteAgentRuntimeEndpointInput, ...func(*control.Options)) (*control.DeleteAgentRuntimeEndpointOutput, error)
	ListAgentRuntimeEndpoints(context.Context, *control.ListAgentRuntimeEndpointsInput, ...func(*control.Options)) (*control.ListAgentRuntimeEndpointsOutput, error)
	TagResource(context.Context, *control.TagResourceInput, ...func(*control.Options)) (*control.TagResourceOutput, error)
	UntagResource(context.Context, *control.UntagResourceInput, ...func(*control.Options)) (*control.UntagResourceOutput, error)
	ListTagsForResource(context.Context, *control.ListTagsForResourceInput, ...func(*control.Options)) (*control.ListTagsForResourceOutput, error)
}

// dataAPI is the part of the AgentCore data plane this module calls.
type dataAPI interface {
	InvokeAgentRuntime(context.Context, *bedrockagentcore.InvokeAgentRuntimeInput, ...func(*bedrockagentcore.Options)) (*bedrockagentcore.InvokeAgentRuntimeOutput, error)
	StopRuntimeSession(context.Context, *bedrockagentcore.StopRuntimeSessionInput, ...func(*bedrockagentcore.Options)) (*bedrockagentcore.StopRuntimeSessionOutput, error)
}

// controlFor returns the control plane client of the session's environment.
func controlFor(run *engine.Run, s *aws.Session) controlAPI {
	return aws.Client(run, s, "bedrockagentcorecontrol", func(cfg awssdk.Config) controlAPI { return control.NewFromConfig(cfg) })
}

// dataFor returns the data plane client of the session's environment.
func dataFor(run *engine.Run, s *aws.Session) dataAPI {
	return aws.Client(run, s, "bedrockagentcore", func(cfg awssdk.Config) dataAPI { return bedrockagentcore.NewFromConfig(cfg) })
}

// callControl runs fn against the control plane with the interpreter lock released, raising
// (aws.Error, the AWS code first) on failure.
func callControl[T any](L *lua.LState, doing string, fn func(ctx context.Context, c controlAPI) (T, error)) T {
	run := engine.FromL(L)
	return aws.Call(L, doing, func(ctx context.Context, s *aws.Session) (T, error) {
		return fn(ctx, controlFor(run, s))
	})
}

// tryControl is callControl returning the error, for lookups that answer nil when not found.
func tryControl[T any](L *lua.LState, fn func(ctx context.Context, c controlAPI) (T, error)) (T, error) {
	run := engine.FromL(L)
	return aws.Try(L, func(ctx context.Context, s *aws.Session) (T, error) {
		return fn(ctx, controlFor(run, s))
	})
}
