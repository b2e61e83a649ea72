package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestFaultInjection kills the binary (SIGKILL, SIGINT for every third point) at each step
// boundary of create, update, promote and destroy on the local provider, then checks that a
// re-run succeeds, status and drift are right, and a final destroy leaves nothing behind.
// Boundaries are the step and ok events of `-o json`, found by a reference run of each
// command. It takes minutes: skipped with -short; AGENTCORE_FAULT_POINTS=N runs N points of
// each command only, AGENTCORE_FAULT_PARALLEL the number run at once (default 3).
func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("kills the binary at every step boundary: minutes")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("needs the Docker engine")
	}
	bin, err := exec.LookPath("agentcore")
	if err != nil {
		t.Fatal(err)
	}
	limit, _ := strconv.Atoi(os.Getenv("AGENTCORE_FAULT_POINTS"))
	par, _ := strconv.Atoi(os.Getenv("AGENTCORE_FAULT_PARALLEL"))
	if par <= 0 {
		par = 3
	}
	sem := make(chan struct{}, par)
	var mu sync.Mutex
	results := map[string][2]int{} // command -> {points, passed}
	for _, c := range faultCommands {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			ref := newFaultProject(t, bin, c.name+"-ref")
			c.prepare(ref)
			events := ref.events(c.args...)
			<-sem
			var points []int
			for i, ev := range events {
				if ev == "step" || ev == "ok" {
					points = append(points, i)
				}
			}
			if limit <= 0 {
				limit = 4 // a bounded sample for CI; AGENTCORE_FAULT_POINTS=99 runs every boundary
			}
			if len(points) > limit {
				var sample []int
				for i := 0; i < limit; i++ {
					sample = append(sample, points[i*(len(points)-1)/(limit-1)])
				}
				points = sample
			}
			ref.check(c, true)
			t.Logf("%s: %d events, %d kill points", c.name, len(events), len(points))
			for k, at := range points {
				sig := syscall.SIGKILL
				if k%3 == 2 {
					sig = syscall.SIGINT
				}
				t.Run(fmt.Sprintf("%s-at-%d-%s", c.name, at, sigName(sig)), func(t *testing.T) {
					t.Parallel()
					sem <- struct{}{}
					defer func() { <-sem }()
					p := newFaultProject(t, bin, fmt.Sprintf("%s-%d", c.name, at))
					c.prepare(p)
					finished := p.killAt(at, sig, c.args...)
					p.check(c, finished)
					mu.Lock()
					r := results[c.name]
					r[0]++
					if !t.Failed() {
						r[1]++
					}
					results[c.name] = r
					mu.Unlock()
				})
			}
		})
	}
	t.Cleanup(func() {
		for name, r := range results {
			t.Logf("fault injection %s: %d kill points, %d passed", name, r[0], r[1])
		}
	})
}

func sigName(s syscall.Signal) string {
	if s == syscall.SIGINT {
		return "int"
	}
	return "kill"
}

type faultCommand struct {
	name    string
	args    []string
	prepare func(p *faultProject)
	// status checks `status -o json` after the re-run
	status func(t *testing.T, status string)
}

var faultCommands = []faultCommand{
	{name: "create", args: []string{"create", "my-bot"}, prepare: func(p *faultProject) {},
		status: func(t *testing.T, s string) { wantIn(t, s, `"latest_version":1`) }},
	{name: "update", args: []string{"update", "my-bot"}, prepare: func(p *faultProject) {
		p.ok("create", "my-bot")
		p.edit("agents/my-bot/main.go", "You said: ", "You told me: ")
	}, status: func(t *testing.T, s string) { wantIn(t, s, `"latest_version":2`) }},
	{name: "promote", args: []string{"promote", "my-bot", "--endpoint", "stable", "--version", "1"}, prepare: func(p *faultProject) {
		p.ok("create", "my-bot")
	}, status: func(t *testing.T, s string) { wantIn(t, s, `"name":"stable","status":"READY","version":1`) }},
	{name: "destroy", args: []string{"destroy", "my-bot", "--yes"}, prepare: func(p *faultProject) {
		p.ok("create", "my-bot")
		p.ok("promote", "my-bot", "--endpoint", "stable", "--version", "1")
	}},
}

func wantIn(t *testing.T, s, want string) {
	t.Helper()
	if !strings.Contains(s, want) {
		t.Errorf("status does not say %s:\n%s", want, s)
	}
}

// faultProject is one project with its own AGENTCORE_HOME and local endpoint.
type faultProject struct {
	t    *testing.T
	bin  string
	dir  string
	home string
	port int
	name string
	env  []string
}

func newFaultProject(t *testing.T, bin, label string) *faultProject {
	t.Helper()
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	name := "fi" + strings.ReplaceAll(label, "-", "")
	p := &faultProject{t: t, bin: bin, dir: dir, home: filepath.Join(dir, ".agentcore-home"), port: port, name: name}
	p.env = append(os.Environ(), "AGENTCORE_HOME="+p.home, "HOME="+filepath.Join(dir, ".home"), "NO_COLOR=1",
		"AGENTCORE_LOCAL_PING_TIMEOUT=15s", "AGENTCORE_LOCAL_PORT="+strconv.Itoa(port), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	t.Cleanup(func() { cleanupLocal(p.home, p.port) })
	p.ok("init", "--name", name)
	return p
}

// cmd is the binary with a deadline: a run that hangs is killed and reported with its output.
func (p *faultProject) cmd(args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	p.t.Cleanup(cancel)
	c := exec.CommandContext(ctx, p.bin, args...)
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

// events runs a command to the end with -o json and returns the type of each event.
func (p *faultProject) events(args ...string) []string {
	out := p.ok(append(args, "-o", "json")...)
	var types []string
	for _, line := range strings.Split(out, "\n") {
		var ev struct {
			Type string `json:"type"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type != "" {
			types = append(types, ev.Type)
		}
	}
	return types
}

// killAt runs a command with -o json and sends sig as soon as its event number at is printed;
// it reports whether the command finished all the same (its result printed).
func (p *faultProject) killAt(at int, sig syscall.Signal, args ...string) (finished bool) {
	c := p.cmd(append(args, "-o", "json")...)
	stdout, err := c.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	c.Stderr = nil
	if err := c.Start(); err != nil {
		p.t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n, killed, last := 0, false, ""
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), `{"type":"result"`) {
			finished = true
		}
		if !killed && strings.HasPrefix(sc.Text(), "{") {
			if n == at {
				_ = c.Process.Signal(sig)
				killed, last = true, sc.Text()
				break // children (go build) may keep the pipe open: stop reading
			}
			n++
		}
	}
	_ = c.Wait()
	if !killed {
		p.t.Logf("the run ended after %d events, before event %d", n, at)
	} else {
		p.t.Logf("sent %s after: %s (finished: %v)", sigName(sig), last, finished)
	}
	return finished
}

// check: the command run again succeeds, status and drift agree, and destroy leaves nothing.
// A create that finished is not run again (a second create is refused by design).
func (p *faultProject) check(c faultCommand, finished bool) {
	t := p.t
	t.Helper()
	if !(finished && c.name == "create") {
		// a create killed after it recorded everything is refused as a second create
		if code, out := p.run(c.args...); code != 0 && !(c.name == "create" && code == 2 && strings.Contains(out, "already has runtime")) {
			t.Fatalf("re-run of %s exited with %d:\n%s", c.name, code, out)
		}
	}
	if c.status != nil {
		c.status(t, p.ok("status", "-o", "json"))
	}
	if code, out := p.run("drift"); code != 0 {
		t.Errorf("drift exited with %d after the re-run:\n%s", code, out)
	}
	p.ok("destroy", "my-bot", "--yes")
	p.nothingLeft()
}

// nothingLeft checks the local endpoint has no runtime, the registry no repository, Docker no
// container of this project's endpoint and no image of its repository.
func (p *faultProject) nothingLeft() {
	t := p.t
	out := p.ok("lua", "-e", `local n = 0 for _ in ipairs(agentcore.list_runtimes()) do n = n + 1 end
		local repo = ecr.describe_repository("agentcore/`+p.name+`-my-bot-local")
		return (n == 0 and not repo) and "NOTHING-LEFT" or ("runtimes " .. n .. ", repository " .. tostring(repo ~= nil))`)
	if !strings.Contains(out, "NOTHING-LEFT") {
		t.Errorf("after destroy, runtimes and repository: %s", out)
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
