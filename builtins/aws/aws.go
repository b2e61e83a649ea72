// Package aws is the `aws` Lua module: who the credentials of the selected environment belong
// to, the account guard (Guard), the environment's AWS settings, and the reading of AWS errors
// caught in Lua. The AWS plumbing the AWS modules share (sessions, clients, calls, errors) is
// package awscall.
package aws

import (
	"context"
	"fmt"
	"regexp"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// Module is the aws Lua module.
var Module = &engine.Module{
	Name: "aws",
	Doc: "The AWS session of the selected environment: who the credentials belong to, the account " +
		"guard, and helpers to read AWS errors. Provider \"aws\" uses the standard credential chain " +
		"(profile from agentcore.toml, AWS_PROFILE, SSO, roles) and endpoint_url when set; provider " +
		"\"local\" talks to the local AgentCore endpoint with its own key pair (`agentcore local env` prints it).",
	Classes: []*engine.Class{
		{Name: "aws.Caller", Of: awscall.Caller{}},
		{Name: "aws.Env", Fields: `name?: string, provider: "aws"|"local", region?: string, account?: string, profile?: string, endpoint_url?: string`},
	},
	Funcs: []engine.Func{
		{Name: "caller", Returns: "aws.Caller",
			Doc: "Who the credentials belong to (STS GetCallerIdentity). Cached for the run.",
			Fn:  luaCaller},
		{Name: "guard", Returns: "aws.Caller",
			Doc: "The account guard: when the environment names an account and the credentials belong " +
				"to another, raises an error (exit code 2) naming both accounts and the environment. " +
				"Returns the caller otherwise. Recipes that change anything call it first.",
			Fn: luaGuard},
		{Name: "env", Returns: "aws.Env",
			Doc: "The selected environment's AWS settings as configured (no network call). region is " +
				"the configured one, or for provider \"local\" us-east-1 when unset.",
			Fn: luaEnv},
		{Name: "error_code", Params: "err: Error|string|nil", Returns: "string?",
			Doc: "The AWS error code of an error caught with pcall (\"ResourceNotFoundException\", " +
				"\"AccessDeniedException\"...), or nil when it is not an AWS error: err.aws_code, or for an error " +
				"turned into a string the code first in its message (\"CODE: what was being done: message\").",
			Fn: luaErrorCode},
		{Name: "is_not_found", Params: "err: Error|string|nil", Returns: "boolean",
			Doc: "Whether an error caught with pcall is an AWS \"does not exist\" error " +
				"(ResourceNotFoundException, RepositoryNotFoundException, NoSuchEntity, ParameterNotFound...).",
			Fn: luaIsNotFound},
	},
}

// Guard is the account guard for Go callers: it returns the caller when the environment names
// no account or the credentials belong to it, and an exit-2 *engine.Error naming both accounts
// otherwise. Call it inside engine.Unlocked.
func Guard(ctx context.Context, run *engine.Run) (*awscall.Caller, error) {
	c, err := awscall.CallerFor(ctx, run)
	if err != nil {
		return nil, err
	}
	env := run.Env()
	if env == nil || env.Account == "" || env.Account == c.Account {
		return c, nil
	}
	profile := "the default credential chain"
	if env.Profile != "" {
		profile = fmt.Sprintf("profile %q", env.Profile)
	}
	return nil, &engine.Error{Code: engine.ExitUsage,
		Msg: fmt.Sprintf("environment %q is for AWS account %s, but the credentials (%s, from %s) belong to account %s",
			env.Name, env.Account, c.Arn, profile, c.Account),
		Hint: fmt.Sprintf("check the profile (AWS_PROFILE, or profile in [environments.%s]) and the credentials; "+
			"`aws sts get-caller-identity` shows whose they are", env.Name)}
}

func luaCaller(L *lua.LState) int {
	run := engine.FromL(L)
	c, err := engine.Unlocked(L, func(ctx context.Context) (*awscall.Caller, error) { return awscall.CallerFor(ctx, run) })
	if err != nil {
		engine.Raise(L, err)
	}
	L.Push(engine.ToLua(L, c))
	return 1
}

func luaGuard(L *lua.LState) int {
	run := engine.FromL(L)
	c, err := engine.Unlocked(L, func(ctx context.Context) (*awscall.Caller, error) { return Guard(ctx, run) })
	if err != nil {
		engine.Raise(L, err)
	}
	L.Push(engine.ToLua(L, c))
	return 1
}

func luaEnv(L *lua.LState) int {
	run := engine.FromL(L)
	env := run.Env()
	t := L.NewTable()
	if env == nil {
		t.RawSetString("provider", lua.LString("aws"))
		L.Push(t)
		return 1
	}
	provider := env.Provider
	if provider == "" {
		provider = "aws"
	}
	region := env.Region
	if region == "" && provider == "local" {
		region = awscall.DefaultLocalRegion
	}
	for k, v := range map[string]string{"name": env.Name, "provider": provider, "region": region,
		"account": env.Account, "profile": env.Profile, "endpoint_url": env.EndpointURL} {
		if v != "" {
			t.RawSetString(k, lua.LString(v))
		}
	}
	L.Push(t)
	return 1
}

func errArgMessage(L *lua.LState) string {
	switch v := L.Get(1).(type) {
	case *lua.LTable:
		return lua.LVAsString(v.RawGetString("message"))
	case lua.LString:
		// "file.lua:12: CODE: ..." from tostring(err): drop the position.
		return scriptPosition.ReplaceAllString(string(v), "")
	}
	return ""
}

// scriptPosition matches the position Lua puts before an error message: "file.lua:12: " or,
// for an error raised by a Go function called from Go (pcall(builtin, ...)), "[G]: ".
var scriptPosition = regexp.MustCompile(`^(?:[^\s:]+:\d+:|\[G\]:)\s*`)

// errArgCode is the AWS code of the error argument: its aws_code field, or for an error that
// went through a string (error(tostring(err))) the code at the start of its message.
func errArgCode(L *lua.LState) string {
	if t, ok := L.Get(1).(*lua.LTable); ok {
		if c, ok := t.RawGetString("aws_code").(lua.LString); ok {
			return string(c)
		}
	}
	return errorCodeOf(errArgMessage(L))
}

func luaErrorCode(L *lua.LState) int {
	if code := errArgCode(L); code != "" {
		L.Push(lua.LString(code))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

func luaIsNotFound(L *lua.LState) int {
	L.Push(lua.LBool(awscall.NotFoundCode(errArgCode(L))))
	return 1
}

// codePrefix matches the AWS error code awscall.Error puts first. Messages of our own start
// with a lower-case word ("environment dev: ..."), so a leading CamelCase word is a code.
var codePrefix = regexp.MustCompile(`^([A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*): `)

// errorCodeOf extracts the AWS error code from a raised error's message.
func errorCodeOf(msg string) string {
	if m := codePrefix.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}
