package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/mattn/go-isatty"
	"github.com/spf13/pflag"

	"github.com/agentcore/agentcore/builtins"
	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/builtins/statesync"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/state"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// app holds the process's streams and the decisions made once for the whole invocation.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	g              globals // parsed once by dispatch; never changed afterwards
	out            *engine.Output
	ctx            context.Context
	args           []string // the command line, for lock holders
	aws            *awscall.AWS
	completing     map[string]*engine.Recipe // recipe declarations loaded by __complete
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	// The program's AWS layer: the AWS modules and the SSM state store reach AWS, and the
	// local endpoint (started on first use), through it.
	a.aws = awscall.New(awscall.Local{
		Endpoint: a.ensureLocal,
		Credentials: func() (string, string, error) {
			c, err := endpoint().Credentials()
			return c.AccessKeyID, c.SecretAccessKey, err
		},
	})
	return a
}

// builtinCommands are handled in Go; every other first word names a recipe.
var builtinCommands map[string]func(*app, []string) error

func init() {
	builtinCommands = map[string]func(*app, []string) error{
		"run":        (*app).cmdRun,
		"recipes":    (*app).cmdRecipes,
		"env":        (*app).cmdEnv,
		"lua":        (*app).cmdLua,
		"version":    (*app).cmdVersion,
		"completion": (*app).cmdCompletion,
		"local":      (*app).cmdLocal,
		"init":       (*app).cmdInit,
		"dev":        (*app).cmdDev,
		"docs":       (*app).cmdDocs,
		"console":    (*app).cmdConsole,
		"help":       (*app).cmdHelp,
		"__complete": (*app).cmdComplete, // the completion scripts' callback
	}
}

func (a *app) main(args []string) int {
	a.args = args
	ctx, stop := a.signalContext()
	defer stop()
	a.ctx = ctx
	err := a.dispatch(args)
	if err == nil {
		return engine.ExitOK
	}
	e := asError(err)
	if a.out == nil {
		a.setupOutput()
	}
	if !e.printed {
		a.out.PrintError(a.shown(e.Error))
	}
	return engine.ExitCode(e.Error)
}

type reported struct {
	*engine.Error
	printed bool
}

// asError maps any error to an engine.Error with the right exit code and a hint.
func asError(err error) reported {
	var rep *alreadyReported
	if errors.As(err, &rep) {
		return reported{Error: rep.err, printed: true}
	}
	var e *engine.Error
	if errors.As(err, &e) {
		return reported{Error: e}
	}
	var le *project.LoadError
	if errors.As(err, &le) {
		return reported{Error: &engine.Error{Code: engine.ExitUsage, Msg: le.Error(), Hint: "fix agentcore.toml; the README documents every key"}}
	}
	var nf *project.NotFoundError
	if errors.As(err, &nf) {
		return reported{Error: &engine.Error{Code: engine.ExitUsage, Msg: nf.Error(), Hint: "create a project with: agentcore init (or pass -C DIR)"}}
	}
	if errors.Is(err, context.Canceled) {
		return reported{Error: &engine.Error{Code: engine.ExitInterrupted, Msg: "interrupted"}}
	}
	return reported{Error: &engine.Error{Code: engine.ExitFailure, Msg: err.Error(), Err: err}}
}

// alreadyReported wraps an error whose message was already printed (the JSON result object).
type alreadyReported struct{ err *engine.Error }

func (r *alreadyReported) Error() string { return r.err.Error() }

// shown is an error as the user reads it: without -v, positions inside the stock recipes
// (stock:lib/deploy.lua:728:) are dropped; those in the project's own recipes stay.
func (a *app) shown(e *engine.Error) *engine.Error {
	if a.g.verbose {
		return e
	}
	return e.WithoutStockPositions()
}

func usageErr(hint, format string, args ...any) error { return engine.Usagef(hint, format, args...) }

// signalContext cancels on the first Ctrl-C (recipes stop cleanly, state stays consistent);
// a second Ctrl-C exits at once.
func (a *app) signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		n := 0
		for range ch {
			n++
			if n == 1 {
				fmt.Fprintln(a.stderr, "\ninterrupting: stopping the current step (Ctrl-C again to quit at once)")
				cancel()
				continue
			}
			os.Exit(engine.ExitInterrupted)
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

func (a *app) dispatch(args []string) error {
	if len(args) > 0 && args[0] == "__complete" { // its words are the line being typed: no flag is ours
		a.setupOutput()
		return a.cmdComplete(args[1:])
	}
	// The global flags, wherever they stand, parsed once; the output is set up once from them.
	g, rest, err := parseGlobals(args)
	a.g = g
	a.setupOutput()
	if err != nil {
		return err
	}
	if a.g.dir != "" {
		if err := os.Chdir(a.g.dir); err != nil {
			return usageErr("", "-C %s: %v", a.g.dir, err)
		}
	}
	if len(rest) > 0 && strings.HasPrefix(rest[0], "-") && rest[0] != "-" {
		return unknownFlag(rest[0]) // before the command word only global flags go
	}
	if len(rest) == 0 {
		fmt.Fprint(a.stdout, a.mainHelp())
		if a.g.help {
			return nil
		}
		return usageErr("", "no command given")
	}
	name, sub := rest[0], rest[1:]
	if fn, ok := builtinCommands[name]; ok {
		return fn(a, sub)
	}
	return a.runRecipe(name, sub)
}

func (a *app) setupOutput() {
	tty := false
	if f, ok := a.stdout.(*os.File); ok {
		tty = isatty.IsTerminal(f.Fd())
	}
	_, noColorEnv := os.LookupEnv("NO_COLOR")
	json := a.g.output == "json"
	a.out = &engine.Output{
		Stdout:  a.stdout,
		Stderr:  a.stderr,
		JSON:    json,
		Color:   tty && !a.g.noColor && !noColorEnv && !json,
		Fancy:   tty && !json,
		Verbose: a.g.verbose,
	}
}

// parse parses a built-in command's own flags (the globals are parsed already) and returns
// its arguments; with --help it prints usage and the flags and returns errHelpShown.
func (a *app) parse(fs *pflag.FlagSet, args []string, usage string) ([]string, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if a.g.help {
		fmt.Fprintf(a.stdout, "%s\n", strings.TrimSpace(usage))
		if own := engine.FlagUsages(fs); own != "" {
			fmt.Fprintf(a.stdout, "\nFlags:\n%s", own)
		}
		fmt.Fprintf(a.stdout, "\nGlobal flags:\n%s", globalUsage())
		return nil, errHelpShown
	}
	if err := fs.Parse(args); err != nil {
		return nil, usageErr("agentcore "+fs.Name()+" --help", "%v", flagErrorText(err, fs))
	}
	return fs.Args(), nil
}

var errHelpShown = errors.New("help shown")

// flagErrorText adds a did-you-mean to pflag's unknown-flag error.
func flagErrorText(err error, fs *pflag.FlagSet) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		var known []string
		fs.VisitAll(func(f *pflag.Flag) { known = append(known, f.Name) })
		name, _, _ = strings.Cut(name, "=")
		msg += flagSuggestion(name, append(known, globalNames()...))
	}
	return msg
}

// flagSuggestion is " (did you mean --prompt?)", written as the flag one types, or "": the
// known flag within a small edit distance (1 for names up to 4 letters, else 2), or the one
// name is the start of.
func flagSuggestion(name string, known []string) string {
	limit := 2
	if len(name) <= 4 {
		limit = 1
	}
	best, bestD := "", limit+1
	for _, k := range known {
		if d := project.EditDistance(strings.ToLower(name), k); d < bestD && d < len(name) {
			best, bestD = k, d
		}
	}
	if best == "" && len(name) >= 3 {
		for _, k := range known {
			if strings.HasPrefix(k, name) {
				best = k
				break
			}
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean --" + best + "?)"
}

// project loads agentcore.toml from the working directory or a parent.
func (a *app) loadProject() (*project.Project, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	path, err := project.Find(wd)
	if err != nil {
		return nil, err
	}
	return project.Load(path)
}

// currentEnvFile keeps the environment chosen with `agentcore env use` (never in the TOML).
func currentEnvFile(p *project.Project) string {
	return filepath.Join(p.Dir, ".agentcore", "env")
}

func readCurrentEnv(p *project.Project) string {
	b, err := os.ReadFile(currentEnvFile(p))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// registry builds the builtin modules with what they need from the program.
func (a *app) registry() *engine.Registry {
	return builtins.Registry(builtins.Deps{AWS: a.aws})
}

// newRun builds the engine run for a project (nil project: ad-hoc Lua outside one).
func (a *app) newRun(p *project.Project, needEnv bool) (*engine.Run, error) {
	wd, _ := os.Getwd()
	run := &engine.Run{
		Ctx:         a.ctx,
		Dir:         wd,
		Out:         a.out,
		Yes:         a.g.yes,
		Confirm:     a.g.confirm,
		Stdin:       a.stdin,
		Verbose:     a.g.verbose,
		Command:     "agentcore " + strings.Join(a.args, " "),
		WaitTimeout: a.g.waitTimeout,
	}
	if f, ok := a.stdin.(*os.File); ok {
		run.Interactive = isatty.IsTerminal(f.Fd())
	}
	if p == nil {
		return run, nil
	}
	run.Project = p
	run.Dir = p.Dir
	files := state.NewFileStore(filepath.Join(p.Dir, ".agentcore", "state"))
	ssm := statesync.NewSSMStore(run, a.aws) // reaches SSM only when an environment uses it
	run.Stores = map[string]state.Store{}
	for n, e := range p.Environments {
		run.Stores[n] = files
		if e.State == "ssm" {
			run.Stores[n] = ssm
		}
	}
	run.Store = files
	run.History = state.NewHistoryLog(files.Dir)
	run.Who = a.historyWho
	name, _, err := p.SelectEnv(a.g.env, readCurrentEnv(p))
	if err != nil {
		if needEnv || a.g.env != "" { // an environment named with -e must exist
			return nil, usageErr("pick one with -e NAME, or agentcore env use NAME", "%v", err)
		}
		return run, nil
	}
	run.EnvName = name
	run.Store = run.Stores[name]
	return run, nil
}

// historyWho names the caller in a history entry of env: on AWS the ARN STS gives for the
// environment's credentials; on the local provider "" (the OS user@host stays: the local
// endpoint's STS answers with its one fixed account, which names nobody).
func (a *app) historyWho(ctx context.Context, r *engine.Run, env string) string {
	e := r.Project.Environments[env]
	if e == nil || e.Provider != "aws" {
		return ""
	}
	c, err := a.aws.Caller(ctx, r)
	if err != nil {
		return ""
	}
	return c.Arn
}

func (a *app) mainHelp() string {
	return `agentcore deploys AI agents to Amazon Bedrock AgentCore Runtime, or to a local
AgentCore-compatible endpoint, through Lua recipes.

Usage:
  agentcore RECIPE [ARGS] [FLAGS]     run a recipe (same as agentcore run RECIPE)
  agentcore run RECIPE [ARGS]         run a recipe; agentcore RECIPE --help explains it
  agentcore recipes [show|eject NAME] list recipes, print one's source, copy one to recipes/
  agentcore env [list|show|use NAME]  environments of agentcore.toml
  agentcore local start|stop|status|logs|reset
                                      the local AgentCore endpoint
  agentcore init [DIR]                create a project with a sample agent
  agentcore dev AGENT                 rebuild on every save, swapped in place (local provider)
  agentcore console [--port N]        a web console: agents, chat, logs, traces, metrics
  agentcore lua FILE | --eval CODE    run Lua with every builtin loaded
  agentcore docs [toml]               print the builtin reference, or agentcore.toml's (Markdown)
  agentcore version | completion bash|zsh|fish|powershell

` + a.recipesHelp() + `
Global flags:
` + globalUsage() + `
Exit codes: 0 success, 1 the work failed, 2 bad usage or input, 3 drift found, 130 interrupted.
`
}

// recipesHelp lists the recipes this project can run, stock and its own, with their
// descriptions (as agentcore recipes does, from the same cache).
func (a *app) recipesHelp() string {
	p, err := a.loadProject()
	res := a.resolver(p)
	note := ""
	if p == nil {
		var nf *project.NotFoundError
		if wd, werr := os.Getwd(); werr == nil && !errors.As(err, &nf) {
			if path, ferr := project.Find(wd); ferr == nil {
				res.ProjectDir = filepath.Dir(path) // its recipes still run once the TOML is fixed
				note = "  (agentcore.toml does not load: " + firstSentence(err.Error()) + ")\n"
			}
		}
	}
	rows, err := a.recipeRows(p, res)
	if err != nil {
		return "Recipes: agentcore recipes lists them (" + err.Error() + ")\n"
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r.Name))
	}
	var b strings.Builder
	b.WriteString("Recipes (agentcore RECIPE --help explains one; agentcore recipes shows their sources):\n")
	b.WriteString(note)
	for _, r := range rows {
		desc := r.Description
		if r.Error != "" {
			desc = "error: " + firstSentence(r.Error)
		}
		if r.Origin != "stock" {
			desc += " [" + strings.TrimSuffix(r.Origin, " (same as stock)") + "]"
		}
		fmt.Fprintf(&b, "  %-*s  %s\n", width, r.Name, desc)
	}
	return b.String()
}

func (a *app) cmdHelp(args []string) error {
	if len(args) > 0 {
		h := *a // agentcore help NAME is agentcore NAME --help
		h.g.help = true
		return h.runRecipe(args[0], nil)
	}
	fmt.Fprint(a.stdout, a.mainHelp())
	return nil
}

func (a *app) cmdVersion(args []string) error {
	if _, err := a.parse(pflag.NewFlagSet("version", pflag.ContinueOnError), args, "agentcore version"); err != nil {
		return helpOK(err)
	}
	if a.out.JSON {
		fmt.Fprintf(a.stdout, "{\"version\":%q}\n", version)
		return nil
	}
	fmt.Fprintf(a.stdout, "agentcore %s\n", version)
	return nil
}

// helpOK turns "help was shown" into success.
func helpOK(err error) error {
	if errors.Is(err, errHelpShown) {
		return nil
	}
	return err
}
