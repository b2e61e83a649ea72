package project

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// KeyDoc documents one key of agentcore.toml. The keys themselves, their nesting and their
// Go types come from the schema (rawFile and the structs it holds, by reflection); KeyDocs
// adds what the types cannot say. TestKeyDocsCoverSchema fails when a key of the schema has no
// entry here (or an entry names no key), so a new key cannot go undocumented.
type KeyDoc struct {
	Type    string // when the Go type does not say it ("seconds or a duration")
	Default string // "" when none
	Values  string // the allowed values, in words
	Doc     string // what it means
}

// KeyDocs are the keys of agentcore.toml by path: "agents.*.lifecycle.idle_timeout" (* stands
// for a name the user chooses, [] for an entry of an array of tables).
var KeyDocs = map[string]KeyDoc{
	"project":                                      {Doc: "The project itself."},
	"project.name":                                 {Default: "the directory's name", Values: "lowercase letters, digits, - and _", Doc: "The project's name: it prefixes runtime names, stacks, repositories, parameters and tags."},
	"project.id":                                   {Default: "none (agentcore init writes one)", Values: "12 lowercase hex digits", Doc: "This checkout's identity. It goes into the agentcore:project-id tag of everything agentcore creates, so that a resource another checkout of the same project name created is never taken over: create and drift --fix adopt refuse it. A project without one keeps working, with a warning saying how to add it. Never copy it to another project."},
	"project.default_environment":                  {Values: "an environment's name", Doc: "The environment used when neither -e, AGENTCORE_ENV nor `agentcore env use` chose one."},
	"project.permissions_boundary":                 {Values: "an IAM policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)", Doc: "The permissions boundary of every IAM role agentcore creates (agent execution roles, the CI deploy role), in every environment that names none of its own."},
	"project.tags":                                 {Type: "table of strings", Values: "at most 45 (agentcore adds up to 5 of its own); keys not starting with aws: or agentcore:", Doc: "Tags put on everything agentcore creates (runtimes, endpoints, repositories, stacks, buckets, secrets, memories, credential providers, gateways) in every environment; an environment's tags win key by key. drift reports a resource whose tags differ."},
	"agents":                                       {Doc: "The agents, one table each: `[agents.NAME]`."},
	"agents.*":                                     {Doc: "One agent. NAME is how commands name it (`agentcore create NAME`)."},
	"agents.*.description":                         {Values: "1 to 4096 characters", Doc: "The runtime's description."},
	"agents.*.dockerfile":                          {Default: "context/Dockerfile", Doc: "The Dockerfile (build = \"docker\"), relative to agentcore.toml; it may lie outside the context."},
	"agents.*.context":                             {Default: "the Dockerfile's folder", Doc: "The build context or source folder, relative to agentcore.toml."},
	"agents.*.platform":                            {Default: "the host's for local, linux/arm64 for aws", Values: "linux/arm64, linux/amd64", Doc: "The image's platform."},
	"agents.*.protocol":                            {Default: "HTTP", Values: "HTTP, MCP, A2A, AGUI", Doc: "The protocol the agent serves (AgentCore's ServerProtocol)."},
	"agents.*.environment":                         {Type: "table of strings, { env = \"NAME\" } or { secret = \"NAME\" }", Values: "at most 50 variables; names up to 100, values up to 5000 characters", Doc: "The runtime's environment variables. `{ env = \"NAME\" }` takes the value from agentcore's own environment (masked in output); `{ secret = \"NAME\" }` puts the ARN of the Secrets Manager secret agentcore/PROJECT/ENV/NAME."},
	"agents.*.build_args":                          {Type: "table of strings or { env = \"NAME\" }", Doc: "Docker build arguments (no secrets: they end up in the image)."},
	"agents.*.lifecycle":                           {Doc: "The runtime's session lifecycle."},
	"agents.*.lifecycle.idle_timeout":              {Type: "seconds or a duration (\"15m\")", Default: "AgentCore's (15m)", Values: "60s to 8h", Doc: "How long an idle session lives."},
	"agents.*.lifecycle.max_lifetime":              {Type: "seconds or a duration (\"8h\")", Default: "AgentCore's (8h)", Values: "60s to 8h", Doc: "How long a session lives at most."},
	"agents.*.execution_role":                      {Values: "an IAM role ARN", Doc: "A role you bring; agentcore then creates and deletes none."},
	"agents.*.models":                              {Doc: "Bedrock model ids the agent may invoke (added to the execution role agentcore creates)."},
	"agents.*.runtime_name":                        {Default: "PROJECT_AGENT, mapped to AgentCore's rules", Values: "a letter, then letters, digits and _; at most 48", Doc: "The runtime's name in AgentCore."},
	"agents.*.auth":                                {Doc: "How callers authenticate (default: IAM, SigV4)."},
	"agents.*.auth.type":                           {Default: "iam", Values: "iam, jwt, cognito", Doc: "jwt: your OpenID Connect issuer; cognito: a user pool created for the agent on AWS."},
	"agents.*.auth.discovery_url":                  {Values: "a URL ending in /.well-known/openid-configuration", Doc: "The issuer's discovery document (type = \"jwt\")."},
	"agents.*.auth.allowed_clients":                {Doc: "The client ids a token may be issued to (jwt; this and/or allowed_audience)."},
	"agents.*.auth.allowed_audience":               {Doc: "The audiences a token may carry (jwt)."},
	"agents.*.build":                               {Default: "image when image is set, zip when runtime is set, else docker", Values: "docker, go, zip, image", Doc: "How the artifact is made: a Docker build, a Go build assembled into an image without Docker, a code zip for a managed runtime, or a prebuilt image."},
	"agents.*.image":                               {Values: "REPOSITORY@sha256:DIGEST or REPOSITORY:TAG", Doc: "The prebuilt image (build = \"image\"), checked for its platform."},
	"agents.*.package":                             {Default: "the context's main package", Doc: "The Go main package to build (build = \"go\")."},
	"agents.*.files":                               {Doc: "Files copied into the image next to the binary (build = \"go\")."},
	"agents.*.base_image":                          {Default: "none (FROM scratch)", Doc: "The image the binary is added to (build = \"go\")."},
	"agents.*.runtime":                             {Values: strings.Join(ManagedRuntimes, ", "), Doc: "The managed runtime of a code zip (build = \"zip\")."},
	"agents.*.entrypoint":                          {Values: "1 or 2 entries", Doc: "The file the managed runtime runs, relative to context (build = \"zip\"): [\"main.py\"] or [\"opentelemetry-instrument\", \"main.py\"]."},
	"agents.*.smoke":                               {Doc: "The checks release and rollout run against a new version: `[[agents.NAME.smoke]]`, one table each."},
	"agents.*.smoke[].prompt":                      {Doc: "Sent as {\"prompt\": ...} (or payload); to an A2A agent as a message (message/send), to an AG-UI agent as a RunAgentInput's user message."},
	"agents.*.smoke[].payload":                     {Type: "table or JSON string", Doc: "Sent as JSON, instead of prompt."},
	"agents.*.smoke[].tool":                        {Doc: "MCP servers (protocol = \"MCP\"): the tool the check calls (tools/call), instead of a prompt; expect is checked against its text, expect_json against its structured content."},
	"agents.*.smoke[].args":                        {Type: "table or JSON string", Doc: "The arguments of tool, an object (default {})."},
	"agents.*.smoke[].expect":                      {Doc: "Text the answer must contain (streamed answers: their text; A2A: the message or artifacts' text; AG-UI: the assistant's text; MCP: the tool's text)."},
	"agents.*.smoke[].expect_json":                 {Type: "table of dotted paths to values", Doc: "Values at dotted paths of a JSON answer (\"items.0.name\", indexes from 0)."},
	"agents.*.smoke[].timeout":                     {Type: "seconds or a duration", Default: "30s", Values: "at most 15m", Doc: "The whole answer within this time."},
	"agents.*.alarms":                              {Doc: "CloudWatch alarms on one endpoint (AWS)."},
	"agents.*.alarms.endpoint":                     {Default: "DEFAULT", Doc: "The endpoint the alarms watch."},
	"agents.*.alarms.errors":                       {Doc: "Alarm when system and user errors in 5 minutes reach this."},
	"agents.*.alarms.latency_p99_ms":               {Doc: "Alarm when p99 latency stays above this for 5 minutes."},
	"agents.*.alarms.notify":                       {Values: "up to 3 e-mail addresses, any SNS topic ARNs", Doc: "Who is told."},
	"agents.*.memory":                              {Values: "a [memories] table's name", Doc: "The memory the agent uses: create and update ensure it before the runtime, which gets BEDROCK_AGENTCORE_MEMORY_ID and BEDROCK_AGENTCORE_MEMORY_NAME, and whose role may use exactly that memory."},
	"agents.*.credentials":                         {Values: "names of [credentials] tables", Doc: "The credential providers the agent may read through its workload identity; create, update and deploy make each provider before the runtime (or update it when its key changed), and the runtime gets its provider name in AGENTCORE_CREDENTIAL_NAME (NAME upper-cased, - as _) and an OAuth2 one's scopes in AGENTCORE_CREDENTIAL_NAME_SCOPES; destroy deletes the providers agentcore made that no other agent of the environment lists."},
	"memories":                                     {Doc: "AgentCore Memory resources, one table each: `[memories.NAME]`. Agents name them with memory = \"NAME\"."},
	"memories.*":                                   {Doc: "One memory: events per actor and session, and the long-term records its strategies extract."},
	"memories.*.description":                       {Values: "1 to 4096 characters", Doc: "The memory's description."},
	"memories.*.event_expiry_days":                 {Type: "integer", Default: "90", Values: "3 to 365", Doc: "How many days AgentCore keeps events (eventExpiryDuration)."},
	"memories.*.encryption_key":                    {Values: "a KMS key ARN", Default: "AgentCore's own key", Doc: "The customer-managed key the memory is encrypted with."},
	"memories.*.execution_role":                    {Values: "an IAM role ARN", Doc: "The role custom strategies call their models with (memoryExecutionRoleArn)."},
	"memories.*.memory_name":                       {Default: "PROJECT_MEMORY_ENV, mapped to AgentCore's rules", Values: "a letter, then letters, digits and _; at most 48", Doc: "The memory's name in AgentCore."},
	"memories.*.strategies":                        {Type: "array of tables", Default: "none (short-term memory only)", Doc: "How events become long-term records; a changed list is an UpdateMemory (events are kept). An environment's strategies replace the whole list."},
	"memories.*.strategies[].type":                 {Values: "semantic, summary, user_preference, episodic, custom", Doc: "The built-in strategy, or custom (a built-in one's steps with prompts of your own)."},
	"memories.*.strategies[].name":                 {Default: "the type (custom: custom_EXTENDS)", Values: "a letter, then letters, digits and _; at most 48; unique in the memory", Doc: "The strategy's name in AgentCore."},
	"memories.*.strategies[].description":          {Values: "1 to 4096 characters", Doc: "The strategy's description."},
	"memories.*.strategies[].namespace":            {Default: "AgentCore's", Values: "letters, digits, - _ / and {actorId}, {sessionId}, {memoryStrategyId}; at most 512", Doc: "Where the strategy's records go: \"/facts/{actorId}\"."},
	"memories.*.strategies[].extends":              {Values: "semantic, summary, user_preference, episodic", Doc: "A custom strategy's built-in strategy, whose steps its prompts override."},
	"memories.*.strategies[].model":                {Doc: "A custom strategy's Bedrock model id."},
	"memories.*.strategies[].extraction_prompt":    {Values: "1 to 30000 characters", Doc: "A custom strategy's text appended to the extraction prompt."},
	"memories.*.strategies[].consolidation_prompt": {Values: "1 to 30000 characters", Doc: "A custom strategy's text appended to the consolidation prompt."},
	"credentials":                                  {Doc: "AgentCore Identity credential providers, one table each: `[credentials.NAME]`. Agents list them with credentials = [\"NAME\"]."},
	"credentials.*":                                {Doc: "One credential provider: an API key, or an OAuth2 client."},
	"credentials.*.type":                           {Values: "api_key, oauth2", Doc: "An API key kept in the token vault, or an OAuth2 client the agent gets tokens from."},
	"credentials.*.api_key":                        {Type: "{ env = \"NAME\" } or { secret = \"NAME\" }", Doc: "The API key (type api_key): from agentcore's environment, or from the Secrets Manager secret agentcore/PROJECT/ENV/NAME; never written in the file."},
	"credentials.*.vendor":                         {Values: "github, google, slack, salesforce, microsoft, atlassian, linkedin, okta, auth0, cognito, ... or custom (AgentCore's vendor names work too)", Doc: "The OAuth2 provider (type oauth2)."},
	"credentials.*.client_id":                      {Values: "1 to 256 characters", Doc: "The OAuth2 client id (type oauth2)."},
	"credentials.*.client_secret":                  {Type: "{ env = \"NAME\" } or { secret = \"NAME\" }", Doc: "The OAuth2 client secret (type oauth2); never written in the file."},
	"credentials.*.discovery_url":                  {Values: "https://ISSUER/.well-known/openid-configuration", Doc: "The issuer's discovery document (vendor custom)."},
	"credentials.*.tenant_id":                      {Doc: "The Microsoft Entra tenant (vendor microsoft)."},
	"credentials.*.scopes":                         {Doc: "The scopes the agent asks for (it gets them, space-separated, in AGENTCORE_CREDENTIAL_NAME_SCOPES)."},
	"credentials.*.provider_name":                  {Default: "PROJECT-NAME-ENV", Values: "letters, digits, - and _; at most 128; unique in the account", Doc: "The provider's name in AgentCore Identity."},
	"environments.*.memories":                      {Doc: "Per-environment overrides of memories: `[environments.ENV.memories.NAME]` takes the keys of `[memories.NAME]`."},
	"environments.*.memories.*":                    {Doc: "The keys of `[memories.NAME]` for this environment."},
	"environments.*.credentials":                   {Doc: "Per-environment overrides of credentials: `[environments.ENV.credentials.NAME]` takes the keys of `[credentials.NAME]`."},
	"environments.*.credentials.*":                 {Doc: "The keys of `[credentials.NAME]` for this environment (a different secret per environment, say)."},
	"environments":                                 {Default: "one local environment", Doc: "Where agents are deployed, one table each: `[environments.NAME]`."},
	"environments.*":                               {Doc: "One environment: one provider, account and region."},
	"environments.*.provider":                      {Values: "local, aws", Doc: "local: the AgentCore-compatible endpoint agentcore serves on this machine; aws: Amazon Bedrock AgentCore."},
	"environments.*.region":                        {Default: "the profile's or AWS_REGION", Doc: "The AWS region."},
	"environments.*.account":                       {Values: "12 digits", Doc: "The account guard: credentials of any other account are refused."},
	"environments.*.profile":                       {Doc: "The AWS shared-config profile."},
	"environments.*.endpoint_url":                  {Doc: "Any AWS-compatible endpoint (an emulator)."},
	"environments.*.registry":                      {Values: "HOST:PORT", Doc: "Where images are pushed, when not the account's ECR."},
	"environments.*.protected":                     {Default: "false", Doc: "Destroy, secret deletion and a rollout reaching it need the environment's name typed (or --confirm NAME)."},
	"environments.*.state":                         {Default: "file", Values: "file, ssm", Doc: "Where state is kept: .agentcore/state, or SSM Parameter Store (locked across machines)."},
	"environments.*.release":                       {Default: "direct", Values: "direct, canary", Doc: "How rollout deploys here: canary, smoke checks, then stable; or straight to DEFAULT."},
	"environments.*.variables":                     {Type: "table of strings, { env = \"NAME\" } or { secret = \"NAME\" }", Doc: "Added to every agent's environment here (the agent's own keys win)."},
	"environments.*.permissions_boundary":          {Default: "[project] permissions_boundary", Values: "an IAM policy ARN", Doc: "The permissions boundary of every IAM role agentcore creates in this environment (agent execution roles, the CI deploy role)."},
	"environments.*.network":                       {Default: "none: PUBLIC", Doc: "Runs this environment's runtimes in your VPC (AgentCore's VPC network mode): `network = { subnets = [...], security_groups = [...] }`. The subnets must exist in the environment's region (checked with EC2 before any work). destroy waits for the network interfaces AgentCore still holds in them. The local provider accepts it and says it ignores it."},
	"environments.*.network.subnets":               {Values: "1 to 16 subnet IDs (subnet-0123456789abcdef0)", Doc: "The subnets AgentCore puts the runtime's network interfaces in."},
	"environments.*.network.security_groups":       {Values: "1 to 16 security group IDs (sg-0123456789abcdef0)", Doc: "The security groups of those interfaces."},
	"environments.*.tags":                          {Type: "table of strings", Values: "as [project] tags", Doc: "Tags of everything agentcore creates in this environment, over [project] tags key by key."},
	"environments.*.agents":                        {Doc: "Per-environment overrides of any agent key: `[environments.ENV.agents.NAME]` takes the keys of `[agents.NAME]`."},
	"environments.*.agents.*":                      {Doc: "The keys of `[agents.NAME]` for this environment, overriding the agent's own."},
	"rollouts":                                     {Doc: "Named rollouts: `[rollouts.NAME]`."},
	"rollouts.*":                                   {Doc: "One rollout (`agentcore rollout AGENT --through NAME`)."},
	"rollouts.*.through":                           {Type: "array of strings or of arrays of strings", Values: "environment names; \"a|b\" or [\"a\", \"b\"] is a wave", Doc: "The environments in order; a wave deploys in parallel."},
}

// KeyInfo is one key of agentcore.toml as the reference shows it.
type KeyInfo struct {
	Path   string // "agents.*.lifecycle.idle_timeout"
	Header string // the table it is written in: "[agents.NAME.lifecycle]"
	Key    string // "idle_timeout"; "" for a table itself
	Type   string
	KeyDoc
}

// SchemaKeys lists every key and table of agentcore.toml, in the schema's order.
func SchemaKeys() []KeyInfo {
	var out []KeyInfo
	walkSchema(reflect.TypeOf(rawFile{}), "", "", &out)
	return out
}

// walkSchema adds the fields of struct t, found at path (dotted, with * and []) and written
// under header.
func walkSchema(t reflect.Type, path, header string, out *[]KeyInfo) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := strings.Split(f.Tag.Get("toml"), ",")[0]
		if key == "" || key == "-" {
			continue
		}
		p := strings.TrimPrefix(path+"."+key, ".")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		hdr := strings.TrimPrefix(header+"."+key, ".")
		switch {
		case ft.Kind() == reflect.Struct:
			*out = append(*out, KeyInfo{Path: p, Header: "[" + hdr + "]", Type: "table", KeyDoc: KeyDocs[p]})
			walkSchema(ft, p, hdr, out)
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Struct:
			name := "NAME"
			if key == "environments" {
				name = "ENV"
			}
			*out = append(*out, KeyInfo{Path: p, Header: "[" + hdr + "." + name + "]", Type: "tables by name", KeyDoc: KeyDocs[p]})
			*out = append(*out, KeyInfo{Path: p + ".*", Header: "[" + hdr + "." + name + "]", Type: "table", KeyDoc: KeyDocs[p+".*"]})
			if path != "" { // a nested map of tables (environments.ENV.agents) takes the outer one's keys
				continue
			}
			walkSchema(ft.Elem(), p+".*", hdr+"."+name, out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			*out = append(*out, KeyInfo{Path: p, Header: "[[" + hdr + "]]", Type: "array of tables", KeyDoc: KeyDocs[p]})
			walkSchema(ft.Elem(), p+"[]", "["+hdr+"]", out)
		default:
			k := KeyInfo{Path: p, Header: "[" + header + "]", Key: key, Type: keyType(ft), KeyDoc: KeyDocs[p]}
			if k.KeyDoc.Type != "" {
				k.Type = k.KeyDoc.Type
			}
			*out = append(*out, k)
		}
	}
}

func keyType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Slice:
		return "array of " + keyType(t.Elem()) + "s"
	case reflect.Map:
		return "table of " + keyType(t.Elem()) + "s"
	}
	return "any"
}

// TOMLReference is the reference of agentcore.toml in Markdown (agentcore docs toml, which
// makes docs/toml.md).
func TOMLReference() string {
	var b strings.Builder
	b.WriteString("# agentcore.toml reference\n\n")
	b.WriteString("Generated by `agentcore docs toml` from the schema (project/schema.go and project/schemadoc.go); do not edit.\n\n")
	b.WriteString("agentcore.toml is decoded strictly: an unknown key, a wrong type or an invalid value is an error\n")
	b.WriteString("with its line and column (and a did-you-mean). `NAME` and `ENV` stand for names you choose.\n")
	type section struct {
		docs []string
		keys []KeyInfo
	}
	var order []string
	sections := map[string]*section{}
	get := func(h string) *section {
		if sections[h] == nil {
			sections[h] = &section{}
			order = append(order, h)
		}
		return sections[h]
	}
	for _, k := range SchemaKeys() {
		sec := get(k.Header)
		if k.Key != "" {
			sec.keys = append(sec.keys, k)
			continue
		}
		doc := k.Doc
		if k.Default != "" {
			doc += " Default: " + k.Default + "."
		}
		sec.docs = append(sec.docs, doc)
	}
	for _, h := range order {
		sec := sections[h]
		fmt.Fprintf(&b, "\n## `%s`\n\n", h)
		if len(sec.docs) > 0 {
			b.WriteString(strings.Join(sec.docs, " ") + "\n")
		}
		if len(sec.keys) == 0 {
			continue
		}
		b.WriteString("\n| key | type | default | allowed values | meaning |\n| --- | --- | --- | --- | --- |\n")
		for _, k := range sec.keys {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", k.Key, cell(k.Type), cell(k.Default), cell(k.Values), cell(k.Doc))
		}
	}
	return b.String()
}

func cell(s string) string {
	if s == "" {
		return ""
	}
	return strings.ReplaceAll(s, "|", "\\|")
}

// undocumentedKeys lists schema keys without a KeyDocs entry and entries naming no key.
func undocumentedKeys() (missing, stale []string) {
	seen := map[string]bool{}
	for _, k := range SchemaKeys() {
		seen[k.Path] = true
		if KeyDocs[k.Path].Doc == "" {
			missing = append(missing, k.Path)
		}
	}
	for p := range KeyDocs {
		if !seen[p] {
			stale = append(stale, p)
		}
	}
	sort.Strings(stale)
	return missing, stale
}
