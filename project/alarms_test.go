package project

import (
	"strings"
	"testing"
)

func TestAlarms(t *testing.T) {
	p, err := parse(t, `
[project]
name = "shop"
[agents.bot]
dockerfile = "D"
[agents.bot.alarms]
errors = 5
notify = ["ops@example.com", "arn:aws:sns:eu-west-1:123456789012:oncall"]
[environments.prod]
provider = "aws"
region = "eu-west-1"
[environments.prod.agents.bot.alarms]
latency_p99_ms = 3000
`)
	if err != nil {
		t.Fatal(err)
	}
	base := p.Agents["bot"].Alarms
	if base == nil || base.Errors != 5 || base.LatencyP99Ms != 0 || len(base.Notify) != 2 {
		t.Fatalf("base alarms = %+v", base)
	}
	prod := p.Environments["prod"].Agents["bot"].Alarms
	if prod == nil || prod.Errors != 5 || prod.LatencyP99Ms != 3000 || strings.Join(prod.Notify, ",") != "ops@example.com,arn:aws:sns:eu-west-1:123456789012:oncall" {
		t.Fatalf("prod alarms = %+v", prod)
	}
	if base.LatencyP99Ms != 0 {
		t.Fatal("the environment's override changed the base agent")
	}
}

func TestAlarmsErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"errors = 0", "alarms.errors = 0"},
		{"latency_p99_ms = -1", "alarms.latency_p99_ms = -1"},
		{`errors = 1` + "\n" + `notify = ["not-an-address"]`, `"not-an-address" is neither an e-mail address nor an SNS topic ARN`},
		{`errors = 1` + "\n" + `notify = ["arn:aws:sns:eu-west-1:12:x"]`, "is not an SNS topic ARN"},
		{`errors = 1` + "\n" + `notify = ["a@x.io", "b@x.io", "c@x.io", "d@x.io"]`, "4 e-mail addresses; at most 3"},
		{`notify = ["a@x.io"]`, "no alarm is"},
		{`errors = 1` + "\n" + `endpoint = "sta-ble"`, `alarms.endpoint = "sta-ble" is not an endpoint name`},
		{"error = 5", `unknown key "error" in [agents.bot.alarms] (did you mean "errors"?)`},
	} {
		_, err := parse(t, "[agents.bot]\ndockerfile = \"D\"\n[agents.bot.alarms]\n"+tc.body+"\n")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.body, err, tc.want)
		}
	}
	// positions: the problem names the line of the key
	_, err := parse(t, "[agents.bot]\ndockerfile = \"D\"\n[agents.bot.alarms]\nerrors = 0\n")
	if err == nil || !strings.Contains(err.Error(), ":4:") {
		t.Errorf("error %v has no position of line 4", err)
	}
}
