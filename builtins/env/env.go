// Package env is the Lua env module: the environments of agentcore.toml, the selected one
// first.
package env

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/project"
)

// Module is the env module.
var Module = &engine.Module{
	Name: "env",
	Doc:  "The selected environment.",
	Classes: []*engine.Class{
		{Name: "env.Environment", Open: true, Fields: `name: string, provider: "aws"|"local", region?: string, account?: string, ` +
			`profile?: string, endpoint_url?: string, registry?: string, protected?: boolean, state?: string, is_local: boolean, ` +
			`release: "direct"|"canary", tags: table<string, string>, permissions_boundary?: string, ` +
			`network?: env.Network`},
		{Name: "env.Network", Doc: "The VPC an environment's runtimes run in (network in agentcore.toml).",
			Fields: `subnets: string[], security_groups: string[]`},
	},
	Funcs: []engine.Func{
		{Name: "name", Returns: "string", Doc: "The selected environment's name.", Go: luaName},
		{Name: "get", Params: "name?: string", Returns: "env.Environment",
			Doc: "The environment (default: the selected one): name, provider, region, account, profile, endpoint_url, registry, protected, state, is_local, release (direct or canary), and the guardrails: tags ([project] tags with the environment's over them; deploy.owned_tags adds them to agentcore's own), permissions_boundary (\"\" for none) and network ({subnets, security_groups}, nil for PUBLIC).", Go: luaGet},
		{Name: "list", Returns: "string[]", Doc: "Every environment's name, in the order agentcore.toml declares them.", Go: luaList},
	},
}

// Table is the Lua (and JSON) view of an environment.
func Table(e *proj.Environment) map[string]any {
	tags := map[string]string{}
	for k, v := range e.Tags {
		tags[k] = v
	}
	var network any
	if n := e.Network; n != nil {
		network = map[string]any{"subnets": append([]string{}, n.Subnets...), "security_groups": append([]string{}, n.SecurityGroups...)}
	}
	return map[string]any{
		"name": e.Name, "provider": e.Provider, "region": e.Region, "account": e.Account,
		"profile": e.Profile, "endpoint_url": e.EndpointURL, "registry": e.Registry,
		"protected": e.Protected, "state": e.State, "is_local": e.Provider == "local",
		"release": e.Release, "tags": tags, "permissions_boundary": e.PermissionsBoundary, "network": network,
	}
}

func luaName(L *lua.LState) (string, error) {
	_, e, err := engine.FromL(L).NeedEnv()
	if err != nil {
		return "", err
	}
	return e.Name, nil
}

func luaGet(L *lua.LState, name string) (map[string]any, error) {
	r := engine.FromL(L)
	p, err := r.NeedProject()
	if err != nil {
		return nil, err
	}
	if name == "" {
		_, e, err := r.NeedEnv()
		if err != nil {
			return nil, err
		}
		return Table(e), nil
	}
	e, ok := p.Environments[name]
	if !ok {
		return nil, engine.Usagef("agentcore env list shows them", "environment %q is not defined%s", name, proj.Suggest(name, p.EnvNames()))
	}
	return Table(e), nil
}

func luaList(L *lua.LState) ([]string, error) {
	p, err := engine.FromL(L).NeedProject()
	if err != nil {
		return nil, err
	}
	return p.DeclaredEnvNames(), nil
}
