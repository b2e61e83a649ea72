package project

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// The AgentCore API's own limits, copied by hand from the service models
// (botocore data/bedrock-agentcore-control/2023-06-05 and bedrock-agentcore/2024-02-28,
// service-2.json), so that a value AgentCore would refuse is refused when agentcore.toml and
// the arguments are read, with the file position, before anything is built or pushed.
// TestConstraintsMatchModel checks every entry of Constraints against the model.

// Constraint is one shape's limits: lengths (characters for strings, entries for maps and
// lists, the value for integers), a pattern matched against the whole value, or an enum.
type Constraint struct {
	Service string // "bedrock-agentcore-control" or "bedrock-agentcore"
	Shape   string // the model's shape name
	Min     int    // -1: none
	Max     int    // -1: none
	Pattern string // "" when none
	Enum    []string
}

// Constraints are the limits agentcore checks, by shape name.
var Constraints = map[string]Constraint{
	"AgentRuntimeName":         {"bedrock-agentcore-control", "AgentRuntimeName", -1, -1, `[a-zA-Z][a-zA-Z0-9_]{0,47}`, nil},
	"EndpointName":             {"bedrock-agentcore-control", "EndpointName", -1, -1, `[a-zA-Z][a-zA-Z0-9_]{0,47}`, nil},
	"Description":              {"bedrock-agentcore-control", "Description", 1, 4096, "", nil},
	"AgentEndpointDescription": {"bedrock-agentcore-control", "AgentEndpointDescription", 1, 256, "", nil},
	"EnvironmentVariablesMap":  {"bedrock-agentcore-control", "EnvironmentVariablesMap", 0, 50, "", nil},
	"EnvironmentVariableKey":   {"bedrock-agentcore-control", "EnvironmentVariableKey", 1, 100, "", nil},
	"EnvironmentVariableValue": {"bedrock-agentcore-control", "EnvironmentVariableValue", 0, 5000, "", nil},
	"LifecycleConfigurationIdleRuntimeSessionTimeoutInteger": {"bedrock-agentcore-control", "LifecycleConfigurationIdleRuntimeSessionTimeoutInteger", 60, 28800, "", nil},
	"LifecycleConfigurationMaxLifetimeInteger":               {"bedrock-agentcore-control", "LifecycleConfigurationMaxLifetimeInteger", 60, 28800, "", nil},
	"ServerProtocol":      {"bedrock-agentcore-control", "ServerProtocol", -1, -1, "", []string{"A2A", "AGUI", "HTTP", "MCP"}},
	"RoleArn":             {"bedrock-agentcore-control", "RoleArn", 1, 2048, `arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+`, nil},
	"DiscoveryUrl":        {"bedrock-agentcore-control", "DiscoveryUrl", -1, -1, `.+/\.well-known/openid-configuration`, nil},
	"AllowedClientsList":  {"bedrock-agentcore-control", "AllowedClientsList", 1, -1, "", nil},
	"AllowedAudienceList": {"bedrock-agentcore-control", "AllowedAudienceList", 1, -1, "", nil},
	"TagsMap":             {"bedrock-agentcore-control", "TagsMap", 0, 50, "", nil},
	"TagKey":              {"bedrock-agentcore-control", "TagKey", 1, 128, `[a-zA-Z0-9\s._:/=+@-]*`, nil},
	"TagValue":            {"bedrock-agentcore-control", "TagValue", 0, 256, `[a-zA-Z0-9\s._:/=+@-]*`, nil},
	"ClientToken":         {"bedrock-agentcore-control", "ClientToken", 33, 256, `[a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}`, nil},
	// The VPC of network = { subnets, security_groups } (guardrails.go).
	"Subnets":         {"bedrock-agentcore-control", "Subnets", 1, 16, "", nil},
	"SecurityGroups":  {"bedrock-agentcore-control", "SecurityGroups", 1, 16, "", nil},
	"SubnetId":        {"bedrock-agentcore-control", "SubnetId", -1, -1, `subnet-[0-9a-zA-Z]{8,17}`, nil},
	"SecurityGroupId": {"bedrock-agentcore-control", "SecurityGroupId", -1, -1, `sg-[0-9a-zA-Z]{8,17}`, nil},
	// Memory and Identity (resources.go).
	"Name": {"bedrock-agentcore-control", "Name", -1, -1, `[a-zA-Z][a-zA-Z0-9_]{0,47}`, nil},
	"CreateMemoryInputEventExpiryDurationInteger": {"bedrock-agentcore-control", "CreateMemoryInputEventExpiryDurationInteger", 3, 365, "", nil},
	"Namespace":                    {"bedrock-agentcore-control", "Namespace", 1, 512, `[a-zA-Z0-9\-_\/]*(\{(actorId|sessionId|memoryStrategyId)\}[a-zA-Z0-9\-_\/]*)*`, nil},
	"Prompt":                       {"bedrock-agentcore-control", "Prompt", 1, 30000, "", nil},
	"CredentialProviderName":       {"bedrock-agentcore-control", "CredentialProviderName", 1, 128, `[a-zA-Z0-9\-_]+`, nil},
	"ClientIdType":                 {"bedrock-agentcore-control", "ClientIdType", 1, 256, "", nil},
	"CredentialProviderVendorType": {"bedrock-agentcore-control", "CredentialProviderVendorType", -1, -1, "", []string{"AtlassianOauth2", "Auth0Oauth2", "CognitoOauth2", "CustomOauth2", "CyberArkOauth2", "DropboxOauth2", "FacebookOauth2", "FusionAuthOauth2", "GithubOauth2", "GoogleOauth2", "HubspotOauth2", "LinkedinOauth2", "MicrosoftOauth2", "NotionOauth2", "OktaOauth2", "OneLoginOauth2", "PingOneOauth2", "RedditOauth2", "SalesforceOauth2", "SlackOauth2", "SpotifyOauth2", "TwitchOauth2", "XOauth2", "YandexOauth2", "ZoomOauth2"}},
	// The data plane: InvokeAgentRuntime's session id, user id and payload (bytes).
	"SessionType": {"bedrock-agentcore", "SessionType", 33, 256, "", nil},
	"StringType":  {"bedrock-agentcore", "StringType", 1, 1024, "", nil},
	"Body":        {"bedrock-agentcore", "Body", 0, 100000000, "", nil},
}

// Limits used by name in the code (all from Constraints).
var (
	MaxDescription     = Constraints["Description"].Max
	MaxEnvVars         = Constraints["EnvironmentVariablesMap"].Max
	MaxEnvKey          = Constraints["EnvironmentVariableKey"].Max
	MaxEnvValue        = Constraints["EnvironmentVariableValue"].Max
	MinLifecycle       = Constraints["LifecycleConfigurationIdleRuntimeSessionTimeoutInteger"].Min
	MaxLifecycle       = Constraints["LifecycleConfigurationIdleRuntimeSessionTimeoutInteger"].Max
	ServerProtocols    = Constraints["ServerProtocol"].Enum
	MaxRoleArn         = Constraints["RoleArn"].Max
	MaxTags            = Constraints["TagsMap"].Max
	MaxTagKey          = Constraints["TagKey"].Max
	MaxTagValue        = Constraints["TagValue"].Max
	MinSessionID       = Constraints["SessionType"].Min
	MaxSessionID       = Constraints["SessionType"].Max
	MaxUserID          = Constraints["StringType"].Max
	MaxPayload         = Constraints["Body"].Max
	MaxEndpointDescrip = Constraints["AgentEndpointDescription"].Max

	discoveryURLRE = fullMatch(Constraints["DiscoveryUrl"].Pattern)
	endpointNameRE = fullMatch(Constraints["EndpointName"].Pattern)
)

func fullMatch(p string) *lazyregexp.Regexp { return lazyregexp.New(`^(?:` + p + `)$`) }

// CheckSessionID says why s cannot be an InvokeAgentRuntime session id (a header value: 33
// to 256 printable ASCII characters, no spaces or line breaks), or nil.
func CheckSessionID(s string) error {
	if n := utf8.RuneCountInString(s); n < MinSessionID || n > MaxSessionID {
		return fmt.Errorf("session id has %d characters; AgentCore needs %d to %d", n, MinSessionID, MaxSessionID)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }); i >= 0 {
		return fmt.Errorf("session id has %s at position %d; use letters, digits and punctuation only (it is sent as an HTTP header)", describeRune(rune(s[i])), i+1)
	}
	return nil
}

// CheckUserID says why s cannot be an InvokeAgentRuntime user id, or nil.
func CheckUserID(s string) error {
	if n := utf8.RuneCountInString(s); n < 1 || n > MaxUserID {
		return fmt.Errorf("user id has %d characters; AgentCore needs 1 to %d", n, MaxUserID)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }); i >= 0 {
		return fmt.Errorf("user id has %s at position %d (it is sent as an HTTP header)", describeRune(rune(s[i])), i+1)
	}
	return nil
}

func describeRune(r rune) string {
	switch r {
	case '\r':
		return "a carriage return (CR)"
	case '\n':
		return "a line feed (LF)"
	case ' ':
		return "a space"
	case '\t':
		return "a tab"
	}
	if r < ' ' || r == 0x7f {
		return fmt.Sprintf("a control character (%U)", r)
	}
	return fmt.Sprintf("%q", r)
}

// constrainAgent checks one [agents.NAME] table (or an environment's override of it) against
// the API's limits, at the positions of its keys.
func (v *validator) constrainAgent(path []string, r rawAgent) {
	at := func(k ...string) []string { return append(append([]string{}, path...), k...) }
	if n := utf8.RuneCountInString(r.Description); n > MaxDescription {
		v.addf(at("description"), "description is %d characters long; AgentCore accepts at most %d", n, MaxDescription)
	}
	v.constrainVars(at("environment"), r.Environment)
	if len(r.Environment) > MaxEnvVars {
		v.addf(at("environment"), "environment has %d variables; AgentCore accepts at most %d per runtime", len(r.Environment), MaxEnvVars)
	}
	if r.ExecutionRole != "" {
		// schema.go's roleRE is stricter than the model's pattern (it wants the account).
		if n := len(r.ExecutionRole); n > MaxRoleArn {
			v.addf(at("execution_role"), "execution_role is %d characters long; AgentCore accepts at most %d", n, MaxRoleArn)
		}
	}
	if a := r.Auth; a != nil {
		ap := at("auth")
		for _, l := range []struct {
			key  string
			list []string
		}{{"allowed_clients", a.AllowedClients}, {"allowed_audience", a.AllowedAudience}} {
			for i, s := range l.list {
				if strings.TrimSpace(s) == "" {
					v.addf(append(ap, l.key), "%s[%d] is empty", l.key, i+1)
				}
			}
		}
	}
	for _, k := range sortedKeys(r.BuildArgs) {
		if m, ok := r.BuildArgs[k].(map[string]any); ok {
			if _, ok := m["env"]; ok {
				v.addf(at("build_args", k), "build_args.%s is a secret; build args end up in image history and labels; "+
					"pass it to the agent at run time instead (environment = { %s = { env = \"...\" } }), or give the build a secret file it does not keep", k, k)
			}
			if _, ok := m["secret"]; ok {
				v.addf(at("build_args", k), "build_args.%s names a Secrets Manager secret; a build has no role to read it with: "+
					"give it to the agent at run time instead (environment = { %s = { secret = \"...\" } })", k, k)
			}
		}
	}
}

// constrainResolved checks what environment env deploys for agent name: its own variables
// merged with the environment's (an agent over the limit on its own is reported once, by
// constrainAgent).
func (v *validator) constrainResolved(env, name string, own, n int) {
	if n > MaxEnvVars && own <= MaxEnvVars {
		v.addf([]string{"environments", env, "variables"}, "agent %q gets %d environment variables in environment %q (its own and the environment's variables); AgentCore accepts at most %d", name, n, env, MaxEnvVars)
	}
}

// constrainVars checks environment variable names and literal values against the API's
// lengths. Values that are not strings are reported by values (see nonString).
func (v *validator) constrainVars(path []string, m map[string]any) {
	for _, k := range sortedKeys(m) {
		kp := append(append([]string{}, path...), k)
		if n := utf8.RuneCountInString(k); n > MaxEnvKey {
			v.addf(kp, "variable name is %d characters long; AgentCore accepts at most %d", n, MaxEnvKey)
		}
		if s, ok := m[k].(string); ok {
			if n := utf8.RuneCountInString(s); n > MaxEnvValue {
				v.addf(kp, "%s is %d characters long; AgentCore accepts at most %d per value", k, n, MaxEnvValue)
			}
		}
	}
}

// nonString reports a variable whose value is a number or a boolean: AgentCore takes strings
// only, and a silent conversion (1.0 -> "1", 1e3 -> "1000") would deploy what was not written.
func (v *validator) nonString(path []string, key string, val any) {
	v.addf(path, "%s = %s is a %s, but values must be strings: quote it: %s = %q", key, tomlText(val), tomlType(val), key, tomlText(val))
}

func tomlType(val any) string {
	switch val.(type) {
	case int64:
		return "number"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", val)
}

func tomlText(val any) string {
	switch x := val.(type) {
	case float64:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%f", x), "0"), ".")
	}
	return fmt.Sprint(val)
}
