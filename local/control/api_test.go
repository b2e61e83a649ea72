package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// TestPagination lists runtimes, versions and endpoints page by page.
func TestPagination(t *testing.T) {
	e := newEnv(t, "", 2*time.Second)
	ctx := context.Background()
	// Images that do not exist fail fast and start no container: enough for listing.
	missing := registryHost(t) + "/absent:v1"
	var ids []string
	for i := range 5 {
		out, err := e.ctl.CreateAgentRuntime(ctx, createInput(fmt.Sprintf("page_%d", i), missing, nil))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *out.AgentRuntimeId)
	}
	var got []string
	var token *string
	pages := 0
	for {
		out, err := e.ctl.ListAgentRuntimes(ctx, &ctl.ListAgentRuntimesInput{MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.AgentRuntimes) > 2 {
			t.Fatalf("page of %d", len(out.AgentRuntimes))
		}
		for _, r := range out.AgentRuntimes {
			if r.AgentRuntimeArn == nil || r.AgentRuntimeName == nil || r.LastUpdatedAt == nil || r.Status == "" || *r.AgentRuntimeVersion != "1" {
				t.Fatalf("summary %+v", r)
			}
			got = append(got, *r.AgentRuntimeId)
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if pages != 3 || strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("%d pages, got %v, want %v", pages, got, ids)
	}
	// The SDK paginator agrees.
	p := ctl.NewListAgentRuntimesPaginator(e.ctl, &ctl.ListAgentRuntimesInput{MaxResults: aws.Int32(4)})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.AgentRuntimes)
	}
	if n != 5 {
		t.Fatalf("paginator saw %d runtimes", n)
	}

	var ve *types.ValidationException
	if _, err := e.ctl.ListAgentRuntimes(ctx, &ctl.ListAgentRuntimesInput{NextToken: aws.String("not-a-token")}); !errors.As(err, &ve) {
		t.Fatalf("invalid nextToken: %v", err)
	}
	if _, err := e.ctl.ListAgentRuntimes(ctx, &ctl.ListAgentRuntimesInput{MaxResults: aws.Int32(101)}); !errors.As(err, &ve) {
		t.Fatalf("maxResults 101: %v", err)
	}

	// Versions and endpoints page too.
	e.waitRuntime(ids[0])
	for range 2 {
		if _, err := e.ctl.UpdateAgentRuntime(ctx, updateInput(ids[0], missing, nil)); err != nil {
			t.Fatal(err)
		}
		e.waitRuntime(ids[0])
	}
	v1, err := e.ctl.ListAgentRuntimeVersions(ctx, &ctl.ListAgentRuntimeVersionsInput{AgentRuntimeId: aws.String(ids[0]), MaxResults: aws.Int32(2)})
	if err != nil || len(v1.AgentRuntimes) != 2 || v1.NextToken == nil {
		t.Fatalf("versions page 1: %+v %v", v1, err)
	}
	v2, err := e.ctl.ListAgentRuntimeVersions(ctx, &ctl.ListAgentRuntimeVersionsInput{AgentRuntimeId: aws.String(ids[0]), MaxResults: aws.Int32(2), NextToken: v1.NextToken})
	if err != nil || len(v2.AgentRuntimes) != 1 || v2.NextToken != nil || *v2.AgentRuntimes[0].AgentRuntimeVersion != "1" ||
		*v1.AgentRuntimes[0].AgentRuntimeVersion != "3" || v1.AgentRuntimes[0].Status != types.AgentRuntimeStatusUpdateFailed {
		t.Fatalf("versions page 2: %+v %v", v2, err)
	}
	eps, err := e.ctl.ListAgentRuntimeEndpoints(ctx, &ctl.ListAgentRuntimeEndpointsInput{AgentRuntimeId: aws.String(ids[1]), MaxResults: aws.Int32(1)})
	if err != nil || len(eps.RuntimeEndpoints) != 1 || eps.NextToken != nil || *eps.RuntimeEndpoints[0].Name != "DEFAULT" {
		t.Fatalf("endpoints: %+v %v", eps, err)
	}
	var nf *types.ResourceNotFoundException
	if _, err := e.ctl.ListAgentRuntimeVersions(ctx, &ctl.ListAgentRuntimeVersionsInput{AgentRuntimeId: aws.String("nobody-abcdefghij")}); !errors.As(err, &nf) {
		t.Fatalf("versions of an unknown runtime: %v", err)
	}
}

// TestValidation sends requests the SDK would refuse to build, as raw restJson1.
func TestValidation(t *testing.T) {
	e := newEnv(t, "", 2*time.Second)
	good := `"agentRuntimeArtifact":{"containerConfiguration":{"containerUri":"127.0.0.1:5000/a:b"}},"roleArn":"` + roleArn + `","networkConfiguration":{"networkMode":"PUBLIC"}`
	cases := []struct {
		name, method, path, body string
		status                   int
		errType, msg             string
	}{
		{"bad name", "PUT", "/runtimes/", `{"agentRuntimeName":"1bad",` + good + `}`, 400, "ValidationException", "agentRuntimeName"},
		{"long name", "PUT", "/runtimes/", `{"agentRuntimeName":"` + strings.Repeat("a", 49) + `",` + good + `}`, 400, "ValidationException", "agentRuntimeName"},
		{"no name", "PUT", "/runtimes/", `{` + good + `}`, 400, "ValidationException", "agentRuntimeName"},
		{"no artifact", "PUT", "/runtimes/", `{"agentRuntimeName":"ok","roleArn":"` + roleArn + `","networkConfiguration":{"networkMode":"PUBLIC"}}`, 400, "ValidationException", "agentRuntimeArtifact"},
		{"no uri", "PUT", "/runtimes/", `{"agentRuntimeName":"ok","agentRuntimeArtifact":{"containerConfiguration":{}},"roleArn":"` + roleArn + `","networkConfiguration":{"networkMode":"PUBLIC"}}`, 400, "ValidationException", "containerUri"},
		{"code artifact", "PUT", "/runtimes/", `{"agentRuntimeName":"ok","agentRuntimeArtifact":{"codeConfiguration":{}},"roleArn":"` + roleArn + `","networkConfiguration":{"networkMode":"PUBLIC"}}`, 400, "ValidationException", "codeConfiguration"},
		{"bad role", "PUT", "/runtimes/", `{"agentRuntimeName":"ok","agentRuntimeArtifact":{"containerConfiguration":{"containerUri":"127.0.0.1:5000/a:b"}},"roleArn":"nope","networkConfiguration":{"networkMode":"PUBLIC"}}`, 400, "ValidationException", "roleArn"},
		{"no network", "PUT", "/runtimes/", `{"agentRuntimeName":"ok","agentRuntimeArtifact":{"containerConfiguration":{"containerUri":"127.0.0.1:5000/a:b"}},"roleArn":"` + roleArn + `"}`, 400, "ValidationException", "networkConfiguration"},
		{"bad mode", "PUT", "/runtimes/", `{"agentRuntimeName":"ok","agentRuntimeArtifact":{"containerConfiguration":{"containerUri":"127.0.0.1:5000/a:b"}},"roleArn":"` + roleArn + `","networkConfiguration":{"networkMode":"LAN"}}`, 400, "ValidationException", "networkMode"},
		{"not json", "PUT", "/runtimes/", `{`, 400, "ValidationException", "JSON"},
		{"bad id", "GET", "/runtimes/no_suffix/", ``, 400, "ValidationException", "agentRuntimeId"},
		{"unknown id", "GET", "/runtimes/ghost-abcdefghij/", ``, 404, "ResourceNotFoundException", "ghost-abcdefghij"},
		{"unknown endpoint runtime", "GET", "/runtimes/ghost-abcdefghij/runtime-endpoints/DEFAULT/", ``, 404, "ResourceNotFoundException", "ghost"},
		{"unknown op", "PATCH", "/runtimes/", ``, 404, "UnknownOperationException", "PATCH"},
		{"invoke bad arn", "POST", "/runtimes/arn%3Aaws%3As3%3A%3A%3Abucket/invocations", `{}`, 400, "ValidationException", "agentRuntimeArn"},
		{"invoke other account", "POST", "/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A999999999999%3Aruntime%2Fx-abcdefghij/invocations", `{}`, 404, "ResourceNotFoundException", "999999999999"},
		{"stop on unknown runtime", "POST", "/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fx-abcdefghij/stopruntimesession", `{}`, 404, "ResourceNotFoundException", "x-abcdefghij"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, e.url+c.path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var m struct {
				Message string `json:"message"`
				Reason  string `json:"reason"`
			}
			json.Unmarshal(body, &m)
			if resp.StatusCode != c.status || resp.Header.Get("X-Amzn-ErrorType") != c.errType || !strings.Contains(m.Message, c.msg) {
				t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
			}
			if c.errType == "ValidationException" && m.Reason == "" {
				t.Fatalf("ValidationException without reason: %s", body)
			}
		})
	}
}

// TestGeneratedSession: without a session header the data plane makes one up and returns it.
func TestGeneratedSession(t *testing.T) {
	uri := agentImage(t)
	e := newEnv(t, "", 30*time.Second)
	created := e.createReady("raw_session", uri, nil)
	resp, err := http.Post(e.url+"/runtimes/"+strings.ReplaceAll(strings.ReplaceAll(*created.AgentRuntimeArn, ":", "%3A"), "/", "%2F")+"/invocations", "application/json", strings.NewReader(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans echo
	json.NewDecoder(resp.Body).Decode(&ans)
	sid := resp.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id")
	if resp.StatusCode != 200 || len(sid) < 33 || ans.SessionID != sid {
		t.Fatalf("status %d session header %q agent saw %q", resp.StatusCode, sid, ans.SessionID)
	}

	// The runtime id with accountId works in place of the ARN.
	resp2, err := http.Post(e.url+"/runtimes/"+*created.AgentRuntimeId+"/invocations?accountId="+testAccount, "application/json", strings.NewReader(`{"x":2}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	if b, _ := io.ReadAll(resp2.Body); resp2.StatusCode != 200 || !strings.Contains(string(b), `"x":2`) {
		t.Fatalf("invoke by id: %d %s", resp2.StatusCode, b)
	}
}

// TestAWSCLI is a smoke test with the AWS CLI (botocore's own parser), skipped without `aws`.
func TestAWSCLI(t *testing.T) {
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not on PATH")
	}
	e := newEnv(t, "", 30*time.Second)
	out := e.createReady("cli_agent", agentImage(t), map[string]string{"FOO": "cli"})
	run := func(args ...string) string {
		cmd := exec.Command(aws, append(args, "--endpoint-url", e.url, "--region", "us-east-1", "--output", "json")...)
		cmd.Env = append(cmd.Environ(), "AWS_ACCESS_KEY_ID=AKIDLOCAL", "AWS_SECRET_ACCESS_KEY=secret", "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, b)
		}
		return string(b)
	}
	list := run("bedrock-agentcore-control", "list-agent-runtimes")
	if !strings.Contains(list, *out.AgentRuntimeId) || !strings.Contains(list, `"agentRuntimes"`) {
		t.Fatalf("list-agent-runtimes:\n%s", list)
	}
	get := run("bedrock-agentcore-control", "get-agent-runtime", "--agent-runtime-id", *out.AgentRuntimeId)
	if !strings.Contains(get, `"agentRuntimeName": "cli_agent"`) {
		t.Fatalf("get-agent-runtime:\n%s", get)
	}
	answer := filepath.Join(t.TempDir(), "answer.json")
	inv := run("bedrock-agentcore", "invoke-agent-runtime", "--agent-runtime-arn", *out.AgentRuntimeArn,
		"--payload", `{"prompt":"from the CLI"}`, answer)
	if !strings.Contains(inv, `"runtimeSessionId"`) || !strings.Contains(inv, `"statusCode": 200`) {
		t.Fatalf("invoke-agent-runtime:\n%s", inv)
	}
	b, err := os.ReadFile(answer)
	if err != nil {
		t.Fatal(err)
	}
	var ans echo
	if err := json.Unmarshal(b, &ans); err != nil || ans.Echo["prompt"] != "from the CLI" || ans.Env["FOO"] != "cli" {
		t.Fatalf("the agent answered %s (%v)", b, err)
	}
}

// TestCreateIdempotent: a retried CreateAgentRuntime with the same clientToken answers the
// runtime it already created; another token conflicts.
func TestCreateIdempotent(t *testing.T) {
	e := newEnv(t, "", 2*time.Second)
	ctx := context.Background()
	in := createInput("retried", registryHost(t)+"/absent:v1", nil)
	in.ClientToken = aws.String("token-0000000000000000000000000000000001")
	first, err := e.ctl.CreateAgentRuntime(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.ctl.CreateAgentRuntime(ctx, in)
	if err != nil || *again.AgentRuntimeId != *first.AgentRuntimeId {
		t.Fatalf("retry: %+v %v", again, err)
	}
	in.ClientToken = aws.String("token-0000000000000000000000000000000002")
	var conflict *types.ConflictException
	if _, err := e.ctl.CreateAgentRuntime(ctx, in); !errors.As(err, &conflict) {
		t.Fatalf("other token: %v", err)
	}
	list, err := e.ctl.ListAgentRuntimes(ctx, &ctl.ListAgentRuntimesInput{})
	if err != nil || len(list.AgentRuntimes) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
}
