package project

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parse(t *testing.T, src string) (*Project, error) {
	t.Helper()
	dir := t.TempDir()
	return Parse([]byte(src), filepath.Join(dir, FileName), FileName)
}

const good = `
[project]
name = "demo"
default_environment = "dev"

[agents.my-bot]
dockerfile = "agents/bot/Dockerfile"
protocol = "http"
environment = { MODEL = "claude", API_KEY = { env = "BOT_API_KEY" } }
lifecycle = { idle_timeout = "15m", max_lifetime = 3600 }

[environments.dev]
provider = "local"
variables = { LOG_LEVEL = "debug" }

[environments.prod]
provider = "aws"
region = "eu-west-1"
account = "123456789012"
protected = true

[environments.prod.agents.my-bot]
platform = "linux/arm64"
environment = { MODEL = "claude-big" }
`

func TestParseGood(t *testing.T) {
	p, err := parse(t, good)
	if err != nil {
		t.Fatal(err)
	}
	a := p.Agents["my-bot"]
	if a.Protocol != "HTTP" || a.IdleTimeout != 900 || a.MaxLifetime != 3600 {
		t.Fatalf("agent = %+v", a)
	}
	if filepath.Base(a.Context) != "bot" || !filepath.IsAbs(a.Dockerfile) {
		t.Fatalf("paths not resolved: %q %q", a.Context, a.Dockerfile)
	}
	prod := p.Environments["prod"].Agents["my-bot"]
	if prod.Environment["MODEL"].Literal != "claude-big" || prod.Environment["API_KEY"].Env != "BOT_API_KEY" || prod.Platform != "linux/arm64" {
		t.Fatalf("override not applied: %+v", prod)
	}
	dev := p.Environments["dev"].Agents["my-bot"]
	if dev.Environment["LOG_LEVEL"].Literal != "debug" || dev.Environment["MODEL"].Literal != "claude" {
		t.Fatalf("variables not merged: %+v", dev.Environment)
	}
	if got := p.Environments["prod"].RuntimeNames["my-bot"]; got != "demo_my_bot_prod" {
		t.Fatalf("runtime name = %q", got)
	}
	if p.Agents["my-bot"].Platform != "" {
		t.Fatal("override leaked into the base agent")
	}
}

func TestParseErrorsHavePositionsAndSuggestions(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown key", "[agents.a]\ndockerfil = \"x\"\n", `agentcore.toml:2:1: unknown key "dockerfil" in [agents.a] (did you mean "dockerfile"?)`},
		{"unknown table", "[agent.a]\n", `(did you mean "agents"?)`},
		{"wrong type", "[agents.a]\ndockerfile = 3\n", "agentcore.toml:2:"},
		{"bad protocol", "[agents.a]\ndockerfile = \"D\"\nprotocol = \"grpc\"\n", `agentcore.toml:3:1: protocol "grpc" is not one of A2A, AGUI, HTTP, MCP`},
		{"bad provider", "[agents.a]\ndockerfile = \"D\"\n[environments.dev]\nprovider = \"locl\"\n", `(did you mean "local"?)`},
		{"aws without region", "[environments.prod]\nprovider = \"aws\"\n", `needs region`},
		{"bad account", "[environments.prod]\nprovider = \"aws\"\nregion = \"us-east-1\"\naccount = \"12\"\n", "agentcore.toml:4:1: account \"12\" is not a 12-digit"},
		{"override of unknown agent", "[agents.a]\ndockerfile = \"D\"\n[environments.dev]\nprovider = \"local\"\n[environments.dev.agents.b]\nplatform = \"linux/arm64\"\n", `overrides agent "b", which is not defined`},
		{"secret syntax", "[agents.a]\ndockerfile = \"D\"\nenvironment = { K = { envv = \"X\" } }\n", `K must be a string, { env = "VARIABLE" } (a secret read from the environment) or { secret = "NAME" }`},
		{"lifecycle range", "[agents.a]\ndockerfile = \"D\"\nlifecycle = { idle_timeout = 5 }\n", "out of range"},
		{"bad agent name", "[agents.My_Bot]\ndockerfile = \"D\"\n", `agent name "My_Bot" is invalid`},
		{"syntax", "[agents.a\n", "agentcore.toml:1:"},
		{"no dockerfile", "[agents.a]\nprotocol = \"HTTP\"\n", "needs dockerfile or context"},
		{"auth type", "[agents.a]\ndockerfile = \"D\"\nauth = { type = \"cognitoo\" }\n", `auth type "cognitoo" is not one of iam, cognito, jwt (did you mean "cognito"?)`},
		{"jwt needs url", "[agents.a]\ndockerfile = \"D\"\n[agents.a.auth]\ntype = \"jwt\"\nallowed_clients = [\"c\"]\n", `needs discovery_url`},
		{"auth unknown key", "[agents.a]\ndockerfile = \"D\"\n[agents.a.auth]\ntype = \"jwt\"\ndiscovery = \"x\"\n", `(did you mean "discovery_url"?)`},
		{"default env", "[project]\nname = \"x\"\ndefault_environment = \"prd\"\n[environments.prod]\nprovider = \"local\"\n", `(did you mean "prod"?)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, "[project]\nname = \"x\"\n"[:0]+c.src)
			if err == nil {
				t.Fatal("no error")
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error is %T: %v", err, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestRuntimeNameMapping(t *testing.T) {
	cases := map[[3]string]string{
		{"demo", "my-bot", "dev"}:  "demo_my_bot_dev",
		{"9lives", "bot", "dev"}:   "a_lives_bot_dev",
		{"p", "a.b", "staging-eu"}: "p_a_b_staging_eu",
	}
	for in, want := range cases {
		if got := RuntimeName(in[0], in[1], in[2]); got != want {
			t.Errorf("RuntimeName%v = %q, want %q", in, got, want)
		}
	}
	long := RuntimeName(strings.Repeat("p", 30), strings.Repeat("a", 30), "prod")
	if len(long) != 48 || !runtimeNameRE.MatchString(long) {
		t.Fatalf("long name %q (%d) invalid", long, len(long))
	}
	if long == RuntimeName(strings.Repeat("p", 30), strings.Repeat("a", 30), "dev") {
		t.Fatal("environments share a runtime name")
	}
}

func TestSelectEnv(t *testing.T) {
	p, err := parse(t, good)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AGENTCORE_ENV", "")
	if n, _, _ := p.SelectEnv("", ""); n != "dev" {
		t.Fatalf("default = %q", n)
	}
	if n, _, _ := p.SelectEnv("prod", "dev"); n != "prod" {
		t.Fatalf("flag = %q", n)
	}
	if _, _, err := p.SelectEnv("prd", ""); err == nil || !strings.Contains(err.Error(), `did you mean "prod"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestValueResolve(t *testing.T) {
	t.Setenv("AC_TEST_SECRET", "s3cret")
	if s, err := (Value{Env: "AC_TEST_SECRET"}).Resolve(); err != nil || s != "s3cret" {
		t.Fatal(s, err)
	}
	os.Unsetenv("AC_TEST_SECRET_MISSING")
	if _, err := (Value{Env: "AC_TEST_SECRET_MISSING"}).Resolve(); err == nil || !strings.Contains(err.Error(), "AC_TEST_SECRET_MISSING is not set") {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("[agents.a]\ndockerfile = 3\n"))
	f.Add([]byte("[environments.x.agents.y]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "/tmp/p/agentcore.toml", FileName)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse returned project %v and error %v", p != nil, err)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}
