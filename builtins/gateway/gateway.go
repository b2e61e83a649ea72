// Package gateway is the `gateway` Lua module: AgentCore Gateway's control plane (gateways and
// their targets: create, get, find, update, wait, delete, SynchronizeGatewayTargets) for AWS or
// the local endpoint alike, and [gateways.NAME] of agentcore.toml as a spec those calls take
// (config): a target's schema file is read and sent inline, and each target carries the hash
// of everything it is made from, which recipes record to tell a changed target.
// It reaches AgentCore through builtins/aws/awscall.
package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	control "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/project"
)

// api is the part of the AgentCore control plane this module calls.
type api interface {
	CreateGateway(context.Context, *control.CreateGatewayInput, ...func(*control.Options)) (*control.CreateGatewayOutput, error)
	GetGateway(context.Context, *control.GetGatewayInput, ...func(*control.Options)) (*control.GetGatewayOutput, error)
	UpdateGateway(context.Context, *control.UpdateGatewayInput, ...func(*control.Options)) (*control.UpdateGatewayOutput, error)
	DeleteGateway(context.Context, *control.DeleteGatewayInput, ...func(*control.Options)) (*control.DeleteGatewayOutput, error)
	ListGateways(context.Context, *control.ListGatewaysInput, ...func(*control.Options)) (*control.ListGatewaysOutput, error)
	CreateGatewayTarget(context.Context, *control.CreateGatewayTargetInput, ...func(*control.Options)) (*control.CreateGatewayTargetOutput, error)
	GetGatewayTarget(context.Context, *control.GetGatewayTargetInput, ...func(*control.Options)) (*control.GetGatewayTargetOutput, error)
	UpdateGatewayTarget(context.Context, *control.UpdateGatewayTargetInput, ...func(*control.Options)) (*control.UpdateGatewayTargetOutput, error)
	DeleteGatewayTarget(context.Context, *control.DeleteGatewayTargetInput, ...func(*control.Options)) (*control.DeleteGatewayTargetOutput, error)
	ListGatewayTargets(context.Context, *control.ListGatewayTargetsInput, ...func(*control.Options)) (*control.ListGatewayTargetsOutput, error)
	SynchronizeGatewayTargets(context.Context, *control.SynchronizeGatewayTargetsInput, ...func(*control.Options)) (*control.SynchronizeGatewayTargetsOutput, error)
}

type module struct {
	control *awscall.Service[api]
}

// New returns the gateway Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := &module{control: &awscall.Service[api]{AWS: a, Name: "bedrockagentcorecontrol",
		New: func(s *awscall.Session) api { return control.NewFromConfig(s.Config) }, Hint: hint}}
	return &engine.Module{
		Name: "gateway",
		Doc: "AgentCore Gateway: [gateways.NAME] of agentcore.toml as a spec (config), and the control plane of gateways " +
			"(create, get, find, update, wait for READY, delete) and of their targets (create, update, delete, list, wait, " +
			"synchronize). A target's schema (OpenAPI, Smithy, a Lambda target's tools) is read from its file and sent inline; " +
			"each target spec carries hash, the SHA-256 of everything it is made from, so a recipe tells a changed target by the hash it recorded.",
		Classes: []*engine.Class{
			{Name: "gateway.Spec", Of: Spec{}, Doc: "A gateway as agentcore.toml gives it in the selected environment: gateway_name, env (the agent's variable for its URL), auth, search, targets."},
			{Name: "gateway.TargetSpec", Of: TargetSpec{}, Doc: "One target: type, and what it is made from (endpoint for mcp, spec for openapi and smithy, function and tools for lambda), the credential provider it sends, and hash."},
			{Name: "gateway.ConfigOpts", Of: configOpts{}, Doc: "runtime_arns: the runtime ARN of each agent an mcp target names (its endpoint is that runtime's data-plane URL); credentials: each [credentials] key's provider ARN and type."},
			{Name: "gateway.CredentialRef", Of: CredentialRef{}},
			{Name: "gateway.Gateway", Of: Gateway{}, Doc: "A gateway as GetGateway describes it: id, arn, name, url (its MCP endpoint), status, auth, search, role_arn."},
			{Name: "gateway.Target", Of: Target{}, Doc: "A target as GetGatewayTarget (or ListGatewayTargets: no type or endpoint) describes it."},
			{Name: "gateway.Change", Of: Change{}, Doc: "One difference between a gateway and its configuration: what (description, auth, search, role_arn), was and now."},
			{Name: "gateway.CreateOpts", Of: createOpts{}, Doc: "client_token (idempotency) and tags (the gateway's; targets take none)."},
			{Name: "gateway.WaitOpts", Of: waitOpts{}, Doc: "timeout and interval in seconds."},
			{Name: "gateway.Inbound", Of: Inbound{}, Doc: "sigv4 = true (iam) or bearer = TOKEN (jwt): mcp.Opts' auth fields."},
		},
		Funcs: []engine.Func{
			{Name: "config", Params: "gateway: string, opts?: gateway.ConfigOpts", Returns: "gateway.Spec", Go: m.luaConfig,
				Doc: "[gateways.NAME] as the selected environment sees it, its targets' schema files read (a file that no longer parses stops with exit 2). " +
					"An mcp target naming an agent gets endpoint = that agent's runtime data-plane URL (DEFAULT endpoint) when opts.runtime_arns holds it, else \"\" (the agent is not deployed)."},
			{Name: "create", Params: "spec: gateway.Spec, role_arn: string, opts?: gateway.CreateOpts", Returns: "gateway.Gateway", Go: m.luaCreate,
				Doc: "Creates the gateway (CreateGateway, MCP protocol, AWS_IAM or CUSTOM_JWT inbound auth, semantic search when spec.search) with the role it calls targets with. It starts CREATING: wait waits for READY."},
			{Name: "get", Params: "id: string", Returns: "gateway.Gateway?", Go: m.luaGet, Doc: "The gateway (GetGateway), or nil when it does not exist."},
			{Name: "find", Params: "gateway_name: string", Returns: "gateway.Gateway?", Go: m.luaFind, Doc: "The gateway of that name in the account and region (ListGateways, then GetGateway), or nil."},
			{Name: "list", Returns: "gateway.Gateway[]", Go: m.luaList, Doc: "Every gateway of the account and region (summaries: no url or role), sorted by name."},
			{Name: "diff", Params: "live: gateway.Gateway, spec: gateway.Spec, role_arn: string", Returns: "gateway.Change[]", Go: luaDiff,
				Doc: "What differs between a gateway and its configuration (description, inbound auth, search, role); [] when they agree."},
			{Name: "update", Params: "id: string, spec: gateway.Spec, role_arn: string", Returns: "gateway.Gateway", Go: m.luaUpdate,
				Doc: "Sends the gateway its configuration (UpdateGateway: name, description, role, auth, search); it goes UPDATING, then READY."},
			{Name: "wait", Params: "id: string, opts?: gateway.WaitOpts", Returns: "gateway.Gateway?", Go: m.luaWait,
				Doc: "Polls the gateway until it is READY (returned) or FAILED / UPDATE_UNSUCCESSFUL (raises with its statusReasons); nil when it does not exist. Default timeout 10 minutes."},
			{Name: "delete", Params: "id: string", Returns: "boolean", Go: m.luaDelete,
				Doc: "Deletes the gateway's targets, then the gateway (AgentCore refuses to delete a gateway with targets): true when it existed."},
			{Name: "targets", Params: "id: string", Returns: "gateway.Target[]", Go: m.luaTargets, Doc: "The gateway's targets (ListGatewayTargets, every page), sorted by name."},
			{Name: "get_target", Params: "id: string, target_id: string", Returns: "gateway.Target?", Go: m.luaGetTarget, Doc: "The target (GetGatewayTarget), or nil when it (or its gateway) does not exist."},
			{Name: "create_target", Params: "id: string, target: gateway.TargetSpec, opts?: gateway.CreateOpts", Returns: "gateway.Target", Go: m.luaCreateTarget,
				Doc: "Creates the target (CreateGatewayTarget) with its configuration and outbound credential; client_token makes a repeated call return the first one's target."},
			{Name: "update_target", Params: "id: string, target_id: string, target: gateway.TargetSpec", Returns: "gateway.Target", Go: m.luaUpdateTarget,
				Doc: "Sends the target its configuration (UpdateGatewayTarget)."},
			{Name: "delete_target", Params: "id: string, target_id: string", Returns: "boolean", Go: m.luaDeleteTarget, Doc: "Deletes the target: true when it existed."},
			{Name: "wait_target", Params: "id: string, target_id: string, opts?: gateway.WaitOpts", Returns: "gateway.Target?", Go: m.luaWaitTarget,
				Doc: "Polls the target until it is READY (returned) or FAILED, UPDATE_UNSUCCESSFUL or SYNCHRONIZE_UNSUCCESSFUL (raises with its statusReasons); nil when it does not exist."},
			{Name: "inbound", Params: "auth_type: \"iam\"|\"jwt\", token?: string", Returns: "gateway.Inbound", Go: luaInbound,
				Doc: "How a caller authenticates to a gateway, as mcp.tools and mcp.call take it: iam signs with SigV4 (service bedrock-agentcore); jwt sends token, " +
					"else the variable " + TokenEnv + " of agentcore's environment, as a bearer token (masked in every output). jwt without either stops with exit 2."},
			{Name: "synchronize", Params: "id: string, target_ids: string[]", Returns: "gateway.Target[]", Go: m.luaSynchronize,
				Doc: "Has the gateway fetch the targets' tool lists again (SynchronizeGatewayTargets): for mcp targets whose server changed."},
		},
	}
}

func hint(code, msg string) string {
	switch code {
	case "ResourceNotFoundException":
		return "the gateway or target does not exist: agentcore create or update makes it"
	case "ConflictException":
		return "a gateway of that name exists already, or the gateway is busy (UPDATING): set gateway_name in [gateways.NAME], or run the command again once it is READY"
	case "ServiceQuotaExceededException":
		return "the account's gateway or target quota is reached: delete gateways you no longer use, or ask AWS for more"
	case "AccessDeniedException":
		return "the credentials may not manage AgentCore Gateway: they need bedrock-agentcore:*Gateway* and iam:PassRole on the gateway's role"
	}
	return ""
}

// Spec is a gateway's configuration.
type Spec struct {
	Name          string       `json:"name"` // the [gateways] key
	GatewayName   string       `json:"gateway_name"`
	Description   string       `json:"description,omitempty"`
	Env           string       `json:"env,omitempty"` // AGENTCORE_GATEWAY_NAME_URL
	AuthType      string       `json:"auth_type,omitempty" lua:"\"iam\"|\"jwt\""`
	DiscoveryURL  string       `json:"discovery_url,omitempty"`
	Clients       []string     `json:"allowed_clients,omitempty"`
	Audience      []string     `json:"allowed_audience,omitempty"`
	Search        bool         `json:"search,omitempty"`
	ExecutionRole string       `json:"execution_role,omitempty"` // a role brought by the user
	Targets       []TargetSpec `json:"targets,omitempty"`
}

// TargetSpec is one target's configuration.
type TargetSpec struct {
	Name        string `json:"name"`
	Type        string `json:"type" lua:"\"mcp\"|\"openapi\"|\"smithy\"|\"lambda\""`
	Description string `json:"description,omitempty"`
	Agent       string `json:"agent,omitempty"`    // mcp: the project's agent
	Endpoint    string `json:"endpoint,omitempty"` // mcp: the server's URL
	Spec        string `json:"spec,omitempty"`     // openapi, smithy: the file (relative to the project)
	Function    string `json:"function,omitempty"`
	Tools       string `json:"tools,omitempty"` // lambda: the file
	// Outbound auth: the [credentials] key, the provider's ARN and type, and how a key is sent.
	Credential          string   `json:"credential,omitempty"`
	CredentialARN       string   `json:"credential_arn,omitempty"`
	CredentialType      string   `json:"credential_type,omitempty"`
	Scopes              []string `json:"scopes,omitempty"`
	CredentialLocation  string   `json:"credential_location,omitempty"`
	CredentialParameter string   `json:"credential_parameter,omitempty"`
	CredentialPrefix    string   `json:"credential_prefix,omitempty"`
	Hash                string   `json:"hash,omitempty"`

	payload string // the schema or tools, inline
}

// CredentialRef is a credential provider a target sends.
type CredentialRef struct {
	ARN  string `json:"arn"`
	Type string `json:"type" lua:"\"api_key\"|\"oauth2\""`
}

type configOpts struct {
	RuntimeARNs engine.StringMap         `json:"runtime_arns,omitempty"`
	Credentials map[string]CredentialRef `json:"credentials,omitempty"`
}

// Gateway is a gateway as the service describes it.
type Gateway struct {
	ID            string   `json:"id"`
	ARN           string   `json:"arn"`
	Name          string   `json:"name"`
	URL           string   `json:"url"`
	Status        string   `json:"status"`
	StatusReasons []string `json:"status_reasons"`
	Description   string   `json:"description,omitempty"`
	AuthType      string   `json:"auth_type"` // iam, jwt, or AgentCore's word for another
	DiscoveryURL  string   `json:"discovery_url,omitempty"`
	Clients       []string `json:"allowed_clients"`
	Audience      []string `json:"allowed_audience"`
	Search        bool     `json:"search"`
	RoleARN       string   `json:"role_arn,omitempty"`
	Created       string   `json:"created,omitempty"`
	Updated       string   `json:"updated,omitempty"`
}

// Target is a gateway target as the service describes it.
type Target struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Status        string   `json:"status"`
	StatusReasons []string `json:"status_reasons"`
	Description   string   `json:"description,omitempty"`
	Type          string   `json:"type,omitempty"`     // mcp, openapi, smithy, lambda (GetGatewayTarget only)
	Endpoint      string   `json:"endpoint,omitempty"` // mcp
	Function      string   `json:"function,omitempty"` // lambda
	Created       string   `json:"created,omitempty"`
	Updated       string   `json:"updated,omitempty"`
	Synchronized  string   `json:"synchronized,omitempty"`
}

// Change is one difference between a gateway and its configuration.
type Change struct {
	What string `json:"what"`
	Was  string `json:"was"`
	Now  string `json:"now"`
}

type createOpts struct {
	ClientToken string           `json:"client_token,omitempty"`
	Tags        engine.StringMap `json:"tags,omitempty"`
}

type waitOpts struct {
	Timeout  int `json:"timeout,omitempty"`
	Interval int `json:"interval,omitempty"`
}

func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano) // two changes in one second differ
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// runtimeURL is the data-plane URL of a runtime's DEFAULT endpoint on the environment's
// endpoint (the local endpoint's, or AWS's of the region): what an mcp target of a project's
// agent calls. The same shape as builtins/agentcore's invoke URL, whose package this one does
// not import.
func runtimeURL(s *awscall.Session, arn string) string {
	base := s.Endpoint()
	if base == "" {
		base = "https://bedrock-agentcore." + s.Config.Region + ".amazonaws.com"
	}
	return strings.TrimSuffix(base, "/") + "/runtimes/" + url.PathEscape(arn) + "/invocations?qualifier=DEFAULT"
}

func (m *module) luaConfig(L *lua.LState, name string, o configOpts) (*Spec, error) {
	run := engine.FromL(L)
	p, e, err := run.NeedEnv()
	if err != nil {
		return nil, err
	}
	g, ok := e.Gateways[name]
	if !ok {
		names := make([]string, 0, len(e.Gateways))
		for n := range e.Gateways {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, engine.Usagef("gateways are defined under [gateways.NAME] in agentcore.toml", "gateway %q is not defined in %s%s", name, proj.FileName, proj.Suggest(name, names))
	}
	sp := &Spec{Name: name, GatewayName: g.GatewayName(p.Name, e.Name), Description: g.Description, Env: g.EnvName(),
		AuthType: g.Auth.Type, DiscoveryURL: g.Auth.DiscoveryURL, Clients: orEmpty(g.Auth.AllowedClients), Audience: orEmpty(g.Auth.AllowedAudience),
		Search: g.Search, ExecutionRole: g.ExecutionRole, Targets: []TargetSpec{}}
	var sess *awscall.Session
	for _, t := range g.Targets {
		ts := TargetSpec{Name: t.Name, Type: t.Type, Description: t.Description, Agent: t.Agent, Endpoint: t.URL, Function: t.Function,
			Credential: t.Credential, CredentialLocation: t.CredentialLocation, CredentialParameter: t.CredentialParameter, CredentialPrefix: t.CredentialPrefix}
		if t.Agent != "" {
			if arn := o.RuntimeARNs[t.Agent]; arn != "" {
				if sess == nil {
					if sess, err = engine.Unlocked(L, func(ctx context.Context) (*awscall.Session, error) { return m.control.AWS.Session(ctx, run) }); err != nil {
						return nil, err
					}
				}
				ts.Endpoint = runtimeURL(sess, arn)
			}
		}
		file, kind := t.Spec, t.Type
		if t.Type == "lambda" {
			file, kind = t.Tools, "tools"
		}
		if file != "" {
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, engine.Usagef("fix the path in agentcore.toml", "gateway %s, target %s: reading %s: %v", name, t.Name, p.SchemaPath(file), err)
			}
			if msg := proj.CheckSchema(data, kind); msg != "" {
				return nil, engine.Usagef("fix the file, then run the command again", "gateway %s, target %s: %s does not parse: %s", name, t.Name, p.SchemaPath(file), msg)
			}
			ts.payload = string(data)
			if t.Type == "lambda" {
				ts.Tools = p.SchemaPath(file)
			} else {
				ts.Spec = p.SchemaPath(file)
			}
		}
		if t.Credential != "" {
			ref := o.Credentials[t.Credential]
			ts.CredentialARN, ts.CredentialType = ref.ARN, ref.Type
			if c := e.Credentials[t.Credential]; c != nil {
				if ts.CredentialType == "" {
					ts.CredentialType = c.Type
				}
				ts.Scopes = append([]string{}, c.Scopes...)
			}
		}
		ts.Hash = targetHash(&ts)
		sp.Targets = append(sp.Targets, ts)
	}
	return sp, nil
}

// targetHash is the SHA-256 of everything a target is made from: a changed schema, endpoint
// or credential changes it.
func targetHash(t *TargetSpec) string {
	h := sha256.New()
	for _, s := range []string{"gateway-target/v1", t.Type, t.Description, t.Endpoint, t.Function, t.payload, t.CredentialARN, t.CredentialType,
		strings.Join(t.Scopes, " "), t.CredentialLocation, t.CredentialParameter, t.CredentialPrefix} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// authorizer is the inbound auth of a spec.
func authorizer(sp Spec) (types.AuthorizerType, types.AuthorizerConfiguration) {
	if sp.AuthType != "jwt" {
		return types.AuthorizerTypeAwsIam, nil
	}
	return types.AuthorizerTypeCustomJwt, &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
		DiscoveryUrl: awssdk.String(sp.DiscoveryURL), AllowedClients: nilIfEmpty(sp.Clients), AllowedAudience: nilIfEmpty(sp.Audience)}}
}

func nilIfEmpty(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}

func protocol(sp Spec) types.GatewayProtocolConfiguration {
	c := types.MCPGatewayConfiguration{}
	if sp.Search {
		c.SearchType = types.SearchTypeSemantic
	}
	return &types.GatewayProtocolConfigurationMemberMcp{Value: c}
}

func fromGateway(id, arn, name, url *string, status types.GatewayStatus, reasons []string, desc *string, roleArn *string,
	at types.AuthorizerType, ac types.AuthorizerConfiguration, pc types.GatewayProtocolConfiguration, created, updated *time.Time) *Gateway {
	g := &Gateway{ID: awssdk.ToString(id), ARN: awssdk.ToString(arn), Name: awssdk.ToString(name), URL: awssdk.ToString(url),
		Status: string(status), StatusReasons: orEmpty(reasons), Description: awssdk.ToString(desc), RoleARN: awssdk.ToString(roleArn),
		Clients: []string{}, Audience: []string{}, Created: stamp(created), Updated: stamp(updated)}
	switch at {
	case types.AuthorizerTypeAwsIam:
		g.AuthType = "iam"
	case types.AuthorizerTypeCustomJwt:
		g.AuthType = "jwt"
	default:
		g.AuthType = string(at)
	}
	if j, ok := ac.(*types.AuthorizerConfigurationMemberCustomJWTAuthorizer); ok {
		g.DiscoveryURL = awssdk.ToString(j.Value.DiscoveryUrl)
		g.Clients, g.Audience = orEmpty(j.Value.AllowedClients), orEmpty(j.Value.AllowedAudience)
	}
	if p, ok := pc.(*types.GatewayProtocolConfigurationMemberMcp); ok {
		g.Search = p.Value.SearchType == types.SearchTypeSemantic
	}
	return g
}

func (m *module) luaCreate(L *lua.LState, sp Spec, role string, o createOpts) (*Gateway, error) {
	at, ac := authorizer(sp)
	in := &control.CreateGatewayInput{Name: &sp.GatewayName, Description: optional(sp.Description), RoleArn: &role,
		ProtocolType: types.GatewayProtocolTypeMcp, ProtocolConfiguration: protocol(sp), AuthorizerType: at, AuthorizerConfiguration: ac,
		ClientToken: optional(o.ClientToken), Tags: o.Tags}
	out, err := awscall.Call(L, m.control, "creating gateway "+sp.GatewayName, func(ctx context.Context, c api) (*control.CreateGatewayOutput, error) {
		return c.CreateGateway(ctx, in)
	})
	if err != nil {
		return nil, err
	}
	return fromGateway(out.GatewayId, out.GatewayArn, out.Name, out.GatewayUrl, out.Status, out.StatusReasons, out.Description, out.RoleArn,
		out.AuthorizerType, out.AuthorizerConfiguration, out.ProtocolConfiguration, out.CreatedAt, out.UpdatedAt), nil
}

func (m *module) get(L *lua.LState, id string) (*Gateway, error) {
	out, err := awscall.Try(L, m.control, func(ctx context.Context, c api) (*control.GetGatewayOutput, error) {
		return c.GetGateway(ctx, &control.GetGatewayInput{GatewayIdentifier: &id})
	})
	if awscall.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, m.control.Error("getting gateway "+id, err)
	}
	return fromGateway(out.GatewayId, out.GatewayArn, out.Name, out.GatewayUrl, out.Status, out.StatusReasons, out.Description, out.RoleArn,
		out.AuthorizerType, out.AuthorizerConfiguration, out.ProtocolConfiguration, out.CreatedAt, out.UpdatedAt), nil
}

func (m *module) luaGet(L *lua.LState, id string) (*Gateway, error) { return m.get(L, id) }

func (m *module) list(L *lua.LState) ([]Gateway, error) {
	return awscall.Call(L, m.control, "listing gateways", func(ctx context.Context, c api) ([]Gateway, error) {
		out := []Gateway{}
		p := control.NewListGatewaysPaginator(c, &control.ListGatewaysInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, s := range page.Items {
				g := fromGateway(s.GatewayId, nil, s.Name, nil, s.Status, nil, s.Description, nil, s.AuthorizerType, nil, nil, s.CreatedAt, s.UpdatedAt)
				out = append(out, *g)
			}
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	})
}

func (m *module) luaList(L *lua.LState) ([]Gateway, error) { return m.list(L) }

func (m *module) luaFind(L *lua.LState, name string) (*Gateway, error) {
	all, err := m.list(L)
	if err != nil {
		return nil, err
	}
	for _, g := range all {
		if g.Name == name && g.Status != string(types.GatewayStatusDeleting) {
			return m.get(L, g.ID)
		}
	}
	return nil, nil
}

// diff is what differs between live and the configuration.
func diff(live *Gateway, sp Spec, role string) []Change {
	out := []Change{}
	if live.Description != sp.Description {
		out = append(out, Change{What: "description", Was: live.Description, Now: sp.Description})
	}
	if was, now := authWords(live.AuthType, live.DiscoveryURL, live.Clients, live.Audience), authWords(sp.AuthType, sp.DiscoveryURL, sp.Clients, sp.Audience); was != now {
		out = append(out, Change{What: "auth", Was: was, Now: now})
	}
	if live.Search != sp.Search {
		out = append(out, Change{What: "search", Was: fmt.Sprint(live.Search), Now: fmt.Sprint(sp.Search)})
	}
	if role != "" && live.RoleARN != "" && live.RoleARN != role {
		out = append(out, Change{What: "role_arn", Was: live.RoleARN, Now: role})
	}
	return out
}

func authWords(typ, url string, clients, audience []string) string {
	if typ != "jwt" {
		return typ
	}
	c, a := append([]string{}, clients...), append([]string{}, audience...)
	sort.Strings(c)
	sort.Strings(a)
	return fmt.Sprintf("jwt %s clients=%s audience=%s", url, strings.Join(c, ","), strings.Join(a, ","))
}

func luaDiff(_ *lua.LState, live Gateway, sp Spec, role string) ([]Change, error) {
	return diff(&live, sp, role), nil
}

func (m *module) luaUpdate(L *lua.LState, id string, sp Spec, role string) (*Gateway, error) {
	at, ac := authorizer(sp)
	in := &control.UpdateGatewayInput{GatewayIdentifier: &id, Name: &sp.GatewayName, Description: optional(sp.Description), RoleArn: &role,
		ProtocolType: types.GatewayProtocolTypeMcp, ProtocolConfiguration: protocol(sp), AuthorizerType: at, AuthorizerConfiguration: ac}
	out, err := awscall.Call(L, m.control, fmt.Sprintf("updating gateway %s (%s)", sp.GatewayName, id), func(ctx context.Context, c api) (*control.UpdateGatewayOutput, error) {
		return c.UpdateGateway(ctx, in)
	})
	if err != nil {
		return nil, err
	}
	return fromGateway(out.GatewayId, out.GatewayArn, out.Name, out.GatewayUrl, out.Status, out.StatusReasons, out.Description, out.RoleArn,
		out.AuthorizerType, out.AuthorizerConfiguration, out.ProtocolConfiguration, out.CreatedAt, out.UpdatedAt), nil
}

// poll calls get until done says the status is final, with the backoff memory.wait uses.
func poll[T any](L *lua.LState, what string, o waitOpts, get func() (*T, string, []string, error), failed map[string]bool, ready string) (*T, error) {
	run := engine.FromL(L)
	branch := run.Branch(L)
	timeout, interval := 10*time.Minute, 3*time.Second
	if o.Timeout > 0 {
		timeout = time.Duration(o.Timeout) * time.Second
	}
	if o.Interval > 0 {
		interval = time.Duration(o.Interval) * time.Second
	}
	deadline := time.Now().Add(timeout)
	pause, last := 50*time.Millisecond, ""
	for {
		v, status, reasons, err := get()
		if err != nil {
			return nil, err
		}
		if v == nil {
			if last != "" && last != "DELETING" {
				return nil, engine.Failf("", "%s disappeared while %s", what, last)
			}
			return nil, nil
		}
		if status != last {
			run.Out.Info(branch, fmt.Sprintf("%s: %s", what, status))
			last = status
		}
		if status == ready {
			return v, nil
		}
		if failed[status] {
			why := strings.Join(reasons, "; ")
			if why == "" {
				why = "AgentCore gave no reason"
			}
			return nil, engine.Failf("read the reason, fix [gateways] in agentcore.toml and run the command again", "%s is %s: %s", what, status, why)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, engine.Failf("it may still finish: run the command again later", "timed out after %s waiting for %s (last status %s)", timeout, what, last)
		}
		if _, err := engine.Unlocked(L, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, engine.Sleep(ctx, min(pause, left))
		}); err != nil {
			return nil, fmt.Errorf("waiting for %s: %w", what, err)
		}
		pause = min(pause*2, interval)
	}
}

func (m *module) luaWait(L *lua.LState, id string, o waitOpts) (*Gateway, error) {
	name := "gateway " + id
	return poll(L, name, o, func() (*Gateway, string, []string, error) {
		g, err := m.get(L, id)
		if g == nil || err != nil {
			return nil, "", nil, err
		}
		name = "gateway " + g.Name
		return g, g.Status, g.StatusReasons, nil
	}, map[string]bool{"FAILED": true, "UPDATE_UNSUCCESSFUL": true}, "READY")
}

func (m *module) luaDelete(L *lua.LState, id string) (bool, error) {
	targets, err := m.targets(L, id)
	if awscall.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, t := range targets {
		if _, err := m.luaDeleteTarget(L, id, t.ID); err != nil {
			return false, err
		}
	}
	// AgentCore deletes targets asynchronously: the gateway refuses deletion while any remain.
	for _, t := range targets {
		if _, err := m.luaWaitTarget(L, id, t.ID, waitOpts{}); err != nil {
			return false, err
		}
	}
	_, err = awscall.Try(L, m.control, func(ctx context.Context, c api) (*control.DeleteGatewayOutput, error) {
		return c.DeleteGateway(ctx, &control.DeleteGatewayInput{GatewayIdentifier: &id})
	})
	if awscall.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, m.control.Error("deleting gateway "+id, err)
	}
	return true, nil
}

func (m *module) targets(L *lua.LState, id string) ([]Target, error) {
	out, err := awscall.Try(L, m.control, func(ctx context.Context, c api) ([]Target, error) {
		out := []Target{}
		p := control.NewListGatewayTargetsPaginator(c, &control.ListGatewayTargetsInput{GatewayIdentifier: &id})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, s := range page.Items {
				out = append(out, Target{ID: awssdk.ToString(s.TargetId), Name: awssdk.ToString(s.Name), Status: string(s.Status), StatusReasons: []string{},
					Description: awssdk.ToString(s.Description), Created: stamp(s.CreatedAt), Updated: stamp(s.UpdatedAt)})
			}
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	})
	if err != nil && !awscall.IsNotFound(err) {
		return nil, m.control.Error("listing the targets of gateway "+id, err)
	}
	return out, err
}

func (m *module) luaTargets(L *lua.LState, id string) ([]Target, error) {
	out, err := m.targets(L, id)
	if awscall.IsNotFound(err) {
		return nil, engine.Failf(hint("ResourceNotFoundException", ""), "gateway %s does not exist", id)
	}
	return out, err
}

func fromTarget(id, name *string, status types.TargetStatus, reasons []string, desc *string, tc types.TargetConfiguration, created, updated, synced *time.Time) *Target {
	t := &Target{ID: awssdk.ToString(id), Name: awssdk.ToString(name), Status: string(status), StatusReasons: orEmpty(reasons),
		Description: awssdk.ToString(desc), Created: stamp(created), Updated: stamp(updated), Synchronized: stamp(synced)}
	if m, ok := tc.(*types.TargetConfigurationMemberMcp); ok {
		switch v := m.Value.(type) {
		case *types.McpTargetConfigurationMemberMcpServer:
			t.Type, t.Endpoint = "mcp", awssdk.ToString(v.Value.Endpoint)
		case *types.McpTargetConfigurationMemberOpenApiSchema:
			t.Type = "openapi"
		case *types.McpTargetConfigurationMemberSmithyModel:
			t.Type = "smithy"
		case *types.McpTargetConfigurationMemberLambda:
			t.Type, t.Function = "lambda", awssdk.ToString(v.Value.LambdaArn)
		}
	}
	return t
}

func (m *module) getTarget(L *lua.LState, id, tid string) (*Target, error) {
	out, err := awscall.Try(L, m.control, func(ctx context.Context, c api) (*control.GetGatewayTargetOutput, error) {
		return c.GetGatewayTarget(ctx, &control.GetGatewayTargetInput{GatewayIdentifier: &id, TargetId: &tid})
	})
	if awscall.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, m.control.Error(fmt.Sprintf("getting target %s of gateway %s", tid, id), err)
	}
	return fromTarget(out.TargetId, out.Name, out.Status, out.StatusReasons, out.Description, out.TargetConfiguration, out.CreatedAt, out.UpdatedAt, out.LastSynchronizedAt), nil
}

func (m *module) luaGetTarget(L *lua.LState, id, tid string) (*Target, error) {
	return m.getTarget(L, id, tid)
}

// targetInput is the API's configuration and credentials of a target spec.
func targetInput(t TargetSpec) (types.TargetConfiguration, []types.CredentialProviderConfiguration, error) {
	var mc types.McpTargetConfiguration
	switch t.Type {
	case "mcp":
		if t.Endpoint == "" {
			return nil, nil, engine.Failf("deploy the agent first (agentcore create "+t.Agent+")", "target %s: agent %s has no runtime in this environment, so the target has no endpoint", t.Name, t.Agent)
		}
		mc = &types.McpTargetConfigurationMemberMcpServer{Value: types.McpServerTargetConfiguration{Endpoint: awssdk.String(t.Endpoint)}}
	case "openapi":
		mc = &types.McpTargetConfigurationMemberOpenApiSchema{Value: &types.ApiSchemaConfigurationMemberInlinePayload{Value: t.payload}}
	case "smithy":
		mc = &types.McpTargetConfigurationMemberSmithyModel{Value: &types.ApiSchemaConfigurationMemberInlinePayload{Value: t.payload}}
	case "lambda":
		var tools []types.ToolDefinition
		if err := decodeTools(t.payload, &tools); err != nil {
			return nil, nil, engine.Usagef("fix the file", "target %s: %s: %v", t.Name, t.Tools, err)
		}
		mc = &types.McpTargetConfigurationMemberLambda{Value: types.McpLambdaTargetConfiguration{LambdaArn: awssdk.String(t.Function),
			ToolSchema: &types.ToolSchemaMemberInlinePayload{Value: tools}}}
	default:
		return nil, nil, engine.Usagef("type is one of mcp, openapi, smithy, lambda", "target %s: type %q is not known", t.Name, t.Type)
	}
	var creds []types.CredentialProviderConfiguration
	switch {
	case t.Credential != "" && t.CredentialARN == "":
		return nil, nil, engine.Failf("deploy the agent that lists the credential first", "target %s: credential provider %s is not recorded in this environment", t.Name, t.Credential)
	case t.CredentialType == "api_key":
		p := types.GatewayApiKeyCredentialProvider{ProviderArn: awssdk.String(t.CredentialARN), CredentialParameterName: optional(t.CredentialParameter),
			CredentialPrefix: optional(t.CredentialPrefix)}
		switch t.CredentialLocation {
		case "query":
			p.CredentialLocation = types.ApiKeyCredentialLocationQueryParameter
		case "header":
			p.CredentialLocation = types.ApiKeyCredentialLocationHeader
		}
		creds = append(creds, types.CredentialProviderConfiguration{CredentialProviderType: types.CredentialProviderTypeApiKey,
			CredentialProvider: &types.CredentialProviderMemberApiKeyCredentialProvider{Value: p}})
	case t.CredentialType == "oauth2":
		creds = append(creds, types.CredentialProviderConfiguration{CredentialProviderType: types.CredentialProviderTypeOauth,
			CredentialProvider: &types.CredentialProviderMemberOauthCredentialProvider{Value: types.OAuthCredentialProvider{
				ProviderArn: awssdk.String(t.CredentialARN), Scopes: orEmpty(t.Scopes)}}})
	case t.Type == "mcp" && t.Agent != "":
		// the project's runtime takes SigV4 (its inbound auth is iam): the gateway signs with its role
		creds = append(creds, types.CredentialProviderConfiguration{CredentialProviderType: types.CredentialProviderTypeGatewayIamRole,
			CredentialProvider: &types.CredentialProviderMemberIamCredentialProvider{Value: types.IamCredentialProvider{Service: awssdk.String("bedrock-agentcore")}}})
	case t.Type == "lambda" || t.Type == "smithy":
		// the gateway calls its function (or the AWS API) with its own role
		creds = append(creds, types.CredentialProviderConfiguration{CredentialProviderType: types.CredentialProviderTypeGatewayIamRole})
	}
	return &types.TargetConfigurationMemberMcp{Value: mc}, creds, nil
}

// load reads the target's schema file again: a spec that went through Lua lost the content
// config read (it is not a Lua field), and the file is what the hash was made of.
func (t *TargetSpec) load(L *lua.LState) error {
	if t.payload != "" || (t.Spec == "" && t.Tools == "") {
		return nil
	}
	file, kind := t.Spec, t.Type
	if t.Type == "lambda" {
		file, kind = t.Tools, "tools"
	}
	if !filepath.IsAbs(file) {
		p, _, err := engine.FromL(L).NeedEnv()
		if err != nil {
			return err
		}
		file = filepath.Join(p.Dir, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return engine.Usagef("fix the path in agentcore.toml", "target %s: reading %s: %v", t.Name, file, err)
	}
	if msg := proj.CheckSchema(data, kind); msg != "" {
		return engine.Usagef("fix the file, then run the command again", "target %s: %s does not parse: %s", t.Name, file, msg)
	}
	t.payload = string(data)
	return nil
}

func (m *module) luaCreateTarget(L *lua.LState, id string, t TargetSpec, o createOpts) (*Target, error) {
	if err := t.load(L); err != nil {
		return nil, err
	}
	tc, creds, err := targetInput(t)
	if err != nil {
		return nil, err
	}
	out, err := awscall.Call(L, m.control, fmt.Sprintf("creating target %s of gateway %s", t.Name, id), func(ctx context.Context, c api) (*control.CreateGatewayTargetOutput, error) {
		return c.CreateGatewayTarget(ctx, &control.CreateGatewayTargetInput{GatewayIdentifier: &id, Name: &t.Name, Description: optional(t.Description),
			TargetConfiguration: tc, CredentialProviderConfigurations: creds, ClientToken: optional(o.ClientToken)})
	})
	if err != nil {
		return nil, err
	}
	return fromTarget(out.TargetId, out.Name, out.Status, out.StatusReasons, out.Description, out.TargetConfiguration, out.CreatedAt, out.UpdatedAt, out.LastSynchronizedAt), nil
}

func (m *module) luaUpdateTarget(L *lua.LState, id, tid string, t TargetSpec) (*Target, error) {
	if err := t.load(L); err != nil {
		return nil, err
	}
	tc, creds, err := targetInput(t)
	if err != nil {
		return nil, err
	}
	out, err := awscall.Call(L, m.control, fmt.Sprintf("updating target %s of gateway %s", t.Name, id), func(ctx context.Context, c api) (*control.UpdateGatewayTargetOutput, error) {
		return c.UpdateGatewayTarget(ctx, &control.UpdateGatewayTargetInput{GatewayIdentifier: &id, TargetId: &tid, Name: &t.Name,
			Description: optional(t.Description), TargetConfiguration: tc, CredentialProviderConfigurations: creds})
	})
	if err != nil {
		return nil, err
	}
	return fromTarget(out.TargetId, out.Name, out.Status, out.StatusReasons, out.Description, out.TargetConfiguration, out.CreatedAt, out.UpdatedAt, out.LastSynchronizedAt), nil
}

func (m *module) luaDeleteTarget(L *lua.LState, id, tid string) (bool, error) {
	_, err := awscall.Try(L, m.control, func(ctx context.Context, c api) (*control.DeleteGatewayTargetOutput, error) {
		return c.DeleteGatewayTarget(ctx, &control.DeleteGatewayTargetInput{GatewayIdentifier: &id, TargetId: &tid})
	})
	if awscall.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, m.control.Error(fmt.Sprintf("deleting target %s of gateway %s", tid, id), err)
	}
	return true, nil
}

func (m *module) luaWaitTarget(L *lua.LState, id, tid string, o waitOpts) (*Target, error) {
	name := fmt.Sprintf("target %s of gateway %s", tid, id)
	return poll(L, name, o, func() (*Target, string, []string, error) {
		t, err := m.getTarget(L, id, tid)
		if t == nil || err != nil {
			return nil, "", nil, err
		}
		name = "target " + t.Name
		return t, t.Status, t.StatusReasons, nil
	}, map[string]bool{"FAILED": true, "UPDATE_UNSUCCESSFUL": true, "SYNCHRONIZE_UNSUCCESSFUL": true}, "READY")
}

// TokenEnv is the variable agentcore reads a JWT gateway's bearer token from when --token is
// not given.
const TokenEnv = "AGENTCORE_GATEWAY_TOKEN"

// Inbound is the auth part of mcp.Opts for a gateway.
type Inbound struct {
	SigV4  bool   `json:"sigv4,omitempty"`
	Bearer string `json:"bearer,omitempty"`
}

func luaInbound(L *lua.LState, authType, token string) (Inbound, error) {
	switch authType {
	case "iam":
		return Inbound{SigV4: true}, nil
	case "jwt":
		if token == "" {
			token = os.Getenv(TokenEnv)
		}
		if token == "" {
			return Inbound{}, engine.Usagef("pass --token TOKEN, or export "+TokenEnv+"=TOKEN (an access token of the issuer at the gateway's discovery_url)",
				"the gateway takes JWT bearer tokens (auth type jwt), and none was given")
		}
		engine.FromL(L).Out.AddSecret(token)
		return Inbound{Bearer: token}, nil
	}
	return Inbound{}, engine.Usagef("auth is iam or jwt", "gateway auth type %q is not one agentcore can call with", authType)
}

func (m *module) luaSynchronize(L *lua.LState, id string, ids []string) ([]Target, error) {
	out, err := awscall.Call(L, m.control, "synchronizing the targets of gateway "+id, func(ctx context.Context, c api) (*control.SynchronizeGatewayTargetsOutput, error) {
		return c.SynchronizeGatewayTargets(ctx, &control.SynchronizeGatewayTargetsInput{GatewayIdentifier: &id, TargetIdList: ids})
	})
	if err != nil {
		return nil, err
	}
	res := []Target{}
	for _, t := range out.Targets {
		res = append(res, *fromTarget(t.TargetId, t.Name, t.Status, t.StatusReasons, t.Description, t.TargetConfiguration, t.CreatedAt, t.UpdatedAt, t.LastSynchronizedAt))
	}
	return res, nil
}

// decodeTools reads a Lambda target's tools (a JSON array of {name, description, inputSchema})
// into the API's ToolDefinition, whose schemas are typed structures, not documents.
func decodeTools(payload string, out *[]types.ToolDefinition) error {
	return decodeToolDefs([]byte(payload), out)
}
