package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/recipes"
)

func (a *app) cmdRun(args []string) error {
	// the recipe name is the first argument that is not a flag (of the recipe)
	for i, x := range args {
		if x == "--" {
			break
		}
		if !strings.HasPrefix(x, "-") {
			return a.runRecipe(x, append(append([]string{}, args[:i]...), args[i+1:]...))
		}
	}
	if _, err := a.parse(pflag.NewFlagSet("run", pflag.ContinueOnError), args, "Usage: agentcore run RECIPE [ARGS] [FLAGS]\n\nRuns a recipe. agentcore recipes lists them."); err != nil {
		return helpOK(err)
	}
	return usageErr("agentcore recipes lists them", "run needs a recipe name")
}

func (a *app) resolver(p *project.Project) *engine.Resolver {
	r := &engine.Resolver{Stock: recipes.FS}
	if p != nil {
		r.ProjectDir = p.Dir
	}
	return r
}

// runRecipe loads, binds and runs a recipe: project override first, then stock. args hold
// the recipe's own flags and arguments (the globals are parsed already).
func (a *app) runRecipe(name string, args []string) error {
	p, perr := a.loadProject()
	var nf *project.NotFoundError
	if perr != nil && !errors.As(perr, &nf) {
		return perr
	}
	res := a.resolver(p)
	src, err := res.Find(name)
	if err != nil {
		return err
	}
	helpOnly := a.g.help
	if p == nil && !helpOnly {
		return perr
	}
	run, err := a.newRun(p, !helpOnly)
	if err != nil {
		return err
	}
	vm := engine.NewVM(run, a.registry())
	defer vm.Close()
	vm.Recipes = res
	if p != nil && !helpOnly {
		for _, w := range p.Warnings {
			run.Out.Warn("", fmt.Sprintf("%s:%d:%d: %s", project.FileName, w.Line, w.Col, w.Msg))
		}
	}
	rc, err := vm.LoadRecipe(src)
	if err != nil {
		return err
	}

	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	binder := rc.AddFlags(fs)
	if helpOnly {
		fmt.Fprint(a.stdout, rc.Help(fs, globalUsage()))
		return nil
	}
	if err := fs.Parse(args); err != nil {
		return usageErr("agentcore run "+name+" --help shows its arguments", "%s: %s", name, flagErrorText(err, fs))
	}
	table, err := binder.Table(vm.L, fs.Args())
	if err != nil {
		return err
	}
	if a.g.verbose {
		a.out.Debug("", fmt.Sprintf("recipe %s from %s, environment %q", name, src.Origin, run.EnvName))
	}
	result, err := vm.Execute(rc, table, a.g.wait)
	if err == nil && run.ExitCode != 0 {
		// A finding, not a failure: the recipe printed its report; only the exit code says so.
		e := &engine.Error{Code: run.ExitCode, Msg: fmt.Sprintf("%s finished with exit code %d", name, run.ExitCode)}
		if a.out.JSON {
			a.out.Result(name, result, e)
		}
		return &alreadyReported{err: e}
	}
	if a.out.JSON {
		var e *engine.Error
		if err != nil {
			e = a.shown(asError(err).Error)
		}
		a.out.Result(name, result, e)
		if e != nil {
			// the result object carries the error; stderr gets the short form too
			a.out.JSON = false
			a.out.PrintError(e)
			return &alreadyReported{err: e}
		}
		return nil
	}
	return err
}
