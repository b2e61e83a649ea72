package engine

import (
	"fmt"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// A builtin module's table answers an unknown name with an error instead of nil, so that
// ui.sucess("...") says what is wrong instead of "attempt to call a non-function object":
//
//	`ui.sucess` is not a function of ui (did you mean ui.ok?)
//
// Reading an undefined global is nil, as in Lua, except when its name is a typo of a defined
// global (a builtin module, an engine global, a Lua function, a global the recipe set): one
// edit away for names of 3 or 4 letters, two for longer ones. Then it is an error with a
// did-you-mean (`exce` is not defined (did you mean exec?)). Recipes that test an optional
// global (if jit then ... end) keep working; rawget(_G, name) never raises.

func moduleMeta(L *lua.LState, m *Module) *lua.LTable {
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		key := L.Get(2)
		var known []string
		t.ForEach(func(k, _ lua.LValue) {
			if s, ok := k.(lua.LString); ok {
				known = append(known, string(s))
			}
		})
		sort.Strings(known)
		name := fmt.Sprintf("%s.%s", m.Name, key.String())
		if key.Type() != lua.LTString {
			name = fmt.Sprintf("%s[%s]", m.Name, key.String())
		}
		hint := "the functions of " + m.Name + " are: " + strings.Join(known, ", ") + " (agentcore docs lists them)"
		msg := fmt.Sprintf("`%s` is not a function of %s", name, m.Name)
		if s := closestName(key.String(), known); s != "" && key.Type() == lua.LTString {
			msg += fmt.Sprintf(" (did you mean %s.%s?)", m.Name, s)
		}
		RaiseUsage(L, hint, "%s", msg)
		return 0
	}))
	return mt
}

// installGlobalsMeta makes a typo of a defined global an error (see above).
func installGlobalsMeta(L *lua.LState) {
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		g := L.CheckTable(1)
		key, ok := L.Get(2).(lua.LString)
		if !ok || strings.HasPrefix(string(key), "_") { // _ENV and the like: compatibility probes
			return 0
		}
		var known []string
		g.ForEach(func(k, v lua.LValue) {
			if s, ok := k.(lua.LString); ok && !strings.HasPrefix(string(s), "_") {
				known = append(known, string(s))
			}
		})
		sort.Strings(known)
		if s := closestName(string(key), known); s != "" {
			RaiseUsage(L, "agentcore docs lists the builtin modules and globals",
				"`%s` is not defined (did you mean %s?)", string(key), s)
		}
		return 0
	}))
	L.SetMetatable(L.G.Global, mt)
}
