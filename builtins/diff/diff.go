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
		{Name: "diff.CompareOpts", Of: compareOpts{}},
		{Name: "diff.Result", Of: result{}},
		{Name: "diff.Change", Of: Change{}},
	},
	Funcs: []engine.Func{
		{Name: "compare", Params: "a: any, b: any, opts?: diff.CompareOpts", Returns: "diff.Result",
			Doc: "Lists what differs from a to b: kind is added, removed or changed; path is dotted (agents.bot.endpoints.stable.version). ignore skips paths; a '*' segment matches any key. text is the jsondiff rendering (empty when equal). An empty list and an empty table are equal (Lua cannot tell them apart).", Go: luaCompare},
	},
}

// Change is one difference.
type Change struct {
	Path string `json:"path"`
	Kind string `json:"kind" lua:"\"added\"|\"removed\"|\"changed\""`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
}

type compareOpts struct {
	Ignore []string `json:"ignore,omitempty"`
}

type result struct {
	Equal   bool     `json:"equal"`
	Changes []Change `json:"changes"`
	Text    string   `json:"text"`
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
	if isEmpty(a) && isEmpty(b) {
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

// isEmpty reports an empty list or an empty map: one empty Lua table may come as either (a
// list read from JSON or returned by a builtin, a table built in Lua).
func isEmpty(v any) bool {
	switch x := v.(type) {
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
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

func luaCompare(L *lua.LState, a, b any, opts compareOpts) result {
	changes := Compare(a, b, opts.Ignore)
	res := result{Equal: len(changes) == 0, Changes: changes}
	if len(changes) > 0 {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		o := jsondiff.DefaultConsoleOptions()
		if !engine.FromL(L).Out.Color {
			o = jsondiff.DefaultJSONOptions()
		}
		_, res.Text = jsondiff.Compare(ja, jb, &o)
	}
	return res
}
