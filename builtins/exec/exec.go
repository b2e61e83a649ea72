// Package exec is the Lua exec module: the one way a recipe runs a program. It echoes what it
// runs, streams the output into the ui, and returns the exit code and the output.
package exec

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/proctree"
)

// Module is the exec module.
var Module = &engine.Module{
	Name: "exec",
	Doc:  "Runs programs. Recipes reach the machine only through builtins; this is the one for external tools.",
	Classes: []*engine.Class{
		{Name: "exec.RunOpts", Of: runOpts{}, Doc: "The command and its arguments as the list part, and options."},
		{Name: "exec.Result", Of: result{}},
	},
	Funcs: []engine.Func{
		{Name: "run", Params: "cmd: exec.RunOpts", Returns: "exec.Result",
			Doc: "Runs cmd with args (no shell). dir is relative to the project. env adds variables. echo prints the command first; stream shows its output lines as they come; check=true (the default) raises an error when the exit code is not 0, naming the command and the end of its stderr.", Go: luaRun},
	},
}

type runOpts struct {
	Argv   engine.StringList `json:"-" lua:"items"`
	Dir    string            `json:"dir,omitempty"`
	Env    engine.StringMap  `json:"env,omitempty"`
	Echo   *bool             `json:"echo,omitempty"`   // default true
	Stream *bool             `json:"stream,omitempty"` // default true
	Check  *bool             `json:"check,omitempty"`  // default true
	Stdin  string            `json:"stdin,omitempty"`
}

// opts is a command ready to run: options resolved, defaults applied.
type opts struct {
	argv   []string
	dir    string
	env    []string
	echo   bool
	stream bool
	check  bool
	stdin  string
}

func orTrue(b *bool) bool { return b == nil || *b }

type result struct {
	Code   int    `json:"code"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
}

func luaRun(L *lua.LState, ro runOpts) (result, error) {
	if len(ro.Argv) == 0 {
		return result{}, engine.Usagef(`exec.run{"go", "test", "./..."}`, "exec.run: no command given")
	}
	r := engine.FromL(L)
	o := opts{argv: ro.Argv, dir: r.Dir, echo: orTrue(ro.Echo), stream: orTrue(ro.Stream), check: orTrue(ro.Check), stdin: ro.Stdin}
	if ro.Dir != "" {
		o.dir = ro.Dir
		if !filepath.IsAbs(o.dir) {
			o.dir = filepath.Join(r.Dir, o.dir)
		}
	}
	for k, v := range ro.Env {
		o.env = append(o.env, k+"="+v)
	}
	sort.Strings(o.env)
	branch := r.Branch(L)
	if o.echo {
		r.Out.Emit(engine.Event{Type: "info", Branch: branch, Message: "$ " + quote(o.argv)})
	}
	res, err := engine.Unlocked(L, func(ctx context.Context) (result, error) {
		return execute(ctx, r, branch, o)
	})
	if err != nil {
		return result{}, err
	}
	if o.check && res.Code != 0 {
		tail := lastLines(res.Stderr, 5)
		if tail == "" {
			tail = lastLines(res.Stdout, 5)
		}
		msg := fmt.Sprintf("%s exited with code %d", quote(o.argv), res.Code)
		if tail != "" {
			msg += ":\n" + tail
		}
		return result{}, &engine.Error{Code: engine.ExitFailure, Msg: msg, Hint: "pass check=false to exec.run to handle the exit code yourself"}
	}
	return res, nil
}

func execute(ctx context.Context, r *engine.Run, branch string, o opts) (result, error) {
	cmd := osexec.CommandContext(ctx, o.argv[0], o.argv[1:]...)
	proctree.Bind(cmd) // a Ctrl-C stops what the command started too
	cmd.Dir = o.dir
	cmd.Env = append(os.Environ(), o.env...)
	if o.stdin != "" {
		cmd.Stdin = strings.NewReader(o.stdin)
	}
	var out, errb bytes.Buffer
	var wg sync.WaitGroup
	pipe := func(dst *bytes.Buffer, source string) io.WriteCloser {
		pr, pw := io.Pipe()
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(pr)
			sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
			for sc.Scan() {
				line := sc.Text()
				dst.WriteString(line + "\n")
				if o.stream {
					r.Out.Log(branch, source, line)
				}
			}
			_, _ = io.Copy(io.Discard, pr)
		}()
		return pw
	}
	so := pipe(&out, filepath.Base(o.argv[0]))
	se := pipe(&errb, filepath.Base(o.argv[0]))
	cmd.Stdout, cmd.Stderr = so, se
	err := proctree.Ignore(cmd.Run())
	so.Close()
	se.Close()
	wg.Wait()
	res := result{Stdout: out.String(), Stderr: errb.String()}
	var ee *osexec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return res, fmt.Errorf("running %s: %w", quote(o.argv), ctx.Err())
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	case errors.Is(err, osexec.ErrNotFound):
		return res, &engine.Error{Code: engine.ExitFailure, Msg: fmt.Sprintf("%s: command not found", o.argv[0]),
			Hint: "install it or check PATH"}
	default:
		return res, fmt.Errorf("running %s: %w", quote(o.argv), err)
	}
	return res, nil
}

func quote(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\"'$\\") {
			parts[i] = fmt.Sprintf("%q", a)
		} else {
			parts[i] = a
		}
	}
	return strings.Join(parts, " ")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
