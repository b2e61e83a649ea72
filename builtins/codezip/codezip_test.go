package codezip

import (
	"archive/zip"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

// makeWheel writes a minimal wheel: a module NAME/__init__.py saying which tag it was built
// for, and NAME-VER.dist-info/{METADATA,WHEEL,RECORD}.
func makeWheel(t testing.TB, dir, name, ver, tag string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%s-%s.whl", name, ver, tag)))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	info := name + "-" + ver + ".dist-info/"
	for _, e := range [][2]string{
		{name + "/__init__.py", fmt.Sprintf("TAG = %q\n", tag)},
		{info + "METADATA", fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n\nA test package.\n", name, ver)},
		{info + "WHEEL", fmt.Sprintf("Wheel-Version: 1.0\nGenerator: agentcore-test\nRoot-Is-Purelib: false\nTag: %s\n", tag)},
		{info + "RECORD", ""},
	} {
		w, err := zw.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, e[1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// wheels is a find-links folder: an aarch64 wheel, a manylinux_2_28 aarch64 one, a pure one,
// and one built only for x86_64 (CPython 3.11, the host's).
func wheels(t testing.TB) string {
	dir := t.TempDir()
	makeWheel(t, dir, "armpkg", "1.0", "cp312-cp312-manylinux2014_aarch64")
	makeWheel(t, dir, "newarm", "2.1", "cp312-cp312-manylinux_2_28_aarch64")
	makeWheel(t, dir, "purepkg", "0.3", "py3-none-any")
	makeWheel(t, dir, "x86only", "1.0", "cp311-cp311-manylinux2014_x86_64")
	return dir
}

// setup returns a harness whose project holds agents/bot with main.py, and points pip at
// wheels only (no index, no pip.conf) and AGENTCORE_HOME at a temp folder.
func setup(t *testing.T) (*enginetest.Harness, string) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/env"); err != nil {
		t.Skip("no /usr/bin/env")
	}
	t.Setenv("PIP_NO_INDEX", "1")
	t.Setenv("PIP_FIND_LINKS", wheels(t))
	t.Setenv("PIP_CONFIG_FILE", os.DevNull)
	t.Setenv("AGENTCORE_HOME", t.TempDir())
	h := enginetest.New(t, Module)
	agent := filepath.Join(h.Run.Dir, "agents", "bot")
	write(t, agent, "main.py", "print('hi')\n", 0o644)
	return h, agent
}

func write(t testing.TB, dir, name, content string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

type zipped struct {
	names []string
	files map[string]*zip.File
}

func readZip(t *testing.T, path string) zipped {
	t.Helper()
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	z := zipped{files: map[string]*zip.File{}}
	for _, f := range r.File {
		z.names = append(z.names, f.Name)
		z.files[f.Name] = f
	}
	return z
}

func (z zipped) text(t *testing.T, name string) string {
	t.Helper()
	f, ok := z.files[name]
	if !ok {
		t.Fatalf("%s not in the zip: %v", name, z.names)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func field(t *testing.T, v lua.LValue, name string) lua.LValue {
	t.Helper()
	tb, ok := v.(*lua.LTable)
	if !ok {
		t.Fatalf("result is a %s", v.Type())
	}
	return tb.RawGetString(name)
}

func list(v lua.LValue) []string {
	var out []string
	if tb, ok := v.(*lua.LTable); ok {
		tb.ForEach(func(_, x lua.LValue) { out = append(out, x.String()) })
	}
	return out
}

const pkgPython = `return zip.package{dir = "agents/bot", runtime = "PYTHON_3_12", entrypoint = {"main.py"}, out = ".agentcore/build/bot.zip"}`

func TestPythonAarch64(t *testing.T) {
	h, agent := setup(t)
	write(t, agent, "requirements.txt", "# deps\narmpkg\npurepkg==0.3\nnewarm\n", 0o644)
	write(t, agent, "tools/run.sh", "#!/bin/sh\n", 0o755)
	write(t, agent, "lib/util.py", "X = 1\n", 0o600)
	for _, junk := range []string{".git/HEAD", ".venv/bin/python", "__pycache__/main.cpython-312.pyc", "lib/__pycache__/u.pyc",
		"node_modules/x/index.js", ".agentcore/state.json", "old.pyc"} {
		write(t, agent, junk, "junk", 0o644)
	}

	res := h.Do(t, pkgPython)[0]
	if got := strings.Join(list(field(t, res, "deps")), " "); got != "armpkg==1.0 newarm==2.1 purepkg==0.3" {
		t.Errorf("deps = %q", got)
	}
	if field(t, res, "deps_cached") != lua.LFalse {
		t.Error("first package claims cached deps")
	}
	path := filepath.Join(h.Run.Dir, ".agentcore", "build", "bot.zip")
	if field(t, res, "path").String() != path {
		t.Errorf("path = %s", field(t, res, "path"))
	}
	z := readZip(t, path)
	want := []string{"armpkg-1.0.dist-info/METADATA", "armpkg-1.0.dist-info/RECORD", "armpkg-1.0.dist-info/WHEEL",
		"armpkg/__init__.py", "lib/util.py", "main.py"}
	for _, w := range want {
		if z.files[w] == nil {
			t.Errorf("%s missing from %v", w, z.names)
		}
	}
	if !strings.Contains(z.text(t, "armpkg/__init__.py"), "manylinux2014_aarch64") {
		t.Errorf("armpkg: %s", z.text(t, "armpkg/__init__.py"))
	}
	if !strings.Contains(z.text(t, "newarm/__init__.py"), "manylinux_2_28_aarch64") {
		t.Errorf("newarm: %s", z.text(t, "newarm/__init__.py"))
	}
	for _, n := range z.names {
		for _, bad := range []string{".git/", ".venv/", "__pycache__", "node_modules/", ".agentcore/", ".pyc"} {
			if strings.Contains(n, bad) {
				t.Errorf("%s is in the zip", n)
			}
		}
	}
	if !sort.StringsAreSorted(z.names) {
		t.Errorf("entries not sorted: %v", z.names)
	}
	for name, mode := range map[string]os.FileMode{"tools/run.sh": 0o755, "main.py": 0o644, "lib/util.py": 0o644, "armpkg/__init__.py": 0o644} {
		f := z.files[name]
		if f == nil {
			t.Errorf("%s missing", name)
			continue
		}
		if f.Mode().Perm() != mode || f.CreatorVersion>>8 != 3 {
			t.Errorf("%s: mode %v creator %d, want %v from Unix", name, f.Mode().Perm(), f.CreatorVersion>>8, mode)
		}
		if !f.Modified.Equal(zipEpoch) {
			t.Errorf("%s: modified %v", name, f.Modified)
		}
	}
	if n := int(field(t, res, "files").(lua.LNumber)); n != len(z.names) {
		t.Errorf("files = %d, zip has %d", n, len(z.names))
	}
	st, _ := os.Stat(path)
	if int64(field(t, res, "size").(lua.LNumber)) != st.Size() {
		t.Errorf("size = %v, file has %d", field(t, res, "size"), st.Size())
	}
	var unzipped int64
	for _, f := range z.files {
		unzipped += int64(f.UncompressedSize64)
	}
	if int64(field(t, res, "unzipped_size").(lua.LNumber)) != unzipped {
		t.Errorf("unzipped_size = %v, want %d", field(t, res, "unzipped_size"), unzipped)
	}

	// Again, with every mtime changed: the cache serves the deps, and the bytes are the same.
	sum := field(t, res, "sha256").String()
	later := time.Now().Add(time.Hour)
	filepath.Walk(agent, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, later, later) })
	res2 := h.Do(t, pkgPython)[0]
	if field(t, res2, "deps_cached") != lua.LTrue {
		t.Error("second package did not use the cache")
	}
	if got := field(t, res2, "sha256").String(); got != sum {
		t.Errorf("sha256 changed: %s then %s", sum, got)
	}
	// And without the cache: a fresh install, still the same bytes.
	res3 := h.Do(t, `return zip.package{dir = "agents/bot", runtime = "PYTHON_3_12", entrypoint = {"main.py"}, out = ".agentcore/build/bot.zip", cache = false}`)[0]
	if field(t, res3, "deps_cached") != lua.LFalse || field(t, res3, "sha256").String() != sum {
		t.Errorf("cache = false: cached %v, sha256 %s, want %s", field(t, res3, "deps_cached"), field(t, res3, "sha256"), sum)
	}
	// A change to the agent's code changes the sum.
	write(t, agent, "main.py", "print('bye')\n", 0o644)
	if got := field(t, h.Do(t, pkgPython)[0], "sha256").String(); got == sum {
		t.Error("sha256 did not change with main.py")
	}
	leftovers, _ := filepath.Glob(filepath.Join(h.Run.Dir, ".agentcore", "build", ".*tmp*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestNoAarch64Wheel(t *testing.T) {
	h, agent := setup(t)
	write(t, agent, "requirements.txt", "armpkg\nx86only==1.0\n", 0o644)
	err := h.Err(pkgPython)
	if err == nil || engine.ExitCode(err) != engine.ExitUsage || !strings.Contains(err.Error(), "dependency x86only==1.0") ||
		!strings.Contains(err.Error(), "no wheel for linux/aarch64") {
		t.Fatalf("err = %v (exit %d)", err, engine.ExitCode(err))
	}
	var ee *engine.Error
	if !asError(err, &ee) || !strings.Contains(ee.Hint, "x86only") || !strings.Contains(ee.Hint, "container") {
		t.Errorf("hint: %+v", ee)
	}
	if _, err := os.Stat(filepath.Join(h.Run.Dir, ".agentcore", "build", "bot.zip")); !os.IsNotExist(err) {
		t.Errorf("a zip was written: %v", err)
	}
	if entries, _ := os.ReadDir(CacheDir()); len(entries) != 0 {
		t.Errorf("cache holds %d entries after a failed install: %s", len(entries), entries[0].Name())
	}
}

func TestHostTarget(t *testing.T) {
	h, agent := setup(t)
	write(t, agent, "requirements.txt", "x86only\n", 0o644)
	res := h.Do(t, `return zip.package{dir = "agents/bot", runtime = "PYTHON_3_12", entrypoint = "main.py", target = "host"}`)[0]
	if got := strings.Join(list(field(t, res, "deps")), " "); got != "x86only==1.0" {
		t.Errorf("deps = %q", got)
	}
	// The default out is .agentcore/build/<folder>.zip.
	z := readZip(t, filepath.Join(h.Run.Dir, ".agentcore", "build", "bot.zip"))
	if !strings.Contains(z.text(t, "x86only/__init__.py"), "x86_64") {
		t.Errorf("zip: %v", z.names)
	}
}

func TestPyproject(t *testing.T) {
	h, agent := setup(t)
	write(t, agent, "pyproject.toml", "[project]\nname = \"bot\"\nversion = \"1\"\ndependencies = [\"purepkg>=0.1\"]\n[tool.x]\ny = 1\n", 0o644)
	res := h.Do(t, pkgPython)[0]
	if got := strings.Join(list(field(t, res, "deps")), " "); got != "purepkg==0.3" {
		t.Errorf("deps = %q", got)
	}
	// No dependencies at all: only the agent's files.
	write(t, agent, "pyproject.toml", "[project]\nname = \"bot\"\n", 0o644)
	res = h.Do(t, pkgPython)[0]
	if n := len(list(field(t, res, "deps"))); n != 0 || field(t, res, "files").String() != "2" {
		t.Errorf("deps %d, files %s", n, field(t, res, "files"))
	}
}

func TestNode(t *testing.T) {
	h, agent := setup(t)
	write(t, agent, "index.js", "console.log('hi')\n", 0o644)
	write(t, agent, "package.json", `{"name": "bot", "version": "1.0.0", "devDependencies": {"jest": "*"}}`, 0o644)
	write(t, agent, "node_modules/jest/index.js", "dev only", 0o644)
	res := h.Do(t, `return zip.package{dir = "agents/bot", runtime = "NODE_22", entrypoint = {"index.js"}}`)[0]
	z := readZip(t, field(t, res, "path").String())
	if strings.Join(z.names, " ") != "index.js main.py package.json" {
		t.Errorf("zip: %v", z.names)
	}
}

func TestLimits(t *testing.T) {
	h, agent := setup(t)
	write(t, agent, "data/big.bin", strings.Repeat("a", 100_000), 0o644)
	defer func(z, u int64) { MaxZippedSize, MaxUnzippedSize = z, u }(MaxZippedSize, MaxUnzippedSize)
	out := filepath.Join(h.Run.Dir, ".agentcore", "build", "bot.zip")

	MaxUnzippedSize = 50_000
	err := h.Err(pkgPython)
	if err == nil || engine.ExitCode(err) != engine.ExitUsage || !strings.Contains(err.Error(), "unzipped") ||
		!strings.Contains(err.Error(), "at most 48.8 KB unzipped") {
		t.Fatalf("unzipped: %v", err)
	}
	var ee *engine.Error
	if !asError(err, &ee) || !strings.Contains(ee.Hint, "data/ 97.7 KB") {
		t.Errorf("hint: %+v", ee)
	}

	MaxUnzippedSize, MaxZippedSize = 1<<30, 100 // the zip of 100 kB of "a" is a few hundred bytes
	err = h.Err(pkgPython)
	if err == nil || engine.ExitCode(err) != engine.ExitUsage || !strings.Contains(err.Error(), "zipped") {
		t.Fatalf("zipped: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a zip over the limit was written: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestUsage(t *testing.T) {
	h, _ := setup(t)
	for src, want := range map[string]string{
		`zip.package{dir = "agents/bot", runtime = "PYTHON_2_7", entrypoint = {"main.py"}}`:                  "runtime \"PYTHON_2_7\" is not an AgentCore runtime",
		`zip.package{dir = "agents/bot", runtime = "PYTHON_3_12", entrypoint = {"app.py"}}`:                  "entrypoint app.py not found in",
		`zip.package{dir = "agents/none", runtime = "PYTHON_3_12", entrypoint = {"main.py"}}`:                "agent folder",
		`zip.package{dir = "agents/bot", runtime = "PYTHON_3_12", entrypoint = {"main.py"}, target = "x86"}`: `field target must be "aarch64" or "host", got "x86"`,
		`zip.package{dir = "agents/bot", runtime = "PYTHON_3_12", entry = {"main.py"}}`:                      `did you mean "entrypoint"?`,
		`zip.package{dir = "agents/bot", entrypoint = {"main.py"}}`:                                          "field runtime is required",
		`zip.package{dir = "agents/bot", runtime = "PYTHON_3_12", entrypoint = {"../x.py"}}`:                 "outside",
	} {
		err := h.Err(src)
		if err == nil || !strings.Contains(err.Error(), want) || engine.ExitCode(err) != engine.ExitUsage {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
	// The unknown-runtime error lists the valid ones.
	err := h.Err(`zip.package{dir = "agents/bot", runtime = "JAVA", entrypoint = {"main.py"}}`)
	var ee *engine.Error
	if !asError(err, &ee) || !strings.Contains(ee.Hint, "PYTHON_3_10, PYTHON_3_11, PYTHON_3_12, PYTHON_3_13, PYTHON_3_14, NODE_22") {
		t.Errorf("hint: %+v", ee)
	}
	// A command before the file is fine: only file-like items are checked.
	h.Do(t, `zip.package{dir = "agents/bot", runtime = "PYTHON_3_12", entrypoint = {"opentelemetry-instrument", "main.py"}}`)
}

func asError(err error, target **engine.Error) bool {
	e, ok := err.(*engine.Error)
	if ok {
		*target = e
	}
	return ok
}

// TestPipNetwork: an index pip cannot reach is a network failure (exit 1) whose hint names the
// offline ways (PIP_FIND_LINKS, PIP_INDEX_URL), not a package "not found" (exit 2).
func TestPipNetwork(t *testing.T) {
	h, agent := setup(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := closed.Addr().String()
	closed.Close() // nothing listens there now
	t.Setenv("PIP_NO_INDEX", "")
	t.Setenv("PIP_FIND_LINKS", "")
	t.Setenv("PIP_INDEX_URL", "http://"+addr+"/simple")
	t.Setenv("PIP_RETRIES", "1")
	write(t, agent, "requirements.txt", "somepkg\n", 0o644)
	err = h.Err(`return zip.package{dir = "agents/bot", runtime = "PYTHON_3_12", entrypoint = "main.py", target = "host"}`)
	var ee *engine.Error
	if err == nil || engine.ExitCode(err) != engine.ExitFailure || !asError(err, &ee) ||
		!strings.Contains(ee.Msg, "could not reach its package index") || strings.Contains(ee.Msg, "not found by pip") {
		t.Fatalf("err = %v (exit %d)", err, engine.ExitCode(err))
	}
	if !strings.Contains(ee.Hint, "PIP_FIND_LINKS") || !strings.Contains(ee.Hint, "PIP_INDEX_URL") || !strings.Contains(ee.Hint, "PIP_NO_INDEX") {
		t.Errorf("hint: %s", ee.Hint)
	}
	if got := pipNetworkError([]byte("ERROR: No matching distribution found for somepkg\n")); got != "" {
		t.Errorf("a plain not-found is taken for a network failure: %q", got)
	}
}

// TestPipNotFound: with no index and an empty find-links folder, a package is not found: exit 2.
func TestPipNotFound(t *testing.T) {
	h, agent := setup(t)
	t.Setenv("PIP_FIND_LINKS", t.TempDir())
	write(t, agent, "requirements.txt", "nosuchpkg\n", 0o644)
	err := h.Err(`return zip.package{dir = "agents/bot", runtime = "PYTHON_3_12", entrypoint = "main.py", target = "host"}`)
	if err == nil || engine.ExitCode(err) != engine.ExitUsage || !strings.Contains(err.Error(), "nosuchpkg") ||
		!strings.Contains(err.Error(), "was not found by pip") {
		t.Fatalf("err = %v (exit %d)", err, engine.ExitCode(err))
	}
}
