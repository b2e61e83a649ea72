// Package build prepares Docker build contexts for the test agent (internal/testagent): a static
// binary, its source and a FROM-scratch Dockerfile, so tests can build an agent image without
// pulling anything.
package build

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Dockerfile is the Dockerfile written into every context.
const Dockerfile = `FROM scratch
COPY testagent /testagent
EXPOSE 8080
ENTRYPOINT ["/testagent"]
`

var (
	mu       sync.Mutex
	binaries = map[string]string{} // GOARCH -> built binary
)

// Context writes main.go, a Dockerfile and a static linux binary for the host's architecture
// into dir (created if missing) and returns dir, ready for `docker build`.
func Context(t testing.TB, dir string) string {
	t.Helper()
	return ContextArch(t, dir, runtime.GOARCH)
}

// ContextArch is Context for another GOARCH, e.g. to produce an image that fails with
// "exec format error" on this machine.
func ContextArch(t testing.TB, dir, goarch string) string {
	t.Helper()
	src := sourceDir(t)
	bin := binary(t, src, goarch)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile(filepath.Join(src, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"main.go": main, "Dockerfile": []byte(Dockerfile)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "testagent"), exe, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sourceDir is internal/testagent in the source tree this package was compiled from.
func sourceDir(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testagent/build: cannot locate its source file")
	}
	return filepath.Dir(filepath.Dir(file))
}

// binary builds the agent for goarch once per source version: the result is cached under the
// user cache directory, keyed by a hash of its .go files, so test processes share it and leave
// nothing behind in /tmp.
func binary(t testing.TB, src, goarch string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if b, ok := binaries[goarch]; ok {
		return b
	}
	files, err := filepath.Glob(filepath.Join(src, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("testagent/build: no Go files in %s: %v", src, err)
	}
	h := sha256.New()
	for _, f := range files {
		source, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(filepath.Base(f) + "\x00"))
		h.Write(source)
	}
	sum := h.Sum(nil)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "agentcore-testagent", fmt.Sprintf("%s-%x", goarch, sum[:8]))
	bin := filepath.Join(dir, "testagent")
	if _, err := os.Stat(bin); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		tmp := fmt.Sprintf("%s.%d", bin, os.Getpid())
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", tmp, ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building the test agent for linux/%s: %v\n%s", goarch, err, b)
		}
		if err := os.Rename(tmp, bin); err != nil {
			t.Fatal(err)
		}
	}
	binaries[goarch] = bin
	return bin
}
