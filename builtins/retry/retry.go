// Package retry is the Lua retry module: which failures are worth trying again. A role
// created moments ago may not be assumable yet (IAM is eventually consistent); the recipes
// retry that one failure, with backoff, and only for a fresh role.
package retry

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// Module is the retry module.
var Module = &engine.Module{
	Name: "retry",
	Doc:  "Classifies failures caught with pcall: which ones a recipe may try again.",
	Funcs: []engine.Func{
		{Name: "is_iam_propagation", Params: "err: Error|string|nil", Returns: "boolean", Go: luaIsIAMPropagation,
			Doc: "Whether an error caught with pcall says an execution role cannot be used yet because IAM has not propagated it: " +
				"a ValidationException (err.aws_code, or the code that starts the message) about the role being assumed, trusted or authorized."},
	},
}

// codePrefix is an AWS error code at the start of a message ("ValidationException: ...").
var codePrefix = lazyregexp.New(`^([A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*): `)

// scriptPosition is the position Lua puts before a message turned into a string.
var scriptPosition = lazyregexp.New(`^(?:[^\s:]+:\d+:|\[G\]:)\s*`)

// IsIAMPropagation tells, from an AWS error's code and message, whether a runtime call failed
// only because its execution role is not usable yet: AgentCore answers ValidationException
// naming the role (it cannot assume it, is not authorized, the trust policy, "Role validation
// failed"). Other codes are never this case, whatever their text.
func IsIAMPropagation(code, message string) bool {
	if code != "ValidationException" {
		return false
	}
	msg := strings.ToLower(message)
	if !strings.Contains(msg, "role") {
		return false
	}
	for _, w := range []string{"assum", "not authorized", "trust", "validation failed"} {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}

// errorArg reads an error value as pcall gives it: an error table {message, aws_code} or a
// string, whose code is then the one its message starts with.
func errorArg(v lua.LValue) (code, message string) {
	switch e := v.(type) {
	case *lua.LTable:
		message = lua.LVAsString(e.RawGetString("message"))
		code = lua.LVAsString(e.RawGetString("aws_code"))
	case lua.LString:
		message = scriptPosition.ReplaceAllString(string(e), "")
	}
	if code == "" {
		if m := codePrefix.FindStringSubmatch(message); m != nil {
			code = m[1]
		}
	}
	return code, message
}

// luaIsIAMPropagation takes the raw value: pcall gives an error table or a string.
func luaIsIAMPropagation(err lua.LValue) bool {
	return IsIAMPropagation(errorArg(err))
}
