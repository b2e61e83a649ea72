// Package diff is the Lua diff module: path-level comparison of two documents, with the
// human rendering from nsf/jsondiff.
package diff

import (
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/nsf/jsondiff"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// Module is the diff module.
var Module = &engine.Module{
	Name: "diff",
	Doc:  "Compares two documents (Lua tables) path by path.",
	Classes: []*engine.Class{
		{Name: "diff.CompareOpts", Fields: "ignore?: string[]"},
		{Name: "diff.Result", Fields: "equal: boolean, changes: diff.Change[], text: string"},
		{Name: "diff.Change", Fields: `path: string, kind: "added"|"removed"|"changed", old?: any, new?: any`},
	},
	Funcs: []engine.Func{
		{Name: "compare", Params: "a: any, b: any, opts?: diff.CompareOpts", Returns: "diff.Result",
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

// Compare lists the differences from a to b, skipping ignored paths. Paths are built only
// for what differs, so comparing large equal documents allocates next to nothing.
func Compare(a, b any, ignore []string) []Change {
	w := walker{}
	for _, pat := range ignore {
		w.ignore = append(w.ignore, strings.Split(pat, "."))
	}
	w.walk(a, b)
	sort.Slice(w.out, func(i, j int) bool { return w.out[i].Path < w.out[j].Path })
	return w.out
}

type walker struct {
	segs   []string   // the current path
	ignore [][]string // ignore patterns, split; "*" matches one segment
	out    []Change
}

func (w *walker) ignored() bool {
	for _, pat := range w.ignore {
		if len(pat) > len(w.segs) {
			continue
		}
		match := true
		for i, p := range pat {
			if p != "*" && p != w.segs[i] {
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

func (w *walker) add(kind string, old, new any) {
	w.out = append(w.out, Change{Path: strings.Join(w.segs, "."), Kind: kind, Old: old, New: new})
}

func (w *walker) at(seg string, fn func()) {
	w.segs = append(w.segs, seg)
	if len(w.ignore) == 0 || !w.ignored() {
		fn()
	}
	w.segs = w.segs[:len(w.segs)-1]
}

func (w *walker) walk(a, b any) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		for k, av := range am {
			bv, in := bm[k]
			if in {
				w.at(k, func() { w.walk(av, bv) })
			} else {
				w.at(k, func() { w.add("removed", av, nil) })
			}
		}
		for k, bv := range bm {
			if _, in := am[k]; !in {
				w.at(k, func() { w.add("added", nil, bv) })
			}
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		for i := 0; i < max(len(al), len(bl)); i++ {
			w.at(strconv.Itoa(i+1), func() {
				switch {
				case i >= len(bl):
					w.add("removed", al[i], nil)
				case i >= len(al):
					w.add("added", nil, bl[i])
				default:
					w.walk(al[i], bl[i])
				}
			})
		}
		return
	}
	if !equalScalar(a, b) {
		w.add("changed", a, b)
	}
}

func equalScalar(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
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
