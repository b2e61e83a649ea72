package engine

import (
	"errors"
	"fmt"
	"strings"
	_ "unsafe" // go:linkname

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// yyErrorVerbose is the switch of gopher-lua's generated (goyacc) parser that makes a syntax
// error say what was found and what was expected ("unexpected TEnd, expecting '='") instead
// of only "syntax error". gopher-lua leaves it off and offers no setter; it is a plain
// package variable, set once here before any parse.
//
//go:linkname yyErrorVerbose github.com/yuin/gopher-lua/parse.yyErrorVerbose
var yyErrorVerbose bool

func init() { yyErrorVerbose = true }

// tokenNames maps the parser's token names to how they are written in Lua.
var tokenNames = strings.NewReplacer(
	"TAnd", "'and'", "TBreak", "'break'", "TDo", "'do'", "TElseIf", "'elseif'", "TElse", "'else'",
	"TEnd", "'end'", "TFalse", "'false'", "TFor", "'for'", "TFunction", "'function'", "TIf", "'if'",
	"TIn", "'in'", "TLocal", "'local'", "TNil", "'nil'", "TNot", "'not'", "TOr", "'or'",
	"TReturn", "'return'", "TRepeat", "'repeat'", "TThen", "'then'", "TTrue", "'true'",
	"TUntil", "'until'", "TWhile", "'while'", "TGoto", "'goto'", "TEqeq", "'=='", "TNeq", "'~='",
	"TLte", "'<='", "TGte", "'>='", "T2Comma", "'..'", "T3Comma", "'...'", "T2Colon", "'::'",
	"TIdent", "a name", "TNumber", "a number", "TString", "a string", "$end", "the end of the file",
	"$unk", "an unknown token",
)

// syntaxError turns a Lua compile error into an exit-2 error that reads
// "recipes/x.lua:7:12: unexpected 'end', expecting '=' or 'in'".
func syntaxError(err error) *Error {
	hint := "fix the script and run again; agentcore lua FILE runs a script on its own"
	cause := err
	if api, ok := err.(*lua.ApiError); ok && api.Cause != nil {
		cause = api.Cause
	}
	var pe *parse.Error
	if errors.As(cause, &pe) {
		msg := strings.TrimSpace(pe.Message)
		if rest, ok := strings.CutPrefix(msg, "syntax error"); ok {
			// "syntax error: unexpected TEnd, expecting '=' or TIn": say what was found as
			// written, and list what would have fitted
			found := fmt.Sprintf("'%s'", pe.Token)
			if pe.Pos.Line == parse.EOF {
				found = "the end of the file"
			}
			msg = "unexpected " + found
			if pe.Pos.Line == parse.EOF {
				msg = "the file ends too early"
			}
			if _, exp, ok := strings.Cut(rest, ", expecting "); ok {
				alts := strings.Split(tokenNames.Replace(exp), " or ")
				if len(alts) > 1 {
					msg += ", expected " + strings.Join(alts[:len(alts)-1], ", ") + " or " + alts[len(alts)-1]
				} else {
					msg += ", expected " + alts[0]
				}
			}
		}
		col := pe.Pos.Column // where the token ends: report where it starts
		if n := len(pe.Token); n > 0 && col-n+1 >= 1 {
			col = col - n + 1
		}
		where := fmt.Sprintf("%s:%d:%d:", pe.Pos.Source, pe.Pos.Line, col)
		if pe.Pos.Line == parse.EOF {
			where = pe.Pos.Source + ":"
		}
		return &Error{Code: ExitUsage, Where: where, Msg: where + " " + msg, Err: err, Hint: hint}
	}
	msg := err.Error()
	var api *lua.ApiError
	if errors.As(err, &api) {
		msg = api.Object.String()
	}
	msg = strings.TrimPrefix(msg, "<string>:")
	return &Error{Code: ExitUsage, Msg: "syntax error: " + firstLine(msg), Err: err, Hint: hint}
}
