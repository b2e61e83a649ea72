package engine_test

import (
	"context"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
	"github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/state"
)

// auditMod records an agent in the selected environment's state (as a deploy would), and
// refuses input as a usage error.
var auditMod = &engine.Module{Name: "audit", Funcs: []engine.Func{
	{Name: "record", Params: "agent: string, version: integer", Fn: func(L *lua.LState) int {
		r := engine.FromL(L)
		name, n := L.CheckString(1), L.CheckInt(2)
		_, err := engine.Unlocked(L, func(ctx context.Context) (struct{}, error) {
			st, err := r.Store.Load(ctx, r.EnvName)
			if err != nil {
				return struct{}{}, err
			}
			st.Agents[name] = &state.Agent{RuntimeName: name, RuntimeID: "rt-" + name,
				Versions: []state.Version{{Number: n, Digest: "sha256:abc"}}, Endpoints: map[string]*state.Endpoint{"DEFAULT": {Version: n}}}
			return struct{}{}, r.Store.Save(ctx, r.EnvName, st)
		})
		if err != nil {
			engine.Raise(L, err)
		}
		return 0
	}},
	{Name: "refuse", Fn: func(L *lua.LState) int {
		engine.Raise(L, engine.Usagef("", "bad input"))
		return 0
	}},
}}

func auditHarness(t *testing.T) (*enginetest.Harness, *state.HistoryLog) {
	dir := t.TempDir()
	h := enginetest.New(t, auditMod)
	store := state.NewFileStore(dir)
	h.Run.Project = &project.Project{Name: "p", Environments: map[string]*project.Environment{"main": {Name: "main"}, "b": {Name: "b"}}}
	h.Run.EnvName, h.Run.Store = "main", store
	h.Run.Stores = map[string]state.Store{"main": store, "b": store}
	h.Run.History = state.NewHistoryLog(dir)
	h.Run.Command = "agentcore demo"
	return h, h.Run.History
}

func runRecipe(t *testing.T, h *enginetest.Harness, src string, args map[string]lua.LValue) error {
	t.Helper()
	rc, err := h.VM.LoadRecipe(engine.Source{Name: "demo", Chunk: "recipes/demo.lua", Code: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	tbl := h.VM.L.NewTable()
	for k, v := range args {
		tbl.RawSetString(k, v)
	}
	_, err = h.VM.Execute(rc, tbl, false)
	return err
}

const demoRecipe = `return recipe {
  description = "demo",
  changes = function(args) return args.mode ~= "look" end,
  args = { { name = "mode", type = "string" } },
  run = function(args)
    if args.mode == "refuse" then audit.refuse() end
    audit.record("bot", args.mode == "fail" and 2 or 1)
    if args.mode == "fail" then error("it broke") end
    if args.mode == "both" then with_env("b", function() audit.record("other", 3) end) end
  end,
}`

func TestHistoryEntryPerEnvironmentWithWhatChanged(t *testing.T) {
	h, log := auditHarness(t)
	if err := runRecipe(t, h, demoRecipe, map[string]lua.LValue{"mode": lua.LString("both")}); err != nil {
		t.Fatal(err)
	}
	for env, want := range map[string]string{"main": "bot", "b": "other"} {
		es, err := log.List(env)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 {
			t.Fatalf("%s: %d entries, want 1", env, len(es))
		}
		e := es[0]
		if e.Outcome != state.OutcomeOK || e.Recipe != "demo" || e.Command != "agentcore demo" || e.EndedAt == nil || e.Who == "" || e.Git == "" {
			t.Fatalf("%s: entry %+v", env, e)
		}
		if len(e.Agents) != 1 || e.Agents[0] != want || len(e.Changes) == 0 || e.Changes[0].Agent != want {
			t.Fatalf("%s: agents %v changes %+v, want %s", env, e.Agents, e.Changes, want)
		}
	}
}

func TestHistoryFailedRefusedAndReadOnlyRuns(t *testing.T) {
	h, log := auditHarness(t)
	if err := runRecipe(t, h, demoRecipe, map[string]lua.LValue{"mode": lua.LString("look")}); err != nil {
		t.Fatal(err)
	}
	if es, _ := log.List("main"); len(es) != 0 {
		t.Fatalf("a run that declares no change left %d entries", len(es))
	}
	if err := runRecipe(t, h, demoRecipe, map[string]lua.LValue{"mode": lua.LString("refuse")}); engine.ExitCode(err) != engine.ExitUsage {
		t.Fatalf("refuse: %v", err)
	}
	if es, _ := log.List("main"); len(es) != 0 {
		t.Fatalf("refused input (exit 2, nothing changed) left %d entries", len(es))
	}
	if err := runRecipe(t, h, demoRecipe, map[string]lua.LValue{"mode": lua.LString("fail")}); err == nil {
		t.Fatal("fail: no error")
	}
	es, _ := log.List("main")
	if len(es) != 1 || es[0].Outcome != state.OutcomeFailed || !strings.Contains(es[0].Error, "it broke") || len(es[0].Changes) == 0 {
		t.Fatalf("a failed run: %+v", es)
	}
}

func TestRecipeChangesMustBeABooleanOrAFunction(t *testing.T) {
	h, _ := auditHarness(t)
	_, err := h.VM.LoadRecipe(engine.Source{Name: "demo", Chunk: "recipes/demo.lua",
		Code: []byte(`return recipe { description = "d", changes = "yes", run = function() end }`)})
	if err == nil || !strings.Contains(err.Error(), "changes must be a boolean or a function") {
		t.Fatalf("got %v", err)
	}
}

// Ctrl-C: the run ends with exit 130 (here raised as the engine raises it for a cancelled
// run), and its entry still gets its end, as interrupted.
func TestHistoryInterruptedRunIsRecordedSo(t *testing.T) {
	h, log := auditHarness(t)
	src := `return recipe { description = "d", changes = true, run = function() audit.record("bot", 1); error({code = 130, message = "interrupted"}) end }`
	err := runRecipe(t, h, src, nil)
	if engine.ExitCode(err) != engine.ExitInterrupted {
		t.Fatalf("err %v (exit %d)", err, engine.ExitCode(err))
	}
	es, _ := log.List("main")
	if len(es) != 1 || es[0].Outcome != state.OutcomeInterrupted || es[0].EndedAt == nil || len(es[0].Changes) == 0 {
		t.Fatalf("entries %+v", es)
	}
}
