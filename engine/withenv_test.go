package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
	"github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/state"
)

// probeMod reports what a builtin sees of the run, and meets other branches off the Lua
// thread (a branch reaches meet only when the others run at the same time).
func probeMod(dir string) *engine.Module {
	var mu sync.Mutex
	count := 0
	return &engine.Module{Name: "probe", Funcs: []engine.Func{
		{Name: "env", Returns: "string", Fn: func(L *lua.LState) int {
			L.Push(lua.LString(engine.FromL(L).EnvName))
			return 1
		}},
		{Name: "locked", Params: "name: string", Returns: "boolean", Fn: func(L *lua.LState) int {
			_, err := os.Stat(filepath.Join(dir, L.CheckString(1)+".lock"))
			L.Push(lua.LBool(err == nil))
			return 1
		}},
		{Name: "meet", Fn: func(L *lua.LState) int {
			// meet(k) returns once k calls have arrived in all (off the Lua thread).
			k := L.CheckInt(1)
			_, err := engine.Unlocked(L, func(ctx context.Context) (struct{}, error) {
				mu.Lock()
				count++
				mu.Unlock()
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
					mu.Lock()
					n := count
					mu.Unlock()
					if n >= k {
						return struct{}{}, nil
					}
				}
				return struct{}{}, errors.New("the other branches never arrived")
			})
			if err != nil {
				engine.Raise(L, err)
			}
			return 0
		}},
	}}
}

// with_env inside parallel branches: each branch acts on its own environment, under its own
// lock, at the same time; the run's environment is untouched.
func TestWithEnvInParallelBranches(t *testing.T) {
	dir := t.TempDir()
	h := enginetest.New(t, probeMod(dir))
	store := state.NewFileStore(dir)
	h.Run.Project = &project.Project{Name: "p", Environments: map[string]*project.Environment{
		"main": {Name: "main"}, "a": {Name: "a"}, "b": {Name: "b"}}}
	h.Run.EnvName, h.Run.Store = "main", store
	h.Run.Stores = map[string]state.Store{"main": store, "a": store, "b": store}
	res := h.Do(t, `
		local r = parallel{
			one = function() return with_env("a", function()
				probe.meet(2) -- both branches are inside their with_env at once
				local inner = parallel(function() return probe.env() end)
				local locks = tostring(probe.locked("a")) .. tostring(probe.locked("b"))
				probe.meet(4) -- and stay there until both looked
				return probe.env() .. "/" .. inner .. "/" .. locks
			end) end,
			two = function() return with_env("b", function()
				probe.meet(2)
				local locks = tostring(probe.locked("b"))
				probe.meet(4)
				return probe.env() .. "/" .. locks
			end) end,
		}
		return r.one, r.two, probe.env(), tostring(probe.locked("a"))`)
	got := []string{res[0].String(), res[1].String(), res[2].String(), res[3].String()}
	want := []string{"a/a/truetrue", "b/true", "main", "false"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
