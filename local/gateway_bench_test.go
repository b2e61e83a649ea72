//go:build unix

package local

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// BenchmarkGateway measures a local gateway in process: the real endpoint on loopback, an
// AWS_IAM gateway over three targets (two in-process MCP servers and an OpenAPI API with an
// API key from the local Identity), the official MCP Go SDK's client signing every request
// with SigV4. tools-list is one tools/list through the gateway (issue 18's target: < 20 ms);
// tools-call makes one tools/call of an MCP target's tool through the gateway and one
// straight to the same server, alternating, and reports the medians and their difference
// (added-ms, the target: < 2 ms). (median and ms are invoke_bench_test.go's.)
//
//	go test -run XXX -bench Gateway -benchtime 400x ./local/
func BenchmarkGateway(b *testing.B) {
	r := start(b, b.TempDir())
	b.Cleanup(func() { r.stop(b) })
	c, gw, url, _ := gatewayWithTargets(b, r)
	calc2 := calcServer(b)
	out, err := c.CreateGatewayTarget(context.Background(), &ctl.CreateGatewayTargetInput{GatewayIdentifier: aws.String(gw), Name: aws.String("calc2"),
		TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberMcpServer{Value: types.McpServerTargetConfiguration{Endpoint: aws.String(calc2.URL)}}}})
	if err != nil {
		b.Fatal(err)
	}
	waitTarget(b, c, gw, aws.ToString(out.TargetId))

	cs, err := connectMCP(b, url, signingTransport{creds: r.srv.Credentials()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cs.Close() })
	direct, err := connectMCP(b, calc2.URL, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { direct.Close() })
	ctx := context.Background()

	b.Run("tools-list", func(b *testing.B) {
		for b.Loop() {
			res, err := cs.ListTools(ctx, nil)
			if err != nil || len(res.Tools) != 6 {
				b.Fatalf("tools/list: %v, %d tools", err, len(res.Tools))
			}
		}
	})
	b.Run("tools-call", func(b *testing.B) {
		call := func(s *mcp.ClientSession, name string) time.Duration {
			start := time.Now()
			res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{"a": 2, "b": 3}})
			if err != nil || res.IsError {
				b.Fatalf("tools/call %s: %v %+v", name, err, res)
			}
			return time.Since(start)
		}
		var via, straight []time.Duration
		i := 0
		for b.Loop() {
			if i%2 == 0 {
				via = append(via, call(cs, "calc2___add"))
				straight = append(straight, call(direct, "add"))
			} else {
				straight = append(straight, call(direct, "add"))
				via = append(via, call(cs, "calc2___add"))
			}
			i++
		}
		mv, md := median(via), median(straight)
		b.ReportMetric(ms(mv), "gateway-ms")
		b.ReportMetric(ms(md), "direct-ms")
		b.ReportMetric(ms(mv-md), "added-ms")
	})
}
