package project

import (
	"strings"
	"testing"

	"github.com/agentcore/agentcore/builtins/jsonmod"
	"github.com/agentcore/agentcore/engine/enginetest"
)

// project.parse_smoke returns the fields project.SmokeCheck declares; rollout and parse_smoke
// check their arguments against the declarations.
func TestReleaseDeclarations(t *testing.T) {
	h := enginetest.New(t, Module, jsonmod.Module)
	h.Do(t, `
		local c = project.parse_smoke('{"prompt": "hi", "expect_json": {"a": {"b": 1}}, "timeout": "10s"}')
		assert(c.prompt == "hi" and c.timeout == 10 and c.expect_json["a.b"] == 1, "json check")
		local d = project.parse_smoke("What is 2 + 2? => 4")
		assert(d.prompt == "What is 2 + 2?" and d.expect == "4" and d.timeout == 30, "flag check")
		local t = project.parse_smoke('{"tool": "add", "args": {"a": 2, "b": 2}, "expect": "4"}')
		assert(t.tool == "add" and json.decode(t.args).a == 2 and t.expect == "4" and t.prompt == nil, "tool check")
		local u = project.parse_smoke('{"tool": "list"}')
		assert(u.tool == "list" and u.args == "{}", "tool without args")
	`)
	var fields []string
	for _, c := range Module.AllClasses() {
		if c.Name == "project.SmokeCheck" {
			for _, f := range c.FieldList() {
				fields = append(fields, f.Name)
			}
		}
	}
	if got := strings.Join(fields, ","); got != "prompt,payload,tool,args,expect,expect_json,timeout,where" {
		t.Errorf("project.SmokeCheck declares %s", got)
	}
	for _, tc := range []struct{ code, want string }{
		{`project.parse_smoke({prompt = "hi"})`, `argument #1 (text) must be a string, got a table`},
		{`project.parse_smoke('{"promt": "hi"}')`, `did you mean "prompt"`},
		{`project.rollout({"dev"})`, `argument #1 (through) must be a string`},
		{`project.parse_smoke('{"tool": "add", "args": [1]}')`, `args must be a table`},
		{`project.parse_smoke('{"prompt": "x", "args": {"a": 1}}')`, `args goes with tool`},
	} {
		err := h.Err(tc.code)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.code, err, tc.want)
		}
	}
}
