package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	lua "github.com/yuin/gopher-lua"
)

// ToGo converts a Lua value to plain Go data: nil, bool, float64 or int64 (integral
// numbers), string, []any (tables that are sequences 1..n) and map[string]any (other
// tables). Functions and userdata become their type name. Cycles are cut with an error.
func ToGo(lv lua.LValue) (any, error) {
	return toGo(lv, map[*lua.LTable]bool{}, false)
}

// toGo converts lv; with emptyNil an empty table becomes nil, which JSON decodes into a slice,
// a map or a struct alike (an empty Lua table is both {} and []).
func toGo(lv lua.LValue, seen map[*lua.LTable]bool, emptyNil bool) (any, error) {
	switch v := lv.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(v), nil
	case lua.LNumber:
		f := float64(v)
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		return f, nil
	case lua.LString:
		return string(v), nil
	case *lua.LTable:
		if seen[v] {
			return nil, fmt.Errorf("table contains itself")
		}
		seen[v] = true
		defer delete(seen, v)
		n := v.Len()
		count := 0
		v.ForEach(func(_, _ lua.LValue) { count++ })
		if count == 0 && emptyNil {
			return nil, nil
		}
		if n > 0 && n == count {
			arr := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				x, err := toGo(v.RawGetInt(i), seen, emptyNil)
				if err != nil {
					return nil, err
				}
				arr = append(arr, x)
			}
			return arr, nil
		}
		m := make(map[string]any, count)
		var ferr error
		v.ForEach(func(k, val lua.LValue) {
			if ferr != nil {
				return
			}
			x, err := toGo(val, seen, emptyNil)
			if err != nil {
				ferr = err
				return
			}
			m[k.String()] = x
		})
		return m, ferr
	default:
		return "<" + lv.Type().String() + ">", nil
	}
}

// ToLua converts Go data to a Lua value. Maps, slices, numbers, strings, bools and nil map
// directly; any other value (structs, typed maps) goes through its JSON encoding, so struct
// json tags name the fields.
func ToLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case nil:
		return lua.LNil
	case lua.LValue:
		return x
	case bool:
		return lua.LBool(x)
	case string:
		return lua.LString(x)
	case int:
		return lua.LNumber(x)
	case int32:
		return lua.LNumber(x)
	case int64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case json.Number:
		f, _ := x.Float64()
		return lua.LNumber(f)
	case []any:
		t := L.CreateTable(len(x), 0)
		for _, e := range x {
			t.Append(ToLua(L, e))
		}
		return t
	case []string:
		t := L.CreateTable(len(x), 0)
		for _, e := range x {
			t.Append(lua.LString(e))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.RawSetString(k, ToLua(L, x[k]))
		}
		return t
	case map[string]string:
		t := L.CreateTable(0, len(x))
		for k, s := range x {
			t.RawSetString(k, lua.LString(s))
		}
		return t
	}
	b, err := json.Marshal(v)
	if err != nil {
		return lua.LString(fmt.Sprint(v))
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return lua.LString(string(b))
	}
	return ToLua(L, generic)
}

// Decode fills the Go value out (a pointer to a struct with json tags) from a Lua table, via
// JSON. Unknown fields are an error, so a misspelt option is reported, not ignored.
func Decode(lv lua.LValue, out any) error {
	g, err := toGo(lv, map[*lua.LTable]bool{}, true)
	if err != nil {
		return err
	}
	b, err := json.Marshal(g)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}
