package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// serveMCP is TESTAGENT_MODE=mcp: an MCP server as AgentCore's MCP contract asks, on
// 0.0.0.0:8000 at /mcp, streamable HTTP and stateless, written with the official Go SDK. Its
// tools: add {a, b} → {sum} (text: the sum), and echo {text} → the text, with the session
// headers the request carried (Mcp-Session-Id, X-Amzn-Bedrock-AgentCore-Runtime-Session-Id)
// in its structured output, so tests see what the platform added.
func serveMCP() {
	server := mcp.NewServer(&mcp.Implementation{Name: "testagent-mcp", Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "add", Description: "Add two numbers"},
		func(_ context.Context, _ *mcp.CallToolRequest, in struct {
			A float64 `json:"a" jsonschema:"the first number"`
			B float64 `json:"b" jsonschema:"the second number"`
		}) (*mcp.CallToolResult, struct {
			Sum float64 `json:"sum"`
		}, error) {
			out := struct {
				Sum float64 `json:"sum"`
			}{in.A + in.B}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprint(out.Sum)}}}, out, nil
		})
	type echoOut struct {
		Text             string `json:"text"`
		McpSessionID     string `json:"mcpSessionId"`
		RuntimeSessionID string `json:"runtimeSessionId"`
	}
	mcp.AddTool(server, &mcp.Tool{Name: "echo", Description: "Echo a text back"},
		func(_ context.Context, req *mcp.CallToolRequest, in struct {
			Text string `json:"text" jsonschema:"the text to echo"`
		}) (*mcp.CallToolResult, echoOut, error) {
			out := echoOut{Text: in.Text}
			if req.Extra != nil && req.Extra.Header != nil {
				out.McpSessionID = req.Extra.Header.Get("Mcp-Session-Id")
				out.RuntimeSessionID = req.Extra.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id")
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}, out, nil
		})
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{Stateless: true})
	mux := http.NewServeMux()
	mux.Handle("/mcp", logged(handler))
	listen("0.0.0.0:8000", "MCP", mux)
}

// listen serves h on addr, or exits 1 saying why it cannot.
func listen(addr, what string, h http.Handler) {
	fmt.Printf("testagent (%s) listening on %s\n", what, addr)
	if err := http.ListenAndServe(addr, h); err != nil {
		fmt.Fprintln(os.Stderr, "testagent:", err)
		os.Exit(1)
	}
}

// logged prints one line per request, for the logs tests.
func logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("testagent %s %s\n", r.Method, r.URL.Path)
		h.ServeHTTP(w, r)
	})
}
