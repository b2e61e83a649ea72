package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// Exit codes, documented in the README.
const (
	ExitOK          = 0
	ExitFailure     = 1   // the work failed
	ExitUsage       = 2   // bad usage or bad input
	ExitDrift       = 3   // drift found (agentcore drift)
	ExitInterrupted = 130 // interrupted (Ctrl-C), as shells report SIGINT
)

// Error is the error type that crosses the Go/Lua boundary and reaches the user. Code is the
// process exit code; Hint is the "what to run instead" line; Where is the script position.
type Error struct {
	Code  int
	Msg   string
	Hint  string
	Where string // "recipes/create.lua:42:" when raised from or through a script
	Trace string // Lua traceback, printed with -v
	Err   error  // wrapped cause, if any
	// AWSCode is the error code of a failed AWS call ("ParameterNotFound"); a recipe reads it
	// as err.aws_code after pcall.
	AWSCode string

	branch string // the parallel branch Trace comes from
}

func (e *Error) Error() string {
	if e.Where != "" && !strings.HasPrefix(e.Msg, e.Where) {
		return e.Where + " " + e.Msg
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Usagef returns an exit-2 error (bad usage or bad input) with a hint.
func Usagef(hint, format string, args ...any) *Error {
	return &Error{Code: ExitUsage, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// Failf returns an exit-1 error (the work failed) with a hint.
func Failf(hint, format string, args ...any) *Error {
	return &Error{Code: ExitFailure, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// ExitCode maps any error to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *Error
	if errors.As(err, &e) && e.Code != 0 {
		return e.Code
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	return ExitFailure
}

const errorMeta = "agentcore.error"

// Raise raises err in Lua at the caller's position, keeping its code and hint so that pcall
// sees a table {message, hint, code, where, aws_code} (tostring gives "file:line: message") and the engine can
// rebuild the *Error when the script does not catch it. It never returns.
func Raise(L *lua.LState, err error) {
	var e *Error
	if !errors.As(err, &e) {
		code := ExitFailure
		if errors.Is(err, context.Canceled) {
			code = ExitInterrupted
		}
		e = &Error{Code: code, Msg: err.Error(), Err: err}
	}
	where := e.Where
	if where == "" {
		where = scriptPosition(L)
	}
	t := L.NewTable()
	t.RawSetString("message", lua.LString(e.Msg))
	if e.Hint != "" {
		t.RawSetString("hint", lua.LString(e.Hint))
	}
	t.RawSetString("code", lua.LNumber(e.Code))
	if e.AWSCode != "" {
		t.RawSetString("aws_code", lua.LString(e.AWSCode))
	}
	t.RawSetString("where", lua.LString(where))
	if e.Trace != "" { // a parallel branch's own traceback, see parallel
		t.RawSetString("trace", lua.LString(e.Trace))
		t.RawSetString("branch", lua.LString(e.branch))
	}
	L.SetMetatable(t, L.GetTypeMetatable(errorMeta))
	L.Error(t, 0)
}

// scriptPosition is the position of the nearest Lua caller: a builtin called through pcall
// (or another Go function) reports the script line that called that, not "[G]:".
func scriptPosition(L *lua.LState) string {
	for level := 1; level < 8; level++ {
		w := L.Where(level)
		if w != "" && !strings.HasPrefix(w, "[G]") {
			return w
		}
	}
	return ""
}

// RaiseUsage raises an exit-2 error at the caller's position.
func RaiseUsage(L *lua.LState, hint, format string, args ...any) {
	Raise(L, Usagef(hint, format, args...))
}

func installErrorMeta(L *lua.LState) {
	mt := L.NewTypeMetatable(errorMeta)
	L.SetField(mt, "__tostring", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		L.Push(lua.LString(errorText(t)))
		return 1
	}))
}

func errorText(t *lua.LTable) string {
	msg := lua.LVAsString(t.RawGetString("message"))
	if where := lua.LVAsString(t.RawGetString("where")); where != "" && !strings.HasPrefix(msg, where) {
		return where + " " + msg
	}
	return msg
}

// fromLua turns what PCall returned into an *Error, trimming Go and Lua internals from the
// message and keeping the traceback for -v.
func fromLua(err error) *Error {
	if err == nil {
		return nil
	}
	var api *lua.ApiError
	if !errors.As(err, &api) {
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		return &Error{Code: ExitFailure, Msg: err.Error(), Err: err}
	}
	out := &Error{Code: ExitFailure, Trace: api.StackTrace, Err: api.Cause}
	if api.Type == lua.ApiErrorSyntax {
		out.Code = ExitUsage
	}
	switch obj := api.Object.(type) {
	case *lua.LTable:
		out.Msg = lua.LVAsString(obj.RawGetString("message"))
		out.Hint = lua.LVAsString(obj.RawGetString("hint"))
		out.Where = lua.LVAsString(obj.RawGetString("where"))
		out.AWSCode = lua.LVAsString(obj.RawGetString("aws_code"))
		if c, ok := obj.RawGetString("code").(lua.LNumber); ok && c != 0 {
			out.Code = int(c)
		}
		if inner := lua.LVAsString(obj.RawGetString("trace")); inner != "" {
			out.Trace = mergeTrace(inner, lua.LVAsString(obj.RawGetString("branch")), out.Trace)
		}
		if out.Msg == "" {
			out.Msg = tableMessage(obj)
		}
	default:
		out.Msg = api.Object.String()
	}
	if api.Cause != nil && errors.Is(api.Cause, context.Canceled) {
		out.Code = ExitInterrupted
		out.Msg = "interrupted"
	}
	return out
}

// stockPosition matches a position inside the embedded recipes ("stock:lib/deploy.lua:728: "),
// which tells a user nothing they can open or change.
var stockPosition = lazyregexp.New(`stock:[A-Za-z0-9_./-]+\.lua:\d+:(\d+:)? ?`)

// WithoutStockPositions returns the error as a user reads it without -v: the positions inside
// the stock recipes dropped from its position and message. A position in the project's own
// recipes (recipes/x.lua:7:) is the user's code and stays.
func (e *Error) WithoutStockPositions() *Error {
	out := *e
	if stockPosition.MatchString(out.Where) {
		out.Where = ""
	}
	out.Msg = stockPosition.ReplaceAllString(out.Msg, "")
	return &out
}
