package engine

import (
	"encoding/json"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Error tables a recipe raises itself:
//
//	error{ message = "the bucket is not empty", hint = "empty it first", code = 2 }
//
// keep the position of the error call (Lua adds one to a string message only), so the user
// reads "recipes/x.lua:7: the bucket is not empty" and the hint, and the run exits with code.
// A table without a message is shown as JSON, with its position. The replacement error is
// installed by NewVM.

// installError replaces the global error with one that records the position in tables.
func installError(L *lua.LState) {
	L.SetGlobal("error", L.NewFunction(func(L *lua.LState) int {
		obj, level := L.CheckAny(1), L.OptInt(2, 1)
		if t, ok := obj.(*lua.LTable); ok && t.RawGetString("where") == lua.LNil {
			if level > 0 {
				if w := L.Where(level); w != "" && !strings.HasPrefix(w, "[G]") {
					t.RawSetString("where", lua.LString(w))
				}
			}
			if L.GetMetatable(t) == lua.LNil {
				L.SetMetatable(t, L.GetTypeMetatable(errorMeta))
			}
		}
		L.Error(obj, level) // what Lua's error does: a string gets the position of level
		return 0
	}))
}

// tableMessage is what a raised table without a message reads as: its fields as JSON.
func tableMessage(t *lua.LTable) string {
	g, err := ToGo(t)
	if m, ok := g.(map[string]any); ok {
		delete(m, "where")
	}
	if err == nil {
		if b, err := json.Marshal(g); err == nil {
			return "error " + string(b)
		}
	}
	return "error " + Inspect(t)
}

// mergeTrace puts a failed parallel branch's own traceback (inner, the frames inside the
// branch) before the traceback of where parallel raised it (outer). The branch's function is
// the bottom of its thread, which Lua calls the main chunk: it is named for the branch.
func mergeTrace(inner, branch, outer string) string {
	if inner == "" {
		return outer
	}
	lines := strings.Split(strings.TrimRight(inner, "\n"), "\n")
	for len(lines) > 1 && strings.TrimSpace(lines[len(lines)-1]) == "[G]: ?" {
		lines = lines[:len(lines)-1]
	}
	last := len(lines) - 1
	lines[last] = strings.Replace(lines[last], "in main chunk", "in parallel branch '"+branch+"'", 1)
	return strings.Join(lines, "\n") + strings.TrimPrefix(outer, "stack traceback:")
}
