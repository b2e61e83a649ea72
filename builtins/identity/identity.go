// Package identity is the `identity` Lua module: AgentCore Identity's credential providers
// (API key and OAuth2) as agentcore.toml's [credentials.NAME] tables describe them, for AWS or
// the local endpoint alike. The provider's secret material (an API key, an OAuth2 client
// secret) is read here, in Go, from agentcore's environment ({ env = "X" }) or the project's
// Secrets Manager secret ({ secret = "NAME" }, GetSecretValue at deploy time), sent to AgentCore
// and otherwise only ever seen as a keyed hash: no Lua value, output or state file holds it.
// It reaches AgentCore and Secrets Manager through builtins/aws/awscall.
package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	control "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	bproject "github.com/agentcore/agentcore/builtins/project"
	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/project"
)

// api is the part of the AgentCore control plane this module calls.
type api interface {
	CreateApiKeyCredentialProvider(context.Context, *control.CreateApiKeyCredentialProviderInput, ...func(*control.Options)) (*control.CreateApiKeyCredentialProviderOutput, error)
	GetApiKeyCredentialProvider(context.Context, *control.GetApiKeyCredentialProviderInput, ...func(*control.Options)) (*control.GetApiKeyCredentialProviderOutput, error)
	UpdateApiKeyCredentialProvider(context.Context, *control.UpdateApiKeyCredentialProviderInput, ...func(*control.Options)) (*control.UpdateApiKeyCredentialProviderOutput, error)
	DeleteApiKeyCredentialProvider(context.Context, *control.DeleteApiKeyCredentialProviderInput, ...func(*control.Options)) (*control.DeleteApiKeyCredentialProviderOutput, error)
	ListApiKeyCredentialProviders(context.Context, *control.ListApiKeyCredentialProvidersInput, ...func(*control.Options)) (*control.ListApiKeyCredentialProvidersOutput, error)
	CreateOauth2CredentialProvider(context.Context, *control.CreateOauth2CredentialProviderInput, ...func(*control.Options)) (*control.CreateOauth2CredentialProviderOutput, error)
	GetOauth2CredentialProvider(context.Context, *control.GetOauth2CredentialProviderInput, ...func(*control.Options)) (*control.GetOauth2CredentialProviderOutput, error)
	UpdateOauth2CredentialProvider(context.Context, *control.UpdateOauth2CredentialProviderInput, ...func(*control.Options)) (*control.UpdateOauth2CredentialProviderOutput, error)
	DeleteOauth2CredentialProvider(context.Context, *control.DeleteOauth2CredentialProviderInput, ...func(*control.Options)) (*control.DeleteOauth2CredentialProviderOutput, error)
	ListOauth2CredentialProviders(context.Context, *control.ListOauth2CredentialProvidersInput, ...func(*control.Options)) (*control.ListOauth2CredentialProvidersOutput, error)
}

// secretsAPI is the Secrets Manager call that reads { secret = "NAME" } values.
type secretsAPI interface {
	GetSecretValue(context.Context, *sm.GetSecretValueInput, ...func(*sm.Options)) (*sm.GetSecretValueOutput, error)
}

type module struct {
	control *awscall.Service[api]
	secrets *awscall.Service[secretsAPI]
}

// New returns the identity Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := &module{
		control: &awscall.Service[api]{AWS: a, Name: "bedrockagentcorecontrol",
			New: func(s *awscall.Session) api { return control.NewFromConfig(s.Config) }, Hint: hint},
		secrets: &awscall.Service[secretsAPI]{AWS: a, Name: "secretsmanager",
			New: func(s *awscall.Session) secretsAPI { return sm.NewFromConfig(s.Config) }, Hint: secretHint},
	}
	return &engine.Module{
		Name: "identity",
		Doc: "AgentCore Identity's credential providers ([credentials.NAME] in agentcore.toml): API key and OAuth2 " +
			"(the vendor's own config, customOauth2ProviderConfig with a discovery URL, Microsoft with its tenant, or " +
			"includedOauth2ProviderConfig). A provider's key or client secret is read in Go, from agentcore's environment " +
			"({ env = \"X\" }) or the project's Secrets Manager secret ({ secret = \"NAME\" }, GetSecretValue), and is " +
			"never returned: recipes see key_hash, an HMAC keyed with the environment's hash key, to tell a changed key.",
		Classes: []*engine.Class{
			{Name: "identity.Provider", Of: Provider{}, Doc: "A credential provider as AgentCore describes it: provider_name, arn, type (api_key or oauth2), vendor (oauth2), created and updated (RFC 3339)."},
			{Name: "identity.Ensured", Of: Ensured{}, Doc: "A provider created or updated from its configuration, with key_hash (the HMAC of its secret material and configuration)."},
			{Name: "identity.Config", Of: Config{}},
			{Name: "identity.CreateOpts", Of: createOpts{}, Doc: "tags: the provider's tags (CreateApiKeyCredentialProvider, CreateOauth2CredentialProvider)."},
		},
		Funcs: []engine.Func{
			{Name: "config", Params: "credential: string", Returns: "identity.Config", Go: luaConfig,
				Doc: "[credentials.NAME] as the selected environment sees it: type, provider_name (PROJECT-NAME-ENV unless provider_name is set), env (its variable, AGENTCORE_CREDENTIAL_NAME), vendor, scopes, and where its key comes from (source: \"env VAR\" or \"secret NAME\"). Never a value."},
			{Name: "key_hash", Params: "credential: string", Returns: "string", Go: m.luaKeyHash,
				Doc: "The keyed hash (HMAC-SHA256 with the environment's hash key) of the credential's configuration and secret material, as create and update record it: " +
					"compare it with the recorded one to tell a changed key. Reads the key or client secret ({ env } from agentcore's environment, { secret } with GetSecretValue); a missing one stops with exit 2."},
			{Name: "create", Params: "credential: string, opts?: identity.CreateOpts", Returns: "identity.Ensured", Go: m.luaCreate,
				Doc: "Creates the provider of [credentials.NAME] (its provider name in this environment) with its key or OAuth2 client configuration and tags."},
			{Name: "update", Params: "credential: string", Returns: "identity.Ensured", Go: m.luaUpdate,
				Doc: "Sends the provider its current key or OAuth2 client configuration (UpdateApiKeyCredentialProvider, UpdateOauth2CredentialProvider)."},
			{Name: "get", Params: "type: \"api_key\"|\"oauth2\", provider_name: string", Returns: "identity.Provider?", Go: m.luaGet,
				Doc: "The provider (GetApiKeyCredentialProvider, GetOauth2CredentialProvider), or nil when it does not exist. Never a value."},
			{Name: "list", Returns: "identity.Provider[]", Go: m.luaList,
				Doc: "Every credential provider of the account and region, API key ones then OAuth2 ones, each sorted by name."},
			{Name: "delete", Params: "type: \"api_key\"|\"oauth2\", provider_name: string", Returns: "boolean", Go: m.luaDelete,
				Doc: "Deletes the provider and the secret AgentCore keeps for it: true when it existed, false when there was nothing to delete."},
		},
	}
}

func hint(code, msg string) string {
	switch code {
	case "ResourceNotFoundException":
		return "the credential provider does not exist: agentcore create or update makes it; agentcore import credential NAME --as KEY records an existing one"
	case "ConflictException":
		return "a provider of that name exists already: set provider_name in [credentials.NAME] to give yours another name"
	case "AccessDeniedException":
		return "the credentials may not manage AgentCore Identity: they need bedrock-agentcore:Create/Get/Update/Delete/List of ApiKeyCredentialProvider and Oauth2CredentialProvider, and the token vault's secretsmanager permissions"
	}
	return ""
}

func secretHint(code, msg string) string {
	switch code {
	case "ResourceNotFoundException":
		return "give the secret a value: agentcore secret set NAME (from stdin, --from-env VAR or --from-file FILE)"
	case "AccessDeniedException":
		return "the credentials need secretsmanager:GetSecretValue on the project's secrets (agentcore/PROJECT/ENV/*)"
	}
	return ""
}

// Provider is a credential provider as AgentCore describes it (never its secret).
type Provider struct {
	ProviderName string `json:"provider_name"`
	ARN          string `json:"arn"`
	Type         string `json:"type" lua:"\"api_key\"|\"oauth2\""`
	Vendor       string `json:"vendor,omitempty"`
	Created      string `json:"created,omitempty"`
	Updated      string `json:"updated,omitempty"`
	SecretARN    string `json:"secret_arn,omitempty"` // the token vault's secret holding its key (an ARN, never the value)
}

// Ensured is a provider created or updated, with the hash of what it was given.
type Ensured struct {
	Name         string `json:"name"` // the [credentials] key
	ProviderName string `json:"provider_name"`
	ARN          string `json:"arn"`
	Type         string `json:"type" lua:"\"api_key\"|\"oauth2\""`
	Vendor       string `json:"vendor,omitempty"`
	Created      string `json:"created,omitempty"`
	Updated      string `json:"updated,omitempty"`
	SecretARN    string `json:"secret_arn,omitempty"`
	KeyHash      string `json:"key_hash"`
}

// Config is a [credentials.NAME] table without its secret.
type Config struct {
	Name         string   `json:"name"`
	Type         string   `json:"type" lua:"\"api_key\"|\"oauth2\""`
	ProviderName string   `json:"provider_name"`
	Env          string   `json:"env"`
	Vendor       string   `json:"vendor,omitempty"`
	Scopes       []string `json:"scopes"`
	Source       string   `json:"source"`
}

func luaConfig(L *lua.LState, name string) (Config, error) {
	c, pname, err := credential(L, name)
	if err != nil {
		return Config{}, err
	}
	v := c.APIKey
	if c.Type == "oauth2" {
		v = c.ClientSecret
	}
	src := ""
	switch {
	case v.Stored():
		src = "secret " + v.SecretName
	case v.Secret():
		src = "env " + v.Env
	}
	return Config{Name: name, Type: c.Type, ProviderName: pname, Env: c.EnvName(), Vendor: c.Vendor,
		Scopes: append([]string{}, c.Scopes...), Source: src}, nil
}

type createOpts struct {
	Tags engine.StringMap `json:"tags,omitempty"`
}

func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano) // milliseconds: two changes in one second differ
}

// material is a credential's configuration with its secret read.
type material struct {
	cred   *proj.Credential
	name   string // provider name
	secret string // the API key or the OAuth2 client secret
}

// credential returns [credentials.NAME] in the selected environment.
func credential(L *lua.LState, name string) (*proj.Credential, string, error) {
	p, e, err := engine.FromL(L).NeedEnv()
	if err != nil {
		return nil, "", err
	}
	c, ok := e.Credentials[name]
	if !ok {
		names := make([]string, 0, len(e.Credentials))
		for n := range e.Credentials {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, "", engine.Usagef("credential providers are defined under [credentials.NAME] in agentcore.toml",
			"credential %q is not defined in %s%s", name, proj.FileName, proj.Suggest(name, names))
	}
	return c, c.ProviderName(p.Name, e.Name), nil
}

// read resolves the credential's secret material: the environment variable, or the project's
// Secrets Manager secret. The value is registered as a secret of the run's output (masked).
func (m *module) read(L *lua.LState, name string) (*material, error) {
	c, pname, err := credential(L, name)
	if err != nil {
		return nil, err
	}
	v, field := c.APIKey, "api_key"
	if c.Type == "oauth2" {
		v, field = c.ClientSecret, "client_secret"
	}
	var s string
	switch {
	case v.Stored():
		p, e, err := engine.FromL(L).NeedEnv()
		if err != nil {
			return nil, err
		}
		id := proj.SecretID(p.Name, e.Name, v.SecretName)
		out, err := awscall.Try(L, m.secrets, func(ctx context.Context, c secretsAPI) (*sm.GetSecretValueOutput, error) {
			return c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: &id})
		})
		if err != nil {
			if awscall.IsNotFound(err) {
				return nil, engine.Usagef(("agentcore secret set "+v.SecretName+" -e "+e.Name)+" (from stdin, --from-env VAR or --from-file FILE)",
					"credentials.%s.%s = { secret = %q }: the secret %s does not exist or has no value yet", name, field, v.SecretName, id)
			}
			return nil, m.secrets.Error("reading secret "+id+" for credentials."+name, err)
		}
		s = awssdk.ToString(out.SecretString)
		if s == "" && out.SecretBinary != nil {
			s = string(out.SecretBinary)
		}
	case v.Secret():
		s, err = v.Resolve()
		if err != nil {
			return nil, engine.Usagef("export "+v.Env+"=... before running agentcore (or use { secret = \"NAME\" } and agentcore secret set NAME)",
				"credentials.%s.%s: %v", name, field, err)
		}
	case c.Type == "oauth2" && v.Literal == "":
		// no client secret: a public client
	default:
		return nil, engine.Usagef("write { env = \"VAR\" } or { secret = \"NAME\" }", "credentials.%s.%s must be a reference, not a literal", name, field)
	}
	if c.Type == "api_key" && s == "" {
		return nil, engine.Usagef("give the key a value", "credentials.%s.api_key is empty", name)
	}
	if s != "" {
		engine.FromL(L).Out.AddSecret(s)
	}
	return &material{cred: c, name: pname, secret: s}, nil
}

// hash is the keyed hash of everything the provider is given: a change of any of it (the key
// above all) changes it, and without the environment's key nobody can test a guessed key
// against a state file.
func (mt *material) hash(key []byte) string {
	h := hmac.New(sha256.New, key)
	c := mt.cred
	for _, s := range []string{"identity/v1", c.Type, mt.name, c.Vendor, c.ClientID, c.DiscoveryURL, c.TenantID, mt.secret} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "hmac-sha256:" + hex.EncodeToString(h.Sum(nil))
}

func (m *module) keyHash(L *lua.LState, mt *material) (string, error) {
	r := engine.FromL(L)
	_, e, err := r.NeedEnv()
	if err != nil {
		return "", err
	}
	key, err := bproject.HashKey(L, r.Store, e.Name)
	if err != nil {
		return "", err
	}
	return mt.hash(key), nil
}

func (m *module) luaKeyHash(L *lua.LState, name string) (string, error) {
	mt, err := m.read(L, name)
	if err != nil {
		return "", err
	}
	return m.keyHash(L, mt)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// oauth2Config is the Oauth2ProviderConfigInput member of the credential's vendor.
func oauth2Config(mt *material) types.Oauth2ProviderConfigInput {
	c := mt.cred
	id, secret := optional(c.ClientID), optional(mt.secret)
	switch c.Vendor {
	case "CustomOauth2":
		return &types.Oauth2ProviderConfigInputMemberCustomOauth2ProviderConfig{Value: types.CustomOauth2ProviderConfigInput{
			ClientId: id, ClientSecret: secret, OauthDiscovery: &types.Oauth2DiscoveryMemberDiscoveryUrl{Value: c.DiscoveryURL}}}
	case "MicrosoftOauth2":
		return &types.Oauth2ProviderConfigInputMemberMicrosoftOauth2ProviderConfig{Value: types.MicrosoftOauth2ProviderConfigInput{
			ClientId: id, ClientSecret: secret, TenantId: optional(c.TenantID)}}
	case "GithubOauth2":
		return &types.Oauth2ProviderConfigInputMemberGithubOauth2ProviderConfig{Value: types.GithubOauth2ProviderConfigInput{ClientId: id, ClientSecret: secret}}
	case "GoogleOauth2":
		return &types.Oauth2ProviderConfigInputMemberGoogleOauth2ProviderConfig{Value: types.GoogleOauth2ProviderConfigInput{ClientId: id, ClientSecret: secret}}
	case "SlackOauth2":
		return &types.Oauth2ProviderConfigInputMemberSlackOauth2ProviderConfig{Value: types.SlackOauth2ProviderConfigInput{ClientId: id, ClientSecret: secret}}
	case "SalesforceOauth2":
		return &types.Oauth2ProviderConfigInputMemberSalesforceOauth2ProviderConfig{Value: types.SalesforceOauth2ProviderConfigInput{ClientId: id, ClientSecret: secret}}
	case "AtlassianOauth2":
		return &types.Oauth2ProviderConfigInputMemberAtlassianOauth2ProviderConfig{Value: types.AtlassianOauth2ProviderConfigInput{ClientId: id, ClientSecret: secret}}
	case "LinkedinOauth2":
		return &types.Oauth2ProviderConfigInputMemberLinkedinOauth2ProviderConfig{Value: types.LinkedinOauth2ProviderConfigInput{ClientId: id, ClientSecret: secret}}
	}
	// The other vendors are configured by includedOauth2ProviderConfig.
	return &types.Oauth2ProviderConfigInputMemberIncludedOauth2ProviderConfig{Value: types.IncludedOauth2ProviderConfigInput{ClientId: id, ClientSecret: secret}}
}

// prepare reads the credential's secret material and starts the result of writing it.
func (m *module) prepare(L *lua.LState, name string) (*material, *Ensured, error) {
	mt, err := m.read(L, name)
	if err != nil {
		return nil, nil, err
	}
	h, err := m.keyHash(L, mt)
	if err != nil {
		return nil, nil, err
	}
	return mt, &Ensured{Name: name, KeyHash: h, ProviderName: mt.name, Type: mt.cred.Type}, nil
}

func (m *module) luaCreate(L *lua.LState, name string, o createOpts) (*Ensured, error) {
	mt, out, err := m.prepare(L, name)
	if err != nil {
		return nil, err
	}
	tags := map[string]string(o.Tags)
	if mt.cred.Type == "api_key" {
		r, err := awscall.Call(L, m.control, "creating API key credential provider "+mt.name, func(ctx context.Context, c api) (*control.CreateApiKeyCredentialProviderOutput, error) {
			return c.CreateApiKeyCredentialProvider(ctx, &control.CreateApiKeyCredentialProviderInput{Name: &mt.name, ApiKey: &mt.secret, Tags: tags})
		})
		if err != nil {
			return nil, err
		}
		out.ARN = awssdk.ToString(r.CredentialProviderArn)
	} else {
		r, err := awscall.Call(L, m.control, "creating OAuth2 credential provider "+mt.name, func(ctx context.Context, c api) (*control.CreateOauth2CredentialProviderOutput, error) {
			return c.CreateOauth2CredentialProvider(ctx, &control.CreateOauth2CredentialProviderInput{Name: &mt.name,
				CredentialProviderVendor: types.CredentialProviderVendorType(mt.cred.Vendor), Oauth2ProviderConfigInput: oauth2Config(mt), Tags: tags})
		})
		if err != nil {
			return nil, err
		}
		out.ARN, out.Vendor = awssdk.ToString(r.CredentialProviderArn), mt.cred.Vendor
	}
	return m.refresh(L, out)
}

// refresh fills the times AgentCore reports for the provider just written.
func (m *module) refresh(L *lua.LState, out *Ensured) (*Ensured, error) {
	p, err := m.get(L, out.Type, out.ProviderName)
	if err != nil {
		return nil, err
	}
	if p != nil {
		out.ARN, out.Vendor, out.Created, out.Updated, out.SecretARN = p.ARN, p.Vendor, p.Created, p.Updated, p.SecretARN
	}
	return out, nil
}

func (m *module) luaUpdate(L *lua.LState, name string) (*Ensured, error) {
	mt, out, err := m.prepare(L, name)
	if err != nil {
		return nil, err
	}
	if mt.cred.Type == "api_key" {
		_, err = awscall.Call(L, m.control, "updating API key credential provider "+mt.name, func(ctx context.Context, c api) (*control.UpdateApiKeyCredentialProviderOutput, error) {
			return c.UpdateApiKeyCredentialProvider(ctx, &control.UpdateApiKeyCredentialProviderInput{Name: &mt.name, ApiKey: &mt.secret})
		})
	} else {
		_, err = awscall.Call(L, m.control, "updating OAuth2 credential provider "+mt.name, func(ctx context.Context, c api) (*control.UpdateOauth2CredentialProviderOutput, error) {
			return c.UpdateOauth2CredentialProvider(ctx, &control.UpdateOauth2CredentialProviderInput{Name: &mt.name,
				CredentialProviderVendor: types.CredentialProviderVendorType(mt.cred.Vendor), Oauth2ProviderConfigInput: oauth2Config(mt)})
		})
	}
	if err != nil {
		return nil, err
	}
	return m.refresh(L, out)
}

func checkType(t string) error {
	if t != "api_key" && t != "oauth2" {
		return engine.Usagef("", "credential provider type %q is neither api_key nor oauth2", t)
	}
	return nil
}

func (m *module) get(L *lua.LState, typ, name string) (*Provider, error) {
	if err := checkType(typ); err != nil {
		return nil, err
	}
	var p *Provider
	var err error
	if typ == "api_key" {
		var r *control.GetApiKeyCredentialProviderOutput
		r, err = awscall.Try(L, m.control, func(ctx context.Context, c api) (*control.GetApiKeyCredentialProviderOutput, error) {
			return c.GetApiKeyCredentialProvider(ctx, &control.GetApiKeyCredentialProviderInput{Name: &name})
		})
		if err == nil {
			p = &Provider{ProviderName: awssdk.ToString(r.Name), ARN: awssdk.ToString(r.CredentialProviderArn), Type: typ,
				Created: stamp(r.CreatedTime), Updated: stamp(r.LastUpdatedTime)}
			if r.ApiKeySecretArn != nil {
				p.SecretARN = awssdk.ToString(r.ApiKeySecretArn.SecretArn)
			}
		}
	} else {
		var r *control.GetOauth2CredentialProviderOutput
		r, err = awscall.Try(L, m.control, func(ctx context.Context, c api) (*control.GetOauth2CredentialProviderOutput, error) {
			return c.GetOauth2CredentialProvider(ctx, &control.GetOauth2CredentialProviderInput{Name: &name})
		})
		if err == nil {
			p = &Provider{ProviderName: awssdk.ToString(r.Name), ARN: awssdk.ToString(r.CredentialProviderArn), Type: typ,
				Vendor: string(r.CredentialProviderVendor), Created: stamp(r.CreatedTime), Updated: stamp(r.LastUpdatedTime)}
			if r.ClientSecretArn != nil {
				p.SecretARN = awssdk.ToString(r.ClientSecretArn.SecretArn)
			}
		}
	}
	if awscall.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, m.control.Error("reading credential provider "+name, err)
	}
	return p, nil
}

func (m *module) luaGet(L *lua.LState, typ, name string) (*Provider, error) {
	return m.get(L, typ, name)
}

func (m *module) luaList(L *lua.LState) ([]Provider, error) {
	return awscall.Call(L, m.control, "listing credential providers", func(ctx context.Context, c api) ([]Provider, error) {
		out := []Provider{}
		p := control.NewListApiKeyCredentialProvidersPaginator(c, &control.ListApiKeyCredentialProvidersInput{})
		var keys []Provider
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, s := range page.CredentialProviders {
				keys = append(keys, Provider{ProviderName: awssdk.ToString(s.Name), ARN: awssdk.ToString(s.CredentialProviderArn), Type: "api_key",
					Created: stamp(s.CreatedTime), Updated: stamp(s.LastUpdatedTime)})
			}
		}
		var oauth []Provider
		q := control.NewListOauth2CredentialProvidersPaginator(c, &control.ListOauth2CredentialProvidersInput{})
		for q.HasMorePages() {
			page, err := q.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, s := range page.CredentialProviders {
				oauth = append(oauth, Provider{ProviderName: awssdk.ToString(s.Name), ARN: awssdk.ToString(s.CredentialProviderArn), Type: "oauth2",
					Vendor: string(s.CredentialProviderVendor), Created: stamp(s.CreatedTime), Updated: stamp(s.LastUpdatedTime)})
			}
		}
		for _, l := range [][]Provider{keys, oauth} {
			sort.Slice(l, func(i, j int) bool { return strings.Compare(l[i].ProviderName, l[j].ProviderName) < 0 })
			out = append(out, l...)
		}
		return out, nil
	})
}

func (m *module) luaDelete(L *lua.LState, typ, name string) (bool, error) {
	if err := checkType(typ); err != nil {
		return false, err
	}
	var err error
	if typ == "api_key" {
		_, err = awscall.Try(L, m.control, func(ctx context.Context, c api) (*control.DeleteApiKeyCredentialProviderOutput, error) {
			return c.DeleteApiKeyCredentialProvider(ctx, &control.DeleteApiKeyCredentialProviderInput{Name: &name})
		})
	} else {
		_, err = awscall.Try(L, m.control, func(ctx context.Context, c api) (*control.DeleteOauth2CredentialProviderOutput, error) {
			return c.DeleteOauth2CredentialProvider(ctx, &control.DeleteOauth2CredentialProviderInput{Name: &name})
		})
	}
	if awscall.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, m.control.Error("deleting credential provider "+name, err)
	}
	return true, nil
}
