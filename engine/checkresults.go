package engine

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// CheckResultsEnv turns on the result check of every builtin when set (to anything but ""):
// each result is validated against the function's declared Returns, and a declared list must
// be a list table (an empty one marked, so that it encodes as []). A mismatch is an internal
// error (exit 1) naming the function and the field. The end-to-end tests set it; enginetest
// turns on Registry.CheckResults, which does the same.
const CheckResultsEnv = "AGENTCORE_CHECK_RESULTS"

// checkReturns validates the n results f left on top of the stack against its declaration.
func checkReturns(L *lua.LState, name string, f *Func, n int) {
	results := f.decl.results
	base := L.GetTop() - n
	if n > len(results) {
		raiseResult(L, name, fmt.Sprintf("returned %d values, declared %d (%q)", n, len(results), f.Returns))
	}
	for i, r := range results {
		var v lua.LValue = lua.LNil
		if i < n {
			v = L.Get(base + 1 + i)
		}
		if v == lua.LNil && r.Optional {
			continue
		}
		if e := resultCheck.check(r.Type, v, "", 0); e != nil {
			raiseResult(L, name, fmt.Sprintf("result #%d%s %s", i+1, e.path, e.msg+e.unknown))
		}
		if path, found := unmarkedList(r.Type, v, "", 0); found {
			raiseResult(L, name, fmt.Sprintf("result #%d%s is declared %s but is an empty table not marked as a list (it would encode as {}): build it with engine.NewList or ToLuaAs",
				i+1, path, r.Type.Text))
		}
	}
}

func raiseResult(L *lua.LState, name, msg string) {
	Raise(L, &Error{Code: ExitFailure, Msg: fmt.Sprintf("%s: %s (the result does not match the declaration)", name, msg)})
}

// unmarkedList finds an empty table in v where t declares a list and the table is not marked
// as one, and returns its path.
func unmarkedList(t *Type, v lua.LValue, path string, depth int) (string, bool) {
	tb, ok := v.(*lua.LTable)
	if !ok || depth > 32 || t == nil {
		return "", false
	}
	switch t.Kind {
	case KList:
		if tb.Len() == 0 && !IsList(tb) {
			return path, true
		}
		for i := 1; i <= tb.Len(); i++ {
			if p, found := unmarkedList(t.Elem, tb.RawGetInt(i), fmt.Sprintf("%s[%d]", path, i), depth+1); found {
				return p, true
			}
		}
	case KMap:
		var p string
		var found bool
		tb.ForEach(func(k, val lua.LValue) {
			if !found {
				p, found = unmarkedList(t.Elem, val, path+"."+k.String(), depth+1)
			}
		})
		return p, found
	case KClass:
		if t.Class == nil {
			return "", false
		}
		for _, f := range t.Class.fields {
			if p, found := unmarkedList(f.Type, tb.RawGetString(f.Name), path+"."+f.Name, depth+1); found {
				return p, true
			}
		}
	case KUnion:
		for _, a := range t.Alts {
			if resultCheck.check(a, v, "", depth+1) == nil {
				return unmarkedList(a, v, path, depth+1)
			}
		}
	}
	return "", false
}
