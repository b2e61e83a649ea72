package agentcore_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentcore/agentcore/builtins/agentcore"
	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestMain(m *testing.M) { awstest.Main(m) }

func harness(t *testing.T, endpoint string) *enginetest.Harness {
	t.Helper()
	h := enginetest.New(t, aws.New(awstest.AWS()), agentcore.New(awstest.AWS()))
	awstest.UseEnv(t, h, endpoint)
	return h
}

// motoTransitions makes moto move agent runtimes from CREATING to READY only after `times`
// reads, so that a waiter sees the status change; the default is restored when the test ends.
func motoTransitions(t *testing.T, url string, times int) {
	t.Helper()
	post := func(path, body string) {
		resp, err := http.Post(url+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s: %s", path, resp.Status)
		}
	}
	post("/moto-api/state-manager/set-transition",
		`{"model_name": "bedrock-agentcore-control::agent_runtime", "transition": {"progression": "manual", "times": `+
			strconv.Itoa(times)+`}}`)
	t.Cleanup(func() {
		post("/moto-api/state-manager/unset-transition", `{"model_name": "bedrock-agentcore-control::agent_runtime"}`)
	})
}

const role = "arn:aws:iam::123456789012:role/agent"

func TestRuntimeLifecycle(t *testing.T) {
	h := harness(t, awstest.Moto(t))
	h.Do(t, `
		local role = "`+role+`"
		local r = agentcore.create_runtime{name = "lifecycle_bot", image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bot:1",
			role_arn = role, env = {MODE = "test", PORT = 8080}, description = "first",
			lifecycle = {idle_timeout = 300, max_lifetime = "2h"}}
		assert(r.agentRuntimeId and r.agentRuntimeId ~= "", "id")
		assert(r.agentRuntimeVersion == "1", "version " .. tostring(r.agentRuntimeVersion))
		assert(r.status == "CREATING", "status " .. tostring(r.status))
		assert(r.createdAt:find("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"), "createdAt " .. tostring(r.createdAt))
		local id = r.agentRuntimeId

		local ready = agentcore.wait_runtime(id, {interval = 0.01})
		assert(ready.status == "READY", "ready")
		local g = agentcore.get_runtime(id)
		assert(g.agentRuntimeName == "lifecycle_bot", "name")
		assert(g.roleArn == role, "role")
		assert(g.agentRuntimeArtifact.containerConfiguration.containerUri:find("bot:1$"), "image")
		assert(g.environmentVariables.MODE == "test" and g.environmentVariables.PORT == "8080", "env")
		assert(g.lifecycleConfiguration.idleRuntimeSessionTimeout == 300, "idle")
		assert(g.lifecycleConfiguration.maxLifetime == 7200, "max lifetime")
		assert(g.networkConfiguration.networkMode == "PUBLIC", "network")
		assert(g.protocolConfiguration.serverProtocol == "HTTP", "protocol")
		assert(agentcore.get_runtime(id, {version = "V1"}).agentRuntimeId == id, "get a version")

		local found = false
		for _, s in ipairs(agentcore.list_runtimes()) do
			if s.agentRuntimeId == id then found = s.agentRuntimeName == "lifecycle_bot" end
		end
		assert(found, "listed")

		local u = agentcore.update_runtime(id, {image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bot:2"})
		assert(u.agentRuntimeVersion == "2", "new version")
		g = agentcore.get_runtime(id)
		assert(g.agentRuntimeArtifact.containerConfiguration.containerUri:find("bot:2$"), "new image")
		assert(g.environmentVariables.MODE == "test", "env kept")
		assert(g.roleArn == role and g.description == "first", "role and description kept")
		assert(g.lifecycleConfiguration.idleRuntimeSessionTimeout == 300, "lifecycle kept")
		agentcore.update_runtime(id, {env = {}})
		assert(agentcore.get_runtime(id).environmentVariables == nil, "env = {} clears")

		local versions = agentcore.list_versions(id)
		assert(#versions == 3, "three versions, got " .. #versions)

		local e = agentcore.create_endpoint(id, "prod", {version = 1, description = "live"})
		assert(e.endpointName == "prod" and e.targetVersion == "1", "endpoint created on version 1")
		local ge = agentcore.wait_endpoint(id, "prod", {interval = 0.01})
		assert(ge.status == "READY" and ge.name == "prod" and ge.liveVersion == "1", "endpoint ready")
		local ue = agentcore.update_endpoint(id, "prod", {version = "V2"})
		assert(ue.targetVersion == "2", "endpoint moved to 2")
		assert(#agentcore.list_endpoints(id) == 1, "one endpoint")
		assert(agentcore.get_endpoint(id, "staging") == nil, "missing endpoint is nil")
		agentcore.delete_endpoint(id, "prod")
		assert(agentcore.get_endpoint(id, "prod") == nil, "endpoint gone")
		assert(#agentcore.list_endpoints(id) == 0, "no endpoint")

		local d = agentcore.delete_runtime(id)
		assert(d.agentRuntimeId == id, "deleted")
		assert(agentcore.get_runtime(id) == nil, "runtime gone")
		assert(agentcore.get_endpoint(id, "prod") == nil, "endpoint of a missing runtime is nil")

		local ok, err = pcall(agentcore.delete_runtime, id)
		assert(not ok and aws.error_code(err) == "ResourceNotFoundException", "code: " .. tostring(err))
		assert(err.message:find("deleting agent runtime " .. id, 1, true), err.message)
		assert(err.code == 1, "exit code")
	`)
}

func TestWaitShowsEachStatusChange(t *testing.T) {
	url := awstest.Moto(t)
	motoTransitions(t, url, 3)
	h := harness(t, url)
	h.Do(t, `
		local r = agentcore.create_runtime{name = "waited_bot", image = "img:1", role_arn = "`+role+`"}
		local ready = agentcore.wait_runtime(r.agentRuntimeId, {interval = 0.01})
		assert(ready.status == "READY")
		agentcore.delete_runtime(r.agentRuntimeId)
	`)
	out := h.Stdout.String()
	creating := strings.Index(out, ": CREATING")
	ready := strings.Index(out, ": READY")
	if creating < 0 || ready < creating || strings.Count(out, ": CREATING") != 1 {
		t.Fatalf("want one CREATING line then READY, got:\n%s", out)
	}
}

func TestWaitTimesOut(t *testing.T) {
	h := harness(t, awstest.Moto(t))
	h.Do(t, `
		rt = agentcore.create_runtime{name = "slow_bot", image = "img:1", role_arn = "`+role+`"}
		agentcore.update_runtime(rt.agentRuntimeId, {image = "img:2"}) -- moto: UPDATING for ever
	`)
	start := time.Now()
	err := h.Err(`agentcore.wait_runtime(rt.agentRuntimeId, {timeout = 0.3, interval = 0.05})`)
	if err == nil || !strings.Contains(err.Error(), "timed out after 300ms") || !strings.Contains(err.Error(), "last status UPDATING") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
}

func TestWaitStopsOnCancel(t *testing.T) {
	h := harness(t, awstest.Moto(t))
	h.Do(t, `
		rt = agentcore.create_runtime{name = "cancelled_bot", image = "img:1", role_arn = "`+role+`"}
		agentcore.update_runtime(rt.agentRuntimeId, {image = "img:2"})
	`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.Run.Ctx = ctx
	h.VM.L.SetContext(ctx)
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	err := h.Err(`agentcore.wait_runtime(rt.agentRuntimeId, {interval = 0.05})`)
	if engine.ExitCode(err) != engine.ExitInterrupted {
		t.Fatalf("err = %v (exit %d)", err, engine.ExitCode(err))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
}

// TestWaitRaisesFailureReason uses a fake control plane: moto never fails a runtime.
func TestWaitRaisesFailureReason(t *testing.T) {
	reads := 0
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/runtimes/rt-1/" {
			http.Error(w, r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		reads++
		status, reason := "CREATING", ""
		if reads > 1 {
			status, reason = "CREATE_FAILED", "image manifest not found: bot:9"
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"agentRuntimeId":"rt-1","agentRuntimeVersion":"1","status":"` + status +
			`","failureReason":"` + reason + `","createdAt":"2025-11-24T16:00:00Z"}`))
	})
	h := harness(t, srv)
	err := h.Err(`agentcore.wait_runtime("rt-1", {interval = 0.01})`)
	var e *engine.Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "CREATE_FAILED: image manifest not found: bot:9") || e.Hint == "" {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(h.Stdout.String(), "agent runtime rt-1: CREATING") {
		t.Fatalf("status not shown:\n%s", h.Stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	h := harness(t, "http://127.0.0.1:1")
	for src, want := range map[string]string{
		`agentcore.create_runtime{name = "x", role_arn = "r"}`:                                 "image (or code = {bucket, key, runtime, entrypoint}) is required",
		`agentcore.create_runtime{name = "my-bot", image = "i", role_arn = "r"}`:               `"my-bot" is not a valid runtime name`,
		`agentcore.create_runtime{name = "b", image = "i", role_arn = "r", protocl = 1}`:       `did you mean "protocol"`,
		`agentcore.create_runtime{name = "b", image = "i", role_arn = "r", protocol = "SMTP"}`: "protocol",
		`agentcore.get_runtime("x", {version = "latest"})`:                                     "not a runtime version",
		`agentcore.update_runtime("x", {name = "y"})`:                                          `unknown option "name"`,
		`agentcore.update_runtime("x", {tags = {a = "b"}})`:                                    `unknown option "tags"`,
		`agentcore.update_endpoint("x", "e", {tags = {a = "b"}})`:                              `unknown option "tags"`,
		`agentcore.wait_endpoint("x", "e", {version = 2})`:                                     `unknown option "version"`,
		`agentcore.create_runtime{image = "i", role_arn = "r"}`:                                "field name is required (a string)",
		`agentcore.wait_runtime("x", {timeout = "soon"})`:                                      `duration "soon"`,
		`agentcore.get_endpoint("x")`:                                                          "argument #2 (name) is missing",
		`agentcore.invoke{payload = "{}"}`:                                                     "field arn is required (a string)",
		`agentcore.invoke{arn = "a", payload = "{}", on_chunk = 3}`:                            "on_chunk must be a function",
		`agentcore.invoke{arn = "a", payload = "{}", timeout = {}}`:                            "timeout must be a number or a string",
		`agentcore.invoke{arn = "a", payload = "{}", timeout = "soon"}`:                        `duration "soon"`,
		`agentcore.invoke{arn = "a", payload = "{}", timout = 5}`:                              `did you mean "timeout"`,
	} {
		err := h.Err(src)
		if err == nil || !strings.Contains(err.Error(), want) || engine.ExitCode(err) != engine.ExitUsage {
			t.Errorf("%s:\n  err = %v (exit %d)\n  want %q", src, err, engine.ExitCode(err), want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{"1": "1", "V2": "2", "v10": "10", " 3 ": "3"} {
		got, err := agentcore.ParseVersion(in)
		if err != nil || string(got) != want {
			t.Errorf("ParseVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "DEFAULT", "1.5", "-1"} {
		if _, err := agentcore.ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) succeeded", in)
		}
	}
}

func TestWaitInParallelBranchesLabelsStatus(t *testing.T) {
	url := awstest.Moto(t)
	motoTransitions(t, url, 3)
	h := harness(t, url)
	h.Do(t, `
		local a = agentcore.create_runtime{name = "branch_a", image = "img:1", role_arn = "`+role+`"}
		local b = agentcore.create_runtime{name = "branch_b", image = "img:1", role_arn = "`+role+`"}
		local r = parallel{
			a = function() return agentcore.wait_runtime(a.agentRuntimeId, {interval = 0.01}) end,
			b = function() return agentcore.wait_runtime(b.agentRuntimeId, {interval = 0.01}) end,
		}
		assert(r.a.agentRuntimeName == "branch_a" and r.b.agentRuntimeName == "branch_b")
		agentcore.delete_runtime(a.agentRuntimeId)
		agentcore.delete_runtime(b.agentRuntimeId)
	`)
	out := h.Stdout.String()
	for _, want := range []string{"[a]     agent runtime", "[b]     agent runtime", ": READY"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestWaitAfterDeleteReturnsNil(t *testing.T) {
	h := harness(t, awstest.Moto(t))
	h.Do(t, `
		local r = agentcore.create_runtime{name = "deleted_bot", image = "img:1", role_arn = "`+role+`"}
		agentcore.delete_runtime(r.agentRuntimeId)
		assert(agentcore.wait_runtime(r.agentRuntimeId, {interval = 0.01}) == nil, "gone is nil")
	`)
	if !strings.Contains(h.Stdout.String(), ": deleted") {
		t.Fatalf("output:\n%s", h.Stdout)
	}
}

// TestWaitRaisesWhenTheRuntimeVanishes: a runtime that disappears while CREATING did not
// become ready; that is an error, not "deleted".
func TestWaitRaisesWhenTheRuntimeVanishes(t *testing.T) {
	reads := 0
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		reads++
		w.Header().Set("Content-Type", "application/json")
		if reads > 1 {
			w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Could not find Agent Runtime with ID rt-1"}`))
			return
		}
		_, _ = w.Write([]byte(`{"agentRuntimeId":"rt-1","status":"CREATING"}`))
	})
	h := harness(t, srv)
	res := h.Do(t, `local ok, err = pcall(agentcore.wait_runtime, "rt-1", {interval = 0.01}) return ok, aws.error_code(err)`)
	if res[0].String() != "false" || res[1].String() != "ResourceNotFoundException" {
		t.Fatalf("got %v", res)
	}
}

// The reference and the editor stubs show what the Go code needs: every field a function
// cannot do without is declared required, the others optional.
func TestRequiredFieldsAreDeclared(t *testing.T) {
	awstest.RequiredFields(t, agentcore.New(awstest.AWS()), map[string]string{
		"agentcore.RuntimeSpec":    "name role_arn",
		"agentcore.RuntimeUpdate":  "",
		"agentcore.Authorizer":     "discovery_url",
		"agentcore.InvokeRequest":  "arn",
		"agentcore.EndpointOpts":   "",
		"agentcore.EndpointUpdate": "",
	})
}
