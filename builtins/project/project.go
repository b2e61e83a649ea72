// Package project is the Lua project module: a read-only view of agentcore.toml with the
// selected environment's overrides applied and secrets resolved (and masked).
package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/state"
)

// Module is the project module.
var Module = &engine.Module{
	Name: "project",
	Doc:  "The project (agentcore.toml), seen from the selected environment.",
	Classes: []*engine.Class{
		{Name: "project.AgentOpts", Of: agentOpts{}},
		{Name: "project.Agent", Open: true, Doc: "An agent as the selected environment sees it (project.agent); recipes may add their own keys.",
			Of: Agent{}, Fields: "config_hash: string"},
		{Name: "project.SecretRef", Doc: "A { secret = \"NAME\" } value: id is its Secrets Manager name agentcore/PROJECT/ENV/NAME.",
			Of: SecretRef{}},
		{Name: "project.Auth", Doc: "How callers authenticate: iam (SigV4), or a JWT from cognito or another OpenID Connect issuer (jwt).",
			Of: Auth{}},
		{Name: "project.Memory", Doc: "The [memories.NAME] table an agent uses, as the selected environment sees it: memory_name is its AgentCore name (PROJECT_NAME_ENV unless memory_name is set); memory.create and memory.update take it as it is.",
			Of: Memory{}},
		{Name: "project.MemoryStrategy", Doc: "One strategy of a memory: type as agentcore.toml writes it, name unique in its memory, namespace (\"\": AgentCore's own).",
			Of: MemoryStrategy{}},
		{Name: "project.Alarms", Doc: "[agents.NAME.alarms]: errors (SystemErrors + UserErrors in 5 minutes) and latency_p99_ms thresholds, and who is notified (e-mail addresses, SNS topic ARNs).",
			Of: Alarms{}},
	},
	Funcs: []engine.Func{
		{Name: "name", Returns: "string", Doc: "The project name.", Go: luaName},
		{Name: "id", Returns: "string", Doc: "The project's identity ([project] id: 12 lowercase hex digits), \"\" in a project made before ids. It goes into the agentcore:project-id tag.", Go: luaID},
		{Name: "dir", Returns: "string", Doc: "The project root (the folder of agentcore.toml).", Go: luaDir},
		{Name: "agents", Returns: "string[]", Doc: "The agent names, sorted.", Go: luaAgents},
		{Name: "credentials", Returns: "string[]", Doc: "The [credentials] names, sorted (the identity module describes each).", Go: luaCredentials},
		{Name: "gateways", Returns: "string[]", Doc: "The [gateways] names, sorted (gateway.config describes each).", Go: luaGateways},
		{Name: "secret_id", Params: "name: string", Returns: "string",
			Doc: "The Secrets Manager name of { secret = \"NAME\" } in the selected environment: agentcore/PROJECT/ENV/NAME. An invalid NAME stops with a usage error (exit 2) saying what is wrong.", Go: luaSecretID},
		{Name: "secret_prefix", Returns: "string",
			Doc: "The common prefix of the selected environment's secrets: agentcore/PROJECT/ENV/.", Go: luaSecretPrefix},
		{Name: "agent", Params: "name: string, opts?: project.AgentOpts", Returns: "project.Agent",
			Doc: "The agent as the selected environment sees it: name, description, dockerfile, context (absolute), dockerfile_rel, context_rel, platform (the provider's default when unset: the host's for local, linux/arm64 for aws), protocol, environment and build_args (values; secret references resolved and masked in all output, unless resolve=false), secrets ({ VAR = {name, id} } for each { secret = \"NAME\" } value: id is its Secrets Manager name agentcore/PROJECT/ENV/NAME; such a variable is absent from environment until deploy.resolve_secrets puts the secret's ARN there and its current version in secret_versions), idle_timeout, max_lifetime, execution_role, models, runtime_name, auth ({type = iam|cognito|jwt, discovery_url, allowed_clients, allowed_audience}), config_hash (changes when the runtime configuration changes, secrets included, and a Secrets Manager secret's new version too; an HMAC keyed with the environment's hash key, kept by its state store: .agentcore/state/ENV.key, or the SSM SecureString /agentcore/PROJECT/ENV/hash-key with state = \"ssm\"; computed on first access, so pairs() does not list it), build (docker, go, zip or image: the artifact kind), image (build = image), package, files and base_image (build = go), runtime and entrypoint (build = zip), memory (the [memories.NAME] table it uses: {name, memory_name, description, event_expiry_days, encryption_key, execution_role, strategies = {{type, name, namespace, ...}}}, or nil), credentials (the [credentials] names it lists: deploy.ensure_credentials puts each provider's name in AGENTCORE_CREDENTIAL_NAME, an OAuth2 one's scopes in AGENTCORE_CREDENTIAL_NAME_SCOPES, both in config_hash), gateways (the [gateways] names it uses: gateways.ensure puts each one's MCP URL in AGENTCORE_GATEWAY_NAME_URL, in config_hash), smoke (the smoke checks of [[agents.NAME.smoke]] in this environment: {prompt | payload (JSON text), expect, expect_json = {[path] = value}, timeout (seconds), where}). An unknown name stops with a did-you-mean error.", Go: luaAgent},
	},
}

type agentOpts struct {
	// Resolve resolves secret references of environment and build_args (default true).
	Resolve *bool `json:"resolve,omitempty"`
}

// Agent is the Lua view of an agent in the selected environment (project.agent).
type Agent struct {
	Name          string               `json:"name"`
	Description   string               `json:"description"`
	Dockerfile    string               `json:"dockerfile"`
	Context       string               `json:"context"`
	DockerfileRel string               `json:"dockerfile_rel"`
	ContextRel    string               `json:"context_rel"`
	Platform      string               `json:"platform"`
	Protocol      string               `json:"protocol" lua:"\"HTTP\"|\"MCP\"|\"A2A\"|\"AGUI\""`
	Environment   map[string]string    `json:"environment" lua:"table<string, string>"`
	Secrets       map[string]SecretRef `json:"secrets" lua:"table<string, project.SecretRef>"`
	BuildArgs     map[string]string    `json:"build_args" lua:"table<string, string>"`
	IdleTimeout   int                  `json:"idle_timeout"`
	MaxLifetime   int                  `json:"max_lifetime"`
	ExecutionRole string               `json:"execution_role"`
	Models        []string             `json:"models"`
	RuntimeName   string               `json:"runtime_name"`
	Auth          Auth                 `json:"auth" lua:"project.Auth"`
	Build         string               `json:"build" lua:"\"docker\"|\"go\"|\"zip\"|\"image\""`
	Image         string               `json:"image"`
	Package       string               `json:"package"`
	Files         []string             `json:"files"`
	BaseImage     string               `json:"base_image"`
	Runtime       string               `json:"runtime"`
	Entrypoint    []string             `json:"entrypoint"`
	Smoke         []map[string]any     `json:"smoke" lua:"project.SmokeCheck[]"`
	Alarms        *Alarms              `json:"alarms,omitempty" lua:"project.Alarms"`
	Memory        *Memory              `json:"memory,omitempty" lua:"project.Memory"`
	Credentials   []string             `json:"credentials"`
	Gateways      []string             `json:"gateways"`
}

// Memory is the [memories.NAME] table an agent uses, in the selected environment.
type Memory struct {
	Name            string           `json:"name"`
	MemoryName      string           `json:"memory_name"`
	Description     string           `json:"description,omitempty"`
	EventExpiryDays int              `json:"event_expiry_days"`
	EncryptionKey   string           `json:"encryption_key,omitempty"`
	ExecutionRole   string           `json:"execution_role,omitempty"`
	Strategies      []MemoryStrategy `json:"strategies" lua:"project.MemoryStrategy[]"`
}

// MemoryStrategy is one strategy of a memory.
type MemoryStrategy struct {
	Type                string `json:"type" lua:"\"semantic\"|\"summary\"|\"user_preference\"|\"episodic\"|\"custom\""`
	Name                string `json:"name"`
	Description         string `json:"description,omitempty"`
	Namespace           string `json:"namespace,omitempty"`
	Extends             string `json:"extends,omitempty"`
	Model               string `json:"model,omitempty"`
	ExtractionPrompt    string `json:"extraction_prompt,omitempty"`
	ConsolidationPrompt string `json:"consolidation_prompt,omitempty"`
}

// memoryView is the Lua view of memory m of project p in environment env.
func memoryView(m *proj.Memory, project, env string) *Memory {
	out := &Memory{Name: m.Name, MemoryName: m.MemoryName(project, env), Description: m.Description,
		EventExpiryDays: m.EventExpiryDays, EncryptionKey: m.EncryptionKey, ExecutionRole: m.ExecutionRole,
		Strategies: []MemoryStrategy{}}
	for _, s := range m.Strategies {
		out.Strategies = append(out.Strategies, MemoryStrategy{Type: s.Type, Name: s.Name, Description: s.Description,
			Namespace: s.Namespace, Extends: s.Extends, Model: s.Model, ExtractionPrompt: s.ExtractionPrompt,
			ConsolidationPrompt: s.ConsolidationPrompt})
	}
	return out
}

// SecretRef is a { secret = "NAME" } value of an agent's environment.
type SecretRef struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// Auth is how callers of an agent authenticate.
type Auth struct {
	Type            string   `json:"type" lua:"\"iam\"|\"cognito\"|\"jwt\""`
	DiscoveryURL    string   `json:"discovery_url"`
	AllowedClients  []string `json:"allowed_clients"`
	AllowedAudience []string `json:"allowed_audience"`
}

// Alarms is [agents.NAME.alarms].
type Alarms struct {
	Errors       int      `json:"errors,omitempty"`
	LatencyP99Ms int      `json:"latency_p99_ms,omitempty"`
	Notify       []string `json:"notify"`
	Endpoint     string   `json:"endpoint"`
}

func luaName(L *lua.LState) (string, error) {
	p, err := engine.FromL(L).NeedProject()
	if err != nil {
		return "", err
	}
	return p.Name, nil
}

func luaID(L *lua.LState) (string, error) {
	p, err := engine.FromL(L).NeedProject()
	if err != nil {
		return "", err
	}
	return p.ID, nil
}

func luaDir(L *lua.LState) (string, error) {
	p, err := engine.FromL(L).NeedProject()
	if err != nil {
		return "", err
	}
	return p.Dir, nil
}

func luaAgents(L *lua.LState) ([]string, error) {
	p, err := engine.FromL(L).NeedProject()
	if err != nil {
		return nil, err
	}
	return p.AgentNames(), nil
}

func luaCredentials(L *lua.LState) ([]string, error) {
	_, e, err := engine.FromL(L).NeedEnv()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(e.Credentials))
	for n := range e.Credentials {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func luaGateways(L *lua.LState) ([]string, error) {
	_, e, err := engine.FromL(L).NeedEnv()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(e.Gateways))
	for n := range e.Gateways {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func luaSecretID(L *lua.LState, name string) (string, error) {
	p, e, err := engine.FromL(L).NeedEnv()
	if err != nil {
		return "", err
	}
	if msg := proj.CheckSecretName(name); msg != "" {
		return "", engine.Usagef("secret names are letters, digits and _+=.@-, with / between parts, such as openai or db/main",
			"secret name %q %s", name, msg)
	}
	return proj.SecretID(p.Name, e.Name, name), nil
}

func luaSecretPrefix(L *lua.LState) (string, error) {
	p, e, err := engine.FromL(L).NeedEnv()
	if err != nil {
		return "", err
	}
	return proj.SecretIDPrefix(p.Name, e.Name), nil
}

// DefaultPlatform is the platform images are built for when the agent names none.
func DefaultPlatform(provider string) string {
	if provider == "aws" {
		return "linux/arm64"
	}
	return "linux/" + runtime.GOARCH
}

func luaAgent(L *lua.LState, n string, opts agentOpts) (lua.LValue, error) {
	r := engine.FromL(L)
	p, e, err := r.NeedEnv()
	if err != nil {
		return nil, err
	}
	resolve := opts.Resolve == nil || *opts.Resolve
	a, ok := e.Agents[n]
	if !ok {
		return nil, engine.Usagef("agents are defined under [agents.NAME] in agentcore.toml",
			"agent %q is not defined in %s%s", n, proj.FileName, proj.Suggest(n, p.AgentNames()))
	}
	values := func(m map[string]proj.Value, where string) (map[string]string, error) {
		out := map[string]string{}
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
				return nil, engine.Usagef("set it in the environment, or change "+where+"."+k+" in agentcore.toml", "%s.%s: %v", where, k, err)
			}
			if v.Secret() {
				r.Out.AddSecret(s)
			}
			out[k] = s
		}
		return out, nil
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
	env, err := values(a.Environment, "agents."+n+".environment")
	if err != nil {
		return nil, err
	}
	buildArgs, err := values(a.BuildArgs, "agents."+n+".build_args")
	if err != nil {
		return nil, err
	}
	stored := map[string]SecretRef{}
	for k, name := range a.SecretRefs() {
		stored[k] = SecretRef{Name: name, ID: proj.SecretID(p.Name, e.Name, name)}
	}
	view := Agent{
		Name: a.Name, Description: a.Description, Dockerfile: a.Dockerfile, Context: a.Context,
		DockerfileRel: relTo(p.Dir, a.Dockerfile), ContextRel: relTo(p.Dir, a.Context),
		Platform: platform, Protocol: a.Protocol, Environment: env, Secrets: stored, BuildArgs: buildArgs,
		IdleTimeout: a.IdleTimeout, MaxLifetime: a.MaxLifetime, ExecutionRole: a.ExecutionRole,
		Models: a.Models, RuntimeName: e.RuntimeNames[n],
		Auth: Auth{Type: a.Auth.Type, DiscoveryURL: a.Auth.DiscoveryURL, AllowedClients: a.Auth.AllowedClients,
			AllowedAudience: a.Auth.AllowedAudience},
		Build: a.Build, Image: a.Image, Package: a.Package, Files: a.Files, BaseImage: a.BaseImage,
		Runtime: a.Runtime, Entrypoint: a.Entrypoint, Smoke: smokeTables(a.Smoke),
	}
	view.Credentials = append([]string{}, a.Credentials...)
	view.Gateways = append([]string{}, a.Gateways...)
	if a.Memory != "" {
		if m := e.Memories[a.Memory]; m != nil {
			view.Memory = memoryView(m, p.Name, e.Name)
		}
	}
	if al := a.Alarms; al != nil {
		view.Alarms = &Alarms{Errors: al.Errors, LatencyP99Ms: al.LatencyP99Ms, Notify: al.Notify, Endpoint: al.Endpoint}
		if al.Endpoint == "" {
			view.Alarms.Endpoint = "DEFAULT"
		}
	}
	tbl := engine.ToLuaAs(L, view, "project.Agent").(*lua.LTable)
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
	return tbl, nil
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
	if a.Memory != "" {
		// The memory's id and name are the runtime's (MemoryEnvID, MemoryEnvName): a memory
		// made anew (a new id) is a new configuration, so a new version.
		for _, k := range []string{proj.MemoryEnvID, proj.MemoryEnvName} {
			var v lua.LValue = lua.LNil
			if selfEnv != nil {
				v = selfEnv.RawGetString(k)
			}
			if v.Type() != lua.LTString {
				engine.RaiseUsage(L, "call deploy.ensure_memory(c) (or deploy.memory_env(c) for the recorded memory; recipes/lib/deploy.lua) before reading agent.config_hash",
					"agent %s uses memory %q, whose id is not known yet: config_hash needs it (%s)", a.Name, a.Memory, k)
			}
			vars[k] = v.String()
		}
	}
	// Each credential provider's name (and an OAuth2 one's scopes) is the runtime's: a
	// provider renamed is a new configuration, so a new version.
	for _, name := range a.Credentials {
		k := (&proj.Credential{Name: name}).EnvName()
		var v lua.LValue = lua.LNil
		if selfEnv != nil {
			v = selfEnv.RawGetString(k)
		}
		if v.Type() != lua.LTString {
			engine.RaiseUsage(L, "call deploy.ensure_credentials(c) (or deploy.credentials_env(c) for the recorded providers; recipes/lib/deploy.lua) before reading agent.config_hash",
				"agent %s lists credential %q, whose provider is not known yet: config_hash needs it (%s)", a.Name, name, k)
		}
		vars[k] = v.String()
		if selfEnv != nil {
			if sc := selfEnv.RawGetString(k + "_SCOPES"); sc.Type() == lua.LTString {
				vars[k+"_SCOPES"] = sc.String()
			}
		}
	}
	// Each gateway's URL is the runtime's: a gateway made anew (a new URL) is a new version.
	for _, name := range a.Gateways {
		k := (&proj.Gateway{Name: name}).EnvName()
		var v lua.LValue = lua.LNil
		if selfEnv != nil {
			v = selfEnv.RawGetString(k)
		}
		if v.Type() != lua.LTString {
			engine.RaiseUsage(L, "call gateways.ensure(c) (or gateways.env(c) for the recorded gateways; recipes/lib/gateways.lua) before reading agent.config_hash",
				"agent %s uses gateway %q, whose URL is not known yet: config_hash needs it (%s)", a.Name, name, k)
		}
		vars[k] = v.String()
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
