package templates

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The CI deploy role: assumable only with a web identity token of one repository and branch
// (aud and sub both pinned with StringEquals, no wildcard), its provider made only when the
// stack is told to, the role out of reach of its own agentcore-PREFIX-* patterns, and every
// resource in the caller's account.
func TestCIRoleShape(t *testing.T) {
	const name = "ci-role.yaml"
	doc := load(t, name)
	if got, want := keys(doc["Parameters"]), []string{"Audience", "CodeBucketArns", "CreateProvider", "Environment",
		"NamePrefix", "PermissionsBoundary", "Project", "ProviderHost", "RoleName", "RuntimePrefix", "Subject"}; !reflect.DeepEqual(got, want) {
		t.Errorf("parameters %v, want %v", got, want)
	}
	if got, want := keys(doc["Outputs"]), []string{"ProviderArn", "ProviderCreated", "RoleArn", "RoleName"}; !reflect.DeepEqual(got, want) {
		t.Errorf("outputs %v, want %v", got, want)
	}
	body, _ := FS.ReadFile(name)
	for _, p := range keys(doc["Parameters"]) {
		if !strings.Contains(string(body), "!Ref "+p) && !strings.Contains(string(body), "${"+p+"}") {
			t.Errorf("parameter %s is never used", p)
		}
	}
	res := doc["Resources"].(map[string]any)
	prov := res["Provider"].(map[string]any)
	if prov["Type"] != "AWS::IAM::OIDCProvider" || prov["Condition"] != "MakeProvider" {
		t.Errorf("provider %v: must be an AWS::IAM::OIDCProvider under the MakeProvider condition", prov)
	}
	role := res["Role"].(map[string]any)["Properties"].(map[string]any)
	if role["Path"] != "/agentcore-ci/" {
		t.Errorf("role path %v", role["Path"])
	}
	trust := role["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)
	if len(trust) != 1 {
		t.Fatalf("trust statements %v", trust)
	}
	branches := trust[0].(map[string]any)["Fn::If"].([]any)
	if branches[0] != "IsGitHub" {
		t.Fatalf("trust %v", trust[0])
	}
	for i, host := range []string{"token.actions.githubusercontent.com", "gitlab.com"} {
		st := branches[i+1].(map[string]any)
		if st["Action"] != "sts:AssumeRoleWithWebIdentity" || st["Effect"] != "Allow" {
			t.Errorf("%s: trust %v", host, st)
		}
		fed := fmt.Sprint(st["Principal"].(map[string]any)["Federated"])
		if !strings.Contains(fed, ":oidc-provider/${ProviderHost}") || !strings.Contains(fed, "${AWS::AccountId}") {
			t.Errorf("%s: federated principal %s", host, fed)
		}
		cond := st["Condition"].(map[string]any)
		if len(cond) != 1 {
			t.Errorf("%s: conditions %v: StringEquals only (StringLike would allow wildcards)", host, keys(cond))
		}
		eq := cond["StringEquals"].(map[string]any)
		if !reflect.DeepEqual(eq[host+":aud"], map[string]any{"Ref": "Audience"}) || !reflect.DeepEqual(eq[host+":sub"], map[string]any{"Ref": "Subject"}) {
			t.Errorf("%s: StringEquals %v, want %s:aud = Audience and %s:sub = Subject", host, eq, host, host)
		}
	}
	stmts := role["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
	for _, s := range stmts {
		m := s.(map[string]any)
		if br, ok := m["Fn::If"].([]any); ok {
			m = br[1].(map[string]any)
		}
		rs, ok := strings1(m["Resource"])
		if !ok {
			var subs []string
			for _, r := range asList(m["Resource"]) {
				sub, isSub := r.(map[string]any)["Fn::Sub"].(string)
				ref, isRef := r.(map[string]any)["Ref"].(string)
				switch {
				case isSub:
					subs = append(subs, sub)
				case isRef && ref == "CodeBucketArns":
				default:
					t.Errorf("%v: resource %v is neither a !Sub nor the CodeBucketArns list", m["Sid"], r)
				}
			}
			rs = subs
		}
		for _, r := range rs {
			if r == "*" {
				continue // the lint checks these against its allow-list
			}
			if !strings.Contains(r, "${AWS::AccountId}") {
				t.Errorf("%v: resource %s is not in the caller's account", m["Sid"], r)
			}
			// AgentCore's network service-linked role, which only AWS can give permissions to
			const slr = ":role/aws-service-role/network.bedrock-agentcore.amazonaws.com/"
			if strings.Contains(r, ":role/") && !strings.Contains(r, ":role/agentcore-${NamePrefix}-") && !strings.Contains(r, slr) {
				t.Errorf("%v: role resource %s", m["Sid"], r)
			}
		}
		if m["Sid"] == "PassExecutionRolesToAgentCore" {
			pass := m["Condition"].(map[string]any)["StringEquals"].(map[string]any)["iam:PassedToService"]
			if pass != "bedrock-agentcore.amazonaws.com" {
				t.Errorf("PassRole to %v", pass)
			}
		}
	}
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}
