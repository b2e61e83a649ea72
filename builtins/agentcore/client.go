package agentcore

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	control "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
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
	InvokeAgentRuntimeCommand(context.Context, *bedrockagentcore.InvokeAgentRuntimeCommandInput, ...func(*bedrockagentcore.Options)) (*bedrockagentcore.InvokeAgentRuntimeCommandOutput, error)
	GetAgentCard(context.Context, *bedrockagentcore.GetAgentCardInput, ...func(*bedrockagentcore.Options)) (*bedrockagentcore.GetAgentCardOutput, error)
}

// module is the agentcore module built with the program's AWS layer.
type module struct {
	controlPlane *awscall.Service[controlAPI] // the AgentCore control plane
	dataPlane    *awscall.Service[dataAPI]    // the AgentCore data plane
}

func newModule(a *awscall.AWS) *module {
	return &module{
		controlPlane: &awscall.Service[controlAPI]{AWS: a, Name: "bedrockagentcorecontrol",
			New: func(s *awscall.Session) controlAPI { return control.NewFromConfig(s.Config) }},
		dataPlane: &awscall.Service[dataAPI]{AWS: a, Name: "bedrockagentcore",
			New: func(s *awscall.Session) dataAPI { return bedrockagentcore.NewFromConfig(s.Config) }},
	}
}
