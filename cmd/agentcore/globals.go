package main

import (
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/state"
)

// globals are the flags every command takes. They are parsed once, from the whole command
// line, by parseGlobals, before the command runs; the app keeps the value and nothing changes
// it afterwards (a command that needs other values works on a copy of the app).
type globals struct {
	env     string
	output  string
	noColor bool
	verbose bool
	dir     string
	yes     bool
	wait    bool
	// waitTimeout bounds --wait.
	waitTimeout time.Duration
	help        bool
	confirm     string
}

// globalFlags declares the global flags on a new flag set bound to g.
func globalFlags(g *globals) *pflag.FlagSet {
	fs := pflag.NewFlagSet("globals", pflag.ContinueOnError)
	fs.StringVarP(&g.env, "env", "e", "", "environment to act on (default: agentcore env use, then default_environment)")
	fs.StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	fs.BoolVar(&g.noColor, "no-color", false, "disable colours (NO_COLOR is honoured too)")
	fs.BoolVarP(&g.verbose, "verbose", "v", false, "more detail: debug lines and Lua tracebacks")
	fs.StringVarP(&g.dir, "chdir", "C", "", "run as if started in DIR")
	fs.BoolVar(&g.yes, "yes", false, "answer yes to confirmations (required without a terminal)")
	fs.BoolVar(&g.wait, "wait", false, "wait for the environment lock instead of failing")
	fs.DurationVar(&g.waitTimeout, "wait-timeout", state.DefaultWaitTimeout, "with --wait, give up after this long (exit 1)")
	fs.StringVar(&g.confirm, "confirm", "", "typed confirmation for protected environments (with --yes; several: prod-us,prod-eu)")
	fs.BoolVarP(&g.help, "help", "h", false, "help")
	return fs
}

// globalUsage is the global flags' help text.
func globalUsage() string {
	var g globals
	return engine.FlagUsages(globalFlags(&g))
}

// globalNames lists the global flags' long names, for did-you-mean.
func globalNames() []string {
	var g globals
	var out []string
	globalFlags(&g).VisitAll(func(f *pflag.Flag) { out = append(out, f.Name) })
	return out
}

// parseGlobals takes the global flags out of args wherever they stand, before or after the
// command word and among a recipe's own flags (agentcore create my-bot -e prod), up to "--",
// and returns them with the other arguments in their order. Flags it does not know are left
// for the command, which knows its own.
func parseGlobals(args []string) (globals, []string, error) {
	var g globals
	fs := globalFlags(&g)
	set := func(f *pflag.Flag, v string) error {
		if err := fs.Set(f.Name, v); err != nil {
			return engine.Usagef("agentcore --help lists the flags", "invalid value %q for --%s: %v", v, f.Name, err)
		}
		return nil
	}
	needsValue := func(f *pflag.Flag, as string) error {
		return engine.Usagef("agentcore --help lists the flags", "flag %s needs a value (%s)", as, f.Usage)
	}
	var rest []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			rest = append(rest, args[i:]...)
			i = len(args)
		case strings.HasPrefix(arg, "--"):
			name, val, hasVal := strings.Cut(arg[2:], "=")
			f := fs.Lookup(name)
			if f == nil {
				rest = append(rest, arg)
				continue
			}
			switch {
			case hasVal:
			case f.NoOptDefVal != "": // a bool: --yes
				val = f.NoOptDefVal
			case i+1 < len(args):
				i++
				val = args[i]
			default:
				return g, nil, needsValue(f, "--"+name)
			}
			if err := set(f, val); err != nil {
				return g, nil, err
			}
		case len(arg) >= 2 && arg[0] == '-':
			f := fs.ShorthandLookup(arg[1:2])
			if f == nil {
				rest = append(rest, arg)
				continue
			}
			val := strings.TrimPrefix(arg[2:], "=")
			switch {
			case f.NoOptDefVal != "":
				if len(arg) > 2 { // -vx: a combination with flags of the command
					rest = append(rest, arg)
					continue
				}
				val = f.NoOptDefVal
			case val != "": // -eprod, -e=prod
			case i+1 < len(args):
				i++
				val = args[i]
			default:
				return g, nil, needsValue(f, "-"+f.Shorthand)
			}
			if err := set(f, val); err != nil {
				return g, nil, err
			}
		default:
			rest = append(rest, arg)
		}
	}
	if g.output != "text" && g.output != "json" {
		return g, nil, usageErr("use -o text or -o json", "unknown output format %q", g.output)
	}
	return g, rest, nil
}

// unknownFlag is the error for a flag before the command word, where only global flags go.
func unknownFlag(arg string) error {
	name := strings.TrimLeft(arg, "-")
	name, _, _ = strings.Cut(name, "=")
	return usageErr("agentcore --help lists the flags", "unknown flag %s%s", arg, suggestFlag(name))
}

func suggestFlag(name string) string {
	return flagSuggestion(name, globalNames())
}
