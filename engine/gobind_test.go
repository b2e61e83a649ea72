package engine_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

type bindBase struct {
	Region string `json:"region,omitempty"`
}

type bindOpts struct {
	bindBase          // embedded: region is a key of the table itself
	Bucket   string   `json:"bucket"`
	Keys     []string `json:"keys,omitempty"`
	Size     *int     `json:"size,omitempty"`
}

type bindItem struct {
	Name string   `json:"name"`
	Tags []string `json:"tags,omitempty"`
}

type bindResult struct {
	Bucket string     `json:"bucket"`
	Region string     `json:"region,omitempty"`
	Items  []bindItem `json:"items"`
	Sizes  []int      `json:"sizes,omitempty"`
}

var bound = &engine.Module{Name: "bound", Doc: "test",
	Classes: []*engine.Class{
		{Name: "bound.Opts", Of: bindOpts{}},
		{Name: "bound.Item", Of: bindItem{}},
		{Name: "bound.Result", Of: bindResult{}},
	},
	Funcs: []engine.Func{
		{Name: "put", Params: "name: string, opts: bound.Opts", Returns: "bound.Result", Doc: "d",
			Go: func(name string, o bindOpts) (bindResult, error) {
				if name == "fail" {
					return bindResult{}, engine.Usagef("a hint", "bound.put: %s refused", name)
				}
				r := bindResult{Bucket: o.Bucket + "/" + name, Region: o.Region}
				for _, k := range o.Keys {
					r.Items = append(r.Items, bindItem{Name: k})
				}
				if o.Size != nil {
					r.Sizes = []int{*o.Size}
				}
				return r, nil
			}},
		{Name: "names", Params: "n?: integer", Returns: "string[]", Doc: "d",
			Go: func(L *lua.LState, n *int) []string {
				if n == nil {
					return nil
				}
				return []string{engine.FromL(L).Dir[:0] + strings.Repeat("x", *n)}
			}},
		{Name: "join", Params: "sep: string, ...: string", Returns: "string", Doc: "d",
			Go: func(sep string, parts ...string) string { return strings.Join(parts, sep) }},
		{Name: "err", Doc: "d", Go: func() error { return errors.New("plain failure") }},
		{Name: "items", Params: "items: bound.Item[]", Returns: "integer", Doc: "d", Go: func(items []bindItem) int { return len(items) }},
		{Name: "raw_bad", Returns: "string[]", Doc: "d", Fn: func(L *lua.LState) int {
			L.Push(L.NewTable()) // an empty table that is not marked as a list
			return 1
		}},
		{Name: "raw_wrong", Returns: "bound.Result", Doc: "d", Fn: func(L *lua.LState) int {
			t := L.NewTable()
			t.RawSetString("bucket", lua.LTrue)
			L.Push(t)
			return 1
		}},
	},
}

func encodeResult(t *testing.T, h *enginetest.Harness, src string) string {
	t.Helper()
	res := h.Do(t, src)
	g, err := engine.ToGo(res[0])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(g)
	return string(b)
}

func TestGoBinding(t *testing.T) {
	h := enginetest.New(t, bound)
	got := encodeResult(t, h, `return bound.put("a", {bucket = "b", region = "eu", keys = {"k1"}})`)
	if want := `{"bucket":"b/a","items":[{"name":"k1"}],"region":"eu"}`; got != want {
		t.Errorf("put = %s, want %s", got, want)
	}
	// No keys: the required list is [] in JSON, never {} or absent; an optional (omitempty)
	// field holding its zero value is left out.
	got = encodeResult(t, h, `return bound.put("a", {bucket = "b", size = 3})`)
	if want := `{"bucket":"b/a","items":[],"sizes":[3]}`; got != want {
		t.Errorf("put = %s, want %s", got, want)
	}
	if got := encodeResult(t, h, `return bound.names()`); got != `[]` {
		t.Errorf("names() = %s, want []", got)
	}
	if got := encodeResult(t, h, `return bound.names(2)`); got != `["xx"]` {
		t.Errorf("names(2) = %s", got)
	}
	// "" is refused for a required field of the options argument itself, not inside lists.
	if got := encodeResult(t, h, `return bound.items({{name = ""}, {name = "x"}})`); got != `2` {
		t.Errorf("items = %s", got)
	}
	if got := encodeResult(t, h, `return bound.join("-", "a", 1, "c")`); got != `"a-1-c"` {
		t.Errorf("join = %s", got)
	}
}

func TestGoBindingErrors(t *testing.T) {
	h := enginetest.New(t, bound)
	for src, want := range map[string]string{
		// required is said once (no omitempty in the json tag) and checked before Go runs
		`bound.put("a", {region = "eu"})`:                "bound.put: argument #2 (opts) field bucket is required (a string)",
		`bound.put("a", {bucket = "b", regoin = "eu"})`:  `unknown option "regoin" (did you mean "region"?)`,
		`bound.put("a", {bucket = "b", keys = {1, {}}})`: "field keys[2] must be a string",
		`bound.put("fail", {bucket = "b"})`:              "bound.put: fail refused",
		`bound.err()`:                                    "plain failure",
	} {
		err := h.Err(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
	var e *engine.Error
	if err := h.Err(`bound.put("fail", {bucket = "b"})`); !errors.As(err, &e) || e.Code != engine.ExitUsage || e.Hint != "a hint" {
		t.Errorf("a returned *engine.Error keeps its code and hint: %#v", err)
	}
	if err := h.Err(`bound.err()`); engine.ExitCode(err) != engine.ExitFailure {
		t.Errorf("a plain error is a failure: %v", err)
	}
}

// TestResultCheck: enginetest turns the result check on, and it catches a result that does
// not match its declaration, and an empty list that would encode as {}.
func TestResultCheck(t *testing.T) {
	h := enginetest.New(t, bound)
	if !h.Registry.CheckResults {
		t.Fatal("enginetest does not check results")
	}
	for src, want := range map[string]string{
		`bound.raw_bad()`:   "bound.raw_bad: result #1 is declared string[] but is an empty table not marked as a list",
		`bound.raw_wrong()`: "bound.raw_wrong: result #1.bucket must be a string, got a boolean",
	} {
		err := h.Err(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
	// Without the check, the same results pass through.
	reg := engine.NewRegistry()
	reg.Add(&engine.Module{Name: "unchecked", Doc: "d", Funcs: []engine.Func{bound.Funcs[5]}})
	vm := engine.NewVM(&engine.Run{Out: &engine.Output{}}, reg)
	defer vm.Close()
	if _, err := vm.DoString("t.lua", `unchecked.raw_bad()`); err != nil {
		t.Errorf("unchecked: %v", err)
	}
}

func TestGoBindingDeclarationMismatch(t *testing.T) {
	for name, f := range map[string]engine.Func{
		"params":  {Name: "f", Params: "a: string", Go: func() {}},
		"results": {Name: "f", Returns: "string", Go: func() error { return nil }},
		"both":    {Name: "f", Go: func() {}, Fn: func(*lua.LState) int { return 0 }},
		"none":    {Name: "f"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			m := &engine.Module{Name: "m", Funcs: []engine.Func{f}}
			m.Prepare()
		}()
	}
}

func TestListMarker(t *testing.T) {
	h := enginetest.New(t, bound)
	res := h.Do(t, `return {}`)
	if g, _ := engine.ToGo(res[0]); g == nil {
		t.Fatal("nil")
	} else if b, _ := json.Marshal(g); string(b) != "{}" {
		t.Errorf("an unmarked empty table = %s, want {}", b)
	}
	l := engine.NewList(h.VM.L, 0)
	if g, _ := engine.ToGo(l); g == nil {
		t.Fatal("nil")
	} else if b, _ := json.Marshal(g); string(b) != "[]" {
		t.Errorf("a marked empty table = %s, want []", b)
	}
}

// Numbers given where text is expected keep the digits Lua shows (1000000, not 1e+06).
func TestStringListAndMapNumbers(t *testing.T) {
	h := enginetest.New(t)
	res := h.Do(t, `return {1000000, 2.5, true}, {PORT = 8080, BIG = 25000000}`)
	var l engine.StringList
	if err := engine.Decode(res[0], &l); err != nil || strings.Join(l, ",") != "1000000,2.5,true" {
		t.Errorf("StringList = %q, %v", l, err)
	}
	var m engine.StringMap
	if err := engine.Decode(res[1], &m); err != nil || m["PORT"] != "8080" || m["BIG"] != "25000000" {
		t.Errorf("StringMap = %v, %v", m, err)
	}
}

// A field is required unless its json tag says omitempty; a lua tag saying required
// is refused, so that "required" is said one way.
func TestRequiredConvention(t *testing.T) {
	type plain struct {
		A string `json:"a"`
		B string `json:"b,omitempty"`
	}
	type old struct {
		C string `json:"c" lua:",required"`
	}
	fields := func(m *engine.Module) string {
		var out []string
		for _, f := range m.AllClasses()[0].FieldList() {
			out = append(out, fmt.Sprintf("%s:%v", f.Name, f.Optional))
		}
		return strings.Join(out, " ")
	}
	m := &engine.Module{Name: "conv", Classes: []*engine.Class{{Name: "conv.Opts", Of: plain{}}}}
	if got := fields(m); got != "a:false b:true" {
		t.Errorf("optional: %s", got)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `drop ",required"`) {
			t.Errorf(`lua:",required": %v`, r)
		}
	}()
	fields(&engine.Module{Name: "old", Classes: []*engine.Class{{Name: "old.Opts", Of: old{}}}})
}

// A Go function whose parameter or result is not the struct its declared class is derived
// from is refused when the module is prepared: declaration and code cannot drift apart.
func TestGoBindingClassMismatch(t *testing.T) {
	for name, f := range map[string]engine.Func{
		"param":  {Name: "f", Params: "o: shape.Opts", Go: func(bindItem) {}},
		"result": {Name: "f", Returns: "shape.Opts[]", Go: func() []bindItem { return nil }},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "derived from engine_test.bindOpts") {
					t.Errorf("%s: %v", name, r)
				}
			}()
			m := &engine.Module{Name: "shape", Classes: []*engine.Class{{Name: "shape.Opts", Of: bindOpts{}}}, Funcs: []engine.Func{f}}
			m.Prepare()
		}()
	}
	ok := &engine.Module{Name: "shape2", Classes: []*engine.Class{{Name: "shape2.Opts", Of: bindOpts{}}},
		Funcs: []engine.Func{{Name: "f", Params: "o?: shape2.Opts", Returns: "shape2.Opts[], shape2.Opts?", Go: func(*bindOpts) ([]bindOpts, *bindOpts) { return nil, nil }}}}
	ok.Prepare()
}

// The cost of the binding per call, beside a raw Fn doing the same work.
func BenchmarkGoBinding(b *testing.B) {
	mod := &engine.Module{Name: "bench", Classes: []*engine.Class{{Name: "bench.Opts", Of: bindOpts{}}}, Funcs: []engine.Func{
		{Name: "go_call", Params: "name: string, opts: bench.Opts", Returns: "string", Doc: "d",
			Go: func(name string, o bindOpts) string { return name + o.Bucket }},
		{Name: "raw_call", Params: "name: string, opts: bench.Opts", Returns: "string", Doc: "d", Fn: func(L *lua.LState) int {
			var o bindOpts
			if err := engine.Decode(L.CheckTable(2), &o); err != nil {
				engine.Raise(L, err)
			}
			L.Push(lua.LString(L.CheckString(1) + o.Bucket))
			return 1
		}},
	}}
	for _, fn := range []string{"go_call", "raw_call"} {
		b.Run(fn, func(b *testing.B) {
			reg := engine.NewRegistry()
			reg.Add(mod)
			vm := engine.NewVM(&engine.Run{Out: &engine.Output{}}, reg)
			defer vm.Close()
			f, err := vm.L.Load(strings.NewReader(`for i = 1, 1000 do bench.`+fn+`("a", {bucket = "b"}) end`), "bench")
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := vm.Call(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
