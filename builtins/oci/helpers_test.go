package oci_test

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/agentcore/agentcore/builtins/oci"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

// TestMain points DOCKER_HOST at nothing: the oci module must never need the Docker engine.
func TestMain(m *testing.M) {
	os.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
	os.Exit(m.Run())
}

func newHarness(t *testing.T) *enginetest.Harness {
	t.Helper()
	return enginetest.New(t, oci.Module)
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

// testRegistry is go-containerregistry's in-memory registry on a loopback address, recording
// the requests that write (POST, PUT, PATCH) so tests can say that nothing was sent.
type testRegistry struct {
	Host   string
	mu     sync.Mutex
	writes []string
}

func startRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			r.mu.Lock()
			r.writes = append(r.writes, req.Method+" "+req.URL.Path)
			r.mu.Unlock()
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.Host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// takeWrites returns the write requests since the last call.
func (r *testRegistry) takeWrites() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.writes
	r.writes = nil
	return w
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const agentMain = `package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "pong") })
	http.ListenAndServe(":8080", nil)
}
`

// writeAgent writes a tiny Go agent (a module with no dependencies) and two extra files into
// agents/my-bot of the project.
func writeAgent(t *testing.T, root string) {
	t.Helper()
	writeFiles(t, root, map[string]string{
		"agents/my-bot/go.mod":         "module example.com/mybot\n\ngo 1.22\n",
		"agents/my-bot/main.go":        agentMain,
		"agents/my-bot/config.yaml":    "model: small\n",
		"agents/my-bot/prompts/a.txt":  "You are helpful.\n",
		"agents/my-bot/prompts/b/c.md": "# c\n",
	})
}
