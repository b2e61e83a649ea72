// Package project owns agentcore.toml: its schema, strict decoding with line:col errors and
// "did you mean" suggestions, validation, path resolution, secret references and the mapping
// from agent names to AgentCore runtime names.
package project

// Project is a loaded and validated agentcore.toml.
type Project struct {
	Path         string // absolute path of agentcore.toml
	Dir          string // directory holding it; relative paths in the file are relative to it
	Name         string
	ID           string // [project].id: this checkout's identity (id.go), "" in projects made before it
	DefaultEnv   string // [project].default_environment, "" when unset
	Agents       map[string]*Agent
	Environments map[string]*Environment
	EnvOrder     []string            // environment names in the order agentcore.toml declares them
	Rollouts     map[string]*Rollout // [rollouts.NAME] (release.go)
}

// Agent is one [agents.NAME] table, or its resolved copy inside an environment.
type Agent struct {
	Name          string
	Description   string
	Dockerfile    string // absolute path
	Context       string // absolute path of the build context
	Platform      string // "" means the provider's default (host platform locally, linux/arm64 on AWS)
	Protocol      string // HTTP, MCP or A2A
	Environment   map[string]Value
	BuildArgs     map[string]Value
	IdleTimeout   int // seconds; lifecycle idleRuntimeSessionTimeout, 0 = AgentCore's default
	MaxLifetime   int // seconds; lifecycle maxLifetime, 0 = AgentCore's default
	ExecutionRole string
	Models        []string     // Bedrock model ids the agent may invoke (IAM policy on AWS)
	Auth          Auth         // how callers authenticate
	Smoke         []SmokeCheck // [[agents.NAME.smoke]]: what release and rollout check (smoke.go)
	Alarms        *Alarms      // [agents.NAME.alarms], nil when none (alarms.go)
	Memory        string       // the [memories] table the agent uses, "" for none (resources.go)
	Credentials   []string     // the [credentials] tables the agent may read

	// The artifact AgentCore runs: Build is one of BuildKinds, settled after overrides.
	Build      string
	Image      string   // build = "image": the prebuilt image reference
	Package    string   // build = "go": the main package, relative to Context (default ".")
	Files      []string // build = "go": extra files or folders from Context put into the image
	BaseImage  string   // build = "go": the base image (default: none, FROM scratch)
	Runtime    string   // build = "zip": AgentManagedRuntimeType (PYTHON_3_12, NODE_22...)
	Entrypoint []string // build = "zip": CodeConfiguration.entryPoint

	// Network is the environment's network (guardrails.go), set on an environment's agents: a
	// runtime's network configuration is part of its configuration (config hash).
	Network *Network

	runtimeName   string // runtime_name override
	buildExplicit string // build as written (the override's or the base's)
}

// Auth is how callers authenticate to an agent: "iam" (SigV4, the default), "cognito" (a
// Cognito user pool created for the agent on AWS) or "jwt" (any OpenID Connect issuer).
type Auth struct {
	Type            string
	DiscoveryURL    string
	AllowedClients  []string
	AllowedAudience []string
}

// Value is a string that is either given literally, read from the process environment
// ({ env = "NAME" }, a secret: masked in every output), or the ARN of a secret kept in AWS
// Secrets Manager ({ secret = "NAME" }, see SecretID): agentcore never reads that one's value,
// the agent does, with its execution role.
type Value struct {
	Literal    string
	Env        string // name of the environment variable, when a reference
	SecretName string // { secret = "NAME" }: the secret's short name (see SecretID)
}

// Secret reports whether the value comes from the environment (and must be masked). A
// { secret = "NAME" } value is not one: agentcore only ever handles its ARN.
func (v Value) Secret() bool { return v.Env != "" }

// Stored reports whether the value is a { secret = "NAME" } reference to Secrets Manager.
func (v Value) Stored() bool { return v.SecretName != "" }

// Environment is one [environments.NAME] table with every agent's overrides applied.
type Environment struct {
	Name         string
	Provider     string // "local" or "aws"
	Region       string
	Account      string
	Profile      string
	EndpointURL  string
	Registry     string // HOST:PORT overriding where images are pushed
	Protected    bool
	State        string // "file" (default) or "ssm"
	Release      string // "direct" (default) or "canary" (release.go)
	Variables    map[string]Value
	Agents       map[string]*Agent      // resolved: base agent + this environment's overrides
	RuntimeNames map[string]string      // agent name -> AgentCore runtime name in this environment
	Memories     map[string]*Memory     // every [memories] table, with this environment's overrides
	Credentials  map[string]*Credential // every [credentials] table, likewise

	// Guardrails (guardrails.go): the environment's own, else the project's.
	PermissionsBoundary string            // the policy ARN set as every created role's boundary, "" for none
	Network             *Network          // the VPC runtimes run in, nil for PUBLIC
	Tags                map[string]string // [project] tags with the environment's over them
}
