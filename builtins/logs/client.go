package logs

import (
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/xray"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
)

// service is CloudWatch Logs, as this module calls it.
var service = &awscall.Service[*cwl.Client]{Name: "cloudwatchlogs",
	New: func(s *awscall.Session) *cwl.Client { return cwl.NewFromConfig(s.Config) }}

// xrayService is X-Ray (Transaction Search's trace segment destination).
var xrayService = &awscall.Service[*xray.Client]{Name: "xray",
	New: func(s *awscall.Session) *xray.Client { return xray.NewFromConfig(s.Config) }}
