package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"

	"github.com/agentcore/agentcore/builtins"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/recipes"
)

// docs/reference.md is generated: it must be exactly what `agentcore docs` prints.
func TestReferenceIsGenerated(t *testing.T) {
	want, err := os.ReadFile("../../docs/reference.md")
	if err != nil {
		t.Fatal(err)
	}
	if got := docGen().Reference(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("docs/reference.md is stale (regenerate it: go run ./cmd/agentcore docs > docs/reference.md); first difference at line %d:\n got: %s\nfile: %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("docs/reference.md is stale (regenerate it: go run ./cmd/agentcore docs > docs/reference.md): %d lines generated, %d in the file", len(gl), len(wl))
	}
}

// docs/toml.md is generated: it must be exactly what `agentcore docs toml` prints.
func TestTOMLReferenceIsGenerated(t *testing.T) {
	want, err := os.ReadFile("../../docs/toml.md")
	if err != nil {
		t.Fatal(err)
	}
	if got := project.TOMLReference(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("docs/toml.md is stale (regenerate it: go run ./cmd/agentcore docs toml > docs/toml.md); first difference at line %d:\n got: %s\nfile: %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("docs/toml.md is stale (regenerate it: go run ./cmd/agentcore docs toml > docs/toml.md): %d lines generated, %d in the file", len(gl), len(wl))
	}
}

// declared parses a stub as Lua and returns the functions it defines ("ui.table", "parallel",
// "M.parse_version") and the globals it assigns.
func declared(t *testing.T, name, src string) map[string]bool {
	t.Helper()
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		t.Fatalf("%s does not parse as Lua: %v", name, err)
	}
	out := map[string]bool{}
	for _, st := range chunk {
		switch st := st.(type) {
		case *ast.FuncDefStmt:
			switch f := st.Name.Func.(type) {
			case *ast.IdentExpr:
				out[f.Value] = true
			case *ast.AttrGetExpr:
				obj, ok1 := f.Object.(*ast.IdentExpr)
				key, ok2 := f.Key.(*ast.StringExpr)
				if ok1 && ok2 {
					out[obj.Value+"."+key.Value] = true
				}
			}
		case *ast.AssignStmt:
			for _, l := range st.Lhs {
				if id, ok := l.(*ast.IdentExpr); ok {
					out[id.Value] = true
				}
			}
		}
	}
	return out
}

var (
	classDeclRE = regexp.MustCompile(`(?m)^---@class (\S+)$`)
	typeUseRE   = regexp.MustCompile(`(?m)^---@(?:param|return|field) (?:\S+\?? )?(.+?)(?: \w+)?$`)
	identRE     = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_.]*`)
)

// The LuaLS stubs are valid Lua, define every registered module, function and engine global,
// and declare every class they name.
func TestLuaLSStubs(t *testing.T) {
	src := docGen().LuaLS()
	got := declared(t, "agentcore.lua", src)
	n := 0
	for _, f := range engine.Globals() {
		n++
		if !got[f.Name] {
			t.Errorf("the stubs do not declare the global %s", f.Name)
		}
	}
	for _, m := range builtins.Registry(builtins.Deps{}).Modules() {
		if !got[m.Name] {
			t.Errorf("the stubs do not declare the module table %s", m.Name)
		}
		for _, f := range m.Funcs {
			n++
			if !got[m.Name+"."+f.Name] {
				t.Errorf("the stubs do not declare %s.%s", m.Name, f.Name)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d functions registered; the registry looks empty", n)
	}
	classes := map[string]bool{}
	for _, m := range classDeclRE.FindAllStringSubmatch(src, -1) {
		classes[m[1]] = true
	}
	known := map[string]bool{"nil": true, "any": true, "string": true, "number": true, "integer": true, "boolean": true,
		"table": true, "function": true, "userdata": true, "thread": true, "fun": true, "true": true, "false": true}
	for _, m := range typeUseRE.FindAllStringSubmatch(src, -1) {
		typ := regexp.MustCompile(`"[^"]*"`).ReplaceAllString(m[1], "")
		typ = regexp.MustCompile(`fun\([^)]*\)`).ReplaceAllString(typ, "fun")
		for _, id := range identRE.FindAllString(typ, -1) {
			if !known[id] && !classes[id] {
				t.Errorf("the stubs use the type %s (in %q) without declaring it", id, m[0])
			}
		}
	}

	// The deploy library: every public function of recipes/lib/deploy.lua.
	dep, err := docGen().DeployStubs()
	if err != nil {
		t.Fatal(err)
	}
	got = declared(t, "deploy.lua", dep)
	lib, _ := recipes.FS.ReadFile("lib/deploy.lua")
	fns := regexp.MustCompile(`(?m)^function M\.(\w+)\(`).FindAllStringSubmatch(string(lib), -1)
	if len(fns) < 40 {
		t.Fatalf("found %d functions in deploy.lua", len(fns))
	}
	for _, m := range fns {
		if !got["M."+m[1]] {
			t.Errorf("the deploy stubs do not declare deploy.%s", m[1])
		}
	}
	if !strings.HasPrefix(dep, "---@meta deploy\n") {
		t.Errorf("the deploy stubs do not start with ---@meta deploy")
	}
}

// A field the Go code requires (its struct field has no omitempty) shows as required in the
// reference and in the LuaLS stubs: `context: string`, never `context?: string`.
func TestRequiredFieldsShowRequired(t *testing.T) {
	ref, stubs := docGen().Reference(), docGen().LuaLS()
	for _, c := range []struct{ class, field, typ string }{
		{"docker.BuildOpts", "context", "string"},
		{"oci.CopyOpts", "from", "string"},
		{"oci.PushOpts", "to", "string"},
		{"zip.PackageOpts", "runtime", "string"},
		{"exec.Result", "code", "integer"},
		{"store.Status", "path", "string"},
	} {
		line := regexp.MustCompile("(?m)^- `" + regexp.QuoteMeta(c.class) + "`.*$").FindString(ref)
		if !strings.Contains(line, "`"+c.field+": "+c.typ+"`") {
			t.Errorf("reference: %s.%s is not shown required: %s", c.class, c.field, line)
		}
		stub := regexp.MustCompile(`(?s)---@class ` + regexp.QuoteMeta(c.class) + `\n(.*?)\n\n`).FindStringSubmatch(stubs)
		if stub == nil || !strings.Contains(stub[1]+"\n", "---@field "+c.field+" "+c.typ+"\n") {
			t.Errorf("LuaLS stubs: %s.%s is not shown required: %q", c.class, c.field, stub)
		}
	}
}
