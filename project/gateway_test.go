package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const withGateway = `
[project]
name = "shop"

[credentials.weather-key]
type = "api_key"
api_key = { env = "WEATHER_KEY" }

[gateways.tools]
description = "shop tools"
search = true

[[gateways.tools.targets]]
name = "calc"
type = "mcp"
agent = "tools-bot"

[[gateways.tools.targets]]
name = "weather"
type = "openapi"
spec = "apis/weather.yaml"
credential = "weather-key"
credential_parameter = "x-api-key"

[[gateways.tools.targets]]
name = "orders"
type = "lambda"
function = "arn:aws:lambda:eu-west-1:123456789012:function:orders"
tools = "tools/orders.json"

[agents.tools-bot]
dockerfile = "agents/tools/Dockerfile"
protocol = "MCP"

[agents.my-bot]
dockerfile = "agents/bot/Dockerfile"
gateways = ["tools"]

[environments.dev]
provider = "local"

[environments.prod]
provider = "aws"
region = "eu-west-1"

[environments.prod.gateways.tools]
auth = { type = "jwt", discovery_url = "https://issuer.example.com/.well-known/openid-configuration", allowed_clients = ["abc"] }
targets = [{ name = "calc", type = "mcp", url = "https://mcp.example.com/mcp" }]
`

const weatherSpec = `openapi: 3.0.3
info: { title: weather, version: "1" }
paths:
  /weather:
    get:
      operationId: getWeather
      responses: { "200": { description: ok } }
`

const ordersTools = `[{"name": "get_order", "description": "an order", "inputSchema": {"type": "object"}}]`

// parseIn parses src as the agentcore.toml of a folder holding files.
func parseIn(t *testing.T, src string, files map[string]string) (*Project, error) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Parse([]byte(src), filepath.Join(dir, FileName), FileName)
}

var gatewayFiles = map[string]string{"apis/weather.yaml": weatherSpec, "tools/orders.json": ordersTools}

func TestGateways(t *testing.T) {
	p, err := parseIn(t, withGateway, gatewayFiles)
	if err != nil {
		t.Fatal(err)
	}
	dev, prod := p.Environments["dev"].Gateways["tools"], p.Environments["prod"].Gateways["tools"]
	if dev.Auth.Type != "iam" || !dev.Search || len(dev.Targets) != 3 {
		t.Fatalf("dev gateway = %+v", dev)
	}
	if w := dev.Targets[1]; w.Type != "openapi" || !strings.HasSuffix(filepath.ToSlash(w.Spec), "apis/weather.yaml") || w.Credential != "weather-key" || w.CredentialParameter != "x-api-key" {
		t.Errorf("weather target = %+v", w)
	}
	if prod.Auth.Type != "jwt" || prod.Auth.AllowedClients[0] != "abc" || len(prod.Targets) != 1 || prod.Targets[0].URL == "" {
		t.Errorf("prod gateway = %+v", prod)
	}
	if got := dev.GatewayName("shop", "dev"); got != "shop-tools-dev" {
		t.Errorf("gateway name = %q", got)
	}
	if got := dev.EnvName(); got != "AGENTCORE_GATEWAY_TOOLS_URL" {
		t.Errorf("env name = %q", got)
	}
	if got := p.Agents["my-bot"].Gateways; len(got) != 1 || got[0] != "tools" {
		t.Errorf("agent gateways = %v", got)
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings = %v", p.Warnings)
	}
}

func TestGatewayNameMapping(t *testing.T) {
	g := &Gateway{Name: "my_tools"}
	for _, c := range []struct{ project, env, want string }{
		{"shop", "dev", "shop-my-tools-dev"},
		{"a--b", "x", "a-b-my-tools-x"},
	} {
		got := g.GatewayName(c.project, c.env)
		if got != c.want || !gatewayNameRE.MatchString(got) {
			t.Errorf("GatewayName(%q, %q) = %q, want %q", c.project, c.env, got, c.want)
		}
	}
	long := g.GatewayName(strings.Repeat("p", 40), strings.Repeat("e", 20))
	if len(long) > 48 || !gatewayNameRE.MatchString(long) {
		t.Errorf("long name %q", long)
	}
}

func TestGatewayProblems(t *testing.T) {
	base := `
[project]
name = "shop"
[agents.chat]
dockerfile = "Dockerfile"
gateways = ["tools"]
[agents.http-bot]
dockerfile = "Dockerfile"
[environments.dev]
provider = "local"
[gateways.tools]
`
	for _, c := range []struct {
		name, src string
		files     map[string]string
		want      string
	}{
		{"unknown type", "[[gateways.tools.targets]]\nname = \"x\"\ntype = \"openapy\"\nspec = \"a.yaml\"\n", nil,
			`agentcore.toml:14:1: target type "openapy" is not one of lambda, mcp, openapi, smithy (did you mean "openapi"?)`},
		{"openapi without credential", "[[gateways.tools.targets]]\nname = \"w\"\ntype = \"openapi\"\nspec = \"w.yaml\"\n", map[string]string{"w.yaml": weatherSpec},
			`an openapi target needs credential = "NAME"`},
		{"spec does not parse", "[[gateways.tools.targets]]\nname = \"w\"\ntype = \"openapi\"\nspec = \"w.yaml\"\n",
			map[string]string{"w.yaml": "openapi: 3.0.3\npaths:\n  /a: [\n"}, `agentcore.toml:15:1: w.yaml does not parse: line 3`},
		{"tools json", "[[gateways.tools.targets]]\nname = \"o\"\ntype = \"lambda\"\nfunction = \"arn:aws:lambda:us-east-1:123456789012:function:f\"\ntools = \"t.json\"\n",
			map[string]string{"t.json": "[\n {\"name\": \"a\",\n  \"inputSchema\": {}\n ,]\n"}, `t.json does not parse: line 4: invalid character ']'`},
		{"spec missing", "[[gateways.tools.targets]]\nname = \"w\"\ntype = \"openapi\"\nspec = \"nope.yaml\"\n", nil, `spec "nope.yaml" does not exist`},
		{"agent not mcp", "[[gateways.tools.targets]]\nname = \"c\"\ntype = \"mcp\"\nagent = \"http-bot\"\n", nil,
			`agentcore.toml:15:1: agent "http-bot" is not an MCP server (its protocol is HTTP)`},
		{"agent unknown", "[[gateways.tools.targets]]\nname = \"c\"\ntype = \"mcp\"\nagent = \"chatt\"\n", nil, `agent "chatt" is not defined: an mcp target names an agent of this project (protocol = "MCP") or a url (did you mean "chat"?)`},
		{"jwt without discovery", "auth = { type = \"jwt\", allowed_clients = [\"a\"] }\n", nil,
			`agentcore.toml:12:1: gateway auth type "jwt" needs discovery_url`},
		{"jwt string", "auth = \"jwt\"\n", nil, `gateway auth "jwt" needs its issuer`},
		{"wrong key for type", "[[gateways.tools.targets]]\nname = \"c\"\ntype = \"mcp\"\nurl = \"https://x.example.com/mcp\"\nspec = \"a.yaml\"\n", nil,
			`spec is not a key of a mcp target (it takes agent, url)`},
		{"bad target name", "[[gateways.tools.targets]]\nname = \"a_b\"\ntype = \"mcp\"\nurl = \"https://x.example.com\"\n", nil, `target name "a_b" is invalid`},
		{"duplicate target", "[[gateways.tools.targets]]\nname = \"a\"\ntype = \"mcp\"\nurl = \"https://x.example.com\"\n[[gateways.tools.targets]]\nname = \"a\"\ntype = \"mcp\"\nurl = \"https://y.example.com\"\n", nil, `targets 1 and 2 are both named "a"`},
		{"credential unknown", "[[gateways.tools.targets]]\nname = \"w\"\ntype = \"openapi\"\nspec = \"w.yaml\"\ncredential = \"key\"\n", map[string]string{"w.yaml": weatherSpec}, `credential "key" is not defined`},
		{"unknown key", "serch = true\n", nil, `unknown key "serch" in [gateways.tools] (did you mean "search"?)`},
		{"agent names unknown gateway", "[agents.other]\ndockerfile = \"Dockerfile\"\ngateways = [\"tool\"]\n", nil, `gateway "tool" is not defined: add a [gateways.tool] table (did you mean "tools"?)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseIn(t, base+c.src, c.files)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v\nwant it to contain %s", err, c.want)
			}
		})
	}
}

func TestGatewayUnusedWarns(t *testing.T) {
	p, err := parseIn(t, `
[project]
name = "shop"
[agents.chat]
dockerfile = "Dockerfile"
[gateways.spare]
[[gateways.spare.targets]]
name = "x"
type = "mcp"
url = "https://x.example.com/mcp"
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || p.Warnings[0].Line != 6 || !strings.Contains(p.Warnings[0].Msg, `gateway "spare" is used by no agent`) {
		t.Fatalf("warnings = %+v", p.Warnings)
	}
}

func TestCheckSchema(t *testing.T) {
	if msg := CheckSchema([]byte(weatherSpec), "openapi"); msg != "" {
		t.Errorf("weather spec: %s", msg)
	}
	if msg := CheckSchema([]byte(`{"openapi": "3.0.0", "paths": {}}`), "openapi"); msg != "" {
		t.Errorf("JSON spec: %s", msg)
	}
	if msg := CheckSchema([]byte("swagger: '2.0'\npaths: {}\n"), "openapi"); !strings.Contains(msg, "Swagger 2.0") {
		t.Errorf("swagger: %s", msg)
	}
	if msg := CheckSchema([]byte(`{"smithy": "2.0"}`), "smithy"); !strings.Contains(msg, "no shapes") {
		t.Errorf("smithy: %s", msg)
	}
	if msg := CheckSchema([]byte(`[{"name": "a"}]`), "tools"); !strings.Contains(msg, "no inputSchema") {
		t.Errorf("tools: %s", msg)
	}
}
