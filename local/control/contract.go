package control

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// contract is what a runtime version's protocolConfiguration.serverProtocol asks of its
// container, as AgentCore's runtime service contract states it:
//
//	HTTP  port 8080  POST /invocations (JSON or SSE), GET /ws (WebSocket), GET /ping
//	AGUI  port 8080  the same paths; /invocations answers an AG-UI event stream (SSE)
//	MCP   port 8000  /mcp: streamable HTTP, stateless; AgentCore adds Mcp-Session-Id
//	A2A   port 9000  /: JSON-RPC 2.0; the agent card at /.well-known/agent-card.json
//
// Readiness follows the protocol too: GET /ping for HTTP and AGUI; for MCP a JSON-RPC ping
// POSTed to /mcp (what AgentCore sends MCP servers, which need not serve /ping); for A2A the
// agent card, which the A2A contract requires.
type contract struct {
	protocol string // HTTP, MCP, A2A, AGUI
	port     int
	path     string // where InvokeAgentRuntime's payload goes
}

// The service contract's protocols.
const (
	protocolHTTP = "HTTP"
	protocolMCP  = "MCP"
	protocolA2A  = "A2A"
	protocolAGUI = "AGUI"
)

// agentCardPath is where an A2A server serves its agent card (GetAgentCard reads it).
const agentCardPath = "/.well-known/agent-card.json"

// mcpPing is the JSON-RPC request the readiness check of an MCP server sends.
const mcpPing = `{"jsonrpc":"2.0","id":"agentcore-health","method":"ping"}`

// contractOf is the contract of a version's configuration; no protocolConfiguration (or an
// unknown protocol, which CreateAgentRuntime refuses) is HTTP.
func contractOf(cfg runtimeConfig) contract {
	var p struct {
		ServerProtocol string `json:"serverProtocol"`
	}
	if cfg.ProtocolConfiguration != nil {
		json.Unmarshal(cfg.ProtocolConfiguration, &p)
	}
	switch strings.ToUpper(p.ServerProtocol) {
	case protocolMCP:
		return contract{protocol: protocolMCP, port: 8000, path: "/mcp"}
	case protocolA2A:
		return contract{protocol: protocolA2A, port: 9000, path: "/"}
	case protocolAGUI:
		return contract{protocol: protocolAGUI, port: 8080, path: "/invocations"}
	}
	return contract{protocol: protocolHTTP, port: 8080, path: "/invocations"}
}

// dockerPort is the contract's port as the engine names it.
func (c contract) dockerPort() string { return strconv.Itoa(c.port) + "/tcp" }

// probe says what readiness asks, for failure reasons.
func (c contract) probe() string {
	switch c.protocol {
	case protocolMCP:
		return "answer a JSON-RPC ping POSTed to " + c.path + " (streamable HTTP)"
	case protocolA2A:
		return "serve its agent card at GET " + agentCardPath
	}
	return `answer GET /ping with {"status":"Healthy"}`
}

// listen says where the agent must listen and what it must serve, for failure reasons.
func (c contract) listen() string {
	switch c.protocol {
	case protocolMCP:
		return fmt.Sprintf("an AgentCore MCP server must listen on 0.0.0.0:%d and %s, stateless", c.port, c.probe())
	case protocolA2A:
		return fmt.Sprintf("an AgentCore A2A server must listen on 0.0.0.0:%d, %s and take JSON-RPC 2.0 at POST %s", c.port, c.probe(), c.path)
	}
	return fmt.Sprintf("an AgentCore %s agent must listen on 0.0.0.0:%d, %s and take POST %s", c.protocol, c.port, c.probe(), c.path)
}

// healthy asks the agent at addr whether it is ready, as its contract says; answer is what it
// said (for failure reasons), err why nothing answered.
func (c contract) healthy(ctx context.Context, hc *http.Client, addr string) (ok bool, answer string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var req *http.Request
	switch c.protocol {
	case protocolMCP:
		req, _ = http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+c.path, strings.NewReader(mcpPing))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	case protocolA2A:
		req, _ = http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+agentCardPath, nil)
	default:
		req, _ = http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/ping", nil)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10)) // an agent card may be long
	said := strings.TrimSpace(string(body))
	if len(said) > 300 {
		said = said[:300] + "…"
	}
	answer = fmt.Sprintf("%s %s answered HTTP %d %s", req.Method, req.URL.Path, resp.StatusCode, said)
	if resp.StatusCode != http.StatusOK {
		return false, answer, nil
	}
	switch c.protocol {
	case protocolMCP:
		// JSON or one SSE event: any JSON-RPC answer shows an MCP server is there.
		return strings.Contains(string(body), `"jsonrpc"`), answer, nil
	case protocolA2A:
		var card map[string]any
		return json.Unmarshal(body, &card) == nil && card != nil, answer, nil
	}
	var p struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(body, &p) != nil {
		return false, answer, nil
	}
	return p.Status == "Healthy" || p.Status == "HealthyBusy", answer, nil
}
