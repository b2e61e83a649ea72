// Package aws is the `aws` Lua module: who the credentials of the selected environment belong
// to, the account guard, the environment's AWS settings, and the reading of AWS errors
// caught in Lua. The AWS plumbing the AWS modules share (sessions, clients, calls, errors) is
// package awscall.
package aws

import (
	"context"
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// New returns the aws Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := newModule(a)
	return &engine.Module{
		Name: "aws",
		Doc: "The AWS session of the selected environment: who the credentials belong to, the account " +
			"guard, and helpers to read AWS errors. Provider \"aws\" uses the standard credential chain " +
			"(profile from agentcore.toml, AWS_PROFILE, SSO, roles) and endpoint_url when set; provider " +
			"\"local\" talks to the local AgentCore endpoint with its own key pair (`agentcore local env` prints it).",
		Classes: []*engine.Class{
			{Name: "aws.Caller", Of: awscall.Caller{}},
			{Name: "aws.Env", Of: envInfo{}},
		},
		Funcs: []engine.Func{
			{Name: "caller", Returns: "aws.Caller",
				Doc: "Who the credentials belong to (STS GetCallerIdentity). Cached for the run.",
				Go:  m.luaCaller},
			{Name: "guard", Returns: "aws.Caller",
				Doc: "The account guard: when the environment names an account and the credentials belong " +
					"to another, raises an error (exit code 2) naming both accounts and the environment. " +
					"Returns the caller otherwise. Recipes that change anything call it first.",
				Go: m.luaGuard},
			{Name: "env", Returns: "aws.Env",
				Doc: "The selected environment's AWS settings as configured (no network call). region is " +
					"the configured one, or for provider \"local\" us-east-1 when unset.",
				Go: m.luaEnv},
			{Name: "error_code", Params: "err: Error|string|nil", Returns: "string?",
				Doc: "The AWS error code of an error caught with pcall (\"ResourceNotFoundException\", " +
					"\"AccessDeniedException\"...), or nil when it is not an AWS error: err.aws_code, or for an error " +
					"turned into a string the code first in its message (\"CODE: what was being done: message\").",
				Go: m.luaErrorCode},
			{Name: "is_not_found", Params: "err: Error|string|nil", Returns: "boolean",
				Doc: "Whether an error caught with pcall is an AWS \"does not exist\" error " +
					"(ResourceNotFoundException, RepositoryNotFoundException, NoSuchEntity, ParameterNotFound...).",
				Go: m.luaIsNotFound},
		},
	}
}

// module is the aws module built with the program's AWS layer.
type module struct {
	aws *awscall.AWS
}

func newModule(a *awscall.AWS) *module { return &module{aws: a} }

// guard is the account guard: it returns the caller when the environment names no account or
// the credentials belong to it, and an exit-2 *engine.Error naming both accounts otherwise.
// Call it inside engine.Unlocked.
func (m *module) guard(ctx context.Context, run *engine.Run) (*awscall.Caller, error) {
	c, err := m.aws.Caller(ctx, run)
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

func (m *module) luaCaller(L *lua.LState) (*awscall.Caller, error) {
	run := engine.FromL(L)
	return engine.Unlocked(L, func(ctx context.Context) (*awscall.Caller, error) { return m.aws.Caller(ctx, run) })
}

func (m *module) luaGuard(L *lua.LState) (*awscall.Caller, error) {
	run := engine.FromL(L)
	return engine.Unlocked(L, func(ctx context.Context) (*awscall.Caller, error) { return m.guard(ctx, run) })
}

// envInfo is what aws.env returns; settings the environment leaves unset are absent.
type envInfo struct {
	Name        string `json:"name,omitempty"`
	Provider    string `json:"provider" lua:"\"aws\"|\"local\""`
	Region      string `json:"region,omitempty"`
	Account     string `json:"account,omitempty"`
	Profile     string `json:"profile,omitempty"`
	EndpointURL string `json:"endpoint_url,omitempty"`
}

func (m *module) luaEnv(L *lua.LState) envInfo {
	env := engine.FromL(L).Env()
	if env == nil {
		return envInfo{Provider: "aws"}
	}
	info := envInfo{Name: env.Name, Provider: env.Provider, Region: env.Region, Account: env.Account,
		Profile: env.Profile, EndpointURL: env.EndpointURL}
	if info.Provider == "" {
		info.Provider = "aws"
	}
	if info.Region == "" && info.Provider == "local" {
		info.Region = awscall.DefaultLocalRegion
	}
	return info
}

func errArgMessage(err lua.LValue) string {
	switch v := err.(type) {
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
var scriptPosition = lazyregexp.New(`^(?:[^\s:]+:\d+:|\[G\]:)\s*`)

// errArgCode is the AWS code of the error argument: its aws_code field, or for an error that
// went through a string (error(tostring(err))) the code at the start of its message.
func errArgCode(err lua.LValue) string {
	if t, ok := err.(*lua.LTable); ok {
		if c, ok := t.RawGetString("aws_code").(lua.LString); ok {
			return string(c)
		}
	}
	return errorCodeOf(errArgMessage(err))
}

func (m *module) luaErrorCode(err lua.LValue) *string {
	if code := errArgCode(err); code != "" {
		return &code
	}
	return nil
}

func (m *module) luaIsNotFound(err lua.LValue) bool {
	return awscall.NotFoundCode(errArgCode(err))
}

// codePrefix matches the AWS error code awscall.Error puts first. Messages of our own start
// with a lower-case word ("environment dev: ..."), so a leading CamelCase word is a code.
var codePrefix = lazyregexp.New(`^([A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*): `)

// errorCodeOf extracts the AWS error code from a raised error's message.
func errorCodeOf(msg string) string {
	if m := codePrefix.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}
