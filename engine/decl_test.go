package engine_test

import (
	"errors"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

type probeOpts struct {
	Name  string            `json:"name"`
	Tags  engine.StringList `json:"tags,omitempty"`
	Count int               `json:"count,omitempty"`
	Auth  *struct {
		User string `json:"user,omitempty"`
	} `json:"auth,omitempty"`
}

// probe declares one of each kind of type; its functions return how many arguments they got.
var probe = &engine.Module{Name: "probe", Doc: "test",
	Classes: []*engine.Class{
		{Name: "probe.Opts", Of: probeOpts{}},
		{Name: "probe.Cmd", Items: "string", Fields: "dir?: string"},
	},
	Funcs: []engine.Func{
		{Name: "list", Params: "rows: table[]", Returns: "integer", Doc: "d", Fn: count},
		{Name: "opts", Params: "id: integer, opts?: probe.Opts", Returns: "integer", Doc: "d", Fn: count},
		{Name: "enum", Params: `mode: "a"|"b", flag?: boolean|"auto"`, Returns: "integer", Doc: "d", Fn: count},
		{Name: "map", Params: "m: table<string, number>", Returns: "integer", Doc: "d", Fn: count},
		{Name: "cmd", Params: "c: probe.Cmd", Returns: "integer", Doc: "d", Fn: count},
		{Name: "rest", Params: "first: string, ...: string|fun()", Returns: "integer", Doc: "d", Fn: count},
		{Name: "maybe", Params: "x: string|nil", Returns: "string?", Doc: "d", Fn: count},
		{Name: "cb", Params: "f: fun(x: string): boolean?, n?: integer", Returns: "integer", Doc: "d", Fn: count},
	},
}

func count(L *lua.LState) int { L.Push(lua.LNumber(L.GetTop())); return 1 }

func TestDeclaredArgumentChecks(t *testing.T) {
	h := enginetest.New(t, probe)
	for src, want := range map[string]string{
		`probe.list("x")`:                                  `probe.list: argument #1 (rows) must be a list of tables, got a string`,
		`probe.list({{}, 3})`:                              `probe.list: argument #1 (rows) field [2] must be a table, got the number 3`,
		`probe.list({x = {}})`:                             `must be a list of tables, got a table with the key x`,
		`probe.list()`:                                     `probe.list: argument #1 (rows) is missing: it must be a list of tables`,
		`probe.opts(1.5)`:                                  `argument #1 (id) must be an integer, got the number 1.5`,
		`probe.opts(1, {name = "x", tag = {}})`:            `probe.opts: unknown option "tag" (did you mean "tags"?); known options: auth, count, name, tags`,
		`probe.opts(1, {})`:                                `argument #2 (opts) field name is required (a string)`,
		`probe.opts(1, {name = "x", auth = {usr = "u"}})`:  `unknown option "auth.usr" (did you mean "user"?); known options of auth: user`,
		`probe.opts(1, {name = "x", tags = {"a", true}})`:  `field tags[2] must be a string, got a boolean`,
		`probe.enum("c")`:                                  `argument #1 (mode) must be "a" or "b", got "c"`,
		`probe.enum("a", "no")`:                            `argument #2 (flag) must be a boolean or "auto", got "no"`,
		`probe.map({a = "x"})`:                             `argument #1 (m) field a must be a number, got a string`,
		`probe.map({1})`:                                   `must be a table of string keys and number values, got the key [1]`,
		`probe.cmd({"go", {}, dir = "."})`:                 `argument #1 (c) field [2] must be a string, got a table`,
		`probe.cmd({"go", dri = "."})`:                     `unknown option "dri" (did you mean "dir"?)`,
		`probe.rest("a", "b", 3, {})`:                      `argument #4 (...) must be a string or a function, got a table`,
		`local t = {}; t[1] = t; probe.list({t, {t}})`:     ``, // a list of tables: no recursion into plain tables
		`probe.opts(1, {name = 42})`:                       ``, // numbers are strings, as in Lua
		`probe.maybe()`:                                    ``,
		`probe.enum("b", "auto")`:                          ``,
		`probe.cmd({"go", "test", dir = "."})`:             ``,
		`probe.rest("a", "b", function() end)`:             ``,
		`probe.opts(1, {name = "x", auth = {user = "u"}})`: ``,
		`probe.opts(1, {name = "x", tags = "one"})`:        ``,
		`probe.cb("f")`:                                    `argument #1 (f) must be a function, got a string`,
		`probe.cb(function() end, 1.5)`:                    `argument #2 (n) must be an integer, got the number 1.5`,
		`probe.cb(function() end)`:                         ``,
	} {
		err := h.Err(src)
		if want == "" {
			if err != nil {
				t.Errorf("%s: unexpected error %v", src, err)
			}
			continue
		}
		var e *engine.Error
		if !errors.As(err, &e) || e.Code != engine.ExitUsage || !strings.Contains(e.Msg, want) || !strings.HasPrefix(e.Hint, "usage: probe.") {
			t.Errorf("%s:\n got %v\nwant a usage error with %q and a usage hint", src, err, want)
		}
	}
}

// A function type's optional result (fun(): T?) belongs to the function type, not to the
// parameter: f stays required, and the docs keep the whole type.
func TestFunResultOptional(t *testing.T) {
	probe.Prepare()
	for _, f := range probe.Funcs {
		if f.Name != "cb" {
			continue
		}
		ps := f.ParamList()
		if len(ps) != 2 || ps[0].Optional || ps[0].Type.Text != "fun(x: string): boolean?" || !ps[1].Optional {
			t.Errorf("cb's params: %+v", ps)
		}
	}
}

func TestStrictNames(t *testing.T) {
	h := enginetest.New(t, probe)
	for src, want := range map[string]string{
		`probe.lst({})`:                              "`probe.lst` is not a function of probe (did you mean probe.list?)",
		`probe.nothing_like_it()`:                    "`probe.nothing_like_it` is not a function of probe",
		`prob.list({})`:                              "`prob` is not defined (did you mean probe?)",
		`parralel(function() end)`:                   "`parralel` is not defined (did you mean parallel?)",
		`local x = tostrign(1)`:                      "`tostrign` is not defined (did you mean tostring?)",
		`if my_optional_setting then error("x") end`: "",
		`if _ENV then error("x") end`:                "",
		`assert(rawget(_G, "prob") == nil)`:          "",
		`helper = 1; assert(helper == 1)`:            "",
	} {
		err := h.Err(src)
		if want == "" {
			if err != nil {
				t.Errorf("%s: unexpected error %v", src, err)
			}
			continue
		}
		var e *engine.Error
		if !errors.As(err, &e) || e.Code != engine.ExitUsage || !strings.Contains(e.Msg, want) {
			t.Errorf("%s:\n got %v\nwant a usage error with %q", src, err, want)
		}
	}
}

// BenchmarkDeclaredCall: a call whose options table is checked against its declaration,
// against the same call to an undeclared function (no checks), 1000 calls per op.
func BenchmarkDeclaredCall(b *testing.B) {
	bare := &engine.Module{Name: "bare", Funcs: []engine.Func{{Name: "opts", Fn: count}}}
	h := enginetest.New(b, probe, bare)
	for _, mod := range []string{"probe", "bare"} {
		b.Run(mod, func(b *testing.B) {
			src := `for i = 1, 1000 do ` + mod + `.opts(1, {name = "x", tags = {"a", "b"}, count = 3}) end`
			for b.Loop() {
				h.Do(b, src)
			}
		})
	}
}
