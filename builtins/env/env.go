// Package env is the Lua env module: the environments of agentcore.toml, the selected one
// first.
package env

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/engine/project"
)

// Module is the env module.
var Module = &engine.Module{
	Name: "env",
	Doc:  "The selected environment.",
	Classes: []*engine.Class{
		{Name: "env.Environment", Open: true, Fields: `name: string, provider: "aws"|"local", region?: string, account?: string, ` +
			`profile?: string, endpoint_url?: string, registry?: string, protected?: boolean, state?: string, is_local: boolean, ` +
			`release: "direct"|"canary"`},
	},
	Funcs: []engine.Func{
		{Name: "name", Returns: "string", Doc: "The selected environment's name.", Fn: luaName},
		{Name: "get", Params: "name?: string", Returns: "env.Environment",
			Doc: "The environment (default: the selected one): name, provider, region, account, profile, endpoint_url, registry, protected, state, is_local, release (direct or canary).", Fn: luaGet},
		{Name: "list", Returns: "string[]", Doc: "Every environment's name, in the order agentcore.toml declares them.", Fn: luaList},
	},
}

// Table is the Lua (and JSON) view of an environment.
func Table(e *proj.Environment) map[string]any {
	return map[string]any{
		"name": e.Name, "provider": e.Provider, "region": e.Region, "account": e.Account,
		"profile": e.Profile, "endpoint_url": e.EndpointURL, "registry": e.Registry,
		"protected": e.Protected, "state": e.State, "is_local": e.Provider == "local",
		"release": e.Release,
	}
}

// MustProject returns the run's project, or stops with a usage error when there is none.
func MustProject(L *lua.LState) *proj.Project {
	r := engine.FromL(L)
	if r.Project == nil {
		engine.RaiseUsage(L, "run agentcore init to create one", "no agentcore.toml here")
	}
	return r.Project
}

// MustEnv returns the selected environment, or stops with a usage error when there is none.
func MustEnv(L *lua.LState) *proj.Environment {
	MustProject(L)
	e := engine.FromL(L).Env()
	if e == nil {
		engine.RaiseUsage(L, "pick one with -e NAME or agentcore env use NAME", "no environment selected")
	}
	return e
}

func luaName(L *lua.LState) int {
	L.Push(lua.LString(MustEnv(L).Name))
	return 1
}

func luaGet(L *lua.LState) int {
	p := MustProject(L)
	var e *proj.Environment
	if n := L.OptString(1, ""); n != "" {
		var ok bool
		if e, ok = p.Environments[n]; !ok {
			engine.RaiseUsage(L, "agentcore env list shows them", "environment %q is not defined%s", n, proj.Suggest(n, p.EnvNames()))
		}
	} else {
		e = MustEnv(L)
	}
	L.Push(engine.ToLua(L, Table(e)))
	return 1
}

func luaList(L *lua.LState) int {
	L.Push(engine.ToLua(L, MustProject(L).DeclaredEnvNames()))
	return 1
}
