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
		{Name: "exec.RunOpts", Items: "string", Doc: "The command and its arguments as the list part, and options.",
			Fields: "dir?: string, env?: table<string, string|number|boolean>, echo?: boolean, stream?: boolean, check?: boolean, stdin?: string"},
		{Name: "exec.Result", Fields: "code: integer, stdout: string, stderr: string"},
	},
	Funcs: []engine.Func{
		{Name: "run", Params: "cmd: exec.RunOpts", Returns: "exec.Result",
			Doc: "Runs cmd with args (no shell). dir is relative to the project. env adds variables. echo prints the command first; stream shows its output lines as they come; check=true (the default) raises an error when the exit code is not 0, naming the command and the end of its stderr.", Fn: run},
	},
}

type opts struct {
	argv   []string
	dir    string
	env    []string
	echo   bool
	stream bool
	check  bool
	stdin  string
}

func parse(L *lua.LState) opts {
	t := L.CheckTable(1)
	o := opts{echo: true, stream: true, check: true}
	for i := 1; i <= t.Len(); i++ {
		o.argv = append(o.argv, L.ToStringMeta(t.RawGetInt(i)).String())
	}
	if len(o.argv) == 0 {
		engine.RaiseUsage(L, `exec.run{"go", "test", "./..."}`, "exec.run: no command given")
	}
	r := engine.FromL(L)
	o.dir = r.Dir
	if d, ok := t.RawGetString("dir").(lua.LString); ok {
		o.dir = string(d)
		if !filepath.IsAbs(o.dir) {
			o.dir = filepath.Join(r.Dir, o.dir)
		}
	}
	if e, ok := t.RawGetString("env").(*lua.LTable); ok {
		var keys []string
		e.ForEach(func(k, v lua.LValue) { keys = append(keys, k.String()+"="+v.String()) })
		sort.Strings(keys)
		o.env = keys
	}
	for name, p := range map[string]*bool{"echo": &o.echo, "stream": &o.stream, "check": &o.check} {
		if v, ok := t.RawGetString(name).(lua.LBool); ok {
			*p = bool(v)
		}
	}
	if s, ok := t.RawGetString("stdin").(lua.LString); ok {
		o.stdin = string(s)
	}
	return o
}

type result struct {
	code           int
	stdout, stderr string
}

func run(L *lua.LState) int {
	o := parse(L)
	r := engine.FromL(L)
	branch := r.Branch(L)
	if o.echo {
		r.Out.Emit(engine.Event{Type: "info", Branch: branch, Message: "$ " + quote(o.argv)})
	}
	res, err := engine.Unlocked(L, func(ctx context.Context) (result, error) {
		return execute(ctx, r, branch, o)
	})
	if err != nil {
		engine.Raise(L, err)
	}
	if o.check && res.code != 0 {
		tail := lastLines(res.stderr, 5)
		if tail == "" {
			tail = lastLines(res.stdout, 5)
		}
		msg := fmt.Sprintf("%s exited with code %d", quote(o.argv), res.code)
		if tail != "" {
			msg += ":\n" + tail
		}
		engine.Raise(L, &engine.Error{Code: engine.ExitFailure, Msg: msg, Hint: "pass check=false to exec.run to handle the exit code yourself"})
	}
	t := L.NewTable()
	t.RawSetString("code", lua.LNumber(res.code))
	t.RawSetString("stdout", lua.LString(res.stdout))
	t.RawSetString("stderr", lua.LString(res.stderr))
	L.Push(t)
	return 1
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
	res := result{stdout: out.String(), stderr: errb.String()}
	var ee *osexec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return res, fmt.Errorf("running %s: %w", quote(o.argv), ctx.Err())
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
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
