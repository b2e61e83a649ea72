// Package jsonmod is the Lua json module: encode and decode.
package jsonmod

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// Module is the json module.
var Module = &engine.Module{
	Name: "json",
	Doc:  "JSON encoding and decoding. Sequences 1..n and tables made with json.array() become arrays, other tables objects (keys sorted).",
	Classes: []*engine.Class{
		{Name: "json.EncodeOpts", Of: encodeOpts{}},
	},
	Funcs: []engine.Func{
		{Name: "encode", Params: "value: any, opts?: json.EncodeOpts", Returns: "string",
			Doc: "Encodes a Lua value as JSON: nil is null, a table with keys 1..n an array, a table with string " +
				"keys (or only number keys, written as text) an object, an empty table {} (or [] when made by " +
				"json.array() or returned as a list by a builtin). What JSON cannot hold " +
				"is refused (exit 2) with the path of the value: functions, userdata, threads, NaN and infinities, " +
				"a table that contains itself, and a table mixing list items with named keys.",
			Go: luaEncode},
		{Name: "decode", Params: "text: string", Returns: "any", Doc: "Decodes JSON text (an array becomes a list: json.encode writes it back as [] even when empty); raises an error naming the offset on bad input.", Go: luaDecode},
		{Name: "array", Params: "items?: any[]", Returns: "any[]",
			Doc: "Marks a table as a list and returns it (a new empty one without items), so that it encodes as [] while empty: " +
				"build lists that may stay empty and end up in JSON (a recipe's result) with it: local eps = json.array().",
			Go: luaArray},
	},
}

type encodeOpts struct {
	Indent bool `json:"indent,omitempty"`
}

func luaEncode(value lua.LValue, opts encodeOpts) (string, error) {
	v, err := toJSON(value, "value", map[*lua.LTable]bool{})
	if err != nil {
		return "", engine.Usagef("encode data only: strings, numbers, booleans, nil and tables of them", "json.encode: %v", err)
	}
	var b []byte
	if opts.Indent {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return "", engine.Usagef("", "json.encode: %v", err)
	}
	return string(b), nil
}

func luaDecode(L *lua.LState, text string) (lua.LValue, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("json.decode: %w", err)
	}
	return engine.ToLua(L, v), nil
}

func luaArray(L *lua.LState, items *lua.LTable) *lua.LTable {
	if items == nil {
		return engine.NewList(L, 0)
	}
	return engine.MarkList(L, items)
}

// toJSON converts v to what encoding/json writes, refusing (with the path of the value) what
// JSON cannot hold instead of writing null for it.
func toJSON(v lua.LValue, path string, open map[*lua.LTable]bool) (any, error) {
	switch v := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(v), nil
	case lua.LString:
		return string(v), nil
	case lua.LNumber:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s is %v, which JSON cannot hold", path, v)
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		return f, nil
	case *lua.LTable:
		if open[v] {
			return nil, fmt.Errorf("%s contains itself", path)
		}
		open[v] = true
		defer delete(open, v)
		n := v.Len()
		count, strKeys, numKeys := 0, 0, 0
		var bad lua.LValue
		v.ForEach(func(k, _ lua.LValue) {
			count++
			switch k.(type) {
			case lua.LString:
				strKeys++
			case lua.LNumber:
				numKeys++
			default:
				if bad == nil {
					bad = k
				}
			}
		})
		switch {
		case bad != nil:
			return nil, fmt.Errorf("%s has a %s key, which JSON cannot hold", path, bad.Type())
		case strKeys > 0 && numKeys > 0:
			return nil, fmt.Errorf("%s mixes list items and named keys: JSON has either an array or an object", path)
		case count == 0 && engine.IsList(v):
			return []any{}, nil
		case count > 0 && n == count:
			arr := make([]any, n)
			for i := 1; i <= n; i++ {
				x, err := toJSON(v.RawGetInt(i), fmt.Sprintf("%s[%d]", path, i), open)
				if err != nil {
					return nil, err
				}
				arr[i-1] = x
			}
			return arr, nil
		}
		m := make(map[string]any, count)
		var keys []lua.LValue
		v.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			sub := path + "." + k.String()
			if _, num := k.(lua.LNumber); num {
				sub = path + "[" + k.String() + "]"
			}
			x, err := toJSON(v.RawGet(k), sub, open)
			if err != nil {
				return nil, err
			}
			m[k.String()] = x
		}
		return m, nil
	}
	return nil, fmt.Errorf("%s is a %s, which JSON cannot hold", path, v.Type())
}
