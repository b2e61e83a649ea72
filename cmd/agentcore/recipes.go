package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/agentcore/agentcore/builtins"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/project"
	"github.com/agentcore/agentcore/engine/state"
)

const recipesUsage = `Usage:
  agentcore recipes              list every recipe: name, source (stock or the project file), description
  agentcore recipes show NAME    print the source that would run
  agentcore recipes eject NAME   copy a stock recipe to recipes/NAME.lua for customising`

func (a *app) cmdRecipes(args []string) error {
	rest, err := a.parse(pflag.NewFlagSet("recipes", pflag.ContinueOnError), args, recipesUsage)
	if err != nil {
		return helpOK(err)
	}
	p, perr := a.loadProject()
	var nf *project.NotFoundError
	if perr != nil && !errors.As(perr, &nf) {
		return perr
	}
	res := a.resolver(p)
	if len(rest) == 0 || rest[0] == "list" {
		return a.listRecipes(p, res)
	}
	if len(rest) != 2 {
		return usageErr(recipesUsage, "recipes takes list, show NAME or eject NAME")
	}
	switch rest[0] {
	case "show":
		src, err := res.Find(rest[1])
		if err != nil {
			return err
		}
		if a.out.JSON {
			return json.NewEncoder(a.stdout).Encode(map[string]any{"name": src.Name, "origin": src.Origin, "source": string(src.Code)})
		}
		if a.out.Fancy {
			fmt.Fprintf(a.stderr, "-- %s (%s)\n", src.Name, src.Origin)
		}
		_, err = a.stdout.Write(src.Code)
		return err
	case "eject":
		if p == nil {
			return perr
		}
		src, err := res.StockSource(rest[1])
		if err != nil {
			return usageErr("agentcore recipes lists them", "%v", err)
		}
		dst := filepath.Join(p.Dir, engine.RecipesDir, src.Name+".lua")
		if _, err := os.Stat(dst); err == nil {
			return usageErr("edit it, or delete it first to eject the stock version again",
				"%s already exists; not overwriting it", relPath(dst))
		}
		if err := state.WriteFileAtomic(dst, src.Code, 0o644); err != nil {
			return err
		}
		a.out.OK("", fmt.Sprintf("copied stock recipe %s to %s; it now overrides the stock one", src.Name, relPath(dst)))
		a.out.Info("", `to wrap the stock recipe instead of replacing it, call stock("`+src.Name+`").run(args) from your file`)
		return nil
	}
	return usageErr(recipesUsage, "unknown recipes subcommand %q", rest[0])
}

func relPath(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return p
}

func (a *app) listRecipes(p *project.Project, res *engine.Resolver) error {
	srcs, err := res.List()
	if err != nil {
		return err
	}
	run, err := a.newRun(p, false)
	if err != nil {
		return err
	}
	vm := engine.NewVM(run, builtins.Registry())
	defer vm.Close()
	vm.Recipes = res
	type row struct {
		Name        string `json:"name"`
		Origin      string `json:"origin"`
		Override    bool   `json:"overrides_stock"`
		Description string `json:"description"`
		Error       string `json:"error,omitempty"`
	}
	var rows []row
	for _, s := range srcs {
		r := row{Name: s.Name, Origin: s.Origin, Override: s.Override}
		if rc, err := vm.LoadRecipe(s); err != nil {
			r.Error = err.Error()
		} else {
			r.Description = firstSentence(rc.Description)
		}
		rows = append(rows, r)
	}
	if a.out.JSON {
		return json.NewEncoder(a.stdout).Encode(rows)
	}
	ev := engine.Event{Type: "table", Headers: []string{"RECIPE", "SOURCE", "DESCRIPTION"}}
	for _, r := range rows {
		origin := r.Origin
		if r.Override {
			origin += " (overrides stock)"
		}
		desc := r.Description
		if r.Error != "" {
			desc = "error: " + r.Error
		}
		ev.Rows = append(ev.Rows, []string{r.Name, origin, desc})
	}
	a.out.Emit(ev)
	return nil
}

func firstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
