package mcp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/builtins/jsonmod"
	"github.com/agentcore/agentcore/builtins/mcp"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
	"github.com/agentcore/agentcore/local/auth"
)

type addArgs struct {
	A float64 `json:"a" jsonschema:"the first number"`
	B float64 `json:"b" jsonschema:"the second number"`
}

type sumOut struct {
	Sum float64 `json:"sum"`
}

// server is a stateless MCP server with tools add and echo and one resource and prompt, behind
// a check of each request: SigV4 with awstest's keys, or a bearer token. It records the
// session ids it was sent and answers each initialize with a new one, as AgentCore does.
type server struct {
	URL    string
	mu     sync.Mutex
	seen   []string // Mcp-Session-Id of each request ("" for none)
	issued int
}

func newServer(t *testing.T, bearer string) *server { return newServerWith(t, bearer) }

func newServerTB(tb testing.TB) *server { return newServerWith(tb, "") }

func newServerWith(t testing.TB, bearer string) *server {
	t.Helper()
	s := sdk.NewServer(&sdk.Implementation{Name: "calc", Version: "0.1"}, nil)
	sdk.AddTool(s, &sdk.Tool{Name: "add", Description: "Adds two numbers"}, func(ctx context.Context, req *sdk.CallToolRequest, in addArgs) (*sdk.CallToolResult, sumOut, error) {
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: fmt.Sprint(in.A + in.B)}}}, sumOut{in.A + in.B}, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "fail", Description: "Always fails"}, func(ctx context.Context, req *sdk.CallToolRequest, in struct{}) (*sdk.CallToolResult, any, error) {
		return nil, nil, fmt.Errorf("it went wrong")
	})
	s.AddResource(&sdk.Resource{URI: "file:///readme", Name: "readme", MIMEType: "text/plain"}, func(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
		return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: "file:///readme", Text: "hi"}}}, nil
	})
	s.AddPrompt(&sdk.Prompt{Name: "greet", Arguments: []*sdk.PromptArgument{{Name: "who", Required: true}}}, func(ctx context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
		return &sdk.GetPromptResult{}, nil
	})
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s }, &sdk.StreamableHTTPOptions{Stateless: true})
	v := &auth.Verifier{Creds: auth.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing"}}
	srv := &server{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if bearer != "" {
			if r.Header.Get("Authorization") != "Bearer "+bearer {
				http.Error(w, "bad token", http.StatusUnauthorized)
				return
			}
		} else if id, f := v.Verify(r); f != nil {
			http.Error(w, f.Msg, http.StatusForbidden)
			return
		} else if id.Service != "bedrock-agentcore" || id.Region != "us-east-1" {
			http.Error(w, "scope "+id.Scope, http.StatusForbidden)
			return
		}
		if r.Header.Get("X-Custom") != "yes" {
			http.Error(w, "no custom header", http.StatusBadRequest)
			return
		}
		srv.mu.Lock()
		sid := r.Header.Get("Mcp-Session-Id")
		srv.seen = append(srv.seen, sid)
		if sid == "" || sid == "gone-0000000000000000000000000000000" {
			if sid != "" { // a session the platform no longer knows
				srv.mu.Unlock()
				http.Error(w, "session not found", http.StatusNotFound)
				return
			}
			srv.issued++
			sid = fmt.Sprintf("session-%d-00000000000000000000000000000", srv.issued)
		}
		srv.mu.Unlock()
		w.Header().Set("Mcp-Session-Id", sid)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	srv.URL = hs.URL + "/mcp"
	return srv
}

func harness(t *testing.T) *enginetest.Harness {
	t.Helper()
	h := enginetest.New(t, mcp.New(awstest.AWS()), jsonmod.Module)
	awstest.UseEnv(t, h, "http://127.0.0.1:1") // credentials only: nothing calls the AWS endpoint
	return h
}

// defineURL sets the global URL the test's Lua uses.
func defineURL(t *testing.T, h *enginetest.Harness, url string) {
	t.Helper()
	h.Do(t, fmt.Sprintf("URL = %q", url))
}

func TestToolsAndCallSigned(t *testing.T) {
	srv := newServer(t, "")
	h := harness(t)
	defineURL(t, h, srv.URL)
	h.Do(t, `
		local opts = {sigv4 = true, headers = {["X-Custom"] = "yes"}}
		local l = mcp.tools(URL, opts)
		assert(#l.tools == 2, "tools: " .. #l.tools)
		local add = l.tools[1].name == "add" and l.tools[1] or l.tools[2]
		assert(add.name == "add" and add.description == "Adds two numbers", json.encode(add))
		assert(#add.args == 2 and add.args[1].name == "a" and add.args[1].type == "number" and add.args[1].required, json.encode(add.args))
		assert(l.session_id == "session-1-00000000000000000000000000000", l.session_id)
		assert(l.server == "calc 0.1", l.server)

		opts.session_id = l.session_id
		opts.sigv4 = {service = "bedrock-agentcore", region = "us-east-1"}
		local r = mcp.call(URL, "add", {a = 2, b = 2}, opts)
		assert(r.text == "4" and not r.isError, json.encode(r))
		assert(r.structuredContent.sum == 4, json.encode(r))
		assert(r.session_id == l.session_id, r.session_id)

		r = mcp.call(URL, "add", '{"a": 1.5, "b": 2}', opts)
		assert(r.text == "3.5", r.text)

		-- arguments that do not match the schema: the SDK's server answers a tool error, which
		-- a model could correct
		r = mcp.call(URL, "add", {a = "x"}, opts)
		assert(r.isError, json.encode(r))

		r = mcp.call(URL, "fail", nil, opts)
		assert(r.isError and r.text:find("it went wrong"), json.encode(r))

		local res = mcp.resources(URL, opts)
		assert(#res.resources == 1 and res.resources[1].uri == "file:///readme", json.encode(res))
		local p = mcp.prompts(URL, opts)
		assert(#p.prompts == 1 and p.prompts[1].arguments[1].name == "who" and p.prompts[1].arguments[1].required, json.encode(p))
	`)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	// the first call starts a session; every later one resumes it, from its first request on
	if srv.issued != 1 {
		t.Errorf("%d sessions issued, want 1 (seen %q)", srv.issued, srv.seen)
	}
}

func TestSessionGoneStartsANewOne(t *testing.T) {
	srv := newServer(t, "")
	h := harness(t)
	defineURL(t, h, srv.URL)
	h.Do(t, `
		local r = mcp.call(URL, "add", {a = 1, b = 1}, {sigv4 = true, headers = {["X-Custom"] = "yes"}, session_id = "gone-0000000000000000000000000000000"})
		assert(r.text == "2", r.text)
		assert(r.session_id == "session-1-00000000000000000000000000000", r.session_id)
	`)
}

func TestBearer(t *testing.T) {
	srv := newServer(t, "tok-123")
	h := harness(t)
	defineURL(t, h, srv.URL)
	h.Do(t, `
		local l = mcp.tools(URL, {bearer = "tok-123", headers = {["X-Custom"] = "yes"}})
		assert(#l.tools == 2)
	`)
	err := h.Err(`mcp.tools(URL, {bearer = "wrong", headers = {["X-Custom"] = "yes"}})`)
	if err == nil || engine.ExitCode(err) != engine.ExitFailure {
		t.Fatalf("a wrong token: %v (exit %d)", err, engine.ExitCode(err))
	}
}

func TestUnsignedIsRefused(t *testing.T) {
	srv := newServer(t, "")
	h := harness(t)
	defineURL(t, h, srv.URL)
	err := h.Err(`mcp.tools(URL, {headers = {["X-Custom"] = "yes"}})`)
	if err == nil || !strings.Contains(err.Error(), "403") && !strings.Contains(err.Error(), "Forbidden") {
		t.Fatalf("unsigned: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	srv := newServer(t, "")
	h := harness(t)
	defineURL(t, h, srv.URL)
	for _, tc := range []struct{ src, want string }{
		{`mcp.call(URL, "add", '{"a": 2,', {sigv4 = true})`, "not a JSON object"},
		{`mcp.call(URL, "add", '[1, 2]', {sigv4 = true})`, "not a JSON object"},
		{`mcp.call(URL, "add", {1, 2}, {sigv4 = true})`, "not a list"},
		{`mcp.tools("ftp://x", {})`, "not an http(s) URL"},
		{`mcp.tools(URL, {sigv4 = true, bearer = "x"})`, "both"},
		{`mcp.tools(URL, {sigv = true})`, "sigv4"},
		{`mcp.tools(URL, {sigv4 = true, headers = {["X-Amzn-Bedrock-AgentCore-Runtime-User-Id"] = "a\nb"}})`, "control character"},
		{`mcp.call(URL, "nosuch", {}, {sigv4 = true, headers = {["X-Custom"] = "yes"}})`, "nosuch"},
	} {
		err := h.Err(tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) || engine.ExitCode(err) != engine.ExitUsage {
			t.Errorf("%s: %v (exit %d), want exit 2 with %q", tc.src, err, engine.ExitCode(err), tc.want)
		}
	}
}

// BenchmarkCall is one mcp.call through Lua: a new MCP session (initialize, initialized) and
// tools/call, each request SigV4-signed and verified, against a server on loopback.
func BenchmarkCall(b *testing.B) {
	srv := newServerTB(b)
	h := enginetest.New(b, mcp.New(awstest.AWS()), jsonmod.Module)
	awstest.UseEnv(b, h, "http://127.0.0.1:1")
	h.Do(b, fmt.Sprintf("URL = %q", srv.URL))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Do(b, `assert(mcp.call(URL, "add", {a = 1, b = 2}, {sigv4 = true, headers = {["X-Custom"] = "yes"}}).text == "3")`)
	}
}
