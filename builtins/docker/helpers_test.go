package docker_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/agentcore/agentcore/builtins/docker"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

// Every image and intermediate container the tests create carries this label (the
// Dockerfiles set it right after FROM), so TestMain can remove them all.
var (
	labelKey = "agentcore.test.docker"
	labelVal = randomHex(6)
	labelDoc = "LABEL " + labelKey + "=" + labelVal + "\n"
	// repoPrefix keeps test image names apart from anything else on the engine.
	repoPrefix = "agentcore-test-" + labelVal
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func TestMain(m *testing.M) {
	code := m.Run()
	cleanupImages()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// cleanupImages removes the containers and images labelled by this test run.
func cleanupImages() {
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return
	}
	defer c.Close()
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", labelKey+"="+labelVal))
	if cs, err := c.ContainerList(ctx, container.ListOptions{All: true, Filters: f}); err == nil {
		for _, ct := range cs {
			_ = c.ContainerRemove(ctx, ct.ID, container.RemoveOptions{Force: true})
		}
	}
	imgs, err := c.ImageList(ctx, image.ListOptions{All: true, Filters: f})
	if err != nil {
		return
	}
	for _, img := range imgs {
		for _, t := range img.RepoTags {
			_, _ = c.ImageRemove(ctx, t, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	}
	for _, img := range imgs {
		_, _ = c.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true})
	}
}

// The program every test image runs, compiled once, static, for FROM scratch images (no image
// can be pulled here). Its modes are the checks the Dockerfiles make with exec-form RUN.
const programSrc = `package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Println("hello from the agent")
		return
	}
	switch os.Args[1] {
	case "absent": // fail when a file matching the pattern is in the image
		if m, _ := filepath.Glob(os.Args[2]); len(m) > 0 {
			fmt.Fprintln(os.Stderr, "unexpected file in the image:", m[0])
			os.Exit(1)
		}
	case "present":
		if _, err := os.Stat(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "missing file:", err)
			os.Exit(1)
		}
	case "expect-env": // compare a variable with the content of a file
		want, _ := os.ReadFile(os.Args[3])
		if got := os.Getenv(os.Args[2]); got != string(want) {
			fmt.Fprintf(os.Stderr, "%s has the wrong value (%d bytes)\n", os.Args[2], len(got))
			os.Exit(1)
		}
	case "fail":
		fmt.Println("checking the agent")
		fmt.Fprintln(os.Stderr, "boom: the agent failed its self-check")
		os.Exit(3)
	case "sleep":
		n, _ := strconv.Atoi(os.Args[2])
		time.Sleep(time.Duration(n) * time.Second)
	case "say":
		fmt.Println(os.Args[2])
	}
}
`

var (
	binOnce sync.Once
	binDir  string
	binErr  error
	binMu   sync.Mutex
	binArch = map[string]string{} // GOARCH -> compiled program
)

// agentBinary returns the path of the program compiled for the host's architecture.
func agentBinary(t *testing.T) string {
	t.Helper()
	return agentBinaryFor(t, runtime.GOARCH)
}

// agentBinaryFor returns the path of the program compiled, static, for linux/goarch.
func agentBinaryFor(t *testing.T, goarch string) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "agentcore-docker-test")
		if binErr != nil {
			return
		}
		src := filepath.Join(binDir, "src")
		if binErr = os.MkdirAll(src, 0o755); binErr != nil {
			return
		}
		_ = os.WriteFile(filepath.Join(src, "go.mod"), []byte("module agent\n\ngo 1.21\n"), 0o644)
		_ = os.WriteFile(filepath.Join(src, "main.go"), []byte(programSrc), 0o644)
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	binMu.Lock()
	defer binMu.Unlock()
	if p, ok := binArch[goarch]; ok {
		return p
	}
	p := filepath.Join(binDir, "app-"+goarch)
	cmd := exec.Command("go", "build", "-o", p, ".")
	cmd.Dir = filepath.Join(binDir, "src")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the test program for %s: %v\n%s", goarch, err, out)
	}
	binArch[goarch] = p
	return p
}

// writeFiles creates files (path -> content) under dir; "app" gets the compiled program,
// "app-ARCH" the program compiled for ARCH (e.g. app-arm64).
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		base := filepath.Base(name)
		if arch, ok := strings.CutPrefix(base, "app-"); ok || base == "app" {
			if !ok {
				arch = runtime.GOARCH
			}
			b, err := os.ReadFile(agentBinaryFor(t, arch))
			if err != nil {
				t.Fatal(err)
			}
			content, mode = string(b), 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// dockerfile starts a test Dockerfile: FROM scratch, the cleanup label, then lines.
func dockerfile(lines ...string) string {
	return "FROM scratch\n" + labelDoc + strings.Join(lines, "\n") + "\n"
}

// newHarness returns a Lua harness with the docker module whose project root is a temp dir.
func newHarness(t *testing.T) *enginetest.Harness {
	t.Helper()
	agentBinary(t)
	t.Cleanup(cleanupImages)
	return enginetest.New(t, docker.Module)
}

// engineError returns err as the engine's error type.
func engineError(t *testing.T, err error) *engine.Error {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error, got none")
	}
	var e *engine.Error
	if !errors.As(err, &e) {
		t.Fatalf("error is a %T, not *engine.Error: %v", err, err)
	}
	return e
}

// testRegistry is an in-process registry on a loopback address (the engine pushes to loopback
// registries over plain HTTP), counting blob uploads.
type testRegistry struct {
	Host    string
	uploads atomic.Int64
	srv     *httptest.Server
}

// close stops the registry; its port then refuses connections.
func (r *testRegistry) close() { r.srv.Close() }

func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) *testRegistry {
	t.Helper()
	r := &testRegistry{}
	var h http.Handler = registry.New(registry.Logger(nopLogger()))
	if wrap != nil {
		h = wrap(h)
	}
	counted := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost && strings.Contains(req.URL.Path, "/blobs/uploads/") {
			r.uploads.Add(1)
		}
		h.ServeHTTP(w, req)
	})
	r.srv = httptest.NewServer(counted)
	t.Cleanup(r.srv.Close)
	r.Host = strings.TrimPrefix(r.srv.URL, "http://")
	return r
}

func nopLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// runningTestContainers counts running containers of this test run (build steps).
func runningTestContainers(t *testing.T) int {
	t.Helper()
	n, err := countTestContainers()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func countTestContainers() (int, error) {
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	cs, err := c.ContainerList(context.Background(), container.ListOptions{
		Filters: filters.NewArgs(filters.Arg("label", labelKey+"="+labelVal)),
	})
	return len(cs), err
}
