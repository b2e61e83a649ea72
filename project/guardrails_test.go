package project

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const guarded = `
[project]
name = "shop"
permissions_boundary = "arn:aws:iam::123456789012:policy/Boundary"
tags = { CostCenter = "1234", Team = "web" }

[agents.my-bot]
dockerfile = "agents/bot/Dockerfile"

[environments.dev]
provider = "local"

[environments.prod]
provider = "aws"
region = "eu-west-1"
permissions_boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
network = { subnets = ["subnet-0123456789abcdef0", "subnet-abcdef01"], security_groups = ["sg-0123456789abcdef0"] }
tags = { Team = "payments", "Data Class" = "internal" }
`

func TestGuardrails(t *testing.T) {
	p, err := parse(t, guarded)
	if err != nil {
		t.Fatal(err)
	}
	dev, prod := p.Environments["dev"], p.Environments["prod"]
	if dev.PermissionsBoundary != "arn:aws:iam::123456789012:policy/Boundary" || dev.Network != nil {
		t.Errorf("dev: boundary %q network %v", dev.PermissionsBoundary, dev.Network)
	}
	if want := map[string]string{"CostCenter": "1234", "Team": "web"}; !reflect.DeepEqual(dev.Tags, want) {
		t.Errorf("dev tags %v, want %v", dev.Tags, want)
	}
	if prod.PermissionsBoundary != "arn:aws:iam::aws:policy/PowerUserAccess" {
		t.Errorf("prod boundary %q", prod.PermissionsBoundary)
	}
	if want := map[string]string{"CostCenter": "1234", "Team": "payments", "Data Class": "internal"}; !reflect.DeepEqual(prod.Tags, want) {
		t.Errorf("prod tags %v, want %v (the environment wins)", prod.Tags, want)
	}
	if n := prod.Network; n == nil || len(n.Subnets) != 2 || n.SecurityGroups[0] != "sg-0123456789abcdef0" {
		t.Errorf("prod network %+v", n)
	}
}

func manyTags(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "K%d = \"v\"\n", i)
	}
	return b.String()
}

func TestGuardrailsBadInput(t *testing.T) {
	base := "[project]\nname = \"shop\"\n[agents.a]\ndockerfile = \"a/Dockerfile\"\n[environments.prod]\nprovider = \"aws\"\nregion = \"us-east-1\"\n"
	for _, tc := range []struct{ name, extra, want string }{
		{"role not policy", "permissions_boundary = \"arn:aws:iam::123456789012:role/Boundary\"\n", "agentcore.toml:8:1: permissions_boundary \"arn:aws:iam::123456789012:role/Boundary\" is not an IAM policy ARN"},
		{"name only", "permissions_boundary = \"Boundary\"\n", "is not an IAM policy ARN"},
		{"subnet az", "network = { subnets = [\"use1-az1\"], security_groups = [\"sg-0123456789abcdef0\"] }\n", "network.subnets[1] = \"use1-az1\" is not a subnet ID"},
		{"subnet arn", "network = { subnets = [\"arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0123456789abcdef0\"], security_groups = [\"sg-0123456789abcdef0\"] }\n", "is not a subnet ID"},
		{"no sg", "network = { subnets = [\"subnet-0123456789abcdef0\"], security_groups = [] }\n", "network.security_groups has 0 entries; AgentCore needs 1 to 16"},
		{"17 subnets", "network = { subnets = [" + strings.Repeat("\"subnet-0123456789abcdef0\",", 17) + "], security_groups = [\"sg-0123456789abcdef0\"] }\n", "network.subnets has 17 entries"},
		{"aws key", "tags = { \"aws:createdBy\" = \"me\" }\n", "agentcore.toml:8:10: tag key \"aws:createdBy\" starts with aws:"},
		{"agentcore key", "tags = { \"agentcore:agent\" = \"x\" }\n", "reserves"},
		{"number", "tags = { CostCenter = 1234 }\n", "tags.CostCenter must be a string"},
		{"51 tags", "[environments.prod.tags]\n" + manyTags(51), "tags has 51 tags; AWS accepts at most 50 per resource"},
		{"46 tags", "[environments.prod.tags]\n" + manyTags(46), "so at most 45: remove 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, base+tc.extra)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// [project] tags with the environment's over the limit, together
	_, err := parse(t, "[project]\nname = \"shop\"\n[project.tags]\n"+manyTags(30)+"[environments.prod]\nprovider = \"local\"\n[environments.prod.tags]\n"+strings.ReplaceAll(manyTags(46), "K", "E"))
	if err == nil || !strings.Contains(err.Error(), "tags has 46 tags") {
		t.Fatalf("merged: %v", err)
	}
	_, err = parse(t, "[project]\nname = \"shop\"\n[project.tags]\n"+manyTags(30)+"[environments.prod]\nprovider = \"local\"\n[environments.prod.tags]\n"+strings.ReplaceAll(manyTags(20), "K", "E"))
	if err == nil || !strings.Contains(err.Error(), `environment "prod" gets ([project] tags and its own) 50 tags`) {
		t.Fatalf("merged: %v", err)
	}
}

// A runtime's network is part of its configuration: setting or changing it changes the
// config hash; an agent without one keeps the hash it had before networks existed.
func TestNetworkInConfigHash(t *testing.T) {
	key := []byte("k")
	a := &Agent{Name: "a", Protocol: "HTTP"}
	plain := a.ConfigHash(key, nil)
	a.Network = &Network{Subnets: []string{"subnet-0123456789abcdef0"}, SecurityGroups: []string{"sg-0123456789abcdef0"}}
	vpc := a.ConfigHash(key, nil)
	a.Network = &Network{Subnets: []string{"subnet-abcdef01"}, SecurityGroups: []string{"sg-0123456789abcdef0"}}
	other := a.ConfigHash(key, nil)
	a.Network = nil
	if plain == vpc || vpc == other || a.ConfigHash(key, nil) != plain {
		t.Fatalf("hashes: none %s, vpc %s, other subnet %s, none again %s", plain, vpc, other, a.ConfigHash(key, nil))
	}
}
