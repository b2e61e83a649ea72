package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/project"
)

// Composition: a recipe loaded with stock(NAME) or load_recipe(NAME) has
//
//	.run(args)   the recipe's own function: args go in as given, nothing is checked or
//	             defaulted (for a wrapper that already has a bound table, e.g. its own args)
//	.call(args)  args bound as the command line binds them: names with - or _, types
//	             converted and checked, choices, required arguments, defaults; then run
//
// A mistake in .call's table is an exit-2 error at the caller's line, with a did-you-mean.

// addCall gives the recipe table t (loaded from rc) its call function.
func addCall(L *lua.LState, t *lua.LTable, rc *Recipe) {
	t.RawSetString("call", L.NewFunction(func(L *lua.LState) int {
		first := 1
		if L.Get(1) == t { // recipe:call{...}
			first = 2
		}
		var in *lua.LTable
		switch v := L.Get(first).(type) {
		case *lua.LNilType:
			in = L.NewTable()
		case *lua.LTable:
			in = v
		default:
			RaiseUsage(L, callHint(rc), "%s.call: the arguments must be a table {name = value, ...}, got a %s", rc.Source.Name, v.Type())
		}
		args, err := BindTable(L, rc, in)
		if err != nil {
			Raise(L, err)
		}
		// the called recipe's lock, as when it runs on its own (shared when the caller holds it)
		unlock, err := lockRecipe(L, FromL(L), rc, args, false)
		if err != nil {
			Raise(L, err)
		}
		defer unlock()
		// a recipe that changes the environment, called by one that did not say so (a
		// project's wrapper): its history starts here, and ends with the run
		audited, err := startAudit(L, rc, args)
		if err != nil {
			Raise(L, err)
		}
		top := L.GetTop()
		L.Push(rc.run)
		L.Push(args)
		if !audited {
			L.Call(1, lua.MultRet)
			return L.GetTop() - top
		}
		// the history opened here ends here (agentcore lua calling a recipe), with its outcome
		if err := L.PCall(1, lua.MultRet, nil); err != nil {
			finishAudit(L, fromLua(err))
			if api, ok := err.(*lua.ApiError); ok {
				L.Error(api.Object, 0)
			}
			Raise(L, err)
		}
		finishAudit(L, nil)
		return L.GetTop() - top
	}))
}

func callHint(rc *Recipe) string {
	return fmt.Sprintf("agentcore run %s --help lists its arguments", rc.Source.Name)
}

// BindTable binds a Lua table of arguments for rc exactly as the command line binds flags
// and positional arguments: keys may use - or _ (dry_run or ["dry-run"]), values are
// converted to the declared type (a number for a string argument, a numeric string for an
// int, a single value for a list), choices and required arguments are checked, and what is
// not given gets its default (bool false, list empty).
func BindTable(L *lua.LState, rc *Recipe, in *lua.LTable) (*lua.LTable, error) {
	name := rc.Source.Name
	usage := func(format string, args ...any) error {
		return &Error{Code: ExitUsage, Msg: name + ".call: " + fmt.Sprintf(format, args...), Hint: callHint(rc)}
	}
	specs := map[string]ArgSpec{}
	var known []string
	for _, a := range rc.Args {
		specs[a.LuaKey()] = a
		known = append(known, a.LuaKey())
	}
	given := map[string]lua.LValue{}
	var bad error
	in.ForEach(func(k, v lua.LValue) {
		if bad != nil {
			return
		}
		ks, ok := k.(lua.LString)
		if !ok {
			bad = usage("argument %v: arguments are named, {agent = \"my-bot\"}, not a list", k)
			return
		}
		key := strings.ReplaceAll(string(ks), "-", "_")
		if _, ok := specs[key]; !ok {
			bad = usage("unknown argument %q%s", string(ks), project.Suggest(key, known))
			return
		}
		if _, dup := given[key]; dup {
			bad = usage("argument %q is given twice (with - and with _)", key)
			return
		}
		given[key] = v
	})
	if bad != nil {
		return nil, bad
	}
	out := L.NewTable()
	for _, a := range rc.Args {
		key := a.LuaKey()
		v, ok := given[key]
		if !ok || v == lua.LNil {
			if a.Required {
				return nil, usage("missing argument %s (%s)", key, a.Help)
			}
			switch {
			case a.Default != nil:
				out.RawSetString(key, ToLua(L, a.Default))
			case a.Type == "bool":
				out.RawSetString(key, lua.LFalse)
			case a.Type == "list":
				out.RawSetString(key, L.NewTable())
			}
			continue
		}
		lv, err := bindValue(L, a, v)
		if err != nil {
			return nil, usage("argument %s %v", key, err)
		}
		out.RawSetString(key, lv)
	}
	return out, nil
}

func bindValue(L *lua.LState, a ArgSpec, v lua.LValue) (lua.LValue, error) {
	scalar := func(v lua.LValue) (string, error) {
		switch x := v.(type) {
		case lua.LString:
			return string(x), nil
		case lua.LNumber:
			return x.String(), nil
		}
		return "", fmt.Errorf("must be a string, got %s", describeValue(v))
	}
	switch a.Type {
	case "string":
		s, err := scalar(v)
		if err != nil {
			return nil, err
		}
		if err := checkChoice(a, s); err != nil {
			return nil, fmt.Errorf("must be one of %s, not %q", strings.Join(a.Choices, ", "), s)
		}
		return lua.LString(s), nil
	case "int":
		switch x := v.(type) {
		case lua.LNumber:
			if f := float64(x); f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return x, nil
			}
		case lua.LString:
			if n, err := strconv.Atoi(string(x)); err == nil {
				return lua.LNumber(n), nil
			}
		}
		return nil, fmt.Errorf("must be a whole number, got %s", describeValue(v))
	case "bool":
		if b, ok := v.(lua.LBool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("must be true or false, got %s", describeValue(v))
	case "list":
		items := []lua.LValue{v}
		if t, ok := v.(*lua.LTable); ok {
			items = nil
			for i := 1; i <= t.Len(); i++ {
				items = append(items, t.RawGetInt(i))
			}
		}
		lt := L.NewTable()
		for i, it := range items {
			s, err := scalar(it)
			if err != nil {
				return nil, fmt.Errorf("item %d %v", i+1, err)
			}
			if err := checkChoice(a, s); err != nil {
				return nil, fmt.Errorf("item %d must be one of %s, not %q", i+1, strings.Join(a.Choices, ", "), s)
			}
			lt.Append(lua.LString(s))
		}
		return lt, nil
	}
	return v, nil
}
