package gateway

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestDiff(t *testing.T) {
	live := &Gateway{AuthType: "iam", Description: "tools", Search: true, RoleARN: "arn:aws:iam::123456789012:role/a"}
	sp := Spec{AuthType: "iam", Description: "tools", Search: true}
	if got := diff(live, sp, "arn:aws:iam::123456789012:role/a"); len(got) != 0 {
		t.Fatalf("no difference expected: %+v", got)
	}
	sp = Spec{AuthType: "jwt", DiscoveryURL: "https://i.example.com/.well-known/openid-configuration", Clients: []string{"b", "a"}, Description: "new"}
	got := diff(live, sp, "arn:aws:iam::123456789012:role/b")
	want := []string{"description", "auth", "search", "role_arn"}
	if len(got) != len(want) {
		t.Fatalf("diff: %+v", got)
	}
	for i, w := range want {
		if got[i].What != w {
			t.Errorf("change %d is %s, want %s", i, got[i].What, w)
		}
	}
	if got[1].Now != "jwt https://i.example.com/.well-known/openid-configuration clients=a,b audience=" {
		t.Errorf("auth words: %q", got[1].Now)
	}
	// the allowed clients' order is not a difference
	live = &Gateway{AuthType: "jwt", DiscoveryURL: sp.DiscoveryURL, Clients: []string{"a", "b"}, Description: "new"}
	if got := diff(live, sp, ""); len(got) != 0 {
		t.Errorf("same auth in another order: %+v", got)
	}
}

func TestTargetHash(t *testing.T) {
	a := TargetSpec{Type: "openapi", payload: "openapi: 3.0.3", CredentialARN: "arn:1", CredentialType: "api_key"}
	b := a
	if targetHash(&a) != targetHash(&b) {
		t.Fatal("same spec, different hashes")
	}
	b.payload = "openapi: 3.1.0"
	c := a
	c.CredentialParameter = "X-Api-Key"
	if targetHash(&a) == targetHash(&b) || targetHash(&a) == targetHash(&c) {
		t.Error("a changed schema or credential parameter keeps the hash")
	}
}

func TestTargetInput(t *testing.T) {
	// an mcp target of the project's agent signs with the gateway's role
	_, creds, err := targetInput(TargetSpec{Name: "calc", Type: "mcp", Agent: "calc", Endpoint: "https://x/runtimes/a/invocations?qualifier=DEFAULT"})
	if err != nil || len(creds) != 1 || creds[0].CredentialProviderType != types.CredentialProviderTypeGatewayIamRole {
		t.Fatalf("mcp agent target: %+v, %v", creds, err)
	}
	// an API key sent in a query parameter
	_, creds, err = targetInput(TargetSpec{Name: "w", Type: "openapi", payload: "x", CredentialARN: "arn:k", CredentialType: "api_key", CredentialLocation: "query", CredentialParameter: "key"})
	k, ok := creds[0].CredentialProvider.(*types.CredentialProviderMemberApiKeyCredentialProvider)
	if err != nil || !ok || k.Value.CredentialLocation != types.ApiKeyCredentialLocationQueryParameter || *k.Value.CredentialParameterName != "key" {
		t.Fatalf("api key target: %+v, %v", creds, err)
	}
	// a credential not recorded yet is a failure before any call, not a target without auth
	if _, _, err := targetInput(TargetSpec{Name: "w", Type: "openapi", payload: "x", Credential: "key"}); err == nil || !strings.Contains(err.Error(), "not recorded") {
		t.Errorf("unrecorded credential: %v", err)
	}
	// Lambda tools become typed schemas; a type JSON Schema has and AgentCore lacks is refused
	tc, _, err := targetInput(TargetSpec{Name: "o", Type: "lambda", Function: "arn:f",
		payload: `[{"name": "get", "description": "d", "inputSchema": {"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "integer"}}}, "required": ["ids"]}}]`})
	if err != nil {
		t.Fatal(err)
	}
	l := tc.(*types.TargetConfigurationMemberMcp).Value.(*types.McpTargetConfigurationMemberLambda).Value
	tools := l.ToolSchema.(*types.ToolSchemaMemberInlinePayload).Value
	if len(tools) != 1 || tools[0].InputSchema.Properties["ids"].Items.Type != types.SchemaTypeInteger || tools[0].InputSchema.Required[0] != "ids" {
		t.Errorf("lambda tools: %+v", tools)
	}
	if _, _, err := targetInput(TargetSpec{Name: "o", Type: "lambda", payload: `[{"name": "get", "inputSchema": {"type": "null"}}]`}); err == nil || !strings.Contains(err.Error(), `type "null"`) {
		t.Errorf("null type: %v", err)
	}
}

func TestInbound(t *testing.T) {
	h := enginetest.New(t, New(nil))
	t.Setenv(TokenEnv, "")
	h.Do(t, `
		local i = gateway.inbound("iam")
		assert(i.sigv4 == true and i.bearer == nil, "iam signs")
		i = gateway.inbound("jwt", "tok-123")
		assert(i.bearer == "tok-123" and not i.sigv4, "jwt sends the token")
		local ok, err = pcall(gateway.inbound, "jwt")
		assert(not ok and err.code == 2 and tostring(err.message):find("none was given", 1, true), tostring(err and err.message))
	`)
	t.Setenv(TokenEnv, "from-env")
	h.Do(t, `assert(gateway.inbound("jwt").bearer == "from-env", "the variable")`)
}
