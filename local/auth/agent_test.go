package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/agentcore/agentcore/local/auth"
)

// An agent's key pair and session token verify only together, for the runtime they were made
// for, and only while that runtime lives; the guard lets an agent reach Route.Agent operations
// alone, and the agents' listener (Guard.Host) nothing but those, to agents alone.
func TestAgentCredentials(t *testing.T) {
	owner, err := auth.Generate()
	if err != nil {
		t.Fatal(err)
	}
	a, b := owner.Agent("rt_a-0123456789"), owner.Agent("rt_b-0123456789")
	if a == b || a != owner.Agent("rt_a-0123456789") || !strings.HasPrefix(a.AccessKeyID, auth.AgentKeyPrefix) || len(a.AccessKeyID) != 20 || len(a.SecretAccessKey) != 40 {
		t.Fatalf("agent credentials: %+v %+v", a, b)
	}
	other, _ := auth.Generate()
	if other.Agent("rt_a-0123456789") == a {
		t.Fatal("another endpoint's secret derives the same agent credentials")
	}
	live := map[string]bool{"rt_a-0123456789": true, "rt_b-0123456789": true}
	var got *auth.Identity
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = auth.FromContext(r.Context()) })
	guard := func(host string) *auth.Guard {
		return &auth.Guard{Creds: owner, Port: "4777", Host: host, Next: next, AgentLive: func(id string) bool { return live[id] },
			Classify: func(r *http.Request) auth.Route {
				return auth.Route{Protocol: auth.RestJSON, Agent: strings.HasPrefix(r.URL.Path, "/data"), Op: "Op" + r.URL.Path}
			}}
	}
	now := time.Now()
	call := func(g *auth.Guard, host, path string, c aws.Credentials) (int, string) {
		got = nil
		req := httptest.NewRequest(http.MethodPost, "http://"+host+path, nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), c, req, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "bedrock-agentcore", "us-east-1", now); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, req)
		return w.Code, w.Header().Get("X-Amzn-ErrorType") + " " + w.Body.String()
	}
	creds := func(c auth.AgentCredentials) aws.Credentials {
		return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	}
	loop, gw := guard(""), guard("172.18.0.1:4777")

	if code, _ := call(loop, "127.0.0.1:4777", "/data", creds(a)); code != 200 || got == nil || got.Agent != "rt_a-0123456789" {
		t.Fatalf("an agent's data-plane call: %d %+v", code, got)
	}
	if code, body := call(loop, "127.0.0.1:4777", "/control", creds(a)); code != 403 || !strings.Contains(body, "AccessDeniedException") || !strings.Contains(body, "agent runtime rt_a-0123456789") || !strings.Contains(body, "Op/control") {
		t.Fatalf("an agent's control-plane call: %d %s", code, body)
	}
	if code, _ := call(loop, "127.0.0.1:4777", "/control", owner.AWS()); code != 200 || got.Agent != "" {
		t.Fatalf("the owner's call: %d", code)
	}
	mixed := creds(a)
	mixed.SessionToken = b.SessionToken
	if code, body := call(loop, "127.0.0.1:4777", "/data", mixed); code != 403 || !strings.Contains(body, "UnrecognizedClientException") {
		t.Fatalf("a's key pair with b's session token: %d %s", code, body)
	}
	noToken := creds(a)
	noToken.SessionToken = ""
	if code, body := call(loop, "127.0.0.1:4777", "/data", noToken); code != 403 || !strings.Contains(body, "UnrecognizedClientException") {
		t.Fatalf("an agent's key pair without its session token: %d %s", code, body)
	}
	wrongSecret := creds(a)
	wrongSecret.SecretAccessKey = b.SecretAccessKey
	if code, body := call(loop, "127.0.0.1:4777", "/data", wrongSecret); code != 403 || !strings.Contains(body, "InvalidSignatureException") {
		t.Fatalf("an agent's request signed with another secret: %d %s", code, body)
	}

	// The agents' listener: agents' data-plane calls only, on its own address only.
	if code, _ := call(gw, "172.18.0.1:4777", "/data", creds(b)); code != 200 || got.Agent != "rt_b-0123456789" {
		t.Fatalf("an agent's data-plane call on the agents' listener: %d", code)
	}
	if code, body := call(gw, "172.18.0.1:4777", "/data", owner.AWS()); code != 403 || !strings.Contains(body, "AccessDeniedException") {
		t.Fatalf("the owner on the agents' listener: %d %s", code, body)
	}
	if code, _ := call(gw, "172.18.0.1:4777", "/control", creds(b)); code != 403 {
		t.Fatalf("an agent's control-plane call on the agents' listener: %d", code)
	}
	if code, _ := call(gw, "127.0.0.1:4777", "/data", creds(b)); code != 403 {
		t.Fatalf("the agents' listener answering a loopback Host: %d", code)
	}

	delete(live, "rt_a-0123456789")
	if code, body := call(loop, "127.0.0.1:4777", "/data", creds(a)); code != 403 || !strings.Contains(body, "UnrecognizedClientException") || !strings.Contains(body, "no longer exists") {
		t.Fatalf("a deleted runtime's credentials: %d %s", code, body)
	}
}
