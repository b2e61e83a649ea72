// Package jsonmod is the Lua json module: encode and decode.
package jsonmod

import (
	"bytes"
	"encoding/json"
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// Module is the json module.
var Module = &engine.Module{
	Name: "json",
	Doc:  "JSON encoding and decoding. Sequences 1..n become arrays, other tables objects (keys sorted).",
	Funcs: []engine.Func{
		{Name: "encode", Args: "(value, {indent=false})", Returns: "string", Doc: "Encodes a Lua value as JSON.", Fn: encode},
		{Name: "decode", Args: "(text)", Returns: "value", Doc: "Decodes JSON text; raises an error naming the offset on bad input.", Fn: decode},
	},
}

func encode(L *lua.LState) int {
	v, err := engine.ToGo(L.Get(1))
	if err != nil {
		engine.RaiseUsage(L, "", "json.encode: %v", err)
	}
	opts := L.OptTable(2, L.NewTable())
	var b []byte
	if lua.LVAsBool(opts.RawGetString("indent")) {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		engine.RaiseUsage(L, "", "json.encode: %v", err)
	}
	L.Push(lua.LString(b))
	return 1
}

func decode(L *lua.LState) int {
	s := L.CheckString(1)
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		engine.Raise(L, fmt.Errorf("json.decode: %w", err))
	}
	L.Push(engine.ToLua(L, v))
	return 1
}
