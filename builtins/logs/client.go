package logs

import (
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/xray"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
)

// module is the logs module built with the program's AWS layer.
type module struct {
	service     *awscall.Service[*cwl.Client]  // CloudWatch Logs
	xrayService *awscall.Service[*xray.Client] // X-Ray (Transaction Search's trace segment destination)
}

func newModule(a *awscall.AWS) *module {
	return &module{
		service: &awscall.Service[*cwl.Client]{AWS: a, Name: "cloudwatchlogs",
			New: func(s *awscall.Session) *cwl.Client { return cwl.NewFromConfig(s.Config) }},
		xrayService: &awscall.Service[*xray.Client]{AWS: a, Name: "xray",
			New: func(s *awscall.Session) *xray.Client { return xray.NewFromConfig(s.Config) }},
	}
}
