package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentcore/agentcore/local/auth"
)

// toolRec is one tool of a target, as gathered: its name at the target, what tools/list
// shows, and for an OpenAPI operation how to call it.
type toolRec struct {
	Name         string          `json:"name"`
	Description  string          `json:"description,omitempty"`
	InputSchema  json.RawMessage `json:"inputSchema"`
	OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
	Op           *operation      `json:"op,omitempty"`
}

// discoverTimeout bounds the gathering of one target's tools.
const discoverTimeout = 30 * time.Second

// discover gathers the tools of target t: what its MCP server lists, its OpenAPI
// operations, or its Lambda tool schema.
func (s *Service) discover(ctx context.Context, t *targetRec) ([]toolRec, error) {
	ctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	m := t.Config.MCP
	switch t.kind() {
	case kindMCPServer:
		if ts := m.MCPServer.MCPToolSchema; ts != nil {
			raw, err := s.schemaBytes(ts)
			if err != nil {
				return nil, err
			}
			return parseToolList(raw, "mcpToolSchema")
		}
		return s.listMCP(ctx, t)
	case kindOpenAPI:
		raw, err := s.schemaBytes(m.OpenAPISchema)
		if err != nil {
			return nil, err
		}
		return parseOpenAPI(raw)
	case kindLambda:
		ts := m.Lambda.ToolSchema
		if ts.S3 != nil {
			raw, err := s.schemaBytes(&schemaConfig{S3: ts.S3})
			if err != nil {
				return nil, err
			}
			return parseToolList(raw, "toolSchema")
		}
		raw, _ := json.Marshal(ts.InlinePayload)
		return parseToolList(raw, "toolSchema.inlinePayload")
	}
	return nil, errors.New("the local endpoint serves mcpServer, openApiSchema and lambda targets only")
}

// listMCP lists the tools of t's MCP server, every page.
func (s *Service) listMCP(ctx context.Context, t *targetRec) ([]toolRec, error) {
	cs, err := s.client(ctx, t)
	if err != nil {
		return nil, err
	}
	var tools []toolRec
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			s.dropClient(t.ID)
			return nil, fmt.Errorf("listing the tools of MCP server %s: %w", *t.Config.MCP.MCPServer.Endpoint, err)
		}
		in, _ := json.Marshal(tool.InputSchema)
		tr := toolRec{Name: tool.Name, Description: tool.Description, InputSchema: in}
		if tool.OutputSchema != nil {
			tr.OutputSchema, _ = json.Marshal(tool.OutputSchema)
		}
		tools = append(tools, tr)
	}
	return tools, nil
}

// schemaBytes is a schema given inline or by s3 URI (read from the local S3).
func (s *Service) schemaBytes(sc *schemaConfig) ([]byte, error) {
	if sc.InlinePayload != nil {
		return []byte(*sc.InlinePayload), nil
	}
	uri := *sc.S3.URI
	bucket, key, _ := strings.Cut(strings.TrimPrefix(uri, "s3://"), "/")
	if s.cfg.S3 == nil {
		return nil, fmt.Errorf("reading %s: this endpoint has no S3", uri)
	}
	rc, _, err := s.cfg.S3.Open(bucket, key, "")
	if err != nil {
		return nil, fmt.Errorf("reading %s from the local S3: %w", uri, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 10<<20+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s from the local S3: %w", uri, err)
	}
	if len(b) > 10<<20 {
		return nil, fmt.Errorf("%s is over 10 MiB", uri)
	}
	return b, nil
}

// parseToolList reads ToolDefinitions: a JSON array of {name, description, inputSchema,
// outputSchema}, or an object holding it under "tools".
func parseToolList(raw []byte, what string) ([]toolRec, error) {
	var defs []struct {
		Name         string          `json:"name"`
		Description  string          `json:"description"`
		InputSchema  json.RawMessage `json:"inputSchema"`
		OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var wrap struct {
			Tools json.RawMessage `json:"tools"`
		}
		if err := json.Unmarshal(trimmed, &wrap); err != nil {
			return nil, fmt.Errorf("%s does not parse as JSON: %v", what, err)
		}
		trimmed = wrap.Tools
	}
	if err := json.Unmarshal(trimmed, &defs); err != nil {
		return nil, fmt.Errorf("%s does not parse as a JSON list of tool definitions: %v", what, err)
	}
	var out []toolRec
	for i, d := range defs {
		if d.Name == "" || len(d.InputSchema) == 0 {
			return nil, fmt.Errorf("%s[%d]: a tool definition needs a name and an inputSchema", what, i)
		}
		out = append(out, toolRec{Name: d.Name, Description: d.Description, InputSchema: d.InputSchema, OutputSchema: d.OutputSchema})
	}
	return out, nil
}

// ---- MCP server targets ----

// targetClient is an MCP session to a target's server, kept for the calls that follow.
type targetClient struct {
	once sync.Once
	cs   *mcp.ClientSession
	err  error
}

func (c *targetClient) close() {
	if c.cs != nil {
		c.cs.Close()
	}
}

// client returns the session to t's MCP server, connecting at first use.
func (s *Service) client(ctx context.Context, t *targetRec) (*mcp.ClientSession, error) {
	s.mu.Lock()
	c := s.clients[t.ID]
	if c == nil {
		c = &targetClient{}
		s.clients[t.ID] = c
	}
	s.mu.Unlock()
	c.once.Do(func() {
		endpoint := *t.Config.MCP.MCPServer.Endpoint
		tr := &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: &http.Client{Transport: s.outbound(t)},
			DisableStandaloneSSE: true, MaxRetries: -1}
		client := mcp.NewClient(&mcp.Implementation{Name: "agentcore-local-gateway", Version: "1"}, nil)
		c.cs, c.err = client.Connect(ctx, tr, nil)
		if c.err != nil {
			c.err = fmt.Errorf("connecting to MCP server %s: %w", endpoint, c.err)
		}
	})
	if c.err != nil {
		s.dropClient(t.ID)
	}
	return c.cs, c.err
}

// dropClient forgets the session to a target's server (changed, deleted or broken): the next
// call connects again.
func (s *Service) dropClient(targetID string) {
	s.mu.Lock()
	c := s.clients[targetID]
	delete(s.clients, targetID)
	s.mu.Unlock()
	if c != nil {
		go c.close()
	}
}

// callMCP calls a tool of t's MCP server; a broken session is replaced once.
func (s *Service) callMCP(ctx context.Context, t *targetRec, tool string, args json.RawMessage) (*mcp.CallToolResult, error) {
	for attempt := 0; ; attempt++ {
		cs, err := s.client(ctx, t)
		if err != nil {
			return nil, err
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
		if err != nil && attempt == 0 && ctx.Err() == nil && errors.Is(err, mcp.ErrConnectionClosed) {
			s.dropClient(t.ID)
			continue
		}
		return res, err
	}
}

// ---- outbound credentials ----

// outbound is the transport of a target's calls, adding its outbound credential: SigV4 with
// the endpoint's keys for a URL on the endpoint itself or GATEWAY_IAM_ROLE, a bearer token
// of the target's OAuth2 provider for OAUTH.
func (s *Service) outbound(t *targetRec) http.RoundTripper {
	rt := &credTransport{s: s, base: http.DefaultTransport}
	var cred *credConfig
	if len(t.Credentials) == 1 {
		cred = &t.Credentials[0]
	}
	if m := t.Config.MCP; m != nil && m.MCPServer != nil {
		if u, err := url.Parse(*m.MCPServer.Endpoint); err == nil && s.isSelf(u) {
			rt.sigv4 = "bedrock-agentcore"
		}
	}
	if cred != nil && cred.Type != nil {
		switch *cred.Type {
		case "GATEWAY_IAM_ROLE":
			rt.sigv4 = "bedrock-agentcore"
			if p := cred.Provider; p != nil && p.IAM != nil && p.IAM.Service != nil {
				rt.sigv4 = *p.IAM.Service
			}
		case "OAUTH":
			rt.oauth = cred.Provider.OAuth
		case "API_KEY":
			rt.apiKey = cred.Provider.APIKey
		}
	}
	return rt
}

// isSelf tells whether u is on this endpoint.
func (s *Service) isSelf(u *url.URL) bool {
	self, err := url.Parse(s.cfg.URL())
	if err != nil || !isLoopback(u.Hostname()) {
		return false
	}
	return u.Port() == self.Port()
}

type credTransport struct {
	s      *Service
	base   http.RoundTripper
	sigv4  string // the service to sign for, "" for none
	oauth  *oauthProvider
	apiKey *apiKeyProvider

	mu      sync.Mutex
	token   string
	tokenAt time.Time
}

// tokenLife is how long an OAuth2 access token is reused before a new one is asked for.
const tokenLife = 5 * time.Minute

func (c *credTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	switch {
	case c.oauth != nil:
		tok, err := c.bearer(req.Context())
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case c.apiKey != nil:
		if err := c.s.addAPIKey(req, c.apiKey); err != nil {
			return nil, err
		}
	}
	if c.sigv4 != "" {
		if err := auth.Sign(req, c.s.cfg.Creds, c.s.cfg.Region, c.sigv4, c.s.cfg.Now()); err != nil {
			return nil, err
		}
	}
	return c.base.RoundTrip(req)
}

func (c *credTransport) bearer(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Since(c.tokenAt) < tokenLife {
		return c.token, nil
	}
	if c.s.cfg.Identity == nil {
		return "", errors.New("this endpoint has no AgentCore Identity to get OAuth2 tokens from")
	}
	tok, err := c.s.cfg.Identity.OAuth2Token(ctx, *c.oauth.ProviderArn, c.oauth.Scopes, c.oauth.CustomParameters)
	if err != nil {
		return "", fmt.Errorf("getting a token of OAuth2 credential provider %s: %w", *c.oauth.ProviderArn, err)
	}
	c.token, c.tokenAt = tok, time.Now()
	return tok, nil
}

// addAPIKey puts the key of an API key provider where the target's configuration says: a
// header (default Authorization) or a query parameter (default api_key), after its prefix.
func (s *Service) addAPIKey(req *http.Request, k *apiKeyProvider) error {
	if s.cfg.Identity == nil {
		return errors.New("this endpoint has no AgentCore Identity to read API keys from")
	}
	key, err := s.cfg.Identity.APIKey(*k.ProviderArn)
	if err != nil {
		return fmt.Errorf("reading the key of API key credential provider %s: %w", *k.ProviderArn, err)
	}
	if k.Prefix != nil {
		key = *k.Prefix + " " + key
	}
	if k.Location != nil && *k.Location == "QUERY_PARAMETER" {
		name := "api_key"
		if k.ParameterName != nil {
			name = *k.ParameterName
		}
		q := req.URL.Query()
		q.Set(name, key)
		req.URL.RawQuery = q.Encode()
		return nil
	}
	name := "Authorization"
	if k.ParameterName != nil {
		name = *k.ParameterName
	}
	req.Header.Set(name, key)
	return nil
}

// ---- Lambda targets mapped to local URLs ----

// callLambda posts a tool's arguments to the URL standing for t's Lambda function, with the
// tool's full name in X-Amzn-Bedrock-AgentCore-Tool-Name (what AgentCore passes in the
// function's client context as bedrockAgentCoreToolName).
func (s *Service) callLambda(ctx context.Context, t *targetRec, tool string, args json.RawMessage) (*mcp.CallToolResult, error) {
	u, ok := s.cfg.LambdaURLs[*t.Config.MCP.Lambda.LambdaArn]
	if !ok {
		return nil, fmt.Errorf("lambda function %s is no longer mapped to a local URL (AGENTCORE_LOCAL_LAMBDA_URLS)", *t.Config.MCP.Lambda.LambdaArn)
	}
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(args))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amzn-Bedrock-AgentCore-Tool-Name", t.Name+toolSep+tool)
	resp, err := s.cfg.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling %s (standing for %s): %w", u, *t.Config.MCP.Lambda.LambdaArn, err)
	}
	defer resp.Body.Close()
	return httpResult(resp)
}

// httpResult is an HTTP answer as a tool result: its body as text (and as structured content
// when it is a JSON object), an error result for a status of 400 or more.
func httpResult(resp *http.Response) (*mcp.CallToolResult, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 6<<20))
	if err != nil {
		return nil, err
	}
	res := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(body)}}}
	if resp.StatusCode >= 400 {
		res.IsError = true
		res.Content = []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, body)}}
		return res, nil
	}
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '{' && json.Valid(t) {
		res.StructuredContent = json.RawMessage(t)
	}
	return res, nil
}
