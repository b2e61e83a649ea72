package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	dptypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const roleArn = "arn:aws:iam::123456789012:role/AgentRuntimeRole"

func createInput(name, uri string, envVars map[string]string) *ctl.CreateAgentRuntimeInput {
	return &ctl.CreateAgentRuntimeInput{
		AgentRuntimeName: aws.String(name),
		AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{
			Value: types.ContainerConfiguration{ContainerUri: aws.String(uri)},
		},
		RoleArn:              aws.String(roleArn),
		NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
		EnvironmentVariables: envVars,
	}
}

func updateInput(id, uri string, envVars map[string]string) *ctl.UpdateAgentRuntimeInput {
	return &ctl.UpdateAgentRuntimeInput{
		AgentRuntimeId: aws.String(id),
		AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{
			Value: types.ContainerConfiguration{ContainerUri: aws.String(uri)},
		},
		RoleArn:              aws.String(roleArn),
		NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
		EnvironmentVariables: envVars,
	}
}

// waitRuntime polls GetAgentRuntime until the runtime leaves CREATING/UPDATING.
func (e *env) waitRuntime(id string) *ctl.GetAgentRuntimeOutput {
	e.t.Helper()
	deadline := time.Now().Add(e.timeout + 90*time.Second)
	for {
		out, err := e.ctl.GetAgentRuntime(context.Background(), &ctl.GetAgentRuntimeInput{AgentRuntimeId: aws.String(id)})
		if err != nil {
			e.t.Fatalf("GetAgentRuntime %s: %v", id, err)
		}
		if out.Status != types.AgentRuntimeStatusCreating && out.Status != types.AgentRuntimeStatusUpdating {
			return out
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("runtime %s still %s", id, out.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (e *env) waitEndpoint(id, name string) *ctl.GetAgentRuntimeEndpointOutput {
	e.t.Helper()
	deadline := time.Now().Add(e.timeout + 90*time.Second)
	for {
		out, err := e.ctl.GetAgentRuntimeEndpoint(context.Background(), &ctl.GetAgentRuntimeEndpointInput{AgentRuntimeId: aws.String(id), EndpointName: aws.String(name)})
		if err != nil {
			e.t.Fatalf("GetAgentRuntimeEndpoint %s/%s: %v", id, name, err)
		}
		if out.Status != types.AgentRuntimeEndpointStatusCreating && out.Status != types.AgentRuntimeEndpointStatusUpdating {
			return out
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("endpoint %s/%s still %s", id, name, out.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// createReady creates a runtime and waits until it is READY.
func (e *env) createReady(name, uri string, envVars map[string]string) *ctl.CreateAgentRuntimeOutput {
	e.t.Helper()
	out, err := e.ctl.CreateAgentRuntime(context.Background(), createInput(name, uri, envVars))
	if err != nil {
		e.t.Fatalf("CreateAgentRuntime: %v", err)
	}
	if got := e.waitRuntime(*out.AgentRuntimeId); got.Status != types.AgentRuntimeStatusReady {
		e.t.Fatalf("runtime %s: status %s, failureReason %q", *out.AgentRuntimeId, got.Status, aws.ToString(got.FailureReason))
	}
	return out
}

type echo struct {
	Echo      map[string]any    `json:"echo"`
	SessionID string            `json:"sessionId"`
	UserID    string            `json:"userId"`
	Headers   map[string]string `json:"headers"`
	Env       map[string]string `json:"env"`
	Count     int               `json:"count"` // invocations its sandbox served
	File      string            `json:"file"`  // what its sandbox's session.txt holds
}

func (e *env) invoke(arn, qualifier, session string, payload string, opts ...func(*bedrockagentcore.Options)) (*bedrockagentcore.InvokeAgentRuntimeOutput, echo) {
	e.t.Helper()
	in := &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(arn), Payload: []byte(payload), ContentType: aws.String("application/json")}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	if session != "" {
		in.RuntimeSessionId = aws.String(session)
	}
	out, err := e.data.InvokeAgentRuntime(context.Background(), in, opts...)
	if err != nil {
		e.t.Fatalf("InvokeAgentRuntime %s (%s): %v", arn, qualifier, err)
	}
	defer out.Response.Close()
	var got echo
	if err := json.NewDecoder(out.Response).Decode(&got); err != nil {
		e.t.Fatalf("decoding the agent's answer: %v", err)
	}
	return out, got
}

func withHeader(k, v string) func(*bedrockagentcore.Options) {
	return func(o *bedrockagentcore.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return smithyhttp.AddHeaderValue(k, v)(s)
		})
	}
}

var (
	arnPattern = regexp.MustCompile(`^arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/lifecycle_agent-[a-zA-Z0-9]{10}$`)
	session1   = "session-0000000000000000000000000000000001"
	session2   = "session-0000000000000000000000000000000002"
	session3   = "session-0000000000000000000000000000000003"
)

// TestRuntimeLifecycle walks one runtime through create, invoke, update, endpoints, sessions
// and delete with the real SDK clients, the real Docker engine and the test agent.
func TestRuntimeLifecycle(t *testing.T) {
	uri := agentImage(t)
	e := newEnv(t, "", 30*time.Second)
	ctx := context.Background()

	created, err := e.ctl.CreateAgentRuntime(ctx, createInput("lifecycle_agent", uri, map[string]string{"FOO": "one"}))
	if err != nil {
		t.Fatal(err)
	}
	if !arnPattern.MatchString(*created.AgentRuntimeArn) || *created.AgentRuntimeVersion != "1" || created.Status != types.AgentRuntimeStatusCreating || created.CreatedAt == nil {
		t.Fatalf("create answered %+v", created)
	}
	id, arn := *created.AgentRuntimeId, *created.AgentRuntimeArn
	if !strings.HasSuffix(arn, "/"+id) || !regexp.MustCompile(`^lifecycle_agent-[a-zA-Z0-9]{10}$`).MatchString(id) {
		t.Fatalf("id %q arn %q", id, arn)
	}

	var conflict *types.ConflictException
	if _, err := e.ctl.CreateAgentRuntime(ctx, createInput("lifecycle_agent", uri, nil)); !errors.As(err, &conflict) {
		t.Fatalf("second create with the same name: want ConflictException, got %v", err)
	}

	got := e.waitRuntime(id)
	if got.Status != types.AgentRuntimeStatusReady {
		t.Fatalf("status %s: %s", got.Status, aws.ToString(got.FailureReason))
	}
	if *got.AgentRuntimeName != "lifecycle_agent" || got.EnvironmentVariables["FOO"] != "one" || got.LifecycleConfiguration == nil ||
		got.NetworkConfiguration.NetworkMode != types.NetworkModePublic || *got.RoleArn != roleArn {
		t.Fatalf("GetAgentRuntime: %+v", got)
	}
	if art, ok := got.AgentRuntimeArtifact.(*types.AgentRuntimeArtifactMemberContainerConfiguration); !ok || *art.Value.ContainerUri != uri {
		t.Fatalf("artifact %#v", got.AgentRuntimeArtifact)
	}
	def := e.waitEndpoint(id, "DEFAULT")
	if def.Status != types.AgentRuntimeEndpointStatusReady || aws.ToString(def.LiveVersion) != "1" {
		t.Fatalf("DEFAULT endpoint: %+v", def)
	}

	// Invoke: session, user and custom headers reach the agent; the answer says which env ran.
	out, ans := e.invoke(arn, "", session1, `{"prompt":"hello"}`,
		withHeader("X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant", "acme"),
		func(o *bedrockagentcore.Options) {})
	if ans.Echo["prompt"] != "hello" || ans.SessionID != session1 || ans.Env["FOO"] != "one" || ans.Headers["X-Amzn-Bedrock-Agentcore-Runtime-Custom-Tenant"] != "acme" {
		t.Fatalf("agent answered %+v", ans)
	}
	if aws.ToString(out.RuntimeSessionId) != session1 || !strings.HasPrefix(aws.ToString(out.ContentType), "application/json") || aws.ToInt32(out.StatusCode) != 200 {
		t.Fatalf("invoke output: session %q content type %q status %v", aws.ToString(out.RuntimeSessionId), aws.ToString(out.ContentType), out.StatusCode)
	}
	out, ans = e.invoke(arn, "DEFAULT", "", `{"n":1}`, func(o *bedrockagentcore.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("X-Amzn-Bedrock-AgentCore-Runtime-User-Id", "user-7"))
	})
	if sid := aws.ToString(out.RuntimeSessionId); len(sid) < 33 || ans.SessionID != sid || ans.UserID != "user-7" {
		t.Fatalf("generated session %q, agent saw %q, user %q", sid, ans.SessionID, ans.UserID)
	}

	t.Run("streaming", func(t *testing.T) {
		start := time.Now()
		out, err := e.data.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{
			AgentRuntimeArn: aws.String(arn), Payload: []byte(`{"stream":4}`), RuntimeSessionId: aws.String(session1),
		})
		if err != nil {
			t.Fatal(err)
		}
		defer out.Response.Close()
		if ct := aws.ToString(out.ContentType); !strings.HasPrefix(ct, "text/event-stream") {
			t.Fatalf("content type %q", ct)
		}
		sc := bufio.NewScanner(out.Response)
		var events []string
		var first time.Duration
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "data: ") {
				if events == nil {
					first = time.Since(start)
				}
				events = append(events, line)
			}
		}
		total := time.Since(start)
		if len(events) != 4 {
			t.Fatalf("events %q", events)
		}
		// The agent waits 200ms between events: the first must arrive long before the last.
		if total-first < 450*time.Millisecond {
			t.Fatalf("first event after %s, all after %s: the stream was buffered", first, total)
		}
	})

	t.Run("invoke errors", func(t *testing.T) {
		var nf *dptypes.ResourceNotFoundException
		_, err := e.data.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(arn), Qualifier: aws.String("nope"), Payload: []byte(`{}`)})
		if !errors.As(err, &nf) {
			t.Fatalf("unknown qualifier: %v", err)
		}
		_, err = e.data.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(strings.Replace(arn, id, "ghost_agent-abcdefghij", 1)), Payload: []byte(`{}`)})
		if !errors.As(err, &nf) {
			t.Fatalf("unknown runtime: %v", err)
		}
		var ve *dptypes.ValidationException
		_, err = e.data.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(arn), Payload: []byte(`{}`), RuntimeSessionId: aws.String("short")})
		if !errors.As(err, &ve) {
			t.Fatalf("short session id: %v", err)
		}
		var rce *dptypes.RuntimeClientError
		_, err = e.data.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(arn), Payload: []byte(`{"status":500}`)})
		if !errors.As(err, &rce) {
			t.Fatalf("agent answering 500: %v", err)
		}
	})

	// Update: version 2; a second update while it rolls out conflicts.
	up, err := e.ctl.UpdateAgentRuntime(ctx, updateInput(id, uri, map[string]string{"FOO": "two"}))
	if err != nil {
		t.Fatal(err)
	}
	if *up.AgentRuntimeVersion != "2" || up.Status != types.AgentRuntimeStatusUpdating || up.LastUpdatedAt == nil {
		t.Fatalf("update answered %+v", up)
	}
	if _, err := e.ctl.UpdateAgentRuntime(ctx, updateInput(id, uri, nil)); !errors.As(err, &conflict) {
		t.Fatalf("update while UPDATING: want ConflictException, got %v", err)
	}
	if got := e.waitRuntime(id); got.Status != types.AgentRuntimeStatusReady || *got.AgentRuntimeVersion != "2" {
		t.Fatalf("after update: %s v%s %s", got.Status, *got.AgentRuntimeVersion, aws.ToString(got.FailureReason))
	}
	if def := e.waitEndpoint(id, "DEFAULT"); aws.ToString(def.LiveVersion) != "2" {
		t.Fatalf("DEFAULT follows the latest version: live %q", aws.ToString(def.LiveVersion))
	}
	// A new session gets the new version; a live one stays on the version that served its first
	// request (its sandbox runs that version's image) until it ends.
	if _, ans := e.invoke(arn, "", session2, `{}`); ans.Env["FOO"] != "two" {
		t.Fatalf("DEFAULT served FOO=%q to a new session after the update", ans.Env["FOO"])
	}
	if _, ans := e.invoke(arn, "", session1, `{}`); ans.Env["FOO"] != "one" {
		t.Fatalf("a live session moved to FOO=%q after the update", ans.Env["FOO"])
	}
	v1, err := e.ctl.GetAgentRuntime(ctx, &ctl.GetAgentRuntimeInput{AgentRuntimeId: aws.String(id), AgentRuntimeVersion: aws.String("1")})
	if err != nil || *v1.AgentRuntimeVersion != "1" || v1.EnvironmentVariables["FOO"] != "one" {
		t.Fatalf("GetAgentRuntime version 1: %+v %v", v1, err)
	}
	vers, err := e.ctl.ListAgentRuntimeVersions(ctx, &ctl.ListAgentRuntimeVersionsInput{AgentRuntimeId: aws.String(id)})
	if err != nil || len(vers.AgentRuntimes) != 2 || *vers.AgentRuntimes[0].AgentRuntimeVersion != "2" || *vers.AgentRuntimes[1].AgentRuntimeVersion != "1" {
		t.Fatalf("ListAgentRuntimeVersions: %+v %v", vers, err)
	}

	// A named endpoint stays on the version it names; UpdateAgentRuntimeEndpoint moves it.
	cep, err := e.ctl.CreateAgentRuntimeEndpoint(ctx, &ctl.CreateAgentRuntimeEndpointInput{
		AgentRuntimeId: aws.String(id), Name: aws.String("pinned"), AgentRuntimeVersion: aws.String("1"), Description: aws.String("stays on v1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if *cep.TargetVersion != "1" || cep.Status != types.AgentRuntimeEndpointStatusCreating || *cep.EndpointName != "pinned" || *cep.AgentRuntimeArn != arn {
		t.Fatalf("CreateAgentRuntimeEndpoint: %+v", cep)
	}
	if _, err := e.ctl.CreateAgentRuntimeEndpoint(ctx, &ctl.CreateAgentRuntimeEndpointInput{AgentRuntimeId: aws.String(id), Name: aws.String("pinned")}); !errors.As(err, &conflict) {
		t.Fatalf("duplicate endpoint: %v", err)
	}
	pinned := e.waitEndpoint(id, "pinned")
	if pinned.Status != types.AgentRuntimeEndpointStatusReady || aws.ToString(pinned.LiveVersion) != "1" || aws.ToString(pinned.Description) != "stays on v1" {
		t.Fatalf("pinned: %+v %s", pinned, aws.ToString(pinned.FailureReason))
	}
	if _, ans := e.invoke(arn, "pinned", session1, `{}`); ans.Env["FOO"] != "one" {
		t.Fatalf("pinned endpoint served FOO=%q", ans.Env["FOO"])
	}
	eps, err := e.ctl.ListAgentRuntimeEndpoints(ctx, &ctl.ListAgentRuntimeEndpointsInput{AgentRuntimeId: aws.String(id)})
	if err != nil || len(eps.RuntimeEndpoints) != 2 || *eps.RuntimeEndpoints[0].Name != "DEFAULT" || *eps.RuntimeEndpoints[1].Name != "pinned" {
		t.Fatalf("ListAgentRuntimeEndpoints: %+v %v", eps, err)
	}
	uep, err := e.ctl.UpdateAgentRuntimeEndpoint(ctx, &ctl.UpdateAgentRuntimeEndpointInput{AgentRuntimeId: aws.String(id), EndpointName: aws.String("pinned"), AgentRuntimeVersion: aws.String("2")})
	if err != nil || uep.Status != types.AgentRuntimeEndpointStatusUpdating || aws.ToString(uep.TargetVersion) != "2" || aws.ToString(uep.LiveVersion) != "1" {
		t.Fatalf("UpdateAgentRuntimeEndpoint: %+v %v", uep, err)
	}
	if p := e.waitEndpoint(id, "pinned"); aws.ToString(p.LiveVersion) != "2" || p.Status != types.AgentRuntimeEndpointStatusReady {
		t.Fatalf("pinned after update: %+v", p)
	}
	if _, ans := e.invoke(arn, "pinned", session3, `{}`); ans.Env["FOO"] != "two" {
		t.Fatalf("moved endpoint served FOO=%q", ans.Env["FOO"])
	}
	// An update that names no version still answers UPDATING, then settles READY.
	uep, err = e.ctl.UpdateAgentRuntimeEndpoint(ctx, &ctl.UpdateAgentRuntimeEndpointInput{AgentRuntimeId: aws.String(id), EndpointName: aws.String("pinned"), Description: aws.String("now on v2")})
	if err != nil || uep.Status != types.AgentRuntimeEndpointStatusUpdating || aws.ToString(uep.LiveVersion) != "2" {
		t.Fatalf("UpdateAgentRuntimeEndpoint (description): %+v %v", uep, err)
	}
	if p := e.waitEndpoint(id, "pinned"); p.Status != types.AgentRuntimeEndpointStatusReady || aws.ToString(p.Description) != "now on v2" {
		t.Fatalf("pinned after a description update: %s %q", p.Status, aws.ToString(p.Description))
	}

	// Sessions: StopRuntimeSession ends session1's sandbox, the last one on version 1.
	stop, err := e.data.StopRuntimeSession(ctx, &bedrockagentcore.StopRuntimeSessionInput{AgentRuntimeArn: aws.String(arn), RuntimeSessionId: aws.String(session1)})
	if err != nil || aws.ToString(stop.RuntimeSessionId) != session1 || aws.ToInt32(stop.StatusCode) != 200 {
		t.Fatalf("StopRuntimeSession: %+v %v", stop, err)
	}
	var dnf *dptypes.ResourceNotFoundException
	if _, err := e.data.StopRuntimeSession(ctx, &bedrockagentcore.StopRuntimeSessionInput{AgentRuntimeArn: aws.String(arn), RuntimeSessionId: aws.String(session1)}); !errors.As(err, &dnf) {
		t.Fatalf("stopping a stopped session: %v", err)
	}
	// Sessions started without an id (one generated per request) are on version 1 too.
	e.svc.sessMu.Lock()
	var onV1 []string
	for _, sb := range e.svc.sessions {
		if sb.runtimeID == id && sb.version == 1 {
			onV1 = append(onV1, sb.session)
		}
	}
	e.svc.sessMu.Unlock()
	for _, sid := range onV1 {
		if _, err := e.data.StopRuntimeSession(ctx, &bedrockagentcore.StopRuntimeSessionInput{AgentRuntimeArn: aws.String(arn), RuntimeSessionId: aws.String(sid)}); err != nil {
			t.Fatalf("StopRuntimeSession %s: %v", sid, err)
		}
	}
	waitFor(t, "version 1's containers to be removed once no endpoint or session uses it", func() bool {
		for _, c := range e.containers(id) {
			if c.Labels[LabelVersion] == "1" {
				return false
			}
		}
		return true
	})

	var ve *types.ValidationException
	if _, err := e.ctl.DeleteAgentRuntimeEndpoint(ctx, &ctl.DeleteAgentRuntimeEndpointInput{AgentRuntimeId: aws.String(id), EndpointName: aws.String("DEFAULT")}); !errors.As(err, &ve) {
		t.Fatalf("deleting DEFAULT: %v", err)
	}
	dep, err := e.ctl.DeleteAgentRuntimeEndpoint(ctx, &ctl.DeleteAgentRuntimeEndpointInput{AgentRuntimeId: aws.String(id), EndpointName: aws.String("pinned")})
	if err != nil || dep.Status != types.AgentRuntimeEndpointStatusDeleting {
		t.Fatalf("DeleteAgentRuntimeEndpoint: %+v %v", dep, err)
	}
	var nf *types.ResourceNotFoundException
	waitFor(t, "the endpoint to be deleted", func() bool {
		_, err := e.ctl.GetAgentRuntimeEndpoint(ctx, &ctl.GetAgentRuntimeEndpointInput{AgentRuntimeId: aws.String(id), EndpointName: aws.String("pinned")})
		return errors.As(err, &nf)
	})

	// Delete.
	del, err := e.ctl.DeleteAgentRuntime(ctx, &ctl.DeleteAgentRuntimeInput{AgentRuntimeId: aws.String(id)})
	if err != nil || del.Status != types.AgentRuntimeStatusDeleting {
		t.Fatalf("DeleteAgentRuntime: %+v %v", del, err)
	}
	waitFor(t, "the runtime to be deleted", func() bool {
		_, err := e.ctl.GetAgentRuntime(ctx, &ctl.GetAgentRuntimeInput{AgentRuntimeId: aws.String(id)})
		return errors.As(err, &nf)
	})
	if c := e.containers(id); len(c) != 0 {
		t.Fatalf("containers left after delete: %d", len(c))
	}
	if _, err := e.data.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(arn), Payload: []byte(`{}`)}); !errors.As(err, &dnf) {
		t.Fatalf("invoking a deleted runtime: %v", err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
