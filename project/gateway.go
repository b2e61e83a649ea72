package project

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// Gateways: AgentCore Gateway resources, one MCP endpoint in front of tools.
//
//	[gateways.tools]
//	auth = "iam"                         # or { type = "jwt", discovery_url = "...", allowed_clients = [...] }
//	search = true                        # semantic tool search
//
//	[[gateways.tools.targets]]
//	name = "calc"
//	type = "mcp"
//	agent = "tools-bot"                  # an MCP agent of the project, or url = "https://..."
//
//	[[gateways.tools.targets]]
//	name = "weather"
//	type = "openapi"
//	spec = "apis/weather.yaml"
//	credential = "weather-key"           # a [credentials] provider: outbound auth
//
//	[agents.my-bot]
//	gateways = ["tools"]
//
// An environment overrides any key: [environments.prod.gateways.tools] (a targets list given
// there replaces the whole list).

// Gateway is one [gateways.NAME] table with an environment's overrides applied.
type Gateway struct {
	Name          string // the key in agentcore.toml
	Description   string
	Auth          Auth // Type "iam" or "jwt"
	Search        bool // semantic tool search (searchType SEMANTIC)
	ExecutionRole string
	Targets       []GatewayTarget

	gatewayName string
}

// GatewayTarget is one [[gateways.NAME.targets]] entry.
type GatewayTarget struct {
	Name        string
	Type        string // one of TargetTypes
	Description string
	Agent       string // mcp: an MCP agent of the project
	URL         string // mcp: an MCP server's URL
	Spec        string // openapi, smithy: the schema's absolute path
	Credential  string // openapi, smithy: a [credentials] key for outbound auth
	// How an API key credential is sent: where ("header" or "query"), under which name and
	// with which prefix (AgentCore's credentialLocation, credentialParameterName, credentialPrefix).
	CredentialLocation  string
	CredentialParameter string
	CredentialPrefix    string
	Function            string // lambda: the function ARN
	Tools               string // lambda: the tool schema's absolute path (a JSON array of tools)
}

// TargetTypes are the values of a gateway target's type.
var TargetTypes = []string{"lambda", "mcp", "openapi", "smithy"}

// GatewayAuthTypes are the values of a gateway's auth.
var GatewayAuthTypes = []string{"iam", "jwt"}

// Gateway limits, from the service model (see Constraints).
var (
	MaxGatewayDescription = Constraints["GatewayDescription"].Max
	MaxTargetDescription  = Constraints["TargetDescription"].Max
	MaxCredentialParam    = Constraints["ApiKeyCredentialParameterName"].Max

	gatewayNameRE = fullMatch(Constraints["GatewayName"].Pattern)
	targetNameRE  = fullMatch(Constraints["TargetName"].Pattern)
	lambdaArnRE   = lazyregexp.New(`^arn:aws(-[a-z]+)*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_.]+(:(\$LATEST|[a-zA-Z0-9-_]+))?$`)
)

// GatewayName is the AgentCore name of a gateway in an environment: gateway_name when set,
// else PROJECT-GATEWAY-ENV with every character AgentCore refuses as '-' (its names are
// letters and digits with single hyphens between them, at most 100).
func (g *Gateway) GatewayName(project, env string) string {
	if g.gatewayName != "" {
		return g.gatewayName
	}
	full := project + "-" + g.Name + "-" + env
	var b strings.Builder
	for _, r := range full {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		switch {
		case ok:
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if len(s) <= 48 { // a gateway's id is its name and a suffix; ARNs allow 48 characters of it
		return s
	}
	sum := sha256.Sum256([]byte(full))
	return strings.TrimSuffix(s[:39], "-") + "-" + hex.EncodeToString(sum[:])[:8]
}

// EnvName is the variable an agent's runtime gets the gateway's MCP URL in:
// AGENTCORE_GATEWAY_NAME_URL, the name upper-cased with '-' as '_'.
func (g *Gateway) EnvName() string {
	return "AGENTCORE_GATEWAY_" + strings.ToUpper(strings.ReplaceAll(g.Name, "-", "_")) + "_URL"
}

type rawGateway struct {
	Description   string      `toml:"description"`
	Auth          any         `toml:"auth"`
	Search        *bool       `toml:"search"`
	ExecutionRole string      `toml:"execution_role"`
	GatewayName   string      `toml:"gateway_name"`
	Targets       []rawTarget `toml:"targets"`
}

type rawTarget struct {
	Name                string `toml:"name"`
	Type                string `toml:"type"`
	Description         string `toml:"description"`
	Agent               string `toml:"agent"`
	URL                 string `toml:"url"`
	Spec                string `toml:"spec"`
	Credential          string `toml:"credential"`
	CredentialLocation  string `toml:"credential_location"`
	CredentialParameter string `toml:"credential_parameter"`
	CredentialPrefix    string `toml:"credential_prefix"`
	Function            string `toml:"function"`
	Tools               string `toml:"tools"`
}

// gateways validates the top-level [gateways] tables: names and each key's own rules. What
// depends on the environment (the agents a target names, their protocol) is checked when
// each environment resolves them (resolveGateways).
func (v *validator) gateways(raw *rawFile) {
	v.gatewayTables = raw.Gateways
	for _, name := range sortedKeys(raw.Gateways) {
		path := []string{"gateways", name}
		if !nameRE.MatchString(name) {
			v.addf(path, "gateway name %q is invalid: use lowercase letters, digits, '-' and '_', starting with a letter, at most 40 characters", name)
		}
		v.gatewayKeys(path, raw.Gateways[name])
	}
	used := map[string]bool{}
	for _, a := range raw.Agents {
		for _, g := range a.Gateways {
			used[g] = true
		}
	}
	for _, e := range raw.Environments {
		for _, a := range e.Agents {
			for _, g := range a.Gateways {
				used[g] = true
			}
		}
	}
	for _, name := range sortedKeys(raw.Gateways) {
		if !used[name] {
			l, c := v.pos.at("gateways", name)
			v.warnings = append(v.warnings, Problem{Line: l, Col: c, Path: "gateways." + name,
				Msg: fmt.Sprintf("gateway %q is used by no agent: nothing deploys it (add gateways = [%q] to an agent)", name, name)})
		}
	}
}

// gatewayAuth reads auth = "iam" or auth = { type = "jwt", ... }.
func (v *validator) gatewayAuth(path []string, val any) (Auth, bool) {
	switch x := val.(type) {
	case nil:
		return Auth{Type: "iam"}, true
	case string:
		if !contains(GatewayAuthTypes, x) {
			v.addf(path, "gateway auth %q is not one of iam, jwt%s", x, Suggest(x, GatewayAuthTypes))
			return Auth{}, false
		}
		if x == "jwt" {
			v.addf(path, "gateway auth \"jwt\" needs its issuer: auth = { type = \"jwt\", discovery_url = \"https://ISSUER/.well-known/openid-configuration\", allowed_clients = [\"...\"] }")
			return Auth{}, false
		}
		return Auth{Type: x}, true
	case map[string]any:
		a := Auth{}
		ok := true
		for _, k := range sortedKeys(x) {
			switch k {
			case "type", "discovery_url":
				s, isStr := x[k].(string)
				if !isStr {
					v.addf(append(path, k), "auth.%s must be a string", k)
					ok = false
				}
				if k == "type" {
					a.Type = s
				} else {
					a.DiscoveryURL = s
				}
			case "allowed_clients", "allowed_audience":
				list, isList := x[k].([]any)
				if !isList || len(list) == 0 {
					v.addf(append(path, k), "auth.%s must be a list of at least one string", k)
					ok = false
					continue
				}
				for _, e := range list {
					s, isStr := e.(string)
					if !isStr || strings.TrimSpace(s) == "" {
						v.addf(append(path, k), "auth.%s holds %v, which is not a non-empty string", k, e)
						ok = false
						continue
					}
					if k == "allowed_clients" {
						a.AllowedClients = append(a.AllowedClients, s)
					} else {
						a.AllowedAudience = append(a.AllowedAudience, s)
					}
				}
			default:
				known := []string{"allowed_audience", "allowed_clients", "discovery_url", "type"}
				v.addf(append(path, k), "unknown key %q in a gateway's auth%s", k, Suggest(k, known))
				ok = false
			}
		}
		switch {
		case a.Type == "":
			v.addf(path, "gateway auth needs type = \"iam\" or \"jwt\"")
			return a, false
		case !contains(GatewayAuthTypes, a.Type):
			v.addf(path, "gateway auth type %q is not one of iam, jwt%s", a.Type, Suggest(a.Type, GatewayAuthTypes))
			return a, false
		case a.Type == "iam" && (a.DiscoveryURL != "" || a.AllowedClients != nil || a.AllowedAudience != nil):
			v.addf(path, "gateway auth type \"iam\" takes no discovery_url, allowed_clients or allowed_audience (those are for type \"jwt\")")
			return a, false
		case a.Type == "jwt" && a.DiscoveryURL == "":
			v.addf(path, "gateway auth type \"jwt\" needs discovery_url = \"https://ISSUER/.well-known/openid-configuration\": the issuer whose tokens the gateway accepts")
			return a, false
		case a.Type == "jwt" && (!strings.HasPrefix(a.DiscoveryURL, "https://") || !discoveryURLRE.MatchString(a.DiscoveryURL)):
			v.addf(append(path, "discovery_url"), "discovery_url %q must be https://ISSUER/.well-known/openid-configuration", a.DiscoveryURL)
			return a, false
		}
		return a, ok
	}
	v.addf(path, "gateway auth must be \"iam\" or { type = \"jwt\", discovery_url = \"...\" }, not a %s", tomlType(val))
	return Auth{}, false
}

// gatewayKeys checks the keys of a gateway table (the base one or an environment's override).
func (v *validator) gatewayKeys(path []string, r rawGateway) {
	at := func(k ...string) []string { return append(append([]string{}, path...), k...) }
	if n := utf8.RuneCountInString(r.Description); n > MaxGatewayDescription {
		v.addf(at("description"), "description is %d characters long; AgentCore accepts at most %d for a gateway", n, MaxGatewayDescription)
	}
	if r.Auth != nil {
		v.gatewayAuth(at("auth"), r.Auth)
	}
	if r.ExecutionRole != "" && (!roleRE.MatchString(r.ExecutionRole) || len(r.ExecutionRole) > MaxRoleArn) {
		v.addf(at("execution_role"), "execution_role %q is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", r.ExecutionRole)
	}
	if r.GatewayName != "" && (!gatewayNameRE.MatchString(r.GatewayName) || len(r.GatewayName) > 48) {
		v.addf(at("gateway_name"), "gateway_name %q is invalid: AgentCore gateway names are letters and digits with single '-' between them, at most 48 here (its id adds a suffix)", r.GatewayName)
	}
	names := map[string]int{}
	for i, t := range r.Targets {
		tp := at("targets", fmt.Sprint(i))
		v.target(tp, t)
		if t.Name != "" {
			if j, dup := names[t.Name]; dup {
				v.addf(at("targets", fmt.Sprint(i), "name"), "targets %d and %d are both named %q: a gateway's target names are unique", j+1, i+1, t.Name)
			}
			names[t.Name] = i
		}
	}
}

// target checks one target's own keys: its type and what that type takes. The agent it
// names is checked per environment (resolveGateways).
func (v *validator) target(path []string, t rawTarget) {
	at := func(k ...string) []string { return append(append([]string{}, path...), k...) }
	switch {
	case t.Name == "":
		v.addf(path, "a gateway target needs name = \"...\" (letters and digits, single '-' between them)")
	case !targetNameRE.MatchString(t.Name):
		v.addf(at("name"), "target name %q is invalid: AgentCore target names are letters and digits with single '-' between them, at most 100", t.Name)
	}
	if n := utf8.RuneCountInString(t.Description); n > MaxTargetDescription {
		v.addf(at("description"), "description is %d characters long; AgentCore accepts at most %d for a target", n, MaxTargetDescription)
	}
	switch {
	case t.Type == "":
		v.addf(path, "a gateway target needs type = one of %s", strings.Join(TargetTypes, ", "))
		return
	case !contains(TargetTypes, t.Type):
		v.addf(at("type"), "target type %q is not one of %s%s", t.Type, strings.Join(TargetTypes, ", "), Suggest(t.Type, TargetTypes))
		return
	}
	takes := map[string][]string{
		"mcp":     {"agent", "url"},
		"openapi": {"spec", "credential", "credential_location", "credential_parameter", "credential_prefix"},
		"smithy":  {"spec", "credential", "credential_location", "credential_parameter", "credential_prefix"},
		"lambda":  {"function", "tools"},
	}[t.Type]
	for _, k := range []struct{ key, val string }{{"agent", t.Agent}, {"url", t.URL}, {"spec", t.Spec}, {"credential", t.Credential},
		{"credential_location", t.CredentialLocation}, {"credential_parameter", t.CredentialParameter}, {"credential_prefix", t.CredentialPrefix},
		{"function", t.Function}, {"tools", t.Tools}} {
		if k.val != "" && !contains(takes, k.key) {
			v.addf(at(k.key), "%s is not a key of a %s target (it takes %s)", k.key, t.Type, strings.Join(takes, ", "))
		}
	}
	switch t.Type {
	case "mcp":
		switch {
		case t.Agent == "" && t.URL == "":
			v.addf(path, "an mcp target needs agent = \"NAME\" (an MCP agent of this project) or url = \"https://...\" (an MCP server)")
		case t.Agent != "" && t.URL != "":
			v.addf(at("url"), "an mcp target takes agent or url, not both")
		case t.URL != "":
			if u, err := url.Parse(t.URL); err != nil || u.Scheme != "https" || u.Host == "" {
				v.addf(at("url"), "url %q is not an https:// URL (AgentCore reaches MCP servers over HTTPS)", t.URL)
			}
		}
	case "openapi", "smithy":
		if t.Spec == "" {
			v.addf(path, "a%s %s target needs spec = \"PATH\": its %s, in the project", map[bool]string{true: "n"}[t.Type == "openapi"], t.Type,
				map[string]string{"openapi": "OpenAPI document (YAML or JSON)", "smithy": "Smithy model (JSON AST)"}[t.Type])
		} else {
			v.schemaFile(at("spec"), t.Spec, t.Type)
		}
		if t.Credential == "" && t.Type == "openapi" {
			v.addf(path, "an openapi target needs credential = \"NAME\": AgentCore calls an OpenAPI API with an outbound credential (an api_key or oauth2 [credentials] table)")
		}
		if t.Credential != "" {
			if _, ok := v.credentials[t.Credential]; !ok {
				v.addf(at("credential"), "credential %q is not defined: add a [credentials.%s] table%s", t.Credential, t.Credential, Suggest(t.Credential, sortedKeys(v.credentials)))
			}
		}
		if t.CredentialLocation != "" && t.CredentialLocation != "header" && t.CredentialLocation != "query" {
			v.addf(at("credential_location"), "credential_location %q is not one of header, query%s", t.CredentialLocation, Suggest(t.CredentialLocation, []string{"header", "query"}))
		}
		for _, k := range []struct{ key, val string }{{"credential_parameter", t.CredentialParameter}, {"credential_prefix", t.CredentialPrefix}} {
			if n := utf8.RuneCountInString(k.val); n > MaxCredentialParam {
				v.addf(at(k.key), "%s is %d characters long; AgentCore accepts at most %d", k.key, n, MaxCredentialParam)
			}
		}
		if t.Credential == "" && (t.CredentialLocation != "" || t.CredentialParameter != "" || t.CredentialPrefix != "") {
			v.addf(path, "credential_location, credential_parameter and credential_prefix say how a credential is sent: name it with credential = \"NAME\"")
		}
	case "lambda":
		if t.Function == "" {
			v.addf(path, "a lambda target needs function = \"arn:aws:lambda:REGION:ACCOUNT:function:NAME\"")
		} else if !lambdaArnRE.MatchString(t.Function) {
			v.addf(at("function"), "function %q is not a Lambda function ARN (arn:aws:lambda:us-east-1:123456789012:function:NAME)", t.Function)
		}
		if t.Tools == "" {
			v.addf(path, "a lambda target needs tools = \"PATH\": a JSON array of the tools the function serves ({ name, description, inputSchema })")
		} else {
			v.schemaFile(at("tools"), t.Tools, "tools")
		}
	}
}

// schemaFile reads a target's schema file and reports where it does not parse: an OpenAPI
// document (YAML or JSON), a Smithy JSON AST, or a Lambda target's tools (a JSON array).
func (v *validator) schemaFile(path []string, file, kind string) {
	abs := v.path(file)
	data, err := os.ReadFile(abs)
	if errors.Is(err, fs.ErrNotExist) {
		// the same words on every OS (Windows says "The system cannot find the file specified")
		v.addf(path, "%s %q does not exist (paths are relative to agentcore.toml's directory)", path[len(path)-1], file)
		return
	}
	if err != nil {
		v.addf(path, "%s %q cannot be read: %v", path[len(path)-1], file, unwrapPathError(err))
		return
	}
	if msg := CheckSchema(data, kind); msg != "" {
		v.addf(path, "%s does not parse: %s", file, msg)
	}
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// CheckSchema says where data fails to be a schema of kind ("openapi": YAML or JSON with an
// openapi version and paths; "smithy": a JSON AST with shapes; "tools": a JSON array of tools
// with names), as "line N: what", or "" when it is one.
func CheckSchema(data []byte, kind string) string {
	switch kind {
	case "openapi":
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return strings.TrimPrefix(err.Error(), "yaml: ")
		}
		if _, ok := doc["openapi"]; !ok {
			if _, ok := doc["swagger"]; ok {
				return "it is Swagger 2.0; AgentCore Gateway takes OpenAPI 3 (openapi: 3.0.x or 3.1.x)"
			}
			return "line 1: no openapi version: an OpenAPI 3 document starts with openapi: 3.0.3 (or 3.1.0)"
		}
		if _, ok := doc["paths"].(map[string]any); !ok {
			return "no paths: the document describes no operation, so the target would have no tool"
		}
	case "smithy":
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			return jsonError(data, err)
		}
		if _, ok := doc["shapes"].(map[string]any); !ok {
			return "no shapes: a Smithy model is its JSON AST ({\"smithy\": \"2.0\", \"shapes\": {...}})"
		}
	case "tools":
		var tools []map[string]any
		if err := json.Unmarshal(data, &tools); err != nil {
			return jsonError(data, err)
		}
		if len(tools) == 0 {
			return "the list of tools is empty"
		}
		for i, t := range tools {
			if n, _ := t["name"].(string); n == "" {
				return fmt.Sprintf("tool %d has no name", i+1)
			}
			if _, ok := t["inputSchema"].(map[string]any); !ok {
				return fmt.Sprintf("tool %q has no inputSchema object", t["name"])
			}
		}
	}
	return ""
}

// jsonError places a JSON syntax or type error at its line.
func jsonError(data []byte, err error) string {
	off := int64(-1)
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	if off < 0 {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n"))
	return fmt.Sprintf("line %d: %v", line, err)
}

// resolveGateways applies an environment's overrides to every gateway and checks what
// depends on the environment's agents: a target's agent exists there and serves MCP.
func (v *validator) resolveGateways(env string, overrides map[string]rawGateway, agents map[string]*Agent) map[string]*Gateway {
	out := map[string]*Gateway{}
	for _, name := range sortedKeys(overrides) {
		if _, ok := v.gatewayTables[name]; !ok {
			v.addf([]string{"environments", env, "gateways", name}, "environment %q overrides gateway %q, which is not defined under [gateways]%s", env, name, Suggest(name, sortedKeys(v.gatewayTables)))
		}
	}
	for _, name := range sortedKeys(v.gatewayTables) {
		r := v.gatewayTables[name]
		tpath := []string{"gateways", name}
		if ov, ok := overrides[name]; ok {
			op := []string{"environments", env, "gateways", name}
			v.gatewayKeys(op, ov)
			if ov.Description != "" {
				r.Description = ov.Description
			}
			if ov.Auth != nil {
				r.Auth = ov.Auth
			}
			if ov.Search != nil {
				r.Search = ov.Search
			}
			if ov.ExecutionRole != "" {
				r.ExecutionRole = ov.ExecutionRole
			}
			if ov.GatewayName != "" {
				r.GatewayName = ov.GatewayName
			}
			if ov.Targets != nil {
				r.Targets, tpath = ov.Targets, op
			}
		}
		g := &Gateway{Name: name, Description: r.Description, ExecutionRole: r.ExecutionRole, gatewayName: r.GatewayName, Auth: Auth{Type: "iam"}}
		if r.Search != nil {
			g.Search = *r.Search
		}
		if a, ok := authOf(r.Auth); ok {
			g.Auth = a
		}
		for i, t := range r.Targets {
			gt := GatewayTarget{Name: t.Name, Type: t.Type, Description: t.Description, Agent: t.Agent, URL: t.URL,
				Credential: t.Credential, CredentialLocation: t.CredentialLocation, CredentialParameter: t.CredentialParameter,
				CredentialPrefix: t.CredentialPrefix, Function: t.Function}
			if t.Spec != "" {
				gt.Spec = v.path(t.Spec)
			}
			if t.Tools != "" {
				gt.Tools = v.path(t.Tools)
			}
			if t.Type == "mcp" && t.Agent != "" {
				v.targetAgent(append(append([]string{}, tpath...), "targets", fmt.Sprint(i), "agent"), env, name, t.Agent, agents)
			}
			g.Targets = append(g.Targets, gt)
		}
		out[name] = g
	}
	return out
}

// targetAgent checks, once per message, that an mcp target's agent is an MCP server of the
// project in environment env, and that it does not use the gateway it serves (its runtime
// would need the gateway's URL, and the gateway its runtime's).
func (v *validator) targetAgent(path []string, env, gateway, agent string, agents map[string]*Agent) {
	add := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		key := strings.Join(path, ".") + "\x00" + msg
		if v.reported[key] {
			return
		}
		if v.reported == nil {
			v.reported = map[string]bool{}
		}
		v.reported[key] = true
		v.addf(path, "%s", msg)
	}
	a, ok := agents[agent]
	if !ok {
		add("agent %q is not defined: an mcp target names an agent of this project (protocol = \"MCP\") or a url%s", agent, Suggest(agent, sortedKeys(agents)))
		return
	}
	if a.Protocol != "MCP" {
		where := ""
		if path[0] == "environments" {
			where = fmt.Sprintf(" in environment %q", env)
		}
		add("agent %q is not an MCP server (its protocol is %s%s): a gateway's mcp target needs protocol = \"MCP\"; for an HTTP agent, call it from your tool code or make it serve MCP", agent, a.Protocol, where)
	}
	if contains(a.Gateways, gateway) {
		add("agent %q serves gateway %q's target and uses that gateway: each would need the other deployed first; use another gateway for the agent's own tools", agent, gateway)
	}
}

func authOf(val any) (Auth, bool) {
	switch x := val.(type) {
	case string:
		return Auth{Type: x}, x == "iam"
	case map[string]any:
		a := Auth{}
		a.Type, _ = x["type"].(string)
		a.DiscoveryURL, _ = x["discovery_url"].(string)
		for _, k := range []string{"allowed_clients", "allowed_audience"} {
			l, _ := x[k].([]any)
			for _, e := range l {
				if s, ok := e.(string); ok {
					if k == "allowed_clients" {
						a.AllowedClients = append(a.AllowedClients, s)
					} else {
						a.AllowedAudience = append(a.AllowedAudience, s)
					}
				}
			}
		}
		return a, a.Type != ""
	}
	return Auth{}, false
}

// agentGateways checks an agent's gateways against the project's.
func (v *validator) agentGateways(path []string, r rawAgent, a *Agent) {
	if r.Gateways == nil {
		return
	}
	seen := map[string]bool{}
	for _, g := range r.Gateways {
		if _, ok := v.gatewayTables[g]; !ok {
			v.addf(append(append([]string{}, path...), "gateways"), "gateway %q is not defined: add a [gateways.%s] table%s", g, g, Suggest(g, sortedKeys(v.gatewayTables)))
		}
		if seen[g] {
			v.addf(append(append([]string{}, path...), "gateways"), "gateway %q is listed twice", g)
		}
		seen[g] = true
	}
	a.Gateways = append([]string(nil), r.Gateways...)
}

// SchemaPath is a target schema's path relative to the project directory, for messages.
func (p *Project) SchemaPath(abs string) string {
	if rel, err := filepath.Rel(p.Dir, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return abs
}
