package oci_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/ociimage"
)

type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

// layoutLayer reads the last layer of the image layout at dir.
func layoutLayer(t *testing.T, dir string) []tarEntry {
	t.Helper()
	img, _, err := ociimage.ReadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out []tarEntry
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{h, b})
	}
	return out
}

func field(t *testing.T, v lua.LValue, key string) string {
	t.Helper()
	tb, ok := v.(*lua.LTable)
	if !ok {
		t.Fatalf("result is a %s, not a table", v.Type())
	}
	return tb.RawGetString(key).String()
}

func TestBuildGoImage(t *testing.T) {
	h := newHarness(t)
	writeAgent(t, h.Run.Dir)
	res := h.Do(t, `return oci.build_go{
		dir = "agents/my-bot", platform = "linux/arm64",
		files = {"prompts/", "config.yaml", {src = "config.yaml", dst = "/etc/agent.yaml"}, {src = "prompts/a.txt", dst = "system.txt"}},
		env = {MODEL = "small", LOG = "debug"}, labels = {["agentcore.agent"] = "my-bot"},
		ldflags = "-X main.version=1",
	}`)[0]
	if got := field(t, res, "path"); got != ".agentcore/build/my-bot" {
		t.Errorf("path = %q", got)
	}
	if got := field(t, res, "platform"); got != "linux/arm64" {
		t.Errorf("platform = %q", got)
	}
	if got := field(t, res, "layers"); got != "1" {
		t.Errorf("layers = %s", got)
	}
	digest := field(t, res, "digest")
	if !strings.HasPrefix(digest, "sha256:") || len(digest) != 71 {
		t.Errorf("digest = %q", digest)
	}
	dir := filepath.Join(h.Run.Dir, ".agentcore/build/my-bot")
	img, desc, err := ociimage.ReadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest.String() != digest || desc.Platform == nil || desc.Platform.String() != "linux/arm64" {
		t.Errorf("layout index: %s %v, want %s linux/arm64", desc.Digest, desc.Platform, digest)
	}
	if d, _ := img.Digest(); d.String() != digest {
		t.Errorf("manifest digest %s, result says %s", d, digest)
	}
	var size int64 = desc.Size
	m, _ := img.Manifest()
	size += m.Config.Size + m.Layers[0].Size
	if got := field(t, res, "size"); got != lua.LNumber(size).String() {
		t.Errorf("size = %s, want %d", got, size)
	}
	if m.MediaType != "application/vnd.oci.image.manifest.v1+json" || m.Layers[0].MediaType != "application/vnd.oci.image.layer.v1.tar+gzip" {
		t.Errorf("media types: manifest %s, layer %s", m.MediaType, m.Layers[0].MediaType)
	}

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "arm64" {
		t.Errorf("config platform %s/%s", cf.OS, cf.Architecture)
	}
	if !cf.Created.Time.Equal(ociimage.Epoch) {
		t.Errorf("created %v", cf.Created)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/app/agent"}) || c.Cmd != nil || c.WorkingDir != "/app" {
		t.Errorf("entrypoint %q cmd %q workdir %q", c.Entrypoint, c.Cmd, c.WorkingDir)
	}
	if want := []string{"PATH=" + ociimage.DefaultPath, "LOG=debug", "MODEL=small"}; !slices.Equal(c.Env, want) {
		t.Errorf("env %q, want %q", c.Env, want)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok || len(c.ExposedPorts) != 1 {
		t.Errorf("exposed ports %v", c.ExposedPorts)
	}
	if c.Labels["agentcore.agent"] != "my-bot" {
		t.Errorf("labels %v", c.Labels)
	}

	entries := layoutLayer(t, dir)
	var names []string
	files := map[string]tarEntry{}
	for _, e := range entries {
		names = append(names, e.hdr.Name)
		files[e.hdr.Name] = e
		if e.hdr.Uid != 0 || e.hdr.Gid != 0 || !e.hdr.ModTime.Equal(ociimage.Epoch) || e.hdr.Uname != "" {
			t.Errorf("%s: owner %d:%d %q, mtime %v", e.hdr.Name, e.hdr.Uid, e.hdr.Gid, e.hdr.Uname, e.hdr.ModTime)
		}
	}
	want := []string{"app/", "app/agent", "app/config.yaml", "app/prompts/", "app/prompts/a.txt", "app/prompts/b/", "app/prompts/b/c.md", "app/system.txt", "etc/", "etc/agent.yaml"}
	if !slices.Equal(names, want) {
		t.Errorf("layer entries\n%q\nwant\n%q", names, want)
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("entries not sorted: %q", names)
	}
	agent := files["app/agent"]
	if agent.hdr.Mode != 0o755 || agent.hdr.Typeflag != tar.TypeReg {
		t.Errorf("app/agent mode %o type %c", agent.hdr.Mode, agent.hdr.Typeflag)
	}
	ef, err := elf.NewFile(bytes.NewReader(agent.data))
	if err != nil {
		t.Fatalf("app/agent is not an ELF program: %v", err)
	}
	if ef.Machine != elf.EM_AARCH64 {
		t.Errorf("app/agent is for %v, want arm64", ef.Machine)
	}
	if got := string(files["app/config.yaml"].data); got != "model: small\n" || files["app/config.yaml"].hdr.Mode != 0o644 {
		t.Errorf("app/config.yaml: %q mode %o", got, files["app/config.yaml"].hdr.Mode)
	}
	if got := string(files["etc/agent.yaml"].data); got != "model: small\n" {
		t.Errorf("etc/agent.yaml: %q", got)
	}
	if got := string(files["app/system.txt"].data); got != "You are helpful.\n" {
		t.Errorf("app/system.txt: %q", got)
	}
	if files["app/prompts/"].hdr.Mode != 0o755 || files["etc/"].hdr.Mode != 0o755 {
		t.Errorf("folder modes %o %o", files["app/prompts/"].hdr.Mode, files["etc/"].hdr.Mode)
	}
}

// The same sources give the same digest; a one-line change gives another, and the layout is
// replaced with nothing left behind.
func TestBuildGoDeterministic(t *testing.T) {
	h := newHarness(t)
	writeAgent(t, h.Run.Dir)
	build := `return oci.build_go{dir = "agents/my-bot", platform = "linux/arm64", files = {"prompts/"}, out = "out/bot"}`
	d1 := field(t, h.Do(t, build)[0], "digest")
	// Touch every file: times on disk must not matter.
	later := ociimage.Epoch.AddDate(40, 0, 0)
	filepath.Walk(filepath.Join(h.Run.Dir, "agents"), func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, later, later) })
	d2 := field(t, h.Do(t, build)[0], "digest")
	if d1 != d2 {
		t.Fatalf("two builds of the same sources: %s then %s", d1, d2)
	}
	main := filepath.Join(h.Run.Dir, "agents/my-bot/main.go")
	src, _ := os.ReadFile(main)
	os.WriteFile(main, bytes.Replace(src, []byte(`"pong"`), []byte(`"pong!"`), 1), 0o644)
	d3 := field(t, h.Do(t, build)[0], "digest")
	if d3 == d1 {
		t.Fatalf("a changed line gave the same digest %s", d3)
	}
	_, desc, err := ociimage.ReadLayout(filepath.Join(h.Run.Dir, "out/bot"))
	if err != nil || desc.Digest.String() != d3 {
		t.Fatalf("layout after the rebuild: %v %v, want %s", desc.Digest, err, d3)
	}
	left, _ := os.ReadDir(filepath.Join(h.Run.Dir, "out"))
	if len(left) != 2 || left[0].Name() != "bot" || left[1].Name() != "bot.bin" {
		t.Errorf("out/ holds %v, want only bot and bot.bin (the compiled binary, kept for go's up-to-date check)", left)
	}
	blobs, _ := os.ReadDir(filepath.Join(h.Run.Dir, "out/bot/blobs/sha256"))
	if len(blobs) != 3 {
		t.Errorf("the layout holds %d blobs, want 3 (layer, config, manifest)", len(blobs))
	}
	// compression = "fast": the same files, compressed otherwise (another digest, the same
	// layer content), and deterministic too.
	fast := `return oci.build_go{dir = "agents/my-bot", platform = "linux/arm64", files = {"prompts/"}, out = "out/fast", compression = "fast"}`
	f1 := field(t, h.Do(t, fast)[0], "digest")
	if f2 := field(t, h.Do(t, fast)[0], "digest"); f1 != f2 || f1 == d3 {
		t.Errorf("fast builds: %s then %s (the default's: %s)", f1, f2, d3)
	}
	got, want := layoutLayer(t, filepath.Join(h.Run.Dir, "out/fast")), layoutLayer(t, filepath.Join(h.Run.Dir, "out/bot"))
	sum := func(es []tarEntry) (out []string) {
		for _, e := range es {
			out = append(out, fmt.Sprintf("%s %o %x", e.hdr.Name, e.hdr.Mode, sha256.Sum256(e.data)))
		}
		return out
	}
	if g, w := sum(got), sum(want); !slices.Equal(g, w) {
		t.Errorf("the fast layer holds %v, the default one %v", g, w)
	}
}

func TestBuildGoErrors(t *testing.T) {
	h := newHarness(t)
	writeAgent(t, h.Run.Dir)
	writeFiles(t, h.Run.Dir, map[string]string{
		"agents/broken/go.mod":  "module example.com/broken\n\ngo 1.22\n",
		"agents/broken/main.go": "package main\n\nfunc main() {\n\tundefinedThing()\n}\n",
		"agents/lib/go.mod":     "module example.com/lib\n\ngo 1.22\n",
		"agents/lib/lib.go":     "package lib\n\nfunc F() {}\n",
		"agents/empty/go.mod":   "module example.com/empty\n\ngo 1.22\n",
		"notalayout/keep.txt":   "precious\n",
	})
	for src, want := range map[string]struct {
		code int
		msg  string
	}{
		`oci.build_go{dir = "agents/broken"}`:                                                 {1, "undefined: undefinedThing"},
		`oci.build_go{dir = "agents/lib"}`:                                                    {2, "is not a Go main package"},
		`oci.build_go{dir = "agents/empty"}`:                                                  {2, "is not a Go main package"},
		`oci.build_go{dir = "agents/nowhere"}`:                                                {2, "does not exist"},
		`oci.build_go{}`:                                                                      {2, "field dir is required"},
		`oci.build_go{dir = "agents/my-bot", platform = "arm64"}`:                             {2, "not a platform"},
		`oci.build_go{dir = "agents/my-bot", platform = "windows/amd64"}`:                     {2, "only linux"},
		`oci.build_go{dir = "agents/my-bot", files = {"missing.txt"}}`:                        {2, "files[1] missing.txt does not exist"},
		`oci.build_go{dir = "agents/my-bot", files = {"../../../etc/passwd"}}`:                {2, "outside the project"},
		`oci.build_go{dir = "agents/my-bot", files = {"agent"}}`:                              {2, "does not exist"},
		`oci.build_go{dir = "agents/my-bot", files = {{src = "config.yaml", dst = "agent"}}}`: {2, "/app/agent is given twice"},
		`oci.build_go{dir = "agents/my-bot", files = {{source = "x"}}}`:                       {2, `unknown option "files[1].source"`},
		`oci.build_go{dir = "agents/my-bot", out = "notalayout"}`:                             {2, "is not an OCI image layout"},
		`oci.build_go{dir = "agents/my-bot", out = "."}`:                                      {2, "would replace the project"},
		`oci.build_go{dir = "agents/my-bot", port = 70000}`:                                   {2, "not a TCP port"},
		`oci.build_go{dir = "agents/my-bot", base = "127.0.0.1:1/nothing:1"}`:                 {1, "fetching the base image"},
		`oci.build_go{dir = "agents/my-bot", compression = "max"}`:                            {2, `field compression must be "fast" or "small"`},
	} {
		e := engineError(t, h.Err(src))
		if e.Code != want.code || !strings.Contains(e.Msg, want.msg) || e.Hint == "" && want.code == 2 {
			t.Errorf("%s:\n got code %d %q (hint %q)\nwant code %d with %q", src, e.Code, e.Msg, e.Hint, want.code, want.msg)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(h.Run.Dir, "notalayout/keep.txt")); string(b) != "precious\n" {
		t.Error("a folder that is not a layout was touched")
	}
	e := engineError(t, h.Err(`oci.build_go{dir = "agents/broken"}`))
	if !strings.Contains(e.Hint, "GOARCH=") || !strings.Contains(e.Hint, "go build") {
		t.Errorf("compile error hint %q", e.Hint)
	}

	t.Setenv("PATH", t.TempDir())
	e = engineError(t, h.Err(`oci.build_go{dir = "agents/my-bot"}`))
	if e.Code != engine.ExitUsage || !strings.Contains(e.Msg, "no go toolchain") || !strings.Contains(e.Hint, "go.dev") {
		t.Errorf("without go: code %d %q hint %q", e.Code, e.Msg, e.Hint)
	}
}
