package jsonmod_test

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/jsonmod"
	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestEncodeLists(t *testing.T) {
	h := enginetest.New(t, jsonmod.Module)
	for src, want := range map[string]string{
		`return json.encode({})`:                                              `{}`,
		`return json.encode(json.array())`:                                    `[]`,
		`local l = json.array(); table.insert(l, "a"); return json.encode(l)`: `["a"]`,
		`return json.encode({eps = json.array({})})`:                          `{"eps":[]}`,
		`return json.encode(json.decode("[]"))`:                               `[]`,
		`return json.encode(json.decode('{"a":[],"b":{}}'))`:                  `{"a":[],"b":{}}`,
		`return json.encode({a = 1}, {indent = true})`:                        "{\n  \"a\": 1\n}",
	} {
		res := h.Do(t, src)
		if got := lua.LVAsString(res[0]); got != want {
			t.Errorf("%s = %s, want %s", src, got, want)
		}
	}
	for src, want := range map[string]string{
		`json.encode({1, x = 2})`:          "mixes list items and named keys",
		`json.encode({}, {indnet = true})`: `unknown option "indnet" (did you mean "indent"?)`,
		`json.array({x = 1})`:              "must be a list of values",
		`json.decode("[1,")`:               "json.decode:",
	} {
		if err := h.Err(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
}
