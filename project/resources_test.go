package project

import (
	"strings"
	"testing"
)

const withResources = `
[project]
name = "shop"

[memories.chat]
event_expiry_days = 30
strategies = [
  { type = "semantic", namespace = "/facts/{actorId}" },
  { type = "summary", namespace = "/summaries/{actorId}/{sessionId}" },
  { type = "user_preference" },
  { type = "custom", extends = "semantic", model = "anthropic.claude", extraction_prompt = "Only facts about orders." },
]

[credentials.github]
type = "api_key"
api_key = { secret = "GITHUB_TOKEN" }

[credentials.google]
type = "oauth2"
vendor = "google"
client_id = "abc.apps.googleusercontent.com"
client_secret = { env = "GOOGLE_SECRET" }
scopes = ["openid", "email"]

[agents.my-bot]
dockerfile = "agents/bot/Dockerfile"
memory = "chat"
credentials = ["github", "google"]

[environments.dev]
provider = "local"

[environments.prod]
provider = "aws"
region = "eu-west-1"

[environments.prod.memories.chat]
event_expiry_days = 365
strategies = [{ type = "semantic", name = "facts" }]

[environments.prod.credentials.github]
api_key = { secret = "GITHUB_TOKEN_PROD" }
provider_name = "shop-github"
`

func TestMemoriesAndCredentials(t *testing.T) {
	p, err := parse(t, withResources)
	if err != nil {
		t.Fatal(err)
	}
	dev, prod := p.Environments["dev"], p.Environments["prod"]
	m := dev.Memories["chat"]
	if m.EventExpiryDays != 30 || len(m.Strategies) != 4 {
		t.Fatalf("dev memory = %+v", m)
	}
	names := []string{}
	for _, s := range m.Strategies {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "semantic,summary,user_preference,custom_semantic" {
		t.Errorf("strategy names = %s", got)
	}
	if m.Strategies[0].Namespace != "/facts/{actorId}" || StrategyAPIType[m.Strategies[1].Type] != "SUMMARIZATION" {
		t.Errorf("strategies = %+v", m.Strategies)
	}
	if got := m.MemoryName("shop", "dev"); got != "shop_chat_dev" {
		t.Errorf("memory name = %s", got)
	}
	pm := prod.Memories["chat"]
	if pm.EventExpiryDays != 365 || len(pm.Strategies) != 1 || pm.Strategies[0].Name != "facts" {
		t.Errorf("prod memory = %+v", pm)
	}
	gh := dev.Credentials["github"]
	if gh.Type != "api_key" || gh.APIKey.SecretName != "GITHUB_TOKEN" || gh.ProviderName("shop", "dev") != "shop-github-dev" {
		t.Errorf("dev github = %+v", gh)
	}
	if pg := prod.Credentials["github"]; pg.APIKey.SecretName != "GITHUB_TOKEN_PROD" || pg.ProviderName("shop", "prod") != "shop-github" {
		t.Errorf("prod github = %+v", pg)
	}
	g := dev.Credentials["google"]
	if g.Vendor != "GoogleOauth2" || g.ClientSecret.Env != "GOOGLE_SECRET" || len(g.Scopes) != 2 || g.EnvName() != "AGENTCORE_CREDENTIAL_GOOGLE" {
		t.Errorf("google = %+v", g)
	}
	a := prod.Agents["my-bot"]
	if a.Memory != "chat" || strings.Join(a.Credentials, ",") != "github,google" {
		t.Errorf("agent = memory %q credentials %v", a.Memory, a.Credentials)
	}
	if long := (&Credential{Name: strings.Repeat("c", 40)}).ProviderName(strings.Repeat("p", 40), strings.Repeat("e", 60)); len(long) != MaxProviderName {
		t.Errorf("long provider name has %d characters", len(long))
	}
}

// Each mistake of issue 17's list is refused with its position and a hint.
func TestMemoryAndCredentialErrors(t *testing.T) {
	const agent = "[agents.bot]\ndockerfile = \"D\"\n"
	for _, tc := range []struct{ body, want, line string }{
		{"[memories.m]\nstrategies = [{ type = \"semantik\" }]\n", `strategy type "semantik" is not one of custom, episodic, semantic, summary, user_preference (did you mean "semantic"?)`, ":4:"},
		{"[memories.m]\nstrategies = [{ type = \"semantic\", namespace = \"/f/{userId}\" }]\n", `uses {userId}, which AgentCore does not fill`, ":4:"},
		{"[memories.m]\nstrategies = [{ type = \"semantic\", namespace = \"/f/{actorID}\" }]\n", `(did you mean "actorId"?)`, ":4:"},
		{"[memories.m]\nstrategies = [{ type = \"semantic\", namespace = \"/f/a b\" }]\n", `namespace "/f/a b" is invalid`, ":4:"},
		{"[memories.m]\nevent_expiry_days = 400\n", "event_expiry_days = 400 is out of range: AgentCore keeps events 3 to 365 days", ":4:"},
		{"[memories.m]\nevent_expiry_days = \"30d\"\n", "event_expiry_days must be a whole number of days", ":4:"},
		{"[memories.m]\nstrategies = [{ type = \"semantic\" }, { type = \"semantic\" }]\n", `strategies 1 and 2 are both named "semantic"`, ":4:"},
		{"[memories.m]\nstrategies = [{ type = \"custom\", model = \"x\", extraction_prompt = \"y\" }]\n", "a custom strategy needs extends", ":4:"},
		{"[memories.m]\nstrategies = [{ type = \"summary\", model = \"x\" }]\n", "model is for custom strategies", ":4:"},
		{"[memories.m]\nstrategie = []\n", `unknown key "strategie" in [memories.m] (did you mean "strategies"?)`, ":4:"},
		{"[credentials.gh]\ntype = \"api_key\"\napi_key = \"ghp_123\"\n", "api_key is written in agentcore.toml", ":5:"},
		{"[credentials.gh]\ntype = \"apikey\"\napi_key = { env = \"K\" }\n", `credential type "apikey" is not one of api_key, oauth2 (did you mean "api_key"?)`, ":4:"},
		{"[credentials.gh]\ntype = \"api_key\"\n", `credential "gh" (type api_key) needs api_key`, ":3:"},
		{"[credentials.gh]\ntype = \"oauth2\"\nvendor = \"gitub\"\nclient_id = \"x\"\nclient_secret = { env = \"S\" }\n", `vendor "gitub" is not an AgentCore Identity OAuth2 vendor (did you mean "github"?)`, ":5:"},
		{"[credentials.gh]\ntype = \"oauth2\"\nvendor = \"custom\"\nclient_id = \"x\"\nclient_secret = { env = \"S\" }\n", `(vendor custom) needs discovery_url`, ":3:"},
		{"[credentials.gh]\ntype = \"oauth2\"\nvendor = \"github\"\nclient_id = \"x\"\nclient_secret = \"s3cret\"\n", "client_secret is written in agentcore.toml", ":7:"},
		{"[credentials.gh]\ntype = \"api_key\"\napi_key = { env = \"K\" }\nscopes = [\"a\"]\n", "scopes is for type = \"oauth2\"", ":3:"},
		{"[credentials.gh]\ntype = \"api_key\"\napi_key = { env = \"K\" }\nprovider_name = \"a b\"\n", `provider_name "a b" is invalid`, ":6:"},
	} {
		_, err := parse(t, agent+tc.body)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.line) {
			t.Errorf("%s: error %v, want %q at %s", tc.body, err, tc.want, tc.line)
		}
	}
	for _, tc := range []struct{ body, want string }{
		{"memory = \"caht\"\n[memories.chat]\n", `memory "caht" is not defined: add a [memories.caht] table (did you mean "chat"?)`},
		{"credentials = [\"gh\", \"gh\"]\n[credentials.gh]\ntype = \"api_key\"\napi_key = { env = \"K\" }\n", `credential "gh" is listed twice`},
		{"credentials = [\"slack\"]\n", `credential "slack" is not defined`},
		{"[environments.dev]\nprovider = \"local\"\n[environments.dev.memories.chat]\nevent_expiry_days = 5\n", `environment "dev" overrides memory "chat", which is not defined under [memories]`},
		{"[memories.chat]\n[environments.dev]\nprovider = \"local\"\n[environments.dev.memories.chat]\nevent_expiry_days = 1\n", "event_expiry_days = 1 is out of range"},
	} {
		_, err := parse(t, agent+tc.body)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.body, err, tc.want)
		}
	}
	// A problem of a base table resolved in several environments is reported once.
	_, err := parse(t, agent+"[credentials.gh]\ntype = \"api_key\"\n[environments.a]\nprovider = \"local\"\n[environments.b]\nprovider = \"local\"\n")
	if err == nil || strings.Count(err.Error(), "needs api_key") != 1 {
		t.Errorf("error %v: want the missing api_key once", err)
	}
}
