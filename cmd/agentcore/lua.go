package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/project"
)

const luaUsage = `Usage:
  agentcore lua FILE [ARGS...]   run a Lua file with every builtin loaded (ARGS in the global arg)
  agentcore lua -e CODE          run a chunk of Lua; its results are printed`

func (a *app) cmdLua(args []string) error {
	fs := pflag.NewFlagSet("lua", pflag.ContinueOnError)
	code := fs.String("eval", "", "Lua code to run")
	fs.Lookup("eval").Shorthand = ""
	// -e is the global --env flag elsewhere; here it means eval, as in lua -e.
	for i, x := range args {
		if x == "-e" {
			args[i] = "--eval"
		}
	}
	rest, err := a.parse(fs, args, luaUsage)
	if err != nil {
		return helpOK(err)
	}
	if *code == "" && len(rest) == 0 {
		return usageErr(luaUsage, "lua needs a FILE or -e CODE")
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
	vm := engine.NewVM(run, builtins.Registry())
	defer vm.Close()
	vm.Recipes = a.resolver(p)
	name, src := "(command line)", *code
	if src == "" {
		b, err := os.ReadFile(rest[0])
		if err != nil {
			return usageErr("", "%v", err)
		}
		name, src = rest[0], string(b)
		argT := vm.L.NewTable()
		for i, x := range rest[1:] {
			argT.RawSetInt(i+1, lua.LString(x))
		}
		argT.RawSetInt(0, lua.LString(rest[0]))
		vm.L.SetGlobal("arg", argT)
	}
	res, err := vm.DoString(name, src)
	if err != nil {
		return err
	}
	for _, v := range res {
		if a.out.JSON {
			g, _ := engine.ToGo(v)
			a.out.Result("lua", g, nil)
			continue
		}
		if t, ok := v.(*lua.LTable); ok {
			g, _ := engine.ToGo(t)
			fmt.Fprintf(a.stdout, "%v\n", g)
			continue
		}
		fmt.Fprintln(a.stdout, vm.L.ToStringMeta(v).String())
	}
	return nil
}
