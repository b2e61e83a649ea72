package recipes_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
	"github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/recipes"
	"github.com/agentcore/agentcore/state"
)

// The project every Lua library test runs in (environment dev, selected), in a folder of its
// own: agentcore.toml below, an agent folder with a Dockerfile, and a file state store.
const testProject = `
[project]
name = "demo"

[agents.bot]
dockerfile = "agents/bot/Dockerfile"
environment = { LOG_LEVEL = "info" }

[environments.staging]
provider = "local"

[environments.dev]
provider = "local"

[environments.prod]
provider = "aws"
region = "eu-west-1"
account = "123456789012"
`

// TestLuaLibraries runs the unit tests of the stock Lua libraries: each lib/test/NAME_test.lua
// returns a table of test functions, each run in a fresh VM with every builtin, the stock
// libraries (require), and a fresh project and state. A test fakes the builtins it must not
// reach (the AWS and Docker calls) by replacing their tables or functions in Lua; a failed
// assert or error fails it.
func TestLuaLibraries(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("lib", "test", "*_test.lua"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Lua library tests in lib/test (%v)", err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		names := testNames(t, file, string(src))
		for _, name := range names {
			t.Run(strings.TrimSuffix(filepath.Base(file), ".lua")+"/"+name, func(t *testing.T) {
				h := newLuaHarness(t)
				res, err := h.VM.DoString(file, string(src))
				if err != nil {
					t.Fatalf("loading %s: %v", file, err)
				}
				tests := res[0].(*lua.LTable)
				if _, err := h.VM.Call(tests.RawGetString(name)); err != nil {
					t.Fatalf("%v\noutput:\n%s%s", err, h.Stdout, h.Stderr)
				}
			})
		}
	}
}

// testNames loads file once and lists the names of the functions it returns, sorted.
func testNames(t *testing.T, file, src string) []string {
	h := newLuaHarness(t)
	res, err := h.VM.DoString(file, src)
	if err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	tests, ok := res[0].(*lua.LTable)
	if len(res) != 1 || !ok {
		t.Fatalf("%s must return a table of test functions", file)
	}
	var names []string
	tests.ForEach(func(k, v lua.LValue) {
		if _, ok := v.(*lua.LFunction); ok && strings.HasPrefix(k.String(), "test_") {
			names = append(names, k.String())
		}
	})
	if len(names) == 0 {
		t.Fatalf("%s returns no test_ functions", file)
	}
	sort.Strings(names)
	return names
}

func newLuaHarness(t *testing.T) *enginetest.Harness {
	t.Helper()
	h := enginetest.NewWithRegistry(t, builtins.Registry(builtins.Deps{}))
	dir := h.Run.Dir
	for name, content := range map[string]string{
		project.FileName:           testProject,
		"agents/bot/Dockerfile":    "FROM scratch\nCOPY agent /agent\nENTRYPOINT [\"/agent\"]\n",
		"agents/bot/agent":         "a static binary",
		"agents/bot/.dockerignore": "*\n!agent\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := project.Load(filepath.Join(dir, project.FileName))
	if err != nil {
		t.Fatal(err)
	}
	store := state.NewFileStore(filepath.Join(dir, ".agentcore", "state"))
	h.Run.Project, h.Run.EnvName, h.Run.Store = p, "dev", store
	h.Run.Stores = map[string]state.Store{}
	for name := range p.Environments {
		h.Run.Stores[name] = store
	}
	h.VM.Recipes = &engine.Resolver{Stock: recipes.FS}
	return h
}
