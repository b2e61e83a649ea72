package control

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	dptypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/docker/docker/api/types/container"
)

// TestCreateFailures checks that each way an agent can fail to come up ends in CREATE_FAILED
// with a failureReason that says what to fix, and leaves no container behind.
func TestCreateFailures(t *testing.T) {
	uri := agentImage(t)
	foreign := foreignImage(t)
	e := newEnv(t, "", 4*time.Second)
	host := registryHost(t)
	cases := []struct {
		name     string
		uri      string
		env      map[string]string
		want     []string
		protocol types.ServerProtocol
	}{
		{"exits", uri, map[string]string{"TESTAGENT_MODE": "exit", "TESTAGENT_EXIT_CODE": "7"}, []string{"exited with code 7", "exiting on purpose"}, ""},
		{"never_healthy", uri, map[string]string{"TESTAGENT_MODE": "never-healthy"}, []string{"never reported healthy", "HTTP 503", "Unhealthy"}, ""},
		{"no_listen", uri, map[string]string{"TESTAGENT_MODE": "no-listen"}, []string{"did not serve port 8080", "0.0.0.0:8080", "not listening on purpose"}, ""},
		{"missing_tag", host + "/testagent:no-such-tag", nil, []string{"not found in the registry", `"testagent"`, `"no-such-tag"`}, ""},
		{"missing_repo", host + "/nothing-here:v1", nil, []string{"not found in the registry", `repository "nothing-here" does not exist`}, ""},
		{"foreign_arch", foreign, nil, []string{"exec format error", "another platform"}, ""},
		// An HTTP agent (8080, /invocations) deployed as an MCP server or an A2A agent: the
		// protocol's own port does not answer.
		{"mcp_on_8080", uri, nil, []string{"Runtime initialization failed", "did not serve port 8000", "0.0.0.0:8000", "JSON-RPC ping POSTed to /mcp", "protocol MCP"}, types.ServerProtocolMcp},
		{"a2a_on_8080", uri, nil, []string{"Runtime initialization failed", "did not serve port 9000", "0.0.0.0:9000", "agent card at GET /.well-known/agent-card.json"}, types.ServerProtocolA2a},
	}
	t.Run("group", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				e := e.with(t)
				in := createInput("fail_"+c.name, c.uri, c.env)
				if c.protocol != "" {
					in.ProtocolConfiguration = &types.ProtocolConfiguration{ServerProtocol: c.protocol}
				}
				out, err := e.ctl.CreateAgentRuntime(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				got := e.waitRuntime(*out.AgentRuntimeId)
				reason := aws.ToString(got.FailureReason)
				if got.Status != types.AgentRuntimeStatusCreateFailed {
					t.Fatalf("status %s (%s)", got.Status, reason)
				}
				for _, w := range c.want {
					if !strings.Contains(reason, w) {
						t.Errorf("failureReason %q lacks %q", reason, w)
					}
				}
				def := e.waitEndpoint(*out.AgentRuntimeId, "DEFAULT")
				if def.Status != types.AgentRuntimeEndpointStatusCreateFailed || def.LiveVersion != nil {
					t.Errorf("DEFAULT endpoint: %s live %v", def.Status, def.LiveVersion)
				}
				var ve *dptypes.ValidationException
				_, err = e.data.InvokeAgentRuntime(context.Background(), &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: out.AgentRuntimeArn, Payload: []byte(`{}`)})
				if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "CREATE_FAILED") {
					t.Errorf("invoking a failed runtime: %v", err)
				}
				if n := len(e.containers(*out.AgentRuntimeId)); n != 0 {
					t.Errorf("%d containers left behind", n)
				}
			})
		}
	})
}

// TestUpdateFailureKeepsServing: a failed update leaves DEFAULT on the last good version.
func TestUpdateFailureKeepsServing(t *testing.T) {
	uri := agentImage(t)
	e := newEnv(t, "", 4*time.Second)
	ctx := context.Background()
	created := e.createReady("update_fails", uri, map[string]string{"FOO": "good"})
	id := *created.AgentRuntimeId
	if _, err := e.ctl.UpdateAgentRuntime(ctx, updateInput(id, uri, map[string]string{"TESTAGENT_MODE": "exit"})); err != nil {
		t.Fatal(err)
	}
	got := e.waitRuntime(id)
	if got.Status != types.AgentRuntimeStatusUpdateFailed || *got.AgentRuntimeVersion != "2" || !strings.Contains(aws.ToString(got.FailureReason), "exited with code 3") {
		t.Fatalf("after a failing update: %s v%s %q", got.Status, *got.AgentRuntimeVersion, aws.ToString(got.FailureReason))
	}
	def := e.waitEndpoint(id, "DEFAULT")
	if def.Status != types.AgentRuntimeEndpointStatusUpdateFailed || aws.ToString(def.LiveVersion) != "1" || aws.ToString(def.TargetVersion) != "2" {
		t.Fatalf("DEFAULT after a failing update: %s live %q target %q", def.Status, aws.ToString(def.LiveVersion), aws.ToString(def.TargetVersion))
	}
	if _, ans := e.invoke(*created.AgentRuntimeArn, "", "", `{}`); ans.Env["FOO"] != "good" {
		t.Fatalf("DEFAULT no longer serves version 1: %+v", ans.Env)
	}
	// Pointing an endpoint at the failed version is refused.
	var ve *types.ValidationException
	_, err := e.ctl.CreateAgentRuntimeEndpoint(ctx, &ctl.CreateAgentRuntimeEndpointInput{AgentRuntimeId: aws.String(id), Name: aws.String("bad"), AgentRuntimeVersion: aws.String("2")})
	if !errors.As(err, &ve) {
		t.Fatalf("endpoint on a failed version: %v", err)
	}
	_, err = e.ctl.CreateAgentRuntimeEndpoint(ctx, &ctl.CreateAgentRuntimeEndpointInput{AgentRuntimeId: aws.String(id), Name: aws.String("bad"), AgentRuntimeVersion: aws.String("9")})
	if !errors.As(err, &ve) {
		t.Fatalf("endpoint on a missing version: %v", err)
	}
	// A later good update recovers.
	if _, err := e.ctl.UpdateAgentRuntime(ctx, updateInput(id, uri, map[string]string{"FOO": "better"})); err != nil {
		t.Fatal(err)
	}
	if got := e.waitRuntime(id); got.Status != types.AgentRuntimeStatusReady || *got.AgentRuntimeVersion != "3" {
		t.Fatalf("after recovering: %s v%s", got.Status, *got.AgentRuntimeVersion)
	}
	if _, ans := e.invoke(*created.AgentRuntimeArn, "", "", `{}`); ans.Env["FOO"] != "better" {
		t.Fatalf("DEFAULT serves %+v", ans.Env)
	}
}

// TestRestart: a new service on the same database finds the running container again, and
// recreates it when it is gone.
func TestRestart(t *testing.T) {
	uri := agentImage(t)
	e := newEnv(t, "", 30*time.Second)
	created := e.createReady("survivor", uri, map[string]string{"FOO": "kept"})
	id, arn := *created.AgentRuntimeId, *created.AgentRuntimeArn
	if _, ans := e.invoke(arn, "", session1, `{"write":"mine"}`); ans.Count != 1 || ans.File != "mine" {
		t.Fatalf("first request: %+v", ans)
	}
	waitFor(t, "the pool to be refilled", func() bool { return e.pooled(id, 1) == 1 })
	before := ids(e.containers(id))
	e.close()
	// A container whose runtime the state does not know (e.g. deleted while no server ran).
	_, err := e.docker.ContainerCreate(context.Background(), &container.Config{Image: uri, Labels: map[string]string{
		LabelOwner: "true", LabelState: e.dir, LabelRuntime: "ghost-0123456789", LabelVersion: "1",
	}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}

	// After a restart the session is served by the same sandbox: its memory and files kept.
	e2 := newEnv(t, e.dir, 30*time.Second)
	waitFor(t, "the orphan container to be removed", func() bool { return len(e2.containers("ghost-0123456789")) == 0 })
	if _, ans := e2.invoke(arn, "", session1, `{}`); ans.Env["FOO"] != "kept" || ans.Count != 2 || ans.File != "mine" {
		t.Fatalf("after restart: %+v", ans)
	}
	if after := ids(e2.containers(id)); after != before {
		t.Fatalf("the containers were not found again: before %s, after %s", before, after)
	}
	// Its container stopped (e.g. a reboot, or removed by hand): the session has ended, and its
	// next request starts a fresh sandbox.
	timeout := 1
	for _, c := range e2.containers(id) {
		if err := e2.docker.ContainerStop(context.Background(), c.ID, container.StopOptions{Timeout: &timeout}); err != nil {
			t.Fatal(err)
		}
	}
	if _, ans := e2.invoke(arn, "", session1, `{}`); ans.Env["FOO"] != "kept" || ans.Count != 1 || ans.File != "" {
		t.Fatalf("after a stop: %+v", ans)
	}
	removeContainers(e2.docker, e2.dir)
	if _, ans := e2.invoke(arn, "", session1, `{}`); ans.Env["FOO"] != "kept" || ans.Count != 1 {
		t.Fatalf("after the containers were removed: %+v", ans)
	}
}

func ids(cs []container.Summary) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID[:12])
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// TestResumeCreate: a creation interrupted by a shutdown finishes after the restart.
func TestResumeCreate(t *testing.T) {
	uri := agentImage(t)
	e := newEnv(t, "", 30*time.Second)
	out, err := e.ctl.CreateAgentRuntime(context.Background(), createInput("resumed", uri, nil))
	if err != nil {
		t.Fatal(err)
	}
	e.close() // cancels the rollout
	e2 := newEnv(t, e.dir, 30*time.Second)
	if got := e2.waitRuntime(*out.AgentRuntimeId); got.Status != types.AgentRuntimeStatusReady {
		t.Fatalf("status %s: %s", got.Status, aws.ToString(got.FailureReason))
	}
}

// TestCloseDuringRollout: closing the service stops a rollout that is waiting for health at
// once, removes its half-started container, and leaves the runtime CREATING for the next start.
func TestCloseDuringRollout(t *testing.T) {
	uri := agentImage(t)
	e := newEnv(t, "", 5*time.Minute)
	out, err := e.ctl.CreateAgentRuntime(context.Background(), createInput("interrupted", uri, map[string]string{"TESTAGENT_MODE": "never-healthy"}))
	if err != nil {
		t.Fatal(err)
	}
	id := *out.AgentRuntimeId
	waitFor(t, "the container to start", func() bool { return len(e.containers(id)) == 1 })
	start := time.Now()
	e.close()
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Close took %s", d)
	}
	if n := len(e.containers(id)); n != 0 {
		t.Fatalf("%d containers left", n)
	}
	e2 := newEnv(t, e.dir, 2*time.Second)
	if got := e2.waitRuntime(id); got.Status != types.AgentRuntimeStatusCreateFailed || !strings.Contains(aws.ToString(got.FailureReason), "never reported healthy") {
		t.Fatalf("after restart: %s %s", got.Status, aws.ToString(got.FailureReason))
	}
}
