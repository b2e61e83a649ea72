package aws

import (
	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
)

// HTTPClient is awscall.HTTPClient, for local/logs' tests, which reach it here: delete it once
// they import awscall.
func HTTPClient(c awssdk.HTTPClient) awssdk.HTTPClient { return awscall.HTTPClient(c) }
