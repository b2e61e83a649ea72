package project

import (
	"strings"
	"testing"

	"github.com/agentcore/agentcore/engine/enginetest"
)

// project.parse_smoke returns the fields project.SmokeCheck declares; rollout and parse_smoke
// check their arguments against the declarations.
func TestReleaseDeclarations(t *testing.T) {
	h := enginetest.New(t, Module)
	h.Do(t, `
		local c = project.parse_smoke('{"prompt": "hi", "expect_json": {"a": {"b": 1}}, "timeout": "10s"}')
		assert(c.prompt == "hi" and c.timeout == 10 and c.expect_json["a.b"] == 1, "json check")
		local d = project.parse_smoke("What is 2 + 2? => 4")
		assert(d.prompt == "What is 2 + 2?" and d.expect == "4" and d.timeout == 30, "flag check")
	`)
	var fields []string
	for _, c := range Module.AllClasses() {
		if c.Name == "project.SmokeCheck" {
			for _, f := range c.FieldList() {
				fields = append(fields, f.Name)
			}
		}
	}
	if got := strings.Join(fields, ","); got != "prompt,payload,expect,expect_json,timeout,where" {
		t.Errorf("project.SmokeCheck declares %s", got)
	}
	for _, tc := range []struct{ code, want string }{
		{`project.parse_smoke({prompt = "hi"})`, `argument #1 (text) must be a string, got a table`},
		{`project.parse_smoke('{"promt": "hi"}')`, `did you mean "prompt"`},
		{`project.rollout({"dev"})`, `argument #1 (through) must be a string`},
	} {
		err := h.Err(tc.code)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.code, err, tc.want)
		}
	}
}
