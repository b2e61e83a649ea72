// Package project is the Lua project module: a read-only view of agentcore.toml with the
// selected environment's overrides applied and secrets resolved (and masked). The env module
// is builtins/env.
package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/env"
	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/engine/project"
	"github.com/agentcore/agentcore/engine/state"
)

// Module is the project module.
var Module = &engine.Module{
	Name: "project",
	Doc:  "The project (agentcore.toml), seen from the selected environment.",
	Classes: []*engine.Class{
		{Name: "project.AgentOpts", Fields: "resolve?: boolean"},
		{Name: "project.Agent", Open: true, Doc: "An agent as the selected environment sees it (project.agent); recipes may add their own keys.",
			Fields: "name: string, description: string, dockerfile: string, context: string, dockerfile_rel: string, context_rel: string, " +
				`platform: string, protocol: "HTTP"|"MCP"|"A2A"|"AGUI", environment: table<string, string>, ` +
				"secrets: table<string, project.SecretRef>, build_args: table<string, string>, idle_timeout: integer, max_lifetime: integer, " +
				"execution_role: string, models: string[], runtime_name: string, auth: project.Auth, " +
				`build: "docker"|"go"|"zip"|"image", image: string, package: string, files: string[], base_image: string, runtime: string, ` +
				"entrypoint: string[], smoke: project.SmokeCheck[], alarms?: project.Alarms, config_hash: string"},
		{Name: "project.SecretRef", Doc: "A { secret = \"NAME\" } value: id is its Secrets Manager name agentcore/PROJECT/ENV/NAME.",
			Fields: "name: string, id: string"},
		{Name: "project.Auth", Doc: "How callers authenticate: iam (SigV4), or a JWT from cognito or another OpenID Connect issuer (jwt).",
			Fields: `type: "iam"|"cognito"|"jwt", discovery_url: string, allowed_clients: string[], allowed_audience: string[]`},
		{Name: "project.Alarms", Doc: "[agents.NAME.alarms]: errors (SystemErrors + UserErrors in 5 minutes) and latency_p99_ms thresholds, and who is notified (e-mail addresses, SNS topic ARNs).",
			Fields: "errors?: integer, latency_p99_ms?: integer, notify: string[], endpoint: string"},
	},
	Funcs: []engine.Func{
		{Name: "name", Returns: "string", Doc: "The project name.", Fn: name},
		{Name: "dir", Returns: "string", Doc: "The project root (the folder of agentcore.toml).", Fn: dir},
		{Name: "agents", Returns: "string[]", Doc: "The agent names, sorted.", Fn: agents},
		{Name: "secret_id", Params: "name: string", Returns: "string",
			Doc: "The Secrets Manager name of { secret = \"NAME\" } in the selected environment: agentcore/PROJECT/ENV/NAME. An invalid NAME stops with a usage error (exit 2) saying what is wrong.", Fn: secretID},
		{Name: "secret_prefix", Returns: "string",
			Doc: "The common prefix of the selected environment's secrets: agentcore/PROJECT/ENV/.", Fn: secretPrefix},
		{Name: "agent", Params: "name: string, opts?: project.AgentOpts", Returns: "project.Agent",
			Doc: "The agent as the selected environment sees it: name, description, dockerfile, context (absolute), dockerfile_rel, context_rel, platform (the provider's default when unset: the host's for local, linux/arm64 for aws), protocol, environment and build_args (values; secret references resolved and masked in all output, unless resolve=false), secrets ({ VAR = {name, id} } for each { secret = \"NAME\" } value: id is its Secrets Manager name agentcore/PROJECT/ENV/NAME; such a variable is absent from environment until deploy.resolve_secrets puts the secret's ARN there and its current version in secret_versions), idle_timeout, max_lifetime, execution_role, models, runtime_name, auth ({type = iam|cognito|jwt, discovery_url, allowed_clients, allowed_audience}), config_hash (changes when the runtime configuration changes, secrets included, and a Secrets Manager secret's new version too; an HMAC keyed with the environment's hash key, kept by its state store: .agentcore/state/ENV.key, or the SSM SecureString /agentcore/PROJECT/ENV/hash-key with state = \"ssm\"; computed on first access, so pairs() does not list it), build (docker, go, zip or image: the artifact kind), image (build = image), package, files and base_image (build = go), runtime and entrypoint (build = zip), smoke (the smoke checks of [[agents.NAME.smoke]] in this environment: {prompt | payload (JSON text), expect, expect_json = {[path] = value}, timeout (seconds), where}). An unknown name stops with a did-you-mean error.", Fn: agent},
	},
}

var (
	mustProject = env.MustProject
	mustEnv     = env.MustEnv
)

func name(L *lua.LState) int {
	L.Push(lua.LString(mustProject(L).Name))
	return 1
}

func dir(L *lua.LState) int {
	L.Push(lua.LString(mustProject(L).Dir))
	return 1
}

func agents(L *lua.LState) int {
	L.Push(engine.ToLua(L, mustProject(L).AgentNames()))
	return 1
}

func secretID(L *lua.LState) int {
	p, e := mustProject(L), mustEnv(L)
	n := L.CheckString(1)
	if msg := proj.CheckSecretName(n); msg != "" {
		engine.RaiseUsage(L, "secret names are letters, digits and _+=.@-, with / between parts, such as openai or db/main",
			"secret name %q %s", n, msg)
	}
	L.Push(lua.LString(proj.SecretID(p.Name, e.Name, n)))
	return 1
}

func secretPrefix(L *lua.LState) int {
	p, e := mustProject(L), mustEnv(L)
	L.Push(lua.LString(proj.SecretIDPrefix(p.Name, e.Name)))
	return 1
}

// DefaultPlatform is the platform images are built for when the agent names none.
func DefaultPlatform(provider string) string {
	if provider == "aws" {
		return "linux/arm64"
	}
	return "linux/" + runtime.GOARCH
}

func agent(L *lua.LState) int {
	p := mustProject(L)
	e := mustEnv(L)
	n := L.CheckString(1)
	resolve := true
	if o, ok := L.Get(2).(*lua.LTable); ok {
		if v, ok := o.RawGetString("resolve").(lua.LBool); ok {
			resolve = bool(v)
		}
	}
	a, ok := e.Agents[n]
	if !ok {
		engine.RaiseUsage(L, "agents are defined under [agents.NAME] in agentcore.toml",
			"agent %q is not defined in %s%s", n, proj.FileName, proj.Suggest(n, p.AgentNames()))
	}
	r := engine.FromL(L)
	values := func(m map[string]proj.Value, where string) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			if v.Stored() {
				continue // in secrets: the recipe puts the secret's ARN here (deploy.resolve_secrets)
			}
			if !resolve && v.Secret() {
				out[k] = "${" + v.Env + "}"
				continue
			}
			s, err := v.Resolve()
			if err != nil {
				engine.RaiseUsage(L, "set it in the environment, or change "+where+"."+k+" in agentcore.toml", "%s.%s: %v", where, k, err)
			}
			if v.Secret() {
				r.Out.AddSecret(s)
			}
			out[k] = s
		}
		return out
	}
	if !resolve {
		// Unresolved secrets are still masked when the process knows them: an agent may echo
		// its environment in an answer (invoke resolves nothing but masks its output).
		for _, m := range []map[string]proj.Value{a.Environment, a.BuildArgs} {
			for _, v := range m {
				if s, ok := os.LookupEnv(v.Env); ok && v.Secret() {
					r.Out.AddSecret(s)
				}
			}
		}
	}
	platform := a.Platform
	if platform == "" {
		platform = DefaultPlatform(e.Provider)
	}
	env := values(a.Environment, "agents."+n+".environment")
	stored := map[string]any{}
	for k, name := range a.SecretRefs() {
		stored[k] = map[string]any{"name": name, "id": proj.SecretID(p.Name, e.Name, name)}
	}
	t := map[string]any{
		"name":           a.Name,
		"description":    a.Description,
		"dockerfile":     a.Dockerfile,
		"context":        a.Context,
		"dockerfile_rel": relTo(p.Dir, a.Dockerfile),
		"context_rel":    relTo(p.Dir, a.Context),
		"platform":       platform,
		"protocol":       a.Protocol,
		"environment":    env,
		"secrets":        stored,
		"build_args":     values(a.BuildArgs, "agents."+n+".build_args"),
		"idle_timeout":   a.IdleTimeout,
		"max_lifetime":   a.MaxLifetime,
		"execution_role": a.ExecutionRole,
		"models":         append([]string{}, a.Models...),
		"runtime_name":   e.RuntimeNames[n],
		"auth": map[string]any{"type": a.Auth.Type, "discovery_url": a.Auth.DiscoveryURL,
			"allowed_clients": append([]string{}, a.Auth.AllowedClients...), "allowed_audience": append([]string{}, a.Auth.AllowedAudience...)},
		"build":      a.Build,
		"image":      a.Image,
		"package":    a.Package,
		"files":      append([]string{}, a.Files...),
		"base_image": a.BaseImage,
		"runtime":    a.Runtime,
		"entrypoint": append([]string{}, a.Entrypoint...),
		"smoke":      smokeTables(a.Smoke),
	}
	if al := a.Alarms; al != nil {
		m := map[string]any{"notify": append([]string{}, al.Notify...), "endpoint": al.Endpoint}
		if al.Endpoint == "" {
			m["endpoint"] = "DEFAULT"
		}
		if al.Errors > 0 {
			m["errors"] = al.Errors
		}
		if al.LatencyP99Ms > 0 {
			m["latency_p99_ms"] = al.LatencyP99Ms
		}
		t["alarms"] = m
	}
	tbl := engine.ToLua(L, t).(*lua.LTable)
	// config_hash is computed on first use: it needs the environment's hash key from its
	// state store (a file, or an SSM parameter), which read-only uses of the agent never touch.
	store, envName := r.Store, e.Name
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		self := L.CheckTable(1)
		if L.CheckString(2) != "config_hash" {
			return 0
		}
		h := configHash(L, a, self, "agents."+n+".environment", store, envName)
		self.RawSetString("config_hash", lua.LString(h))
		L.Push(lua.LString(h))
		return 1
	}))
	L.SetMetatable(tbl, mt)
	L.Push(tbl)
	return 1
}

// configHash is the agent's keyed configuration hash in environment env (see
// project.Agent.ConfigHash), over its resolved environment, secrets included.
//
// A { secret = "NAME" } variable enters the hash as the ARN the recipe put in
// self.environment and the secret's current version in self.secret_versions (both set by
// deploy.resolve_secrets), so that a new value of the secret makes a new configuration while
// the hash never depends on (nor reveals anything about) the value.
func configHash(L *lua.LState, a *proj.Agent, self *lua.LTable, where string, store state.Store, env string) string {
	r := engine.FromL(L)
	vars := map[string]string{}
	versions := map[string]string{}
	selfEnv, _ := self.RawGetString("environment").(*lua.LTable)
	selfVersions, _ := self.RawGetString("secret_versions").(*lua.LTable)
	for k, v := range a.Environment {
		if v.Stored() {
			var arn, version lua.LValue = lua.LNil, lua.LNil
			if selfEnv != nil {
				arn = selfEnv.RawGetString(k)
			}
			if selfVersions != nil {
				version = selfVersions.RawGetString(k)
			}
			if arn.Type() != lua.LTString || version.Type() != lua.LTString {
				engine.RaiseUsage(L, "call deploy.resolve_secrets(agent) (recipes/lib/deploy.lua) before reading agent.config_hash",
					"%s.%s is the secret %q, whose ARN and version are not known yet: config_hash needs them", where, k, v.SecretName)
			}
			vars[k], versions[k] = arn.String(), version.String()
			continue
		}
		s, err := v.Resolve()
		if err != nil {
			engine.RaiseUsage(L, "set it in the environment, or change "+where+"."+k+" in agentcore.toml", "%s.%s: %v", where, k, err)
		}
		if v.Secret() {
			r.Out.AddSecret(s)
		}
		vars[k] = s
	}
	key, err := HashKey(L, store, env)
	if err != nil {
		engine.Raise(L, err)
	}
	return a.ConfigHashSecrets(key, vars, versions)
}

// HashKey returns environment env's hash key from its state store, once per run.
func HashKey(L *lua.LState, store state.Store, env string) ([]byte, error) {
	hk, ok := store.(state.HashKeyer)
	if !ok {
		return nil, engine.Failf("", "the state store of %s keeps no hash key, so no config_hash can be computed", env)
	}
	r := engine.FromL(L)
	v, err := engine.Unlocked(L, func(ctx context.Context) (any, error) {
		return r.Value(fmt.Sprintf("project.hashkey/%s/%p", env, store), func() (any, error) { return hk.HashKey(ctx, env) })
	})
	if err != nil {
		return nil, fmt.Errorf("getting the hash key of %s: %w", env, err)
	}
	return v.([]byte), nil
}

func relTo(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return r
	}
	return p
}
