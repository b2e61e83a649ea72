package project

import (
	"strings"
	"testing"
)

func TestSecretValues(t *testing.T) {
	p, err := parse(t, `
[project]
name = "shop"
[agents.bot]
dockerfile = "D"
environment = { OPENAI_KEY_ARN = { secret = "openai" }, MODEL = "m" }
[environments.dev]
provider = "local"
variables = { DB_SECRET_ARN = { secret = "db/main" } }
[environments.prod]
provider = "aws"
region = "eu-west-1"
[environments.prod.agents.bot]
environment = { OPENAI_KEY_ARN = { secret = "openai-prod" } }
`)
	if err != nil {
		t.Fatal(err)
	}
	dev := p.Environments["dev"].Agents["bot"]
	if got := dev.SecretRefs(); len(got) != 2 || got["OPENAI_KEY_ARN"] != "openai" || got["DB_SECRET_ARN"] != "db/main" {
		t.Fatalf("dev refs = %v", got)
	}
	if v := dev.Environment["OPENAI_KEY_ARN"]; !v.Stored() || v.Secret() || v.Literal != "" {
		t.Fatalf("value = %+v", v)
	}
	if got := p.Environments["prod"].Agents["bot"].SecretNames(); strings.Join(got, ",") != "openai-prod" {
		t.Fatalf("prod names = %v", got)
	}
	if id := SecretID("shop", "dev", "db/main"); id != "agentcore/shop/dev/db/main" || SecretIDPrefix("shop", "dev") != "agentcore/shop/dev/" {
		t.Fatalf("SecretID = %q", id)
	}
}

func TestSecretValueErrors(t *testing.T) {
	for name, c := range map[string]struct{ src, want string }{
		"bad chars":     {`environment = { K = { secret = "a b" } }`, `K: secret name "a b" is invalid`},
		"empty":         {`environment = { K = { secret = "" } }`, `K: secret name "" is empty`},
		"arn suffix":    {`environment = { K = { secret = "key-AbC123" } }`, "mistakes for an ARN's suffix"},
		"slash ends":    {`environment = { K = { secret = "a/" } }`, "is invalid"},
		"too long":      {`environment = { K = { secret = "` + strings.Repeat("a", 129) + `" } }`, "at most 128"},
		"extra key":     {`environment = { K = { secret = "a", env = "B" } }`, `K must be a string, { env = "VARIABLE" }`},
		"build arg":     {`build_args = { K = { secret = "a" } }`, "build_args.K names a Secrets Manager secret"},
		"not a string":  {`environment = { K = { secret = 3 } }`, `K must be a string`},
		"variables too": {"[environments.dev]\nprovider = \"local\"\nvariables = { K = { secret = \"a b\" } }", `secret name "a b" is invalid`},
	} {
		t.Run(name, func(t *testing.T) {
			src := "[agents.a]\ndockerfile = \"D\"\n" + c.src + "\n"
			_, err := parse(t, src)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}
