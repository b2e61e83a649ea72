package main

import (
	"context"
	"fmt"
	gobuild "go/build"
	"io"
	"log"
	"net/http"

	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/dockerclient"
	"github.com/agentcore/agentcore/internal/netns"
	"github.com/agentcore/agentcore/internal/proctree"
	"github.com/agentcore/agentcore/internal/testagent/build"
	"github.com/agentcore/agentcore/local"
	"github.com/agentcore/agentcore/local/lifecycle"
)

func TestMain(m *testing.M) {
	netns.Init() // the endpoint's code sessions re-execute this binary as their sandbox init
	testscript.Main(m, map[string]func(){
		"agentcore": func() { os.Exit(newApp(os.Stdin, os.Stdout, os.Stderr).main(os.Args[1:])) },
	})
}

// TestScripts runs the binary end to end: testdata/script/*.txtar. Scripts that deploy use
// the real Docker engine and a local endpoint of their own (own data directory and port),
// stopped and cleaned up when the script ends.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup:               setupScript,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":       cmdExitCode,
			"moto":           cmdMoto,
			"registry":       cmdRegistry,
			"cischema":       cmdCISchema,
			"jenkinscheck":   cmdJenkinsCheck,
			"pty":            cmdPTY,
			"testagent":      cmdTestAgent,
			"consolebrowser": cmdConsoleBrowser,
			"consoletools":   cmdConsoleTools,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "docker":
				c, err := dockerclient.New()
				if err != nil {
					return false, nil
				}
				defer c.Close()
				_, err = c.Ping(context.Background())
				return err == nil, nil
			case "chromium": // the console's browser test; CI installs it (.ci/run) and then requires it
				if chromiumPath() == "" && os.Getenv("AGENTCORE_CHROMIUM") == "required" {
					return false, fmt.Errorf("AGENTCORE_CHROMIUM=required but no Chromium is installed")
				}
				return chromiumPath() != "", nil
			case "netns": // code sessions run in network namespaces of their own
				return netns.Supported(), nil
			}
			return false, nil
		},
	})
}

// cmdExitCode runs a program and checks its exit code: exitcode 2 agentcore create nope.
// Its output is kept for the stdout and stderr commands that follow.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d\nstdout:\n%s\nstderr:\n%s", args[1], got, want, ts.ReadFile("stdout"), ts.ReadFile("stderr"))
	}
}

// cmdMoto starts moto_server (testdata/moto_server.py) on a free loopback port for the
// script, sets MOTO_URL and stops it when the script ends. Scripts guard it with
// [!exec:moto_server] skip.
func cmdMoto(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: moto")
	}
	if _, err := exec.LookPath("moto_server"); err != nil {
		ts.Fatalf("moto_server is not installed (pip install 'moto[server]')")
	}
	port, err := freePort()
	ts.Check(err)
	script, err := filepath.Abs("testdata/moto_server.py")
	ts.Check(err)
	logf, err := os.Create(filepath.Join(ts.Getenv("WORK"), "moto.log"))
	ts.Check(err)
	cmd := exec.Command("python3", script, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	ts.Check(cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	ts.Defer(func() { _ = cmd.Process.Kill(); <-exited; logf.Close() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	// moto imports every service's models at start: seconds on a quiet machine, far more on a
	// loaded one (parallel test packages), so wait up to a minute unless the process died.
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-exited:
			ts.Fatalf("moto_server exited before answering (see moto.log)")
		default:
		}
		if time.Now().After(deadline) {
			ts.Fatalf("moto_server did not start within a minute: %v (see moto.log)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Setenv("MOTO_URL", url)
}

// cmdRegistry serves an in-memory OCI registry on a free loopback port for the script (moto
// serves no image pushes) and sets REGISTRY to its host:port.
func cmdRegistry(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: registry")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	go func() { _ = srv.Serve(ln) }()
	ts.Defer(func() { _ = srv.Close(); removeImages(ln.Addr().String()) })
	ts.Setenv("REGISTRY", ln.Addr().String())
}

func setupScript(env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, ".agentcore-home")
	env.Setenv("AGENTCORE_HOME", home)
	env.Setenv("HOME", filepath.Join(env.WorkDir, ".home"))
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "DOCKER_HOST", "GOROOT"} {
		if v := os.Getenv(k); v != "" {
			env.Setenv(k, v)
		}
	}
	if os.Getenv("GOMODCACHE") == "" {
		// The machine's module cache, not one under the script's own HOME: a script's Go agent
		// with dependencies (the MCP template) builds offline from what is there.
		if gopath := filepath.SplitList(gobuild.Default.GOPATH); len(gopath) > 0 && gopath[0] != "" {
			env.Setenv("GOMODCACHE", filepath.Join(gopath[0], "pkg", "mod"))
		}
	}
	if os.Getenv("GOCACHE") == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			env.Setenv("GOCACHE", filepath.Join(dir, "go-build"))
		}
	}
	env.Setenv("GOTOOLCHAIN", "local")
	env.Setenv("GOFLAGS", "-mod=mod")
	env.Setenv("NO_COLOR", "1")
	env.Setenv("AGENTCORE_LOCAL_PING_TIMEOUT", "15s")
	env.Setenv(engine.CheckResultsEnv, "1") // every builtin's results are checked against its declaration
	port, err := freePort()
	if err != nil {
		return err
	}
	env.Setenv("AGENTCORE_LOCAL_PORT", strconv.Itoa(port))
	env.Defer(func() { cleanupLocal(home, port) })
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// cleanupLocal stops the script's local endpoint and removes its containers, host processes
// (they outlive the endpoint, as sessions do) and images.
func cleanupLocal(home string, port int) {
	dir := filepath.Join(home, "local")
	if b, err := os.ReadFile(filepath.Join(dir, "server.json")); err == nil {
		var si lifecycle.ServerInfo
		if json.Unmarshal(b, &si) == nil && si.PID > 0 {
			_ = proctree.Terminate(si.PID)
			for i := 0; i < 50 && !proctree.Gone(si.PID); i++ {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_ = local.Reset(ctx, dir)
	_ = local.StopProcesses(dir) // code agents' host processes (sandboxes outlive the endpoint)
	removeImages("127.0.0.1:" + strconv.Itoa(port))
}

// removeImages removes the images tagged in a registry a script served.
func removeImages(registry string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := dockerclient.New()
	if err != nil {
		return
	}
	defer c.Close()
	for _, ref := range []string{registry + "/*/*", registry + "/*"} {
		imgs, err := c.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", ref))})
		if err != nil {
			continue
		}
		for _, im := range imgs {
			_, _ = c.ImageRemove(ctx, im.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	}
}

// cmdTestAgent writes the test agent's Docker build context (internal/testagent: a static
// binary and a FROM-scratch Dockerfile) into DIR: testagent agents/keyed.
func cmdTestAgent(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: testagent DIR")
	}
	build.Context(scriptTB{ts: ts}, ts.MkAbs(args[0]))
}

// scriptTB is the part of testing.TB that build.Context uses, for a script.
type scriptTB struct {
	testing.TB
	ts *testscript.TestScript
}

func (s scriptTB) Helper()                        {}
func (s scriptTB) Fatal(args ...any)              { s.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (s scriptTB) Fatalf(format string, a ...any) { s.ts.Fatalf(format, a...) }
