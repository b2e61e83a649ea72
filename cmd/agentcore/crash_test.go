//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/agentcore/agentcore/engine"
)

// Fault injection: the binary is killed (SIGKILL, and SIGINT as a Ctrl-C) at the step
// boundaries of create, update, promote and destroy; then a re-run must exit 0, status and
// drift must agree with what runs, and a final destroy must leave nothing behind.
//
// A step boundary is a line of `-o json` output: a step or ok event, or a waiter's status
// line (CREATING, UPDATING, DELETING). A reference run of each command lists them; a kill
// point is "right after the n-th boundary of this kind" (kind: event type and first word of
// the message), so that varying build logs and push progress do not move it.
//
// By default a few chosen points run (the calls that create or delete, and the waits after
// them): TestFaultInjection stays within minutes on a busy machine. AGENTCORE_FAULT_POINTS=N
// runs N evenly spread boundaries of each command with SIGKILL, and every other one of them
// with SIGINT too (N=99: the full sweep). AGENTCORE_FAULT_PARALLEL sets how many kill points
// run at once (default 3). Both tests are skipped with -short.

// TestFaultInjection runs the kill points on the local provider.
func TestFaultInjection(t *testing.T) {
	bin := faultPrerequisites(t)
	var cmds []faultCommand
	for _, c := range faultCommands {
		if !c.motoOnly {
			cmds = append(cmds, c)
		}
	}
	runFaultInjection(t, &faultTarget{name: "local", bin: bin, commands: cmds})
}

// TestFaultInjectionMoto runs create and update kill points against moto (the AWS path:
// CloudFormation stacks, a registry of the test's own). moto ignores clientToken
// (docs/moto-differences.md): only tags and names let a re-run find what a killed one made.
func TestFaultInjectionMoto(t *testing.T) {
	bin := faultPrerequisites(t)
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Skip("needs moto_server")
	}
	motoURL := startMoto(t)
	reg := startRegistry(t)
	var cmds []faultCommand
	for _, c := range faultCommands {
		if c.name == "create" || c.name == "update" || c.memory || c.motoOnly {
			cmds = append(cmds, c)
		}
	}
	runFaultInjection(t, &faultTarget{name: "moto", bin: bin, commands: cmds, moto: motoURL, registry: reg})
}

func faultPrerequisites(t *testing.T) string {
	if testing.Short() {
		t.Skip("kills the binary at step boundaries: minutes")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("needs the Docker engine")
	}
	bin, err := exec.LookPath("agentcore") // the test binary, installed by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// faultTarget is where the projects deploy: the local provider, or moto.
type faultTarget struct {
	name     string
	bin      string
	commands []faultCommand
	moto     string // moto_server's URL ("" on the local provider)
	registry string // host:port of the registry images go to on moto
}

type faultCommand struct {
	name    string
	args    []string
	prepare func(p *faultProject)
	// status checks `status -o json` after the re-run
	status func(t *testing.T, status string)
	// calls are the builtins that create, change or delete something: a "call:" point kills
	// the run right after one returns, before its result is saved (engine.FaultAfterEnv)
	calls []string
	// chosen are the kill points run by default: boundary kinds (or calls) with their signal
	chosen []faultChoice
	// memory: the command deploys an AgentCore memory (the local endpoint and moto serve it)
	// (the local endpoint's Memory service comes separately): run on moto only, with a
	// reference project of its own
	memory bool
	// credential: the command deploys an AgentCore Identity credential provider, which moto
	// does not serve: run on the local endpoint only, with a reference project of its own
	credential bool
	// motoOnly: a gateway of Smithy and Lambda targets (what moto's control plane takes, and the
	// local endpoint refuses): run on moto only, with a reference project of its own
	motoOnly bool
}

// withCredential gives the project's agent an API key credential provider, its key from the
// environment of every run.
func withCredential(p *faultProject) {
	p.edit("agentcore.toml", `environment = { LOG_LEVEL = "info" }`, "environment = { LOG_LEVEL = \"info\" }\ncredentials = [\"github\"]")
	f, err := os.OpenFile(filepath.Join(p.dir, "agentcore.toml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(f, "\n[credentials.github]\ntype = \"api_key\"\napi_key = { env = \"CRASH_GH_TOKEN\" }\n")
	f.Close()
	p.env = append(p.env, "CRASH_GH_TOKEN=crash-test-key-0001")
}

// withGateway gives the project's agent a gateway with an OpenAPI target whose API key comes
// from a credential provider (the API is never called: creating the target reads its spec).
func withGateway(p *faultProject) {
	withCredential(p)
	p.edit("agentcore.toml", `credentials = ["github"]`, "credentials = [\"github\"]\ngateways = [\"tools\"]")
	f, err := os.OpenFile(filepath.Join(p.dir, "agentcore.toml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(f, "\n[gateways.tools]\n\n[[gateways.tools.targets]]\nname = \"weather\"\ntype = \"openapi\"\nspec = \"weather.yaml\"\ncredential = \"github\"\n")
	f.Close()
	spec := "openapi: 3.0.3\ninfo: {title: weather, version: \"1\"}\nservers: [{url: \"http://127.0.0.1:9\"}]\npaths:\n  /weather:\n    get:\n      operationId: getWeather\n      responses: {\"200\": {description: ok}}\n"
	if err := os.WriteFile(filepath.Join(p.dir, "weather.yaml"), []byte(spec), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// withMotoGateway gives the project's agent a gateway with a Lambda target (moto takes it; the
// local endpoint would refuse it).
func withMotoGateway(p *faultProject) {
	p.edit("agentcore.toml", `environment = { LOG_LEVEL = "info" }`, "environment = { LOG_LEVEL = \"info\" }\ngateways = [\"tools\"]")
	f, err := os.OpenFile(filepath.Join(p.dir, "agentcore.toml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(f, "\n[gateways.tools]\n\n[[gateways.tools.targets]]\nname = \"orders\"\ntype = \"lambda\"\nfunction = \"arn:aws:lambda:us-east-1:123456789012:function:orders\"\ntools = \"orders.json\"\n")
	f.Close()
	tools := `[{"name": "get_order", "description": "an order", "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}}}]`
	if err := os.WriteFile(filepath.Join(p.dir, "orders.json"), []byte(tools), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// withMemory gives the project's agent a memory of strategies (agentcore.toml's syntax).
func withMemory(p *faultProject, strategies string) {
	p.edit("agentcore.toml", `environment = { LOG_LEVEL = "info" }`, "environment = { LOG_LEVEL = \"info\" }\nmemory = \"chat\"")
	f, err := os.OpenFile(filepath.Join(p.dir, "agentcore.toml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(f, "\n[memories.chat]\nevent_expiry_days = 30\nstrategies = [%s]\n", strategies)
	f.Close()
}

type faultChoice struct {
	kind string // type:word#n (see boundaryKinds) or call:module.func#n
	sig  syscall.Signal
}

var faultCommands = []faultCommand{
	{name: "create", args: []string{"create", "my-bot"}, prepare: func(p *faultProject) {},
		status: func(t *testing.T, s string) { wantIn(t, s, `"latest_version":1`) },
		calls:  []string{"ecr.ensure_repository#1", "cfn.deploy#1", "cfn.deploy#2", "docker.push#1", "agentcore.create_runtime#1"},
		chosen: []faultChoice{{"ok:created#1", syscall.SIGKILL}, {"ok:repository#1", syscall.SIGKILL}, {"ok:execution#1", syscall.SIGINT},
			{"call:agentcore.create_runtime#1", syscall.SIGKILL}, {"info:CREATING#1", syscall.SIGINT}, {"step:pushing#1", syscall.SIGINT}}},
	{name: "update", args: []string{"update", "my-bot"}, prepare: func(p *faultProject) {
		p.ok("create", "my-bot")
		// the same text in every point: points run in parallel on one engine and share the
		// classic builder's cache, which may be gone when a re-run builds; update decides from
		// the sources' hash, so the re-run finds V2 either way
		p.edit("agents/my-bot/main.go", "You said: ", "You told me: ")
	}, status: func(t *testing.T, s string) { wantIn(t, s, `"latest_version":2`) },
		calls:  []string{"docker.push#1", "agentcore.update_runtime#1"},
		chosen: []faultChoice{{"call:agentcore.update_runtime#1", syscall.SIGKILL}, {"info:UPDATING#1", syscall.SIGINT}}},
	{name: "promote", args: []string{"promote", "my-bot", "--endpoint", "stable", "--version", "1"}, prepare: func(p *faultProject) {
		p.ok("create", "my-bot")
	}, status: func(t *testing.T, s string) { wantIn(t, s, `"name":"stable","status":"READY","version":1`) },
		calls:  []string{"agentcore.create_endpoint#1"},
		chosen: []faultChoice{{"call:agentcore.create_endpoint#1", syscall.SIGKILL}, {"step:creating#1", syscall.SIGINT}}},
	// release: a new version, canary to it, the smoke check, then stable; a kill anywhere, and
	// the release run again ends with both endpoints at the new version.
	{name: "release", args: []string{"release", "my-bot", "--smoke", "ping=>You told me: ping"}, prepare: func(p *faultProject) {
		p.ok("create", "my-bot")
		p.edit("agents/my-bot/main.go", "You said: ", "You told me: ")
	}, status: func(t *testing.T, s string) {
		// canary and stable serve the newest version: V2, or V3 when the re-run's image is not
		// byte-identical (the classic builder's image is reproducible only from its cache)
		m := regexp.MustCompile(`"latest_version":(\d+)`).FindStringSubmatch(s)
		if m == nil || m[1] == "1" {
			t.Errorf("status has no new version:\n%s", s)
			return
		}
		wantIn(t, s, `"name":"canary","status":"READY","version":`+m[1]+`}`)
		wantIn(t, s, `"name":"stable","status":"READY","version":`+m[1]+`}`)
	},
		calls: []string{"agentcore.update_runtime#1", "agentcore.create_endpoint#1", "agentcore.create_endpoint#2"},
		chosen: []faultChoice{{"call:agentcore.create_endpoint#1", syscall.SIGKILL}, {"call:agentcore.create_endpoint#2", syscall.SIGKILL},
			{"step:smoke#1", syscall.SIGINT}, {"ok:--smoke#1", syscall.SIGKILL}}},
	// create with a memory: killed right after CreateMemory returned (before the memory is
	// recorded), the re-run finds it by name and tags instead of making a second one.
	{name: "create-memory", memory: true, args: []string{"create", "my-bot"}, prepare: func(p *faultProject) {
		withMemory(p, `{ type = "semantic", namespace = "/facts/{actorId}" }`)
	}, status: func(t *testing.T, s string) {
		wantIn(t, s, `"latest_version":1`)
		wantIn(t, s, `"created_by":"agentcore"`)
	},
		calls:  []string{"memory.create#1", "agentcore.create_runtime#1"},
		chosen: []faultChoice{{"call:memory.create#1", syscall.SIGKILL}, {"step:creating#1", syscall.SIGINT}}},
	// update adding a strategy: killed right after UpdateMemory returned, the re-run records
	// the memory as it is and changes nothing more.
	{name: "update-memory", memory: true, args: []string{"update", "my-bot"}, prepare: func(p *faultProject) {
		withMemory(p, `{ type = "semantic", namespace = "/facts/{actorId}" }`)
		p.ok("create", "my-bot")
		p.edit("agentcore.toml", `strategies = [{ type = "semantic", namespace = "/facts/{actorId}" }]`,
			`strategies = [{ type = "semantic", namespace = "/facts/{actorId}" }, { type = "summary" }]`)
	}, status: func(t *testing.T, s string) { wantIn(t, s, `"type":"summary"`) },
		calls:  []string{"memory.update#1"},
		chosen: []faultChoice{{"call:memory.update#1", syscall.SIGKILL}}},
	// create with a credential provider: killed right after CreateApiKeyCredentialProvider
	// returned (before it is recorded), the re-run records it from its write-ahead intent
	// instead of refusing it as another checkout's; destroy deletes it.
	{name: "create-credential", credential: true, args: []string{"create", "my-bot"}, prepare: withCredential,
		status: func(t *testing.T, s string) {
			wantIn(t, s, `"latest_version":1`)
			wantIn(t, s, `"type":"api_key"`)
			wantIn(t, s, `"status":"READY"`)
		},
		calls:  []string{"identity.create#1", "agentcore.create_runtime#1"},
		chosen: []faultChoice{{"call:identity.create#1", syscall.SIGKILL}, {"step:creating#1", syscall.SIGINT}}},
	// create with a gateway (an OpenAPI target sending an API key provider): killed right after
	// CreateGateway or CreateGatewayTarget returned (before either is recorded), the re-run
	// finds the gateway by name and tags, and the target by name in it, instead of making a
	// second one; destroy deletes them. Local only, like credential providers.
	{name: "create-gateway", credential: true, args: []string{"create", "my-bot"}, prepare: withGateway,
		status: func(t *testing.T, s string) {
			wantIn(t, s, `"latest_version":1`)
			wantIn(t, s, `"gateway_name":"`)
			wantIn(t, s, `"name":"weather","recorded":true,"status":"READY"`)
		},
		calls:  []string{"gateway.create#1", "gateway.create_target#1", "agentcore.create_runtime#1"},
		chosen: []faultChoice{{"call:gateway.create#1", syscall.SIGKILL}, {"call:gateway.create_target#1", syscall.SIGKILL}}},
	// the same on moto (no clientToken idempotency there: only the gateway's name and tags let
	// the re-run find what the killed run made), with its role stack (CloudFormation)
	{name: "create-gateway-moto", motoOnly: true, args: []string{"create", "my-bot"}, prepare: withMotoGateway,
		status: func(t *testing.T, s string) {
			wantIn(t, s, `"latest_version":1`)
			wantIn(t, s, `"name":"orders","recorded":true,"status":"READY"`)
		},
		calls:  []string{"cfn.deploy#1", "gateway.create#1", "gateway.create_target#1", "agentcore.create_runtime#1"},
		chosen: []faultChoice{{"call:gateway.create#1", syscall.SIGKILL}, {"call:gateway.create_target#1", syscall.SIGKILL}, {"call:cfn.deploy#1", syscall.SIGKILL}}},
	{name: "destroy", args: []string{"destroy", "my-bot", "--yes"}, prepare: func(p *faultProject) {
		p.ok("create", "my-bot")
		p.ok("promote", "my-bot", "--endpoint", "stable", "--version", "1")
	}, calls: []string{"agentcore.delete_endpoint#1", "agentcore.delete_runtime#1", "ecr.delete_repository#1", "cfn.delete#1", "cfn.delete#2"},
		chosen: []faultChoice{{"call:agentcore.delete_runtime#1", syscall.SIGKILL}, {"info:DELETING#1", syscall.SIGINT}}},
}

// faultPoint is one kill: after the boundary of this kind, with this signal.
type faultPoint struct {
	kind string
	sig  syscall.Signal
}

func (fp faultPoint) String() string {
	return sigName(fp.sig) + "-after-" + strings.NewReplacer(":", "-", "#", "-").Replace(fp.kind)
}

func runFaultInjection(t *testing.T, target *faultTarget) {
	start := time.Now()
	limit, _ := strconv.Atoi(os.Getenv("AGENTCORE_FAULT_POINTS"))
	par, _ := strconv.Atoi(os.Getenv("AGENTCORE_FAULT_PARALLEL"))
	if par <= 0 {
		par = 3
	}

	// One reference project runs the commands in turn: create, update, promote, destroy.
	ref := newFaultProject(t, target, "ref")
	kinds := map[string][]string{}
	for _, c := range faultCommands {
		if c.name == "release" && target.moto != "" {
			continue // moto has no InvokeAgentRuntime: no smoke check can run there
		}
		if c.memory || c.credential || c.motoOnly {
			if c.credential && target.moto != "" { // moto does not serve AgentCore Identity
				continue
			}
			if c.motoOnly && target.moto == "" {
				continue
			}
			r := newFaultProject(t, target, "ref"+c.name)
			c.prepare(r)
			kinds[c.name] = boundaryKinds(r.events(c.args...))
			r.ok("destroy", "my-bot", "--yes")
			r.nothingLeft()
			continue
		}
		if c.name == "update" {
			ref.edit("agents/my-bot/main.go", "You said: ", "You told me: ")
		}
		evs := ref.events(c.args...)
		kinds[c.name] = boundaryKinds(evs)
	}
	ref.nothingLeft()

	sem := make(chan struct{}, par)
	var serial atomic.Int32 // numbers the projects: names unique on a shared moto
	var mu sync.Mutex
	type tally struct{ points, passed, unreached int }
	results := map[string]*tally{} // command/signal -> tally
	t.Run("points", func(t *testing.T) {
		for _, c := range target.commands {
			points := choosePoints(c, kinds[c.name], limit)
			t.Logf("%s %s: %d boundaries %v; %d kill points", target.name, c.name, len(kinds[c.name]), kinds[c.name], len(points))
			for _, fp := range points {
				t.Run(c.name+"/"+fp.String(), func(t *testing.T) {
					t.Parallel()
					sem <- struct{}{}
					defer func() { <-sem }()
					p := newFaultProject(t, target, fmt.Sprintf("%s%d", c.name, serial.Add(1)))
					c.prepare(p)
					finished, reached := p.killAt(fp, c.args...)
					p.check(c, finished)
					mu.Lock()
					key := c.name + "/" + sigName(fp.sig)
					if results[key] == nil {
						results[key] = &tally{}
					}
					results[key].points++
					if !t.Failed() {
						results[key].passed++
					}
					if !reached {
						results[key].unreached++
					}
					mu.Unlock()
				})
			}
		}
	})
	var keys []string
	for k := range results {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := results[k]
		t.Logf("fault injection %s %s: %d kill points, %d passed (%d ended before their boundary)", target.name, k, r.points, r.passed, r.unreached)
	}
	t.Logf("fault injection %s: %s in all", target.name, time.Since(start).Round(time.Second))
}

// choosePoints: the command's chosen points by default; with a limit, that many boundaries
// spread evenly with SIGKILL, and every other one of them with SIGINT as well.
func choosePoints(c faultCommand, kinds []string, limit int) []faultPoint {
	var points []faultPoint
	if limit <= 0 {
		for _, ch := range c.chosen {
			for _, k := range kinds {
				if k == ch.kind {
					points = append(points, faultPoint{k, ch.sig})
				}
			}
			if strings.HasPrefix(ch.kind, "call:") {
				points = append(points, faultPoint(ch))
			}
		}
		return points
	}
	for _, call := range c.calls { // every call is a point of the full sweep; a limit keeps them
		points = append(points, faultPoint{"call:" + call, syscall.SIGKILL})
	}
	sample := kinds
	if len(kinds) > limit {
		sample = nil
		for i := 0; i < limit; i++ {
			sample = append(sample, kinds[i*(len(kinds)-1)/max(limit-1, 1)])
		}
	}
	for i, k := range sample {
		points = append(points, faultPoint{k, syscall.SIGKILL})
		if i%2 == 1 {
			points = append(points, faultPoint{k, syscall.SIGINT})
		}
	}
	return points
}

func sigName(s syscall.Signal) string {
	if s == syscall.SIGINT {
		return "int"
	}
	return "kill"
}

func wantIn(t *testing.T, s, want string) {
	t.Helper()
	if !strings.Contains(s, want) {
		t.Errorf("status does not say %s:\n%s", want, s)
	}
}

// event is one line of -o json output.
type event struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

var waitStatus = regexp.MustCompile(`: (CREATING|UPDATING|DELETING)$`)

// boundaryKind names a boundary event by its type and first word (the status for a
// waiter's line), or "" for an event that is not a boundary.
func boundaryKind(ev event) string {
	switch ev.Type {
	case "step", "ok":
		word, _, _ := strings.Cut(ev.Message, " ")
		return ev.Type + ":" + word
	case "info":
		if m := waitStatus.FindStringSubmatch(ev.Message); m != nil {
			return "info:" + m[1]
		}
	}
	return ""
}

// boundaryKinds numbers the boundaries of a run: kind#n is the n-th boundary of that kind.
func boundaryKinds(evs []event) []string {
	seen := map[string]int{}
	var out []string
	for _, ev := range evs {
		if k := boundaryKind(ev); k != "" {
			seen[k]++
			out = append(out, fmt.Sprintf("%s#%d", k, seen[k]))
		}
	}
	return out
}

// faultProject is one project with its own AGENTCORE_HOME and local endpoint.
type faultProject struct {
	t      *testing.T
	target *faultTarget
	dir    string
	home   string
	port   int
	name   string
	env    []string
}

func newFaultProject(t *testing.T, target *faultTarget, label string) *faultProject {
	t.Helper()
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	name := "fi" + target.name[:1] + strings.ReplaceAll(label, "-", "")
	p := &faultProject{t: t, target: target, dir: dir, home: filepath.Join(dir, ".agentcore-home"), port: port, name: name}
	gocache := os.Getenv("GOCACHE")
	if gocache == "" {
		// HOME moves below: keep Go's build cache where it is, or every build starts cold
		if d, err := os.UserCacheDir(); err == nil {
			gocache = filepath.Join(d, "go-build")
		}
	}
	p.env = append(os.Environ(), "AGENTCORE_HOME="+p.home, "HOME="+filepath.Join(dir, ".home"), "NO_COLOR=1",
		"GOCACHE="+gocache, "AGENTCORE_LOCAL_PING_TIMEOUT=15s", "AGENTCORE_LOCAL_PORT="+strconv.Itoa(port),
		"GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	t.Cleanup(func() { cleanupLocal(p.home, p.port) })
	p.ok("init", "--name", name)
	if target.moto != "" {
		p.env = append(p.env, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1")
		p.edit("agentcore.toml", `default_environment = "local"`, `default_environment = "cloud"`)
		f, err := os.OpenFile(filepath.Join(dir, "agentcore.toml"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "\n[environments.cloud]\nprovider = \"aws\"\nregion = \"us-east-1\"\naccount = \"123456789012\"\nendpoint_url = %q\nregistry = %q\n",
			target.moto, target.registry)
		f.Close()
	}
	return p
}

// cmd is the binary with a deadline: a run that hangs is killed and reported.
func (p *faultProject) cmd(args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	p.t.Cleanup(cancel)
	c := exec.CommandContext(ctx, p.target.bin, args...)
	c.Dir, c.Env = p.dir, p.env
	c.WaitDelay = 5 * time.Second // a child left holding the output pipe does not hold the test
	return c
}

// run runs the binary and returns its exit code and output.
func (p *faultProject) run(args ...string) (int, string) {
	c := p.cmd(args...)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatalf("%v: %v", args, err)
	}
	return code, out.String()
}

func (p *faultProject) ok(args ...string) string {
	p.t.Helper()
	code, out := p.run(args...)
	if code != 0 {
		p.t.Fatalf("agentcore %s exited with %d:\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

func (p *faultProject) edit(file, from, to string) {
	path := filepath.Join(p.dir, file)
	b, err := os.ReadFile(path)
	if err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.ReplaceAll(b, []byte(from), []byte(to)), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// events runs a command to the end with -o json and returns its events.
func (p *faultProject) events(args ...string) []event {
	p.t.Helper()
	var evs []event
	for _, line := range strings.Split(p.ok(append(args, "-o", "json")...), "\n") {
		var ev event
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type != "" {
			evs = append(evs, ev)
		}
	}
	return evs
}

// lineWriter calls fn with each complete line written to it.
type lineWriter struct {
	buf []byte
	fn  func(string)
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.fn(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// killAt runs a command with -o json and sends the point's signal as soon as its boundary is
// printed; it reports whether the command finished all the same (a successful result printed),
// and whether the boundary was reached (a wait may end before its first status line). A
// SIGINT must end the run within seconds with exit code 130 (or 0 when it had finished).
func (p *faultProject) killAt(fp faultPoint, args ...string) (finished, reached bool) {
	t := p.t
	c := p.cmd(append(args, "-o", "json")...)
	if call, ok := strings.CutPrefix(fp.kind, "call:"); ok {
		// the run kills itself right after the call returns
		c.Env = append(c.Env, engine.FaultAfterEnv+"="+call)
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		err := c.Run()
		ee, _ := err.(*exec.ExitError)
		if ee == nil || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Logf("the run ended (%v) without calling %s", err, call)
			return strings.Contains(out.String(), `"ok":true`), false
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		t.Logf("killed after %s; last line: %s", call, lines[len(lines)-1])
		return false, true
	}
	seen := map[string]int{}
	var sentAt time.Time
	var last string
	var stderr bytes.Buffer
	c.Stderr = &stderr
	c.Stdout = &lineWriter{fn: func(line string) {
		if strings.HasPrefix(line, `{"type":"result"`) && strings.Contains(line, `"ok":true`) {
			finished = true
		}
		if !sentAt.IsZero() {
			return
		}
		var ev event
		if json.Unmarshal([]byte(line), &ev) != nil {
			return
		}
		if k := boundaryKind(ev); k != "" {
			seen[k]++
			if fmt.Sprintf("%s#%d", k, seen[k]) == fp.kind {
				_ = c.Process.Signal(fp.sig)
				sentAt, last = time.Now(), line
			}
		}
	}}
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if sentAt.IsZero() {
		t.Logf("the run ended (exit %d) before boundary %s", code, fp.kind)
		return finished, false
	}
	took := time.Since(sentAt)
	t.Logf("sent %s after: %s (exit %d after %s, finished: %v)", sigName(fp.sig), last, code, took.Round(time.Millisecond), finished)
	if fp.sig == syscall.SIGINT {
		if !(code == 130 || code == 0 && finished) {
			t.Errorf("after SIGINT the run exited with %d, want 130:\n%s", code, stderr.String())
		}
		if took > 15*time.Second {
			t.Errorf("after SIGINT the run took %s to exit", took.Round(time.Millisecond))
		}
	}
	return finished, true
}

// check: the command run again succeeds, status and drift agree, and destroy leaves nothing.
// A create that finished is not run again (a second create is refused by design).
func (p *faultProject) check(c faultCommand, finished bool) {
	t := p.t
	t.Helper()
	rerun := "(not run again)"
	if !(finished && c.name == "create") {
		code, out := p.run(c.args...)
		rerun = out
		// A create interrupted after its final save (the Ctrl-C seen at the recipe's last
		// instruction) had finished: without its create_agent intent a second create is
		// refused by design, and that is the only way to get this answer.
		if code == 2 && c.name == "create" && strings.Contains(out, "already has runtime") {
			t.Logf("the interrupted create had finished (its intent was gone): %s", strings.TrimSpace(out))
		} else if code != 0 {
			t.Fatalf("re-run of %s exited with %d:\n%s", c.name, code, out)
		}
	}
	if c.status != nil {
		failed := t.Failed()
		c.status(t, p.ok("status", "-o", "json"))
		if !failed && t.Failed() {
			t.Logf("the re-run of %s said:\n%s", c.name, rerun)
		}
	}
	p.noDrift()
	p.ok("destroy", "my-bot", "--yes")
	p.nothingLeft()
}

// motoDrift are the differences drift reports on moto after any clean run, none on AWS
// (docs/moto-differences.md): moto creates no DEFAULT endpoint, its runtime ARN ends with the
// version, and GetAgentRuntime answers the latest version's image whatever version is asked.
var motoDrift = regexp.MustCompile(`^agents\.my-bot\.(endpoints\.DEFAULT|runtime_arn|versions\.V(\d+)\.image)$`)

// noDrift: drift finds nothing (on moto: nothing but motoDrift, and the latest version's image
// must agree).
func (p *faultProject) noDrift() {
	t := p.t
	t.Helper()
	code, out := p.run("drift", "-o", "json")
	if code == 0 {
		return
	}
	if p.target.moto == "" || code != 3 {
		t.Errorf("drift exited with %d after the re-run:\n%s", code, out)
		return
	}
	var res struct {
		Result struct {
			Changes []struct {
				Source string `json:"source"`
				Path   string `json:"path"`
			} `json:"changes"`
		} `json:"result"`
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, `{"type":"result"`) {
			_ = json.Unmarshal([]byte(line), &res)
		}
	}
	latest := 0
	if m := regexp.MustCompile(`"latest_version":(\d+)`).FindStringSubmatch(p.ok("status", "-o", "json")); m != nil {
		latest, _ = strconv.Atoi(m[1])
	}
	if len(res.Result.Changes) == 0 {
		t.Errorf("drift exited with 3 and no changes:\n%s", out)
	}
	for _, c := range res.Result.Changes {
		m := motoDrift.FindStringSubmatch(c.Path)
		if c.Source != "runs" || m == nil || m[2] != "" && m[2] == strconv.Itoa(latest) {
			t.Errorf("drift after the re-run: %s %s\n%s", c.Source, c.Path, out)
		}
	}
}

// nothingLeft checks that no runtime, repository or stack of the project is left where it
// deploys, no container of its local endpoint, and no image of its repository or build tag.
func (p *faultProject) nothingLeft() {
	t := p.t
	t.Helper()
	out := p.ok("lua", "--eval", `local name, left = "`+p.name+`", {}
		for _, r in ipairs(agentcore.list_runtimes()) do
			if r.agentRuntimeName:find(name .. "_", 1, true) == 1 then table.insert(left, "runtime " .. r.agentRuntimeName) end
		end
		local repo = "agentcore/" .. name .. "-my-bot-" .. env.name()
		if ecr.describe_repository(repo) then table.insert(left, "repository " .. repo) end
		for _, g in ipairs(gateway.list()) do
			if g.name:lower():find(name:lower() .. "-", 1, true) == 1 and g.status ~= "DELETING" then table.insert(left, "gateway " .. g.name) end
		end
		if env.get().is_local then -- moto serves no AgentCore Identity
			for _, pr in ipairs(identity.list()) do
				if pr.provider_name:find(name .. "-", 1, true) == 1 then table.insert(left, "credential provider " .. pr.provider_name) end
			end
		end
		if not env.get().is_local then
			for _, s in ipairs(cfn.list()) do
				if s.name:find("agentcore-" .. name .. "-", 1, true) == 1 and s.status ~= "DELETE_COMPLETE" then
					table.insert(left, "stack " .. s.name .. " " .. s.status)
				end
			end
		end
		return #left == 0 and "NOTHING-LEFT" or table.concat(left, ", ")`)
	if !strings.Contains(out, "NOTHING-LEFT") {
		t.Errorf("after destroy: %s", out)
	}
	ps, _ := exec.Command("docker", "ps", "-a", "--filter", "label=dev.agentcore.local.state="+filepath.Join(p.home, "local"),
		"--format", "{{.Names}}").Output()
	if s := strings.TrimSpace(string(ps)); s != "" {
		t.Errorf("containers left: %s", s)
	}
	imgs, _ := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}").Output()
	for _, l := range strings.Split(string(imgs), "\n") {
		if strings.Contains(l, "agentcore/"+p.name+"-") || strings.Contains(l, "agentcore.local/"+p.name+"_") {
			t.Errorf("image left: %s", l)
		}
	}
}

// startMoto runs testdata/moto_server.py on a free port for the test and returns its URL.
func startMoto(t *testing.T) string {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("testdata/moto_server.py")
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(t.TempDir(), "moto.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", script, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited; logf.Close() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url
		}
		select {
		case <-exited:
			t.Fatalf("moto_server exited before answering (%s)", logf.Name())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not start within a minute: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startRegistry serves an in-memory OCI registry on a loopback port for the test.
func startRegistry(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); removeImages(ln.Addr().String()) })
	return ln.Addr().String()
}

// TestInterrupt: a Ctrl-C (SIGINT to the process, as a CI runner or kill -INT sends it) ends
// a run within seconds with exit code 130, whatever it is doing. exec.run of a command that
// forked used to wait for the grandchild holding its output pipe (sh -c "sleep 20; ...": 20s).
func TestInterrupt(t *testing.T) {
	bin, err := exec.LookPath("agentcore")
	if err != nil {
		t.Fatal(err)
	}
	for name, code := range map[string]string{
		"sleep":           `sleep(60)`,
		"parallel":        `parallel(function() sleep(60) end, function() exec.run{"sleep", "60"} end)`,
		"pcall-retry":     `while true do pcall(sleep, 60) end`,
		"exec":            `exec.run{"sleep", "60"}`,
		"exec-grandchild": `exec.run{"sh", "-c", "sleep 60; echo late"}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			c := exec.CommandContext(ctx, bin, "lua", "--eval", `print("started") `+code)
			c.Dir = t.TempDir()
			started := make(chan struct{})
			var once sync.Once
			var stderr bytes.Buffer
			c.Stdout = &lineWriter{fn: func(l string) {
				if l == "started" {
					once.Do(func() { close(started) })
				}
			}}
			c.Stderr = &stderr
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-started:
			case <-time.After(60 * time.Second):
				t.Fatal("the run did not start")
			}
			time.Sleep(300 * time.Millisecond) // into the call
			sent := time.Now()
			_ = c.Process.Signal(syscall.SIGINT)
			err := c.Wait()
			took := time.Since(sent)
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != 130 || took > 5*time.Second {
				t.Fatalf("after SIGINT: exit %d after %s, want 130 within 5s\n%s", code, took.Round(time.Millisecond), stderr.String())
			}
		})
	}
}
