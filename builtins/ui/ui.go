// Package ui is the Lua module that talks to the user: steps, results, tables, progress,
// confirmations. Rendering (colour, TTY, JSON events) is decided by engine.Output.
package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// Module is the ui module.
var Module = &engine.Module{
	Name: "ui",
	Doc:  "Messages, tables, progress and confirmations. With -o json every call is one JSON event line.",
	Classes: []*engine.Class{
		{Name: "ui.ErrorOpts", Fields: "hint?: string, usage?: boolean, code?: integer"},
		{Name: "ui.ProgressOpts", Fields: "id?: string"},
		{Name: "ui.ConfirmOpts", Fields: "default?: boolean, typed?: string"},
	},
	Funcs: []engine.Func{
		{Name: "step", Params: "message: string", Doc: "Starts a step: a bold line.", Fn: say("step")},
		{Name: "ok", Params: "message: string", Doc: "Reports success.", Fn: say("ok")},
		{Name: "success", Params: "message: string", Doc: "Reports success; the same as ui.ok.", Fn: say("ok")},
		{Name: "warn", Params: "message: string", Doc: "Reports a warning (stderr in text mode).", Fn: say("warn")},
		{Name: "fail", Params: "message: string", Doc: "Reports a failure without stopping the recipe (use ui.error to stop).", Fn: say("fail")},
		{Name: "info", Params: "message: string", Doc: "An indented detail line.", Fn: say("info")},
		{Name: "debug", Params: "message: string", Doc: "A line shown only with -v.", Fn: say("debug")},
		{Name: "error", Params: "message: string, opts?: ui.ErrorOpts", Doc: "Stops the recipe with an error; hint says what to run instead; usage=true makes the exit code 2 (bad input); code sets another exit code.", Fn: uiError},
		{Name: "table", Params: "headers: string[], rows: table[]", Doc: "Prints an aligned table (a table event in JSON).", Fn: table},
		{Name: "progress", Params: "label: string, current?: number, total?: number, opts?: ui.ProgressOpts", Doc: "Reports progress of an item; drawn in place on a terminal.", Fn: progress},
		{Name: "print", Params: "text: any", Doc: "Writes text and a newline to stdout as is (an output event in JSON).", Fn: uiPrint},
		{Name: "write", Params: "text: string", Doc: "Writes text to stdout without a newline, for streamed answers (a chunk event in JSON).", Fn: uiWrite},
		{Name: "emit", Params: "type: string, fields?: table", Doc: "Emits a custom event (JSON mode) or an info line with its fields (text).", Fn: emit},
		{Name: "exit_code", Params: "code: integer", Doc: "Sets the exit code of a run that ends without an error but with a finding (3: drift found). The result object of -o json is still written, with ok=false.", Fn: exitCode},
		{Name: "json_mode", Returns: "boolean", Doc: "True with -o json.", Fn: jsonMode},
		{Name: "confirm", Params: "question: string, opts?: ui.ConfirmOpts", Returns: "boolean",
			Doc: "Asks a yes/no question (or, with typed, asks the user to type TEXT). --yes answers yes to plain questions, and with --confirm TEXT[,TEXT...] typed ones naming one of those texts; without a terminal and without --yes it stops with an error saying to pass --yes.", Fn: confirm},
	},
}

func say(kind string) lua.LGFunction {
	return func(L *lua.LState) int {
		r := engine.FromL(L)
		r.Out.Emit(engine.Event{Type: kind, Branch: r.Branch(L), Message: L.CheckString(1)})
		return 0
	}
}

func uiError(L *lua.LState) int {
	msg := L.CheckString(1)
	opts := L.OptTable(2, L.NewTable())
	code := engine.ExitFailure
	if lua.LVAsBool(opts.RawGetString("usage")) {
		code = engine.ExitUsage
	}
	if c, ok := opts.RawGetString("code").(lua.LNumber); ok && c > 0 && c < 126 {
		code = int(c)
	}
	engine.Raise(L, &engine.Error{Code: code, Msg: msg, Hint: lua.LVAsString(opts.RawGetString("hint"))})
	return 0
}

func table(L *lua.LState) int {
	r := engine.FromL(L)
	ev := engine.Event{Type: "table", Branch: r.Branch(L)}
	ht := L.CheckTable(1)
	for i := 1; i <= ht.Len(); i++ {
		ev.Headers = append(ev.Headers, lua.LVAsString(L.ToStringMeta(ht.RawGetInt(i))))
	}
	rt := L.CheckTable(2)
	for i := 1; i <= rt.Len(); i++ {
		row, ok := rt.RawGetInt(i).(*lua.LTable)
		if !ok {
			engine.RaiseUsage(L, "", "ui.table: row %d is not a list", i)
		}
		var cells []string
		for j := 1; j <= max(row.Len(), len(ev.Headers)); j++ {
			v := row.RawGetInt(j)
			if v == lua.LNil {
				cells = append(cells, "")
				continue
			}
			cells = append(cells, L.ToStringMeta(v).String())
		}
		ev.Rows = append(ev.Rows, cells)
	}
	r.Out.Emit(ev)
	return 0
}

func progress(L *lua.LState) int {
	r := engine.FromL(L)
	opts := L.OptTable(4, L.NewTable())
	r.Out.Progress(r.Branch(L), lua.LVAsString(opts.RawGetString("id")), L.CheckString(1),
		int64(L.OptNumber(2, 0)), int64(L.OptNumber(3, 0)))
	return 0
}

func uiPrint(L *lua.LState) int {
	r := engine.FromL(L)
	text := L.ToStringMeta(L.Get(1)).String()
	if r.Out.JSON {
		r.Out.Emit(engine.Event{Type: "output", Branch: r.Branch(L), Message: text})
		return 0
	}
	fmt.Fprintln(r.Out.Stdout, r.Out.Mask(text))
	return 0
}

func uiWrite(L *lua.LState) int {
	r := engine.FromL(L)
	text := L.CheckString(1)
	if r.Out.JSON {
		r.Out.Emit(engine.Event{Type: "chunk", Branch: r.Branch(L), Message: text})
		return 0
	}
	fmt.Fprint(r.Out.Stdout, r.Out.Mask(text))
	return 0
}

func emit(L *lua.LState) int {
	r := engine.FromL(L)
	typ := L.CheckString(1)
	fields, err := engine.ToGo(L.OptTable(2, L.NewTable()))
	if err != nil {
		engine.Raise(L, err)
	}
	m, _ := fields.(map[string]any)
	if r.Out.JSON {
		r.Out.Emit(engine.Event{Type: typ, Branch: r.Branch(L), Fields: m})
		return 0
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, m[k]))
	}
	r.Out.Info(r.Branch(L), typ+" "+strings.Join(parts, " "))
	return 0
}

func exitCode(L *lua.LState) int {
	n := L.CheckInt(1)
	if n < 0 || n > 125 {
		engine.RaiseUsage(L, "", "ui.exit_code: %d is not an exit code (0 to 125)", n)
	}
	engine.FromL(L).ExitCode = n
	return 0
}

func jsonMode(L *lua.LState) int {
	L.Push(lua.LBool(engine.FromL(L).Out.JSON))
	return 1
}

func confirm(L *lua.LState) int {
	r := engine.FromL(L)
	q := L.CheckString(1)
	opts := L.OptTable(2, L.NewTable())
	typed := lua.LVAsString(opts.RawGetString("typed"))
	if typed == "" && r.Yes {
		L.Push(lua.LTrue)
		return 1
	}
	if typed != "" && r.Yes && r.Confirm != "" {
		// --confirm may name several environments (a rollout through two protected ones):
		// names never hold a comma.
		ok := false
		for _, c := range strings.Split(r.Confirm, ",") {
			ok = ok || strings.TrimSpace(c) == typed
		}
		L.Push(lua.LBool(ok))
		return 1
	}
	if !r.Interactive {
		hint := "run again with --yes to confirm"
		if typed != "" {
			hint = fmt.Sprintf("this needs a typed confirmation of %q: run it in a terminal, or pass --confirm %s with --yes", typed, typed)
		}
		engine.Raise(L, &engine.Error{Code: engine.ExitUsage, Msg: "confirmation needed: " + q, Hint: hint})
	}
	prompt := q + " [y/N] "
	if lua.LVAsBool(opts.RawGetString("default")) {
		prompt = q + " [Y/n] "
	}
	if typed != "" {
		prompt = fmt.Sprintf("%s\nType %q to confirm: ", q, typed)
	}
	fmt.Fprint(r.Out.Stderr, prompt)
	line, err := engine.Unlocked(L, func(ctx context.Context) (string, error) {
		return r.ReadLine(ctx)
	})
	if err != nil {
		engine.Raise(L, fmt.Errorf("reading the answer: %w", err))
	}
	line = strings.TrimSpace(line)
	var yes bool
	switch {
	case typed != "":
		yes = line == typed
	case line == "":
		yes = lua.LVAsBool(opts.RawGetString("default"))
	default:
		yes = strings.EqualFold(line, "y") || strings.EqualFold(line, "yes")
	}
	L.Push(lua.LBool(yes))
	return 1
}
