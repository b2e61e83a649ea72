package control

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestContractOf(t *testing.T) {
	for _, c := range []struct {
		config   string // protocolConfiguration; "" for none
		protocol string
		port     int
		path     string
	}{
		{"", "HTTP", 8080, "/invocations"},
		{`{"serverProtocol":"HTTP"}`, "HTTP", 8080, "/invocations"},
		{`{"serverProtocol":"MCP"}`, "MCP", 8000, "/mcp"},
		{`{"serverProtocol":"A2A"}`, "A2A", 9000, "/"},
		{`{"serverProtocol":"AGUI"}`, "AGUI", 8080, "/invocations"},
	} {
		var cfg runtimeConfig
		if c.config != "" {
			cfg.ProtocolConfiguration = json.RawMessage(c.config)
		}
		got := contractOf(cfg)
		if got.protocol != c.protocol || got.port != c.port || got.path != c.path || got.dockerPort() != strconv.Itoa(c.port)+"/tcp" {
			t.Errorf("%s: %+v", c.config, got)
		}
	}
}

// TestContractHealthy: each protocol's readiness check against real servers: the official MCP
// Go SDK's streamable handler, stateless and stateful (the ping needs no session); an A2A card;
// and what is not ready.
func TestContractHealthy(t *testing.T) {
	server := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	mcpSrv := func(stateless bool) *httptest.Server {
		mux := http.NewServeMux()
		mux.Handle("/mcp", mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{Stateless: stateless}))
		return httptest.NewServer(mux)
	}
	card := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == agentCardPath {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"name":"a","url":"http://x/","skills":[]}`))
			return
		}
		http.NotFound(w, r)
	}))
	defer card.Close()
	httpAgent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ping" {
			w.Write([]byte(`{"status":"Healthy"}`))
			return
		}
		http.NotFound(w, r)
	}))
	defer httpAgent.Close()
	mcpContract := contract{protocol: protocolMCP, port: 8000, path: "/mcp"}
	a2a := contract{protocol: protocolA2A, port: 9000, path: "/"}
	plain := contract{protocol: protocolHTTP, port: 8080, path: "/invocations"}
	addr := func(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }
	for _, stateless := range []bool{true, false} {
		s := mcpSrv(stateless)
		if ok, answer, err := mcpContract.healthy(context.Background(), http.DefaultClient, addr(s)); !ok {
			t.Errorf("MCP server (stateless %v) not ready: %s %v", stateless, answer, err)
		}
		s.Close()
	}
	for _, c := range []struct {
		name string
		c    contract
		srv  *httptest.Server
		want bool
	}{
		{"A2A card", a2a, card, true},
		{"HTTP ping", plain, httpAgent, true},
		{"MCP on an HTTP agent", mcpContract, httpAgent, false},
		{"A2A on an HTTP agent", a2a, httpAgent, false},
		{"HTTP on an A2A agent", plain, card, false},
	} {
		ok, answer, err := c.c.healthy(context.Background(), http.DefaultClient, addr(c.srv))
		if ok != c.want || err != nil {
			t.Errorf("%s: ready %v (%s, %v), want %v", c.name, ok, answer, err, c.want)
		}
		if !ok && !strings.Contains(answer, "answered HTTP 404") {
			t.Errorf("%s: the answer %q does not say what came back", c.name, answer)
		}
	}
}
