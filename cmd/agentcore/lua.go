package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/project"
)

const luaUsage = `Usage:
  agentcore lua FILE [ARGS...]         run a Lua file with every builtin loaded
  agentcore lua --eval CODE [ARGS...]  run a chunk of Lua

Every builtin and global of recipes is there (ui, aws, state, with_env, inspect...), in the
project's selected environment (-e ENV). ARGS reach the chunk as ... and as the global arg
(arg[0] is the FILE). What the chunk returns is printed as indented JSON, one value after
the other (with -o json: the result event's result, a list when there are several).
Global flags (-e ENV, -o json...) may stand anywhere; after -- everything is ARGS.

Examples:
  agentcore lua --eval 'return state.load().agents'
  agentcore lua --eval 'return aws.caller()' -e prod
  agentcore lua --eval 'return ...' a b
  agentcore lua check.lua my-bot`

func (a *app) cmdLua(args []string) error {
	fs := pflag.NewFlagSet("lua", pflag.ContinueOnError)
	// no shorthand: -e is the environment, as for every command
	code := fs.String("eval", "", "Lua code to run (instead of a FILE)")
	fs.SetInterspersed(false)
	rest, err := a.parse(fs, args, luaUsage)
	if err != nil {
		return helpOK(err)
	}
	evaluating := fs.Changed("eval")
	if !evaluating && len(rest) == 0 {
		return usageErr("agentcore lua --help shows examples", "lua needs a FILE or --eval CODE")
	}
	p, perr := a.loadProject()
	var nf *project.NotFoundError
	if perr != nil && !errors.As(perr, &nf) {
		return perr
	}
	run, err := a.newRun(p, false)
	if err != nil {
		return err
	}
	vm := engine.NewVM(run, a.registry())
	defer vm.Close()
	vm.Recipes = a.resolver(p)
	name, src, scriptArgs := "(command line)", *code, rest
	argT := vm.L.NewTable()
	if !evaluating {
		b, err := os.ReadFile(rest[0])
		if err != nil {
			return usageErr("", "%v", err)
		}
		name, src, scriptArgs = rest[0], string(b), rest[1:]
		argT.RawSetInt(0, lua.LString(rest[0]))
	}
	for i, x := range scriptArgs {
		if x == "--" { // what follows goes to the script even when it looks like a global flag
			scriptArgs = append(scriptArgs[:i:i], scriptArgs[i+1:]...)
			break
		}
	}
	vals := make([]lua.LValue, len(scriptArgs))
	for i, x := range scriptArgs {
		vals[i] = lua.LString(x)
		argT.RawSetInt(i+1, vals[i])
	}
	vm.L.SetGlobal("arg", argT)
	res, err := vm.DoString(name, src, vals...)
	if err != nil {
		return err
	}
	if a.out.JSON {
		var v any
		if len(res) == 1 {
			v = luaJSON(res[0])
		} else if len(res) > 1 {
			l := make([]any, len(res))
			for i, r := range res {
				l[i] = luaJSON(r)
			}
			v = l
		}
		a.out.Result("lua", v, nil)
		return nil
	}
	for _, v := range res {
		fmt.Fprintln(a.stdout, run.Out.Mask(engine.Inspect(v)))
	}
	return nil
}

// luaJSON is v for the JSON result: what Inspect shows, decoded, so that functions and cycles
// read the same in both outputs.
func luaJSON(v lua.LValue) any {
	var g any
	dec := json.NewDecoder(strings.NewReader(engine.Inspect(v)))
	dec.UseNumber()
	if err := dec.Decode(&g); err != nil {
		return engine.Inspect(v)
	}
	return g
}
