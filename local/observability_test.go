package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/smithy-go"

	"github.com/agentcore/agentcore/local/control"
)

// An agent's output, its OTLP spans and its invocation metrics, through the signed AWS APIs of
// a running endpoint, across a restart.
func TestObservability(t *testing.T) {
	cli := dockerEngine(t)
	dir := t.TempDir()
	t.Cleanup(func() { Reset(context.Background(), dir) })
	r := start(t, dir)
	ctx := context.Background()
	id, arn, _ := containerAgent(t, r, cli, "obs-agent", "obs_agent", nil)
	group := control.RuntimeLogGroup(id, "DEFAULT")
	session := "obs-session-0123456789abcdefghijklmnop"

	dp := bedrockagentcore.NewFromConfig(r.cfg, func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(r.url) })
	call := func(marker string) map[string]string {
		t.Helper()
		out, err := dp.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(arn),
			RuntimeSessionId: aws.String(session), Payload: []byte(`{"marker":"` + marker + `"}`)})
		if err != nil {
			t.Fatalf("InvokeAgentRuntime: %v", err)
		}
		defer out.Response.Close()
		var ans struct {
			Env map[string]string `json:"env"`
		}
		if err := json.NewDecoder(out.Response).Decode(&ans); err != nil {
			t.Fatal(err)
		}
		return ans.Env
	}
	logsc := cloudwatchlogs.NewFromConfig(r.cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(r.url) })
	find := func(r *running, pattern string, want int) []string {
		t.Helper()
		logsc := cloudwatchlogs.NewFromConfig(r.cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(r.url) })
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, err := logsc.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), FilterPattern: aws.String(pattern)})
			var got []string
			if err == nil {
				for _, e := range out.Events {
					got = append(got, *e.LogStreamName+" "+*e.Message)
				}
			}
			if len(got) >= want || time.Now().After(deadline) {
				return got
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	env := call("first-marker")
	printed := time.Now()
	got := find(r, `"first-marker"`, 1)
	t.Logf("an agent's line was found by FilterLogEvents %v after its invocation returned", time.Since(printed).Round(time.Millisecond))
	if len(got) != 1 || !strings.HasSuffix(strings.Fields(got[0])[0], "[runtime-logs]"+session) {
		t.Fatalf("the invocation's line: %q", got)
	}
	for k, want := range map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_SERVICE_NAME": "obs_agent", "AGENT_OBSERVABILITY_ENABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"} {
		if env[k] != want {
			t.Errorf("%s=%q, want %q", k, env[k], want)
		}
	}
	if !strings.Contains(env["OTEL_RESOURCE_ATTRIBUTES"], "aws.log.group.names="+group) || !strings.Contains(env["OTEL_RESOURCE_ATTRIBUTES"], "cloud.resource_id="+arn) {
		t.Errorf("OTEL_RESOURCE_ATTRIBUTES=%q", env["OTEL_RESOURCE_ATTRIBUTES"])
	}
	endpoint := env["OTEL_EXPORTER_OTLP_ENDPOINT"]
	if endpoint == "" || strings.Contains(endpoint, "127.0.0.1") {
		t.Fatalf("a container's OTEL_EXPORTER_OTLP_ENDPOINT=%q", endpoint)
	}

	// The agent's OTLP endpoint takes its token and nothing else; the AWS APIs are not there.
	auth, _ := url.QueryUnescape(strings.TrimPrefix(env["OTEL_EXPORTER_OTLP_HEADERS"], "Authorization="))
	span := fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"obs_agent"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"obs-span","kind":2,"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[{"key":"session.id","value":{"stringValue":%q}}]}]}]}]}`,
		time.Now().Add(-time.Second).UnixNano(), time.Now().UnixNano(), session)
	post := func(u, auth string) int {
		req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader([]byte(span)))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(endpoint+"/v1/traces", ""); code != http.StatusUnauthorized {
		t.Fatalf("OTLP without the token: %d", code)
	}
	if code := post(r.url+"/v1/traces", "Bearer "+id+".1.0123456789abcdef0123456789abcdef01234567"); code != http.StatusUnauthorized {
		t.Fatalf("OTLP with a forged token: %d", code)
	}
	if code := post(endpoint+"/v1/traces", auth); code != http.StatusOK {
		t.Fatalf("OTLP with the agent's token: %d", code)
	}
	// Besides OTLP, the containers' address serves the data planes to agents' sandbox
	// credentials alone (identity_test.go): nothing else, to anyone unsigned.
	if code := post(endpoint+"/_agentcore/health", auth); code != http.StatusForbidden {
		t.Fatalf("the containers' address serves more than OTLP and the agents' data planes: %d", code)
	}
	spans, err := logsc.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("aws/spans"), FilterPattern: aws.String(`{ $.name = "obs-span" }`)})
	if err != nil || len(spans.Events) != 1 || !strings.Contains(*spans.Events[0].Message, session) {
		t.Fatalf("aws/spans: %+v %v", spans, err)
	}

	// Restart: the container's output is followed again from where it was, nothing repeated.
	r.stop(t)
	r = start(t, dir)
	dp = bedrockagentcore.NewFromConfig(r.cfg, func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(r.url) })
	call("second-marker")
	if got := find(r, "second-marker", 1); len(got) != 1 {
		t.Fatalf("after a restart: %q", got)
	}
	if got := find(r, "testagent", 4); len(got) != 4 {
		t.Fatalf("every line once (starting, listening, two invocations): %q", got)
	}

	// The invocations were counted, and the counts survived the restart.
	cw := cloudwatch.NewFromConfig(r.cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(r.url) })
	md, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now().Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("inv"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(3600), Stat: aws.String("Sum"),
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Bedrock-AgentCore"), MetricName: aws.String("Invocations"), Dimensions: []cwtypes.Dimension{
				{Name: aws.String("Resource"), Value: aws.String(arn)}, {Name: aws.String("Operation"), Value: aws.String("InvokeAgentRuntime")},
				{Name: aws.String("Name"), Value: aws.String("obs_agent::DEFAULT")}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, v := range md.MetricDataResults[0].Values {
		total += v
	}
	if total != 2 {
		t.Fatalf("Invocations: %v", md.MetricDataResults[0].Values)
	}
	// A wrong key is refused in CloudWatch's own protocol (a typed error, not a decoding failure).
	bad := r.cfg
	bad.Credentials = credentials.NewStaticCredentialsProvider(r.srv.Credentials().AccessKeyID, "wrong-secret-wrong-secret", "")
	_, err = cloudwatch.NewFromConfig(bad, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(r.url) }).ListMetrics(ctx, &cloudwatch.ListMetricsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SignatureDoesNotMatch" {
		t.Fatalf("CloudWatch with a wrong secret: %v", err)
	}
	r.stop(t)
	assertNoServerGoroutines(t)
}
