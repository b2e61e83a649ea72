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
		{Name: "ui.ErrorOpts", Of: errorOpts{}},
		{Name: "ui.ProgressOpts", Of: progressOpts{}},
		{Name: "ui.ConfirmOpts", Of: confirmOpts{}},
	},
	Funcs: []engine.Func{
		{Name: "step", Params: "message: string", Doc: "Starts a step: a bold line.", Go: say("step")},
		{Name: "ok", Params: "message: string", Doc: "Reports success.", Go: say("ok")},
		{Name: "success", Params: "message: string", Doc: "Reports success; the same as ui.ok.", Go: say("ok")},
		{Name: "warn", Params: "message: string", Doc: "Reports a warning (stderr in text mode).", Go: say("warn")},
		{Name: "fail", Params: "message: string", Doc: "Reports a failure without stopping the recipe (use ui.error to stop).", Go: say("fail")},
		{Name: "info", Params: "message: string", Doc: "An indented detail line.", Go: say("info")},
		{Name: "debug", Params: "message: string", Doc: "A line shown only with -v.", Go: say("debug")},
		{Name: "error", Params: "message: string, opts?: ui.ErrorOpts", Doc: "Stops the recipe with an error; hint says what to run instead; usage=true makes the exit code 2 (bad input); code sets another exit code.", Go: luaError},
		{Name: "table", Params: "headers: string[], rows: table[]", Doc: "Prints an aligned table (a table event in JSON).", Go: luaTable},
		{Name: "progress", Params: "label: string, current?: number, total?: number, opts?: ui.ProgressOpts", Doc: "Reports progress of an item; drawn in place on a terminal.", Go: luaProgress},
		{Name: "print", Params: "text: any", Doc: "Writes text and a newline to stdout as is (an output event in JSON).", Go: luaPrint},
		{Name: "write", Params: "text: string", Doc: "Writes text to stdout without a newline, for streamed answers (a chunk event in JSON).", Go: luaWrite},
		{Name: "emit", Params: "type: string, fields?: table", Doc: "Emits a custom event (JSON mode) or an info line with its fields (text).", Go: luaEmit},
		{Name: "exit_code", Params: "code: integer", Doc: "Sets the exit code of a run that ends without an error but with a finding (3: drift found). The result object of -o json is still written, with ok=false.", Go: luaExitCode},
		{Name: "json_mode", Returns: "boolean", Doc: "True with -o json.", Go: luaJSONMode},
		{Name: "confirm", Params: "question: string, opts?: ui.ConfirmOpts", Returns: "boolean",
			Doc: "Asks a yes/no question (or, with typed, asks the user to type TEXT). --yes answers yes to plain questions, and with --confirm TEXT[,TEXT...] typed ones naming one of those texts; without a terminal and without --yes it stops with an error saying to pass --yes.", Go: luaConfirm},
	},
}

type errorOpts struct {
	Hint  string `json:"hint,omitempty"`
	Usage bool   `json:"usage,omitempty"`
	Code  int    `json:"code,omitempty"`
}

type progressOpts struct {
	ID string `json:"id,omitempty"`
}

type confirmOpts struct {
	Default bool   `json:"default,omitempty"`
	Typed   string `json:"typed,omitempty"`
}

func say(kind string) func(L *lua.LState, message string) {
	return func(L *lua.LState, message string) {
		r := engine.FromL(L)
		r.Out.Emit(engine.Event{Type: kind, Branch: r.Branch(L), Message: message})
	}
}

func luaError(message string, opts errorOpts) error {
	code := engine.ExitFailure
	if opts.Usage {
		code = engine.ExitUsage
	}
	if opts.Code > 0 && opts.Code < 126 {
		code = opts.Code
	}
	return &engine.Error{Code: code, Msg: message, Hint: opts.Hint}
}

func luaTable(L *lua.LState, headers *lua.LTable, rows *lua.LTable) error {
	r := engine.FromL(L)
	ev := engine.Event{Type: "table", Branch: r.Branch(L)}
	for i := 1; i <= headers.Len(); i++ {
		ev.Headers = append(ev.Headers, lua.LVAsString(L.ToStringMeta(headers.RawGetInt(i))))
	}
	for i := 1; i <= rows.Len(); i++ {
		row := rows.RawGetInt(i).(*lua.LTable) // rows: table[], checked
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
	return nil
}

func luaProgress(L *lua.LState, label string, current, total float64, opts progressOpts) {
	r := engine.FromL(L)
	r.Out.Progress(r.Branch(L), opts.ID, label, int64(current), int64(total))
}

func luaPrint(L *lua.LState, v lua.LValue) {
	r := engine.FromL(L)
	text := L.ToStringMeta(v).String()
	if r.Out.JSON {
		r.Out.Emit(engine.Event{Type: "output", Branch: r.Branch(L), Message: text})
		return
	}
	fmt.Fprintln(r.Out.Stdout, r.Out.Mask(text))
}

func luaWrite(L *lua.LState, text string) {
	r := engine.FromL(L)
	if r.Out.JSON {
		r.Out.Emit(engine.Event{Type: "chunk", Branch: r.Branch(L), Message: text})
		return
	}
	fmt.Fprint(r.Out.Stdout, r.Out.Mask(text))
}

func luaEmit(L *lua.LState, typ string, data any) {
	r := engine.FromL(L)
	fields, _ := data.(map[string]any) // a list or nothing: no fields
	if r.Out.JSON {
		r.Out.Emit(engine.Event{Type: typ, Branch: r.Branch(L), Fields: fields})
		return
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, fields[k]))
	}
	r.Out.Info(r.Branch(L), typ+" "+strings.Join(parts, " "))
}

func luaExitCode(L *lua.LState, code int) error {
	if code < 0 || code > 125 {
		return engine.Usagef("", "ui.exit_code: %d is not an exit code (0 to 125)", code)
	}
	engine.FromL(L).ExitCode = code
	return nil
}

func luaJSONMode(L *lua.LState) bool { return engine.FromL(L).Out.JSON }

func luaConfirm(L *lua.LState, q string, opts confirmOpts) (bool, error) {
	r := engine.FromL(L)
	typed := opts.Typed
	if typed == "" && r.Yes {
		return true, nil
	}
	if typed != "" && r.Yes && r.Confirm != "" {
		// --confirm may name several environments (a rollout through two protected ones):
		// names never hold a comma.
		ok := false
		for _, c := range strings.Split(r.Confirm, ",") {
			ok = ok || strings.TrimSpace(c) == typed
		}
		return ok, nil
	}
	if !r.Interactive {
		hint := "run again with --yes to confirm"
		if typed != "" {
			hint = fmt.Sprintf("this needs a typed confirmation of %q: run it in a terminal, or pass --confirm %s with --yes", typed, typed)
		}
		return false, &engine.Error{Code: engine.ExitUsage, Msg: "confirmation needed: " + q, Hint: hint}
	}
	prompt := q + " [y/N] "
	if opts.Default {
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
		return false, fmt.Errorf("reading the answer: %w", err)
	}
	line = strings.TrimSpace(line)
	switch {
	case typed != "":
		return line == typed, nil
	case line == "":
		return opts.Default, nil
	}
	return strings.EqualFold(line, "y") || strings.EqualFold(line, "yes"), nil
}
