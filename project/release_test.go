package project

import (
	"strings"
	"testing"
)

const releaseBase = `
[project]
name = "demo"

[agents.bot]
dockerfile = "agents/bot/Dockerfile"

[[agents.bot.smoke]]
prompt = "hi"
expect = "hello"

[[agents.bot.smoke]]
payload = { question = "sum", a = 2 }
expect_json = { "result.ok" = true, answer = { value = 4 } }
timeout = "5s"

[environments.dev]
provider = "local"

[environments.prod-us]
provider = "local"
release = "canary"

[environments.prod-eu]
provider = "local"
release = "canary"

[[environments.prod-eu.agents.bot.smoke]]
prompt = "bonjour"
expect = "salut"

[rollouts.main]
through = ["dev", "prod-us|prod-eu"]
`

func TestSmokeAndRollouts(t *testing.T) {
	p, err := parse(t, releaseBase)
	if err != nil {
		t.Fatal(err)
	}
	checks := p.Environments["dev"].Agents["bot"].Smoke
	if len(checks) != 2 || checks[0].Prompt != "hi" || checks[0].Expect != "hello" || checks[0].Timeout != 30 || checks[0].Line != 8 {
		t.Fatalf("checks = %+v", checks)
	}
	if checks[1].Payload != `{"a":2,"question":"sum"}` || checks[1].Timeout != 5 || checks[1].ExpectJSON["result.ok"] != true ||
		checks[1].ExpectJSON["answer.value"] != int64(4) || checks[1].Line != 12 {
		t.Fatalf("check 2 = %+v", checks[1])
	}
	if eu := p.Environments["prod-eu"].Agents["bot"].Smoke; len(eu) != 1 || eu[0].Prompt != "bonjour" {
		t.Fatalf("override: %+v", eu)
	}
	if p.Environments["dev"].Release != "direct" || p.Environments["prod-us"].Release != "canary" {
		t.Fatal("release modes")
	}
	waves, from, err := p.RolloutWaves("")
	if err != nil || from != "[rollouts.main]" || len(waves) != 2 || strings.Join(waves[1], "|") != "prod-us|prod-eu" {
		t.Fatalf("waves %v %q %v", waves, from, err)
	}
	waves, _, err = p.RolloutWaves("dev, prod-us | prod-eu")
	if err != nil || len(waves) != 2 || len(waves[1]) != 2 {
		t.Fatalf("flag waves %v %v", waves, err)
	}
	for spec, want := range map[string]string{
		"dev,prod-uss": `environment "prod-uss" is not defined (did you mean "prod-us"?)`,
		"dev,dev":      `environment "dev" appears twice`,
		"dev,,prod-us": `wave 2 names an empty environment`,
		"mian":         `did you mean the rollout "main"?`,
	} {
		if _, _, err := p.RolloutWaves(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %s", spec, err, want)
		}
	}
}

func TestSmokeProblems(t *testing.T) {
	src := strings.Replace(releaseBase, `timeout = "5s"`, `timeout = "2h"`, 1)
	src = strings.Replace(src, `expect = "salut"`, `expekt = "salut"`, 1)
	src = strings.Replace(src, `release = "canary"`, `release = "canery"`, 1)
	src += "\n[[agents.bot.smoke]]\nexpect = \"x\"\n\n[rollouts.dev]\nthrough = [\"dev\", \"nope\"]\n"
	_, err := parse(t, src)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		`agentcore.toml:15:1: smoke check 2: timeout 2h is not a duration from 1s to 15m`,
		`:22:1: release "canery" is not one of canary, direct (did you mean "canary"?)`,
		`unknown key "expekt" in [environments.prod-eu.agents.bot.smoke] (did you mean "expect"?)`,
		`smoke check 3 needs prompt = "..."`,
		`rollout "dev" has the name of an environment`,
		`rollout "dev": environment "nope" is not defined`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
}

func TestParseSmokeFlag(t *testing.T) {
	c, err := ParseSmokeFlag("what is 2+2? => 4")
	if err != nil || c.Prompt != "what is 2+2?" || c.Expect != "4" {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = ParseSmokeFlag(`{"prompt": "hi", "expect_json": {"answer.value": 4}, "timeout": 10}`)
	if err != nil || c.Timeout != 10 || c.ExpectJSON["answer.value"] != float64(4) {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := ParseSmokeFlag(`{"promt": "hi"}`); err == nil || !strings.Contains(err.Error(), `did you mean "prompt"`) {
		t.Fatal(err)
	}
	if _, err := ParseSmokeFlag(`=>x`); err == nil {
		t.Fatal("no prompt accepted")
	}
}

// An MCP server's checks call tools; other agents' send prompts: each mistake is said with
// its position.
func TestToolSmokeChecks(t *testing.T) {
	src := `
[project]
name = "demo"

[agents.calc]
dockerfile = "agents/calc/Dockerfile"
protocol = "MCP"

[[agents.calc.smoke]]
tool = "add"
args = { a = 2, b = 2 }
expect = "4"
expect_json = { sum = 4 }

[[agents.calc.smoke]]
tool = "echo"
args = '{"text": "hi"}'

[environments.dev]
provider = "local"
`
	p, err := parse(t, src)
	if err != nil {
		t.Fatal(err)
	}
	checks := p.Environments["dev"].Agents["calc"].Smoke
	if len(checks) != 2 || checks[0].Tool != "add" || checks[0].Args != `{"a":2,"b":2}` || checks[1].Args != `{"text": "hi"}` {
		t.Fatalf("checks %+v", checks)
	}
	bad := strings.Replace(src, `tool = "echo"`, `prompt = "echo"`, 1)
	bad = strings.Replace(bad, `expect = "4"`, "expect = \"4\"\nprompt = \"x\"", 1)
	bad += `
[agents.bot]
dockerfile = "agents/bot/Dockerfile"

[[agents.bot.smoke]]
tool = "add"

[[agents.bot.smoke]]
prompt = "hi"
args = [1, 2]
`
	_, err = parse(t, bad)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		`agentcore.toml:10:1: smoke check 1 has both tool and prompt`,
		`smoke check 2: the agent is an MCP server (protocol = "MCP"): check a tool`,
		`smoke check 2: args goes with tool = "NAME"`,
		`smoke check 1 calls tool "add", but the agent serves protocol HTTP: tool is for MCP servers`,
		`smoke check 2: args must be a table`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
}
