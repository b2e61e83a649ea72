package oci_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// compile_go writes each build to a new dev-* file (a running sandbox may have the previous
// one mounted), keeps the newest earlier one and removes the rest, and writes no image.
func TestCompileGo(t *testing.T) {
	h := newHarness(t)
	writeAgent(t, h.Run.Dir)
	binDir := filepath.Join(h.Run.Dir, ".agentcore/build/my-bot.bin")
	var paths []string
	for i := range 3 {
		res := h.Do(t, `return oci.compile_go{dir = "agents/my-bot", platform = "linux/amd64"}`)[0]
		p := field(t, res, "path")
		if filepath.Dir(p) != binDir || !strings.HasPrefix(filepath.Base(p), "dev-") {
			t.Fatalf("build %d: path %q, want %s/dev-*", i+1, p, binDir)
		}
		if got := field(t, res, "image_path"); got != "/app/agent" {
			t.Errorf("image_path = %q", got)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := field(t, res, "sha256"); got != hex.EncodeToString(sum[:]) {
			t.Errorf("sha256 = %s, the file's is %x", got, sum)
		}
		if st, _ := os.Stat(p); st.Mode().Perm()&0o100 == 0 {
			t.Errorf("%s is not executable (%s)", p, st.Mode())
		}
		paths = append(paths, p)
	}
	if paths[0] == paths[1] || paths[1] == paths[2] {
		t.Fatalf("builds wrote the same file: %v", paths)
	}
	left, _ := filepath.Glob(filepath.Join(binDir, "dev-*"))
	if len(left) != 2 || !slices.Contains(left, paths[1]) || !slices.Contains(left, paths[2]) {
		t.Errorf("dev files left %v, want the last two of %v", left, paths)
	}
	if _, err := os.Stat(filepath.Join(h.Run.Dir, ".agentcore/build/my-bot")); !os.IsNotExist(err) {
		t.Errorf("compile_go wrote an image layout (stat: %v)", err)
	}

	// a compile error fails with the compiler's output, and leaves no dev file behind
	main := filepath.Join(h.Run.Dir, "agents/my-bot/main.go")
	if err := os.WriteFile(main, []byte("package main\nfunc main() { undefined() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.Err(`return oci.compile_go{dir = "agents/my-bot", platform = "linux/amd64"}`); err == nil || !strings.Contains(err.Error(), "undefined") {
		t.Errorf("compile error: %v", err)
	}
	if after, _ := filepath.Glob(filepath.Join(binDir, "dev-*")); len(after) != 2 {
		t.Errorf("after a failed compile: %v", after)
	}
}
