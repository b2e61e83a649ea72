package project

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// Memories and credential providers: the AgentCore Memory and Identity resources agents use.
//
//	[memories.chat]
//	event_expiry_days = 30
//	strategies = [
//	  { type = "semantic", namespace = "/facts/{actorId}" },
//	  { type = "summary", namespace = "/summaries/{actorId}/{sessionId}" },
//	  { type = "user_preference" },
//	]
//
//	[credentials.github]
//	type = "api_key"                        # or "oauth2": vendor, client_id, client_secret, scopes
//	api_key = { secret = "GITHUB_TOKEN" }   # or { env = "GITHUB_TOKEN" }; a literal is refused
//
//	[agents.my-bot]
//	memory = "chat"
//	credentials = ["github"]
//
// An environment overrides any key of either: [environments.prod.memories.chat] with
// event_expiry_days = 90 (a strategies list given there replaces the whole list).

// Memory is one [memories.NAME] table, with an environment's overrides applied.
type Memory struct {
	Name            string // the key in agentcore.toml
	Description     string
	EventExpiryDays int    // how long AgentCore keeps events (eventExpiryDuration, days)
	EncryptionKey   string // a KMS key ARN; "" for AgentCore's own key
	ExecutionRole   string // memoryExecutionRoleArn: the role custom strategies call models with
	Strategies      []MemoryStrategy

	memoryName string // memory_name override
}

// MemoryStrategy is one entry of a memory's strategies: how AgentCore turns events into
// long-term records.
type MemoryStrategy struct {
	Type        string // one of StrategyTypes
	Name        string // the strategy's name in AgentCore, unique in its memory
	Description string
	Namespace   string // where its records go; "" lets AgentCore choose
	// A custom strategy overrides one built-in strategy's steps with prompts of its own.
	Extends             string // the built-in type it overrides
	Model               string // the Bedrock model id its steps use
	ExtractionPrompt    string // appended to the extraction prompt
	ConsolidationPrompt string // appended to the consolidation prompt
}

// Credential is one [credentials.NAME] table, with an environment's overrides applied: an
// AgentCore Identity credential provider.
type Credential struct {
	Name         string   // the key in agentcore.toml
	Type         string   // "api_key" or "oauth2"
	APIKey       Value    // api_key: { env = "NAME" } or { secret = "NAME" }, never a literal
	Vendor       string   // oauth2: CredentialProviderVendorType (GithubOauth2, CustomOauth2...)
	ClientID     string   // oauth2
	ClientSecret Value    // oauth2: { env } or { secret }
	DiscoveryURL string   // oauth2 with vendor "custom": the issuer's discovery document
	TenantID     string   // oauth2 with vendor "microsoft": the Entra tenant
	Scopes       []string // oauth2: what the agent asks for; it gets them in its environment

	providerName string // provider_name override
}

// StrategyTypes are the values of a strategy's type, as agentcore.toml writes them.
var StrategyTypes = []string{"custom", "episodic", "semantic", "summary", "user_preference"}

// StrategyAPIType is AgentCore's MemoryStrategyType of a strategy type.
var StrategyAPIType = map[string]string{
	"semantic": "SEMANTIC", "summary": "SUMMARIZATION", "user_preference": "USER_PREFERENCE",
	"episodic": "EPISODIC", "custom": "CUSTOM",
}

// CredentialTypes are the values of a credential's type.
var CredentialTypes = []string{"api_key", "oauth2"}

// NamespaceVariables are what AgentCore fills in a strategy's namespace.
var NamespaceVariables = []string{"actorId", "memoryStrategyId", "sessionId"}

// DefaultEventExpiryDays is how long events are kept when a memory does not say.
const DefaultEventExpiryDays = 90

// Memory and credential limits, from the service model (see Constraints).
var (
	MinEventExpiryDays = Constraints["CreateMemoryInputEventExpiryDurationInteger"].Min
	MaxEventExpiryDays = Constraints["CreateMemoryInputEventExpiryDurationInteger"].Max
	MaxNamespace       = Constraints["Namespace"].Max
	MaxProviderName    = Constraints["CredentialProviderName"].Max
	MaxClientID        = Constraints["ClientIdType"].Max
	MaxPrompt          = Constraints["Prompt"].Max
	OAuth2Vendors      = Constraints["CredentialProviderVendorType"].Enum

	resourceNameRE = fullMatch(Constraints["Name"].Pattern)
	namespaceRE    = fullMatch(Constraints["Namespace"].Pattern)
	providerNameRE = fullMatch(Constraints["CredentialProviderName"].Pattern)
	namespaceVarRE = lazyregexp.New(`\{([^{}]*)\}`)
	kmsKeyRE       = lazyregexp.New(`^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+$`)
)

// MemoryName is the AgentCore name of a memory in an environment: memory_name when set,
// else PROJECT_MEMORY_ENV mapped like runtime names (RuntimeName).
func (m *Memory) MemoryName(project, env string) string {
	if m.memoryName != "" {
		return m.memoryName
	}
	return RuntimeName(project, m.Name, env)
}

// ProviderName is the AgentCore Identity name of a credential provider in an environment:
// provider_name when set, else PROJECT-CREDENTIAL-ENV (provider names are unique per account,
// and the project and environment keep two checkouts or environments apart).
func (c *Credential) ProviderName(project, env string) string {
	if c.providerName != "" {
		return c.providerName
	}
	full := project + "-" + c.Name + "-" + env
	s := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, full)
	if len(s) <= MaxProviderName {
		return s
	}
	sum := sha256.Sum256([]byte(full))
	return s[:MaxProviderName-9] + "-" + hex.EncodeToString(sum[:])[:8]
}

// EnvName is the variable an agent's runtime gets a credential provider's name in:
// AGENTCORE_CREDENTIAL_NAME, the name upper-cased with '-' as '_'.
func (c *Credential) EnvName() string {
	return "AGENTCORE_CREDENTIAL_" + strings.ToUpper(strings.ReplaceAll(c.Name, "-", "_"))
}

// The raw tables, decoded strictly.
type rawMemory struct {
	Description     string        `toml:"description"`
	EventExpiryDays any           `toml:"event_expiry_days"`
	EncryptionKey   string        `toml:"encryption_key"`
	ExecutionRole   string        `toml:"execution_role"`
	MemoryName      string        `toml:"memory_name"`
	Strategies      []rawStrategy `toml:"strategies"`
}

type rawStrategy struct {
	Type                string `toml:"type"`
	Name                string `toml:"name"`
	Description         string `toml:"description"`
	Namespace           string `toml:"namespace"`
	Extends             string `toml:"extends"`
	Model               string `toml:"model"`
	ExtractionPrompt    string `toml:"extraction_prompt"`
	ConsolidationPrompt string `toml:"consolidation_prompt"`
}

type rawCredential struct {
	Type         string   `toml:"type"`
	APIKey       any      `toml:"api_key"`
	Vendor       string   `toml:"vendor"`
	ClientID     string   `toml:"client_id"`
	ClientSecret any      `toml:"client_secret"`
	DiscoveryURL string   `toml:"discovery_url"`
	TenantID     string   `toml:"tenant_id"`
	Scopes       []string `toml:"scopes"`
	ProviderName string   `toml:"provider_name"`
}

// resources validates the top-level [memories] and [credentials] tables: their names and
// each key's own rules. What a complete table needs is checked once it is resolved in each
// environment (resolveMemory, resolveCredential), since an environment may supply it.
func (v *validator) resources(raw *rawFile) {
	v.memories, v.credentials = raw.Memories, raw.Credentials
	for _, name := range sortedKeys(raw.Memories) {
		path := []string{"memories", name}
		if !nameRE.MatchString(name) {
			v.addf(path, "memory name %q is invalid: use lowercase letters, digits, '-' and '_', starting with a letter, at most 40 characters", name)
		}
		v.memoryKeys(path, raw.Memories[name])
	}
	for _, name := range sortedKeys(raw.Credentials) {
		path := []string{"credentials", name}
		if !nameRE.MatchString(name) {
			v.addf(path, "credential name %q is invalid: use lowercase letters, digits, '-' and '_', starting with a letter, at most 40 characters", name)
		}
		v.credentialKeys(path, raw.Credentials[name])
	}
}

// memoryKeys checks the keys of a memory table (the base one or an environment's override).
func (v *validator) memoryKeys(path []string, r rawMemory) {
	at := func(k ...string) []string { return append(append([]string{}, path...), k...) }
	if n := utf8.RuneCountInString(r.Description); n > MaxDescription {
		v.addf(at("description"), "description is %d characters long; AgentCore accepts at most %d", n, MaxDescription)
	}
	if r.EventExpiryDays != nil {
		v.expiryDays(at("event_expiry_days"), r.EventExpiryDays)
	}
	if r.EncryptionKey != "" && !kmsKeyRE.MatchString(r.EncryptionKey) {
		v.addf(at("encryption_key"), "encryption_key %q is not a KMS key ARN (arn:aws:kms:us-east-1:123456789012:key/ID)", r.EncryptionKey)
	}
	if r.ExecutionRole != "" && (!roleRE.MatchString(r.ExecutionRole) || len(r.ExecutionRole) > MaxRoleArn) {
		v.addf(at("execution_role"), "execution_role %q is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", r.ExecutionRole)
	}
	if r.MemoryName != "" && !resourceNameRE.MatchString(r.MemoryName) {
		v.addf(at("memory_name"), "memory_name %q is invalid: AgentCore memory names match [a-zA-Z][a-zA-Z0-9_]{0,47}", r.MemoryName)
	}
	names := map[string]int{}
	for i, s := range r.Strategies {
		sp := at("strategies", fmt.Sprint(i))
		v.strategy(sp, s)
		if n := strategyName(s); n != "" {
			if j, dup := names[n]; dup {
				v.addf(sp, "strategies %d and %d are both named %q: give one a name = \"...\" of its own", j+1, i+1, n)
			}
			names[n] = i
		}
	}
}

func (v *validator) expiryDays(path []string, val any) (int, bool) {
	d, ok := val.(int64)
	if !ok {
		v.addf(path, "event_expiry_days must be a whole number of days, not %s", tomlType(val))
		return 0, false
	}
	if d < int64(MinEventExpiryDays) || d > int64(MaxEventExpiryDays) {
		v.addf(path, "event_expiry_days = %d is out of range: AgentCore keeps events %d to %d days", d, MinEventExpiryDays, MaxEventExpiryDays)
		return 0, false
	}
	return int(d), true
}

// strategyName is the name a strategy gets: its own, or its type's (custom: custom_EXTENDS).
func strategyName(s rawStrategy) string {
	switch {
	case s.Name != "":
		return s.Name
	case s.Type == "custom" && s.Extends != "":
		return "custom_" + s.Extends
	}
	return s.Type
}

func (v *validator) strategy(path []string, s rawStrategy) {
	at := func(k ...string) []string { return append(append([]string{}, path...), k...) }
	switch {
	case s.Type == "":
		v.addf(path, "a strategy needs type = one of %s", strings.Join(StrategyTypes, ", "))
		return
	case !contains(StrategyTypes, s.Type):
		v.addf(at("type"), "strategy type %q is not one of %s%s", s.Type, strings.Join(StrategyTypes, ", "), Suggest(s.Type, StrategyTypes))
		return
	}
	if s.Name != "" && !resourceNameRE.MatchString(s.Name) {
		v.addf(at("name"), "strategy name %q is invalid: AgentCore strategy names match [a-zA-Z][a-zA-Z0-9_]{0,47}", s.Name)
	}
	if n := utf8.RuneCountInString(s.Description); n > MaxDescription {
		v.addf(at("description"), "description is %d characters long; AgentCore accepts at most %d", n, MaxDescription)
	}
	if s.Namespace != "" {
		v.namespace(at("namespace"), s.Namespace)
	}
	if s.Type != "custom" {
		for _, k := range []struct{ key, val string }{{"extends", s.Extends}, {"model", s.Model}, {"extraction_prompt", s.ExtractionPrompt}, {"consolidation_prompt", s.ConsolidationPrompt}} {
			if k.val != "" {
				v.addf(at(k.key), "%s is for custom strategies (type = \"custom\", extends = %q); a %s strategy uses AgentCore's own prompts and model", k.key, s.Type, s.Type)
			}
		}
		return
	}
	builtins := []string{"episodic", "semantic", "summary", "user_preference"}
	switch {
	case s.Extends == "":
		v.addf(path, "a custom strategy needs extends = one of %s: the built-in strategy whose steps its prompts override", strings.Join(builtins, ", "))
	case !contains(builtins, s.Extends):
		v.addf(at("extends"), "extends %q is not one of %s%s", s.Extends, strings.Join(builtins, ", "), Suggest(s.Extends, builtins))
	}
	if s.ExtractionPrompt == "" && s.ConsolidationPrompt == "" {
		v.addf(path, "a custom strategy needs extraction_prompt or consolidation_prompt (or both): what it adds to AgentCore's prompts")
	}
	if s.Model == "" {
		v.addf(path, "a custom strategy needs model = \"BEDROCK_MODEL_ID\": the model its prompts run on")
	}
	for _, k := range []struct{ key, val string }{{"extraction_prompt", s.ExtractionPrompt}, {"consolidation_prompt", s.ConsolidationPrompt}} {
		if n := utf8.RuneCountInString(k.val); n > MaxPrompt {
			v.addf(at(k.key), "%s is %d characters long; AgentCore accepts at most %d", k.key, n, MaxPrompt)
		}
	}
}

// namespace checks a strategy's namespace against the model's pattern, naming the variable
// AgentCore would not fill.
func (v *validator) namespace(path []string, ns string) {
	for _, m := range namespaceVarRE.FindAllStringSubmatch(ns, -1) {
		if !contains(NamespaceVariables, m[1]) {
			v.addf(path, "namespace %q uses {%s}, which AgentCore does not fill: use {actorId}, {sessionId} or {memoryStrategyId}%s", ns, m[1], Suggest(m[1], NamespaceVariables))
			return
		}
	}
	switch {
	case utf8.RuneCountInString(ns) > MaxNamespace:
		v.addf(path, "namespace is %d characters long; AgentCore accepts at most %d", utf8.RuneCountInString(ns), MaxNamespace)
	case !namespaceRE.MatchString(ns):
		v.addf(path, "namespace %q is invalid: use letters, digits, '-', '_', '/' and the variables {actorId}, {sessionId}, {memoryStrategyId}", ns)
	}
}

// credentialKeys checks the keys of a credential table (the base one or an override).
func (v *validator) credentialKeys(path []string, r rawCredential) {
	at := func(k ...string) []string { return append(append([]string{}, path...), k...) }
	if r.Type != "" && !contains(CredentialTypes, r.Type) {
		v.addf(at("type"), "credential type %q is not one of %s%s", r.Type, strings.Join(CredentialTypes, ", "), Suggest(r.Type, CredentialTypes))
	}
	if r.APIKey != nil {
		v.secretRef(at("api_key"), "api_key", r.APIKey)
	}
	if r.ClientSecret != nil {
		v.secretRef(at("client_secret"), "client_secret", r.ClientSecret)
	}
	if r.Vendor != "" {
		if _, ok := OAuth2Vendor(r.Vendor); !ok {
			short := vendorShortNames()
			v.addf(at("vendor"), "vendor %q is not an AgentCore Identity OAuth2 vendor%s", r.Vendor, Suggest(strings.ToLower(r.Vendor), short))
		}
	}
	if n := utf8.RuneCountInString(r.ClientID); n > MaxClientID {
		v.addf(at("client_id"), "client_id is %d characters long; AgentCore accepts at most %d", n, MaxClientID)
	}
	if r.DiscoveryURL != "" && (!strings.HasPrefix(r.DiscoveryURL, "https://") || !discoveryURLRE.MatchString(r.DiscoveryURL)) {
		v.addf(at("discovery_url"), "discovery_url %q must be https://ISSUER/.well-known/openid-configuration", r.DiscoveryURL)
	}
	for i, s := range r.Scopes {
		if strings.TrimSpace(s) == "" {
			v.addf(at("scopes"), "scopes[%d] is empty", i+1)
		}
	}
	if r.ProviderName != "" && (!providerNameRE.MatchString(r.ProviderName) || len(r.ProviderName) > MaxProviderName) {
		v.addf(at("provider_name"), "provider_name %q is invalid: AgentCore Identity names use letters, digits, '-' and '_', at most %d", r.ProviderName, MaxProviderName)
	}
}

// secretRef reads a value that must not be written in the file: { env = "NAME" } (agentcore's
// own environment) or { secret = "NAME" } (the project's Secrets Manager secret, read when
// deploying).
func (v *validator) secretRef(path []string, key string, val any) (Value, bool) {
	switch x := val.(type) {
	case string:
		v.addf(path, "%s is written in agentcore.toml, where anyone who reads the project (and its git history) sees it: "+
			"take it from your environment with %s = { env = \"VARIABLE\" }, or keep it in Secrets Manager "+
			"(agentcore secret set NAME) with %s = { secret = \"NAME\" }", key, key, key)
	case map[string]any:
		if name, ok := x["secret"].(string); ok && len(x) == 1 {
			if msg := checkSecretName(name); msg != "" {
				v.addf(path, "%s: secret name %q %s", key, name, msg)
				return Value{}, false
			}
			return Value{SecretName: name}, true
		}
		if ref, ok := x["env"].(string); ok && len(x) == 1 && envVarRE.MatchString(ref) {
			return Value{Env: ref}, true
		}
		v.addf(path, "%s must be { env = \"VARIABLE\" } or { secret = \"NAME\" }", key)
	default:
		v.addf(path, "%s must be { env = \"VARIABLE\" } or { secret = \"NAME\" }, not a %s", key, tomlType(val))
	}
	return Value{}, false
}

// OAuth2Vendor maps a vendor as agentcore.toml may write it ("github", "GithubOauth2") to
// AgentCore's CredentialProviderVendorType.
func OAuth2Vendor(s string) (string, bool) {
	for _, e := range OAuth2Vendors {
		if strings.EqualFold(s, e) || strings.EqualFold(s+"Oauth2", e) {
			return e, true
		}
	}
	return "", false
}

func vendorShortNames() []string {
	out := make([]string, 0, len(OAuth2Vendors))
	for _, e := range OAuth2Vendors {
		out = append(out, strings.ToLower(strings.TrimSuffix(e, "Oauth2")))
	}
	sort.Strings(out)
	return out
}

// resolveMemories applies an environment's overrides to every memory and checks the result.
func (v *validator) resolveMemories(env string, overrides map[string]rawMemory) map[string]*Memory {
	out := map[string]*Memory{}
	for _, name := range sortedKeys(overrides) {
		if _, ok := v.memories[name]; !ok {
			v.addf([]string{"environments", env, "memories", name}, "environment %q overrides memory %q, which is not defined under [memories]%s", env, name, Suggest(name, sortedKeys(v.memories)))
		}
	}
	for _, name := range sortedKeys(v.memories) {
		base := v.memories[name]
		m := &Memory{Name: name, Description: base.Description, EncryptionKey: base.EncryptionKey,
			ExecutionRole: base.ExecutionRole, memoryName: base.MemoryName, EventExpiryDays: DefaultEventExpiryDays}
		strategies := base.Strategies
		expiry := base.EventExpiryDays
		if ov, ok := overrides[name]; ok {
			op := []string{"environments", env, "memories", name}
			v.memoryKeys(op, ov)
			if ov.Description != "" {
				m.Description = ov.Description
			}
			if ov.EncryptionKey != "" {
				m.EncryptionKey = ov.EncryptionKey
			}
			if ov.ExecutionRole != "" {
				m.ExecutionRole = ov.ExecutionRole
			}
			if ov.MemoryName != "" {
				m.memoryName = ov.MemoryName
			}
			if ov.Strategies != nil {
				strategies = ov.Strategies
			}
			if ov.EventExpiryDays != nil {
				expiry = ov.EventExpiryDays
			}
		}
		if d, ok := expiry.(int64); ok && d >= int64(MinEventExpiryDays) && d <= int64(MaxEventExpiryDays) {
			m.EventExpiryDays = int(d)
		}
		for _, s := range strategies {
			m.Strategies = append(m.Strategies, MemoryStrategy{Type: s.Type, Name: strategyName(s), Description: s.Description,
				Namespace: s.Namespace, Extends: s.Extends, Model: s.Model, ExtractionPrompt: s.ExtractionPrompt, ConsolidationPrompt: s.ConsolidationPrompt})
		}
		out[name] = m
	}
	return out
}

// resolveCredentials applies an environment's overrides to every credential and checks that
// each is complete for its type there.
func (v *validator) resolveCredentials(env string, overrides map[string]rawCredential) map[string]*Credential {
	out := map[string]*Credential{}
	for _, name := range sortedKeys(overrides) {
		if _, ok := v.credentials[name]; !ok {
			v.addf([]string{"environments", env, "credentials", name}, "environment %q overrides credential %q, which is not defined under [credentials]%s", env, name, Suggest(name, sortedKeys(v.credentials)))
		}
	}
	for _, name := range sortedKeys(v.credentials) {
		r := v.credentials[name]
		path := []string{"credentials", name}
		if ov, ok := overrides[name]; ok {
			path = []string{"environments", env, "credentials", name}
			v.credentialKeys(path, ov)
			r = mergeCredential(r, ov)
		}
		c := &Credential{Name: name, Type: r.Type, ClientID: r.ClientID, DiscoveryURL: r.DiscoveryURL, TenantID: r.TenantID,
			Scopes: r.Scopes, providerName: r.ProviderName}
		c.Vendor, _ = OAuth2Vendor(r.Vendor)
		if ref, ok := r.APIKey.(map[string]any); ok {
			c.APIKey, _ = refValue(ref)
		}
		if ref, ok := r.ClientSecret.(map[string]any); ok {
			c.ClientSecret, _ = refValue(ref)
		}
		v.completeCredential(path, env, r)
		out[name] = c
	}
	return out
}

// mergeCredential is base with every key the override sets.
func mergeCredential(base, ov rawCredential) rawCredential {
	for _, f := range []struct{ dst, v *string }{{&base.Type, &ov.Type}, {&base.Vendor, &ov.Vendor}, {&base.ClientID, &ov.ClientID},
		{&base.DiscoveryURL, &ov.DiscoveryURL}, {&base.TenantID, &ov.TenantID}, {&base.ProviderName, &ov.ProviderName}} {
		if *f.v != "" {
			*f.dst = *f.v
		}
	}
	if ov.APIKey != nil {
		base.APIKey = ov.APIKey
	}
	if ov.ClientSecret != nil {
		base.ClientSecret = ov.ClientSecret
	}
	if ov.Scopes != nil {
		base.Scopes = ov.Scopes
	}
	return base
}

func refValue(m map[string]any) (Value, bool) {
	if len(m) != 1 {
		return Value{}, false
	}
	if s, ok := m["secret"].(string); ok {
		return Value{SecretName: s}, true
	}
	if s, ok := m["env"].(string); ok {
		return Value{Env: s}, true
	}
	return Value{}, false
}

// completeCredential reports what a credential lacks, or has that its type does not take, as
// resolved in environment env (path: the table that was read last). A problem reported for
// one environment is not repeated for the next.
func (v *validator) completeCredential(path []string, env string, r rawCredential) {
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
	name := path[len(path)-1]
	where := "" // a base table's problem holds in every environment; an override's in its own
	if path[0] == "environments" {
		where = fmt.Sprintf(" in environment %q", env)
	}
	switch r.Type {
	case "":
		add("credential %q needs type = \"api_key\" or \"oauth2\"", name)
	case "api_key":
		if r.APIKey == nil {
			add("credential %q (type api_key) needs api_key = { env = \"VARIABLE\" } or { secret = \"NAME\" }%s", name, where)
		}
		for _, k := range []struct {
			key string
			set bool
		}{{"vendor", r.Vendor != ""}, {"client_id", r.ClientID != ""}, {"client_secret", r.ClientSecret != nil}, {"discovery_url", r.DiscoveryURL != ""}, {"tenant_id", r.TenantID != ""}, {"scopes", r.Scopes != nil}} {
			if k.set {
				add("credential %q is an api_key: %s is for type = \"oauth2\"", name, k.key)
			}
		}
	case "oauth2":
		if r.APIKey != nil {
			add("credential %q is an oauth2 provider: api_key is for type = \"api_key\"", name)
		}
		vendor, _ := OAuth2Vendor(r.Vendor)
		switch {
		case r.Vendor == "":
			add("credential %q (type oauth2) needs vendor = \"github\", \"google\", \"slack\", \"microsoft\", ... or \"custom\" (with discovery_url)", name)
		case vendor == "CustomOauth2" && r.DiscoveryURL == "":
			add("credential %q (vendor custom) needs discovery_url = \"https://ISSUER/.well-known/openid-configuration\"", name)
		case vendor != "" && vendor != "CustomOauth2" && r.DiscoveryURL != "":
			add("credential %q: discovery_url is for vendor = \"custom\"; AgentCore knows %s's endpoints", name, r.Vendor)
		}
		if vendor != "" && vendor != "MicrosoftOauth2" && r.TenantID != "" {
			add("credential %q: tenant_id is for vendor = \"microsoft\"", name)
		}
		if r.ClientID == "" {
			add("credential %q (type oauth2) needs client_id%s", name, where)
		}
		if r.ClientSecret == nil {
			add("credential %q (type oauth2) needs client_secret = { env = \"VARIABLE\" } or { secret = \"NAME\" }%s", name, where)
		}
	}
}

// agentResources checks an agent's memory and credentials against the project's.
func (v *validator) agentResources(path []string, r rawAgent, a *Agent) {
	at := func(k ...string) []string { return append(append([]string{}, path...), k...) }
	if r.Memory != "" {
		if _, ok := v.memories[r.Memory]; !ok {
			v.addf(at("memory"), "memory %q is not defined: add a [memories.%s] table%s", r.Memory, r.Memory, Suggest(r.Memory, sortedKeys(v.memories)))
		}
		a.Memory = r.Memory
	}
	if r.Credentials != nil {
		seen := map[string]bool{}
		for _, c := range r.Credentials {
			if _, ok := v.credentials[c]; !ok {
				v.addf(at("credentials"), "credential %q is not defined: add a [credentials.%s] table%s", c, c, Suggest(c, sortedKeys(v.credentials)))
			}
			if seen[c] {
				v.addf(at("credentials"), "credential %q is listed twice", c)
			}
			seen[c] = true
		}
		a.Credentials = append([]string(nil), r.Credentials...)
	}
	v.agentGateways(path, r, a)
}

// The variables an agent's runtime gets its memory in: the starter toolkit's names
// (bedrock-agentcore-starter-toolkit), so agents written for it find their memory unchanged.
const (
	MemoryEnvID   = "BEDROCK_AGENTCORE_MEMORY_ID"
	MemoryEnvName = "BEDROCK_AGENTCORE_MEMORY_NAME"
)
