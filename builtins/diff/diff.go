// Package diff is the Lua diff module: path-level comparison of two documents, with the
// human rendering from nsf/jsondiff.
package diff

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/nsf/jsondiff"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// Module is the diff module.
var Module = &engine.Module{
	Name: "diff",
	Doc:  "Compares two documents (Lua tables) path by path.",
	Funcs: []engine.Func{
		{Name: "compare", Args: "(a, b, {ignore={paths...}})", Returns: "{equal=bool, changes={{path, kind, old, new}...}, text=string}",
			Doc: "Lists what differs from a to b: kind is added, removed or changed; path is dotted (agents.bot.endpoints.stable.version). ignore skips paths; a '*' segment matches any key. text is the jsondiff rendering.", Fn: compare},
	},
}

// Change is one difference.
type Change struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
}

// Compare lists the differences from a to b, skipping ignored paths.
func Compare(a, b any, ignore []string) []Change {
	var out []Change
	walk("", a, b, ignore, &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func ignored(path string, ignore []string) bool {
	segs := strings.Split(path, ".")
	for _, pat := range ignore {
		ps := strings.Split(pat, ".")
		if len(ps) > len(segs) {
			continue
		}
		match := true
		for i, p := range ps {
			if p != "*" && p != segs[i] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func join(base, k string) string {
	if base == "" {
		return k
	}
	return base + "." + k
}

func walk(path string, a, b any, ignore []string, out *[]Change) {
	if path != "" && ignored(path, ignore) {
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			av, ain := am[k]
			bv, bin := bm[k]
			p := join(path, k)
			switch {
			case ain && !bin:
				if !ignored(p, ignore) {
					*out = append(*out, Change{Path: p, Kind: "removed", Old: av})
				}
			case !ain && bin:
				if !ignored(p, ignore) {
					*out = append(*out, Change{Path: p, Kind: "added", New: bv})
				}
			default:
				walk(p, av, bv, ignore, out)
			}
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		for i := 0; i < max(len(al), len(bl)); i++ {
			p := join(path, fmt.Sprint(i+1))
			switch {
			case i >= len(bl):
				*out = append(*out, Change{Path: p, Kind: "removed", Old: al[i]})
			case i >= len(al):
				*out = append(*out, Change{Path: p, Kind: "added", New: bl[i]})
			default:
				walk(p, al[i], bl[i], ignore, out)
			}
		}
		return
	}
	if !equalScalar(a, b) {
		*out = append(*out, Change{Path: path, Kind: "changed", Old: a, New: b})
	}
}

func equalScalar(a, b any) bool {
	// numbers may arrive as int64 or float64 depending on their source
	if af, ok := num(a); ok {
		if bf, ok := num(b); ok {
			return af == bf
		}
	}
	return reflect.DeepEqual(a, b)
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}

func compare(L *lua.LState) int {
	a, err := engine.ToGo(L.Get(1))
	if err != nil {
		engine.RaiseUsage(L, "", "diff.compare: first document: %v", err)
	}
	b, err := engine.ToGo(L.Get(2))
	if err != nil {
		engine.RaiseUsage(L, "", "diff.compare: second document: %v", err)
	}
	var ignore []string
	if opts, ok := L.Get(3).(*lua.LTable); ok {
		if ig, ok := opts.RawGetString("ignore").(*lua.LTable); ok {
			for i := 1; i <= ig.Len(); i++ {
				ignore = append(ignore, lua.LVAsString(ig.RawGetInt(i)))
			}
		}
	}
	changes := Compare(a, b, ignore)
	res := L.NewTable()
	res.RawSetString("equal", lua.LBool(len(changes) == 0))
	ct := L.NewTable()
	for _, c := range changes {
		ct.Append(engine.ToLua(L, c))
	}
	res.RawSetString("changes", ct)
	if len(changes) > 0 {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		opts := jsondiff.DefaultConsoleOptions()
		if !engine.FromL(L).Out.Color {
			opts = jsondiff.DefaultJSONOptions()
		}
		_, text := jsondiff.Compare(ja, jb, &opts)
		res.RawSetString("text", lua.LString(text))
	}
	L.Push(res)
	return 1
}
