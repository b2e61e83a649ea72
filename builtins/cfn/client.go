package cfn

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
)

// api is the part of the CloudFormation API this module calls; tests substitute a scripted
// fake for the paths moto cannot produce (failed resources, rollbacks, slow stacks).
type api interface {
	CreateStack(context.Context, *cloudformation.CreateStackInput, ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error)
	DeleteStack(context.Context, *cloudformation.DeleteStackInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error)
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	DescribeStackEvents(context.Context, *cloudformation.DescribeStackEventsInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error)
	CreateChangeSet(context.Context, *cloudformation.CreateChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error)
	DescribeChangeSet(context.Context, *cloudformation.DescribeChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error)
	ExecuteChangeSet(context.Context, *cloudformation.ExecuteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error)
	DeleteChangeSet(context.Context, *cloudformation.DeleteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error)
}

// module is the cfn module built with the program's AWS layer.
type module struct {
	service *awscall.Service[api] // CloudFormation; a test injects its fake with service.Inject
}

func newModule(a *awscall.AWS) *module {
	return &module{service: &awscall.Service[api]{AWS: a, Name: "cloudformation",
		New: func(s *awscall.Session) api { return cloudformation.NewFromConfig(s.Config) }, Hint: hints}}
}

// hints explains CloudFormation's own error codes.
var hints awscall.Hints = func(code, _ string) string {
	switch code {
	case "InsufficientCapabilitiesException":
		return `the template creates IAM resources: pass capabilities = {"CAPABILITY_NAMED_IAM"} (or CAPABILITY_IAM when no name is given)`
	case "AlreadyExistsException":
		return "a stack of this name exists already (perhaps being created by another run): deploy again to update it"
	}
	return ""
}
