package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Inspect renders a Lua value for a person exploring: indented JSON, keys sorted, a table
// with keys 1..n as a list; what JSON cannot hold is shown as a string in angle brackets
// ("<function: builtin ui.ok>", "<cycle>"), never dropped. `agentcore lua` prints results
// with it; the global inspect(value) returns it.
func Inspect(v lua.LValue) string {
	var b strings.Builder
	inspect(&b, v, "", map[*lua.LTable]bool{})
	return b.String()
}

func inspect(b *strings.Builder, v lua.LValue, indent string, seen map[*lua.LTable]bool) {
	switch v := v.(type) {
	case *lua.LNilType:
		b.WriteString("null")
	case lua.LBool:
		fmt.Fprint(b, bool(v))
	case lua.LNumber:
		f := float64(v)
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			writeJSONString(b, "<"+v.String()+">")
		case f == math.Trunc(f) && math.Abs(f) < 1<<53:
			fmt.Fprint(b, int64(f))
		default:
			fmt.Fprint(b, f)
		}
	case lua.LString:
		writeJSONString(b, string(v))
	case *lua.LTable:
		if seen[v] {
			writeJSONString(b, "<cycle>")
			return
		}
		seen[v] = true
		defer delete(seen, v)
		n, count := v.Len(), 0
		v.ForEach(func(_, _ lua.LValue) { count++ })
		inner := indent + "  "
		if count == 0 {
			if IsList(v) {
				b.WriteString("[]")
			} else {
				b.WriteString("{}")
			}
			return
		}
		if n == count {
			b.WriteString("[\n")
			for i := 1; i <= n; i++ {
				b.WriteString(inner)
				inspect(b, v.RawGetInt(i), inner, seen)
				if i < n {
					b.WriteByte(',')
				}
				b.WriteByte('\n')
			}
			b.WriteString(indent + "]")
			return
		}
		type kv struct {
			k string
			v lua.LValue
		}
		var kvs []kv
		v.ForEach(func(k, val lua.LValue) { kvs = append(kvs, kv{k.String(), val}) })
		sort.Slice(kvs, func(i, j int) bool { return kvs[i].k < kvs[j].k })
		b.WriteString("{\n")
		for i, e := range kvs {
			b.WriteString(inner)
			writeJSONString(b, e.k)
			b.WriteString(": ")
			inspect(b, e.v, inner, seen)
			if i < len(kvs)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case *lua.LFunction:
		if v.IsG {
			writeJSONString(b, "<function: builtin>")
		} else {
			writeJSONString(b, fmt.Sprintf("<function: %s:%d>", v.Proto.SourceName, v.Proto.LineDefined))
		}
	default:
		writeJSONString(b, "<"+v.Type().String()+">")
	}
}

func writeJSONString(b *strings.Builder, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes; Encode adds a newline
	b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// luaInspect is the global inspect(value): the value rendered by Inspect, as a string.
func luaInspect(L *lua.LState) int {
	L.Push(lua.LString(Inspect(L.Get(1))))
	return 1
}
