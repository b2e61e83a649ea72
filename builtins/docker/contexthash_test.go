package docker_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentcore/agentcore/builtins/docker"
)

// The hash follows what the build sends (content, names, modes, .dockerignore, settings) and
// nothing else (times, a Dockerfile's generated name outside the context).
func TestContextHash(t *testing.T) {
	dir := t.TempDir()
	ctx := filepath.Join(dir, "agent")
	writeFiles(t, ctx, map[string]string{
		"Dockerfile": "FROM scratch\nCOPY agent /agent\n", "agent": "binary-1", ".dockerignore": "*\n!agent\n!Dockerfile\n",
		"notes.txt": "ignored",
	})
	df := filepath.Join(ctx, "Dockerfile")
	hash := func(settings map[string]string) string {
		t.Helper()
		h, err := docker.ContextHash(ctx, df, settings)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := hash(map[string]string{"platform": "linux/amd64"})
	if again := hash(map[string]string{"platform": "linux/amd64"}); again != base {
		t.Fatalf("two hashes of the same context differ: %s %s", base, again)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(ctx, "agent"), later, later); err != nil {
		t.Fatal(err)
	}
	if h := hash(map[string]string{"platform": "linux/amd64"}); h != base {
		t.Fatal("a new modification time changed the hash")
	}
	writeFiles(t, ctx, map[string]string{"notes.txt": "changed, and ignored by .dockerignore"})
	if h := hash(map[string]string{"platform": "linux/amd64"}); h != base {
		t.Fatal("a file .dockerignore leaves out changed the hash")
	}
	if h := hash(map[string]string{"platform": "linux/arm64"}); h == base {
		t.Fatal("another platform gave the same hash")
	}
	if err := os.Chmod(filepath.Join(ctx, "agent"), 0o755); err != nil {
		t.Fatal(err)
	}
	modeHash := hash(map[string]string{"platform": "linux/amd64"})
	if modeHash == base {
		t.Fatal("a new file mode gave the same hash")
	}
	writeFiles(t, ctx, map[string]string{"agent": "binary-2"})
	if h := hash(map[string]string{"platform": "linux/amd64"}); h == modeHash {
		t.Fatal("new content gave the same hash")
	}

	// a Dockerfile outside the context gets a random name in the tar: not in the hash
	outside := filepath.Join(dir, "Dockerfile.agent")
	writeFiles(t, dir, map[string]string{"Dockerfile.agent": "FROM scratch\nCOPY agent /agent\n"})
	h1, err := docker.ContextHash(ctx, outside, nil)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := docker.ContextHash(ctx, outside, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h1 != h2 {
		t.Fatalf("a Dockerfile outside the context: two hashes differ: %s %s", h1, h2)
	}
	writeFiles(t, dir, map[string]string{"Dockerfile.agent": "FROM scratch\nCOPY agent /bin/agent\n"})
	if h3, _ := docker.ContextHash(ctx, outside, nil); h3 == h1 {
		t.Fatal("a changed Dockerfile outside the context gave the same hash")
	}
	if _, err := docker.ContextHash(filepath.Join(dir, "missing"), outside, nil); err == nil {
		t.Fatal("a missing context gave no error")
	}
}
