package engine_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

const bindRecipe = `return recipe {
  description = "binding test",
  args = {
    { name = "agent", type = "string", positional = true, required = true },
    { name = "count", type = "int", default = 3 },
    { name = "dry-run", type = "bool" },
    { name = "tag", type = "list" },
    { name = "mode", type = "string", choices = { "fast", "safe" }, default = "safe" },
    { name = "rest", type = "list", positional = true },
  },
  run = function(args) return args end,
}`

func bind(t testing.TB, h *enginetest.Harness, argv []string) (map[string]any, error) {
	rc, err := h.VM.LoadRecipe(engine.Source{Name: "bindtest", Chunk: "bindtest.lua", Code: []byte(bindRecipe)})
	if err != nil {
		t.Fatal(err)
	}
	fs := pflag.NewFlagSet("bindtest", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	b := rc.AddFlags(fs)
	if err := fs.Parse(argv); err != nil {
		return nil, err
	}
	tbl, err := b.Table(h.VM.L, fs.Args())
	if err != nil {
		return nil, err
	}
	g, err := engine.ToGo(tbl)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := g.(map[string]any)
	return m, nil
}

func TestBindArguments(t *testing.T) {
	h := enginetest.New(t)
	m, err := bind(t, h, []string{"bot", "--count", "5", "--dry-run", "--tag", "a", "--tag", "b", "x", "y"})
	if err != nil {
		t.Fatal(err)
	}
	if m["agent"] != "bot" || m["count"] != int64(5) || m["dry_run"] != true || m["mode"] != "safe" {
		t.Fatalf("bound = %#v", m)
	}
	if tags, _ := m["tag"].([]any); len(tags) != 2 {
		t.Fatalf("tags = %#v", m["tag"])
	}
	if rest, _ := m["rest"].([]any); len(rest) != 2 || rest[1] != "y" {
		t.Fatalf("rest = %#v", m["rest"])
	}
	for _, c := range []struct {
		argv []string
		want string
	}{
		{nil, "missing argument AGENT"},
		{[]string{"bot", "--mode", "slow"}, "mode must be one of fast, safe"},
	} {
		_, err := bind(t, h, c.argv)
		var e *engine.Error
		if !errors.As(err, &e) || e.Code != engine.ExitUsage || !strings.Contains(e.Msg, c.want) {
			t.Errorf("%v: err = %v, want usage error %q", c.argv, err, c.want)
		}
	}
	if _, err := bind(t, h, []string{"bot", "--count", "many"}); err == nil {
		t.Error("--count many accepted")
	}
}

func TestRecipeDeclarationErrors(t *testing.T) {
	h := enginetest.New(t)
	for src, want := range map[string]string{
		`return recipe { run = function() end }`: "field description is required (a string)",
		`return recipe { description = "x" }`:    "field run is required (a function)",
		`return recipe { description = "x", run = function() end, args = {{ name = "a", type = "float" }} }`: `type must be "string", "int", "bool" or "list", got "float"`,
		`return recipe { description = "x", run = function() end, desc = 1 }`:                                `unknown field "desc"`,
		`return 42`: "returns a number",
	} {
		_, err := h.VM.LoadRecipe(engine.Source{Name: "bad", Chunk: "recipes/bad.lua", Code: []byte(src)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
}

// FuzzBind throws arbitrary command lines at argument binding: it must bind or return a
// usage error, never panic.
func FuzzBind(f *testing.F) {
	for _, s := range []string{"bot --count 5", "--tag", "bot -- --count", "bot --mode=fast x y z", "--dry-run=maybe"} {
		f.Add(s)
	}
	h := enginetest.New(f)
	f.Fuzz(func(t *testing.T, line string) {
		m, err := bind(t, h, strings.Fields(line))
		if err == nil && m["agent"] == nil {
			t.Fatalf("bound without the required agent: %q", line)
		}
	})
}

// An after_dash list takes only what follows "--" (a command to run), so that a command's own
// flags are never the recipe's, and a command given without "--" is refused.
func TestBindAfterDash(t *testing.T) {
	h := enginetest.New(t)
	rc, err := h.VM.LoadRecipe(engine.Source{Name: "exec", Chunk: "exec.lua", Code: []byte(`return recipe {
  description = "after dash",
  args = {
    { name = "agent", type = "string", positional = true, required = true },
    { name = "command", type = "list", positional = true, required = true, after_dash = true },
    { name = "session", type = "string" },
  },
  run = function(args) return args end,
}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := rc.UsageLine(); got != "exec AGENT [flags] -- COMMAND..." {
		t.Errorf("usage line %q", got)
	}
	run := func(argv ...string) ([]any, error) {
		fs := pflag.NewFlagSet("exec", pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		b := rc.AddFlags(fs)
		if err := fs.Parse(argv); err != nil {
			return nil, err
		}
		tbl, err := b.Table(h.VM.L, fs.Args())
		if err != nil {
			return nil, err
		}
		g, _ := engine.ToGo(tbl)
		cmd, _ := g.(map[string]any)["command"].([]any)
		return cmd, nil
	}
	cmd, err := run("bot", "--session", "s", "--", "ls", "--session", "-l")
	if err != nil || len(cmd) != 3 || cmd[1] != "--session" {
		t.Fatalf("command %#v, %v", cmd, err)
	}
	for argv, want := range map[string]string{
		"bot ls":          "COMMAND goes after --",
		"bot --":          "missing COMMAND",
		"bot extra -- ls": `unexpected argument "extra" before --`,
		"-- bot ls":       "-- comes after the other arguments",
	} {
		_, err := run(strings.Fields(argv)...)
		var e *engine.Error
		if !errors.As(err, &e) || e.Code != engine.ExitUsage || !strings.Contains(e.Msg, want) {
			t.Errorf("%s: err = %v, want usage error %q", argv, err, want)
		}
	}
	if _, err := h.VM.LoadRecipe(engine.Source{Name: "bad", Chunk: "bad.lua", Code: []byte(`return recipe {
  description = "x", run = function() end,
  args = {{ name = "command", type = "string", after_dash = true }} }`)}); err == nil || !strings.Contains(err.Error(), "after_dash is for a list positional") {
		t.Errorf("after_dash on a flag: %v", err)
	}
}
