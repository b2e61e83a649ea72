package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/agentcore/agentcore/builtins"
	"github.com/agentcore/agentcore/engine/docgen"
	"github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/recipes"
)

const docsUsage = `Usage:
  agentcore docs > docs/reference.md       the builtin reference (Markdown)
  agentcore docs toml > docs/toml.md       the reference of agentcore.toml: every key with its type,
                                           default, allowed values and meaning (from the schema)
  agentcore docs --format luals [deploy]   LuaLS stubs (---@meta) of the builtins, or of the deploy library
  agentcore docs --install [DIR]           write the stubs to DIR/.agentcore/types/ and DIR/.luarc.json
                                           (DIR: the project root, default the current one)

Everything comes from the builtins' typed declarations (and recipes/lib/deploy.lua's LuaLS
comments), the same ones that check every call.`

// cmdDocs prints the builtin reference or the LuaLS stubs, generated from the modules' typed
// declarations; it is how docs/reference.md is made (make docs).
func (a *app) cmdDocs(args []string) error {
	flags := pflag.NewFlagSet("docs", pflag.ContinueOnError)
	format := flags.String("format", "markdown", "markdown or luals")
	install := flags.Bool("install", false, "write .agentcore/types/ and .luarc.json into the project")
	rest, err := a.parse(flags, args, docsUsage)
	if err != nil {
		return helpOK(err)
	}
	if *install {
		if len(rest) > 1 {
			return usageErr(docsUsage, "docs --install takes at most one directory")
		}
		dir := "."
		if len(rest) == 1 {
			dir = rest[0]
		} else if p, err := a.loadProject(); err == nil {
			dir = p.Dir // the project root, also from one of its folders
		}
		wrote, err := docGen().Install(relPath(dir))
		if err != nil {
			return err
		}
		for _, w := range wrote {
			a.out.OK("", "wrote "+w)
		}
		return nil
	}
	switch *format {
	case "markdown", "md":
		if len(rest) == 1 && rest[0] == "toml" {
			fmt.Fprint(a.stdout, project.TOMLReference())
			return nil
		}
		if len(rest) != 0 {
			return usageErr(docsUsage, "docs takes no argument but toml in markdown format")
		}
		fmt.Fprint(a.stdout, docGen().Reference())
	case "luals":
		switch {
		case len(rest) == 0 || rest[0] == "builtins":
			fmt.Fprint(a.stdout, docGen().LuaLS())
		case len(rest) == 1 && rest[0] == "deploy":
			s, err := docGen().DeployStubs()
			if err != nil {
				return err
			}
			fmt.Fprint(a.stdout, s)
		default:
			return usageErr(docsUsage, "docs --format luals takes builtins or deploy")
		}
	default:
		return usageErr(docsUsage, "unknown docs format %q: use markdown or luals", *format)
	}
	return nil
}

// docGen is the docs generator of every builtin module and the stock deploy library.
func docGen() *docgen.Gen {
	lib, err := recipes.FS.ReadFile("lib/deploy.lua")
	if err != nil {
		panic(err) // embedded: present in every build
	}
	return docgen.New(builtins.Registry(builtins.Deps{}), lib) // the declarations only: no module runs
}
