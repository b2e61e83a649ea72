package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"

	"github.com/spf13/pflag"

	"github.com/agentcore/agentcore/console"
)

const consoleUsage = `Usage: agentcore console [-e ENV] [--port N] [--no-open]

Serves a web console of the environment on 127.0.0.1: agents (versions, endpoints, health),
chat with an agent (streamed), sessions (stop), logs (live tail), traces (waterfall), metrics
(invocations, errors, latency p50/p99 over the last hour), memory, and the tools of MCP agents
and gateways (a form per tool, and the call's result). Every view runs the same
recipes as the commands. The printed URL carries a token made for this start: only who opens
it gets in. Ctrl-C stops the console.`

func (a *app) cmdConsole(args []string) error {
	fs := pflag.NewFlagSet("console", pflag.ContinueOnError)
	port := fs.Int("port", 0, "port on 127.0.0.1 (default: a free one)")
	noOpen := fs.Bool("no-open", false, "print the URL without opening a browser")
	rest, err := a.parse(fs, args, consoleUsage)
	if err != nil {
		return helpOK(err)
	}
	if len(rest) > 0 {
		return usageErr("agentcore console --help", "console takes no arguments, got %q", rest[0])
	}
	if *port < 0 || *port > 65535 {
		return usageErr("pass --port 0 for a free one", "--port %d is not a TCP port (0 to 65535)", *port)
	}
	p, err := a.loadProject()
	if err != nil {
		return err
	}
	run, err := a.newRun(p, true) // the environment must exist before the page promises it
	if err != nil {
		return err
	}
	ln, err := console.Listen(*port)
	if err != nil {
		return usageErr("pick another with --port N, or --port 0 for a free one", "console: %v", err)
	}
	srv := &console.Server{Token: console.NewToken(), Env: run.EnvName, Run: a.consoleRunner(run.EnvName)}
	url := srv.URL(ln)
	fmt.Fprintf(a.stdout, "agentcore console of environment %s: %s\n", run.EnvName, url)
	fmt.Fprintln(a.stderr, "the URL carries this start's token: keep it to yourself. Ctrl-C stops the console.")
	if !*noOpen {
		openBrowser(url)
	}
	return srv.Serve(a.ctx, ln)
}

// consoleRunner runs a recipe as `agentcore -e ENV NAME ARGS -o json` does, in this process,
// on a copy of the app whose stdout is the page's event stream: the same loading, binding,
// builtins, secrets masking and result object as the command.
func (a *app) consoleRunner(env string) console.Runner {
	return func(ctx context.Context, recipe string, args []string, w io.Writer) error {
		sub := *a
		sub.ctx = ctx
		sub.stdin = strings.NewReader("")
		sub.stdout = w
		sub.stderr = io.Discard // the result object carries the error
		sub.g.env = env
		sub.g.output = "json"
		sub.g.help = false
		sub.g.yes = recipe == "sessions" // the page's stop button asks before it sends
		sub.args = append([]string{"console:", recipe}, args...)
		sub.setupOutput()
		err := sub.runRecipe(recipe, args)
		if err == nil {
			return nil
		}
		e := asError(err)
		if !e.printed {
			sub.out.Result(recipe, nil, sub.shown(e.Error))
		}
		return e.Error
	}
}

// openBrowser opens url in the desktop's browser when there is one; failing is fine: the URL
// was printed.
func openBrowser(url string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		if _, err := exec.LookPath("xdg-open"); err != nil {
			return
		}
		cmd = exec.Command("xdg-open", url)
	}
	if cmd.Start() == nil {
		go func() { _ = cmd.Wait() }()
	}
}
