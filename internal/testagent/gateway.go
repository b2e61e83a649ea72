package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// gatewayCall answers a payload {"gateway": {"name": "tools", "tool": "calc___add", "args": {...}}}:
// the agent calls a tool through the gateway whose URL agentcore put in its environment
// (AGENTCORE_GATEWAY_NAME_URL), with the official MCP Go SDK's client, every request signed with
// SigV4 (service bedrock-agentcore) with its own AWS credentials, as an agent whose role may
// InvokeGateway does. It answers {"tool", "text", "isError"} or {"error"}.
func gatewayCall(ctx context.Context, req map[string]any) map[string]any {
	name, _ := req["name"].(string)
	tool, _ := req["tool"].(string)
	args, _ := req["args"].(map[string]any)
	v := "AGENTCORE_GATEWAY_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_URL"
	url := os.Getenv(v)
	if url == "" {
		return map[string]any{"error": v + " is not set"}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(1))
	if err != nil {
		return map[string]any{"error": "loading the AWS config: " + err.Error()}
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	signed := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			r.Body.Close()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])
		creds, err := cfg.Credentials.Retrieve(r.Context())
		if err != nil {
			return nil, err
		}
		r.Header.Set("X-Amz-Content-Sha256", hash)
		if err := v4.NewSigner().SignHTTP(r.Context(), creds, r, hash, "bedrock-agentcore", region, time.Now()); err != nil {
			return nil, err
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	client := mcp.NewClient(&mcp.Implementation{Name: "testagent", Version: "1"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: signed}, nil)
	if err != nil {
		return map[string]any{"error": "connecting to " + url + ": " + err.Error()}
	}
	defer session.Close()
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		return map[string]any{"error": "calling " + tool + ": " + err.Error()}
	}
	var text []string
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			text = append(text, t.Text)
		}
	}
	return map[string]any{"tool": tool, "text": strings.Join(text, "\n"), "isError": res.IsError}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func writeGateway(w http.ResponseWriter, r *http.Request, req map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(gatewayCall(r.Context(), req))
}
