package oci_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/internal/ociimage"
)

// oci.source_hash follows the module's files and the build options, not times or the build's
// output, and gives nil when files alone cannot tell the sources.
func TestSourceHash(t *testing.T) {
	h := newHarness(t)
	writeAgent(t, h.Run.Dir)
	const opts = `{dir = "agents/my-bot", platform = "linux/arm64", files = {"prompts/"}, out = "out/bot"}`
	hash := func(o string) lua.LValue {
		t.Helper()
		return h.Do(t, "return oci.source_hash"+o)[0]
	}
	h1 := hash(opts)
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(h1.String()) {
		t.Fatalf("source_hash = %v", h1)
	}
	later := ociimage.Epoch.AddDate(40, 0, 0)
	filepath.Walk(filepath.Join(h.Run.Dir, "agents"), func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, later, later) })
	h.Do(t, "oci.build_go"+opts)
	writeFiles(t, h.Run.Dir, map[string]string{"agents/my-bot/.git/HEAD": "ref", "agents/my-bot/testdata/x": "y"})
	if h2 := hash(opts); h2.String() != h1.String() {
		t.Fatalf("times, a build and ignored folders changed the hash: %v then %v", h1, h2)
	}
	for what, change := range map[string]func(){
		"a source line": func() {
			writeFiles(t, h.Run.Dir, map[string]string{"agents/my-bot/main.go": agentMain + "\n// more\n"})
		},
		"an embedded file": func() { writeFiles(t, h.Run.Dir, map[string]string{"agents/my-bot/config.yaml": "model: big\n"}) },
	} {
		before := hash(opts).String()
		change()
		if after := hash(opts).String(); after == before {
			t.Errorf("%s changed and the hash did not", what)
		}
	}
	if a, b := hash(opts).String(), hash(`{dir = "agents/my-bot", platform = "linux/amd64", files = {"prompts/"}, out = "out/bot"}`).String(); a == b {
		t.Error("another platform gave the same hash")
	}
	if v := hash(`{dir = "agents/my-bot", base = "alpine:3", out = "out/bot"}`); v != lua.LNil {
		t.Errorf("a base named by tag: %v, want nil", v)
	}
	writeFiles(t, h.Run.Dir, map[string]string{"agents/my-bot/go.mod": "module example.com/mybot\n\ngo 1.22\n\nreplace example.com/lib => ../lib\n"})
	if v := hash(opts); v != lua.LNil {
		t.Errorf("a replace outside the module: %v, want nil", v)
	}
	writeFiles(t, h.Run.Dir, map[string]string{"agents/my-bot/go.mod": "module example.com/mybot\n\ngo 1.22\n\nreplace (\n\texample.com/lib => ./lib\n\texample.com/x v1.0.0 => example.com/y v1.0.0\n)\n"})
	if v := hash(opts); v == lua.LNil {
		t.Error("a replace inside the module: nil")
	}
}
