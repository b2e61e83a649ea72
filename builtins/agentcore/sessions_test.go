package agentcore

import (
	"net/url"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
)

// The data plane paths the SDK does not build (shells, the local session list) escape the ARN
// into one segment, as the SDK does for invocations, on the local endpoint or on AWS.
func TestDataPlaneURL(t *testing.T) {
	arn := "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_bot-AbC123"
	local := &awscall.Session{Config: awssdk.Config{Region: "us-east-1", BaseEndpoint: awssdk.String("http://127.0.0.1:4566/")}}
	aws := &awscall.Session{Config: awssdk.Config{Region: "eu-west-1"}}
	for _, c := range []struct {
		s      *awscall.Session
		suffix string
		q      url.Values
		want   string
	}{
		{local, "/sessions", nil, "http://127.0.0.1:4566/runtimes/arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime%2Fmy_bot-AbC123/sessions"},
		{aws, "/ws/shells", url.Values{"qualifier": {"stable"}}, "https://bedrock-agentcore.eu-west-1.amazonaws.com/runtimes/arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime%2Fmy_bot-AbC123/ws/shells?qualifier=stable"},
	} {
		if got := dataPlaneURL(c.s, arn, c.suffix, c.q).String(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}
