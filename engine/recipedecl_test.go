package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

// A recipe's argument declarations are checked as strictly as calls: a default of the wrong
// type, an unknown key (with a did-you-mean) or a key of the wrong type is an exit-2 error at
// the recipe file's line.
func TestRecipeDeclarationStrict(t *testing.T) {
	cases := []struct{ name, arg, want string }{
		{"string default is a number", `{ name = "endpoint", type = "string", default = 3 }`,
			`argument "endpoint" is declared string, but its default is the number 3: make it a string`},
		{"int default is a string", `{ name = "count", type = "int", default = "3" }`,
			`argument "count" is declared int, but its default is a string: make it a whole number`},
		{"int default is fractional", `{ name = "count", type = "int", default = 1.5 }`,
			`its default is the number 1.5: make it a whole number`},
		{"bool default is a string", `{ name = "force", type = "bool", default = "yes" }`,
			`argument "force" is declared bool, but its default is a string: make it true or false`},
		{"list default is a string", `{ name = "tag", type = "list", default = "a" }`,
			`argument "tag" is declared list, but its default is a string: make it a list of strings`},
		{"list default holds a number", `{ name = "tag", type = "list", default = { "a", 2 } }`,
			`argument "tag": default[2] must be a string, got the number 2`},
		{"default not a choice", `{ name = "mode", type = "string", choices = { "fast", "safe" }, default = "slow" }`,
			`argument "mode": default "slow" is not one of its choices (fast, safe)`},
		{"unknown key, close", `{ name = "mode", type = "string", hlep = "x" }`,
			`unknown option "args[1].hlep" (did you mean "help"?); known options of args[1]: after_dash, choices, default, help, name, positional, required, short, type`},
		{"unknown key, shortened", `{ name = "agent", type = "string", pos = true }`,
			`unknown option "args[1].pos" (did you mean "positional"?)`},
		{"unknown key, far", `{ name = "agent", type = "string", colour = "red" }`,
			`unknown option "args[1].colour"; known options of args[1]: after_dash, choices`},
		{"required is a string", `{ name = "agent", type = "string", required = "yes" }`,
			`field args[1].required must be a boolean, got a string`},
		{"choices hold a number", `{ name = "mode", type = "string", choices = { "a", 1 } }`,
			`args[1]: choices[2] must be a string, got the number 1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := enginetest.New(t)
			src := "return recipe {\n  description = \"strict\",\n  args = {\n    " + c.arg + ",\n  },\n  run = function(args) end,\n}\n"
			_, err := h.VM.LoadRecipe(engine.Source{Name: "strict", Chunk: "recipes/strict.lua", Code: []byte(src)})
			if err == nil {
				t.Fatalf("declaration accepted: %s", c.arg)
			}
			var e *engine.Error
			if !errors.As(err, &e) || e.Code != engine.ExitUsage {
				t.Fatalf("want an exit-2 engine error, got %#v", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q\nlacks %q", err.Error(), c.want)
			}
			if !strings.HasPrefix(err.Error(), "recipes/strict.lua:1: ") {
				t.Fatalf("error %q does not name the recipe file and line", err.Error())
			}
		})
	}
}

// An unknown key of the recipe table itself gets a did-you-mean too (declFromTable's check,
// for a file that returns a plain table rather than recipe{...}).
func TestRecipeDeclarationUnknownTopKey(t *testing.T) {
	h := enginetest.New(t)
	src := "return {\n  description = \"strict\",\n  arg = {},\n  run = function(args) end,\n}\n"
	_, err := h.VM.LoadRecipe(engine.Source{Name: "strict", Chunk: "recipes/strict.lua", Code: []byte(src)})
	if err == nil || !strings.Contains(err.Error(), `unknown field "arg" (did you mean "args"?); known: args, changes, description, lock, run, usage`) {
		t.Fatalf("got %v", err)
	}
}

// Well-typed defaults still load and bind.
func TestRecipeDeclarationDefaultsAccepted(t *testing.T) {
	h := enginetest.New(t)
	src := `return recipe { description = "ok", args = {
    { name = "endpoint", type = "string", default = "DEFAULT" },
    { name = "count", type = "int", default = 3 },
    { name = "force", type = "bool", default = false },
    { name = "tag", type = "list", default = { "a", "b" }, choices = { "a", "b" } },
  }, run = function(args) end }`
	if _, err := h.VM.LoadRecipe(engine.Source{Name: "ok", Chunk: "recipes/ok.lua", Code: []byte(src)}); err != nil {
		t.Fatal(err)
	}
}
