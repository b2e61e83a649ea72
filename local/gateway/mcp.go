package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	bolt "go.etcd.io/bbolt"
)

// toolSep joins a target's name and its tool's: AgentCore's {targetName}___{toolName}.
const toolSep = "___"

// searchTool is AgentCore's semantic tool search, served when the gateway's
// protocolConfiguration.mcp.searchType is SEMANTIC.
const searchTool = "x_amz_bedrock_agentcore_search"

// gatewayServer is a gateway's MCP server and the SDK's streamable HTTP handler over it: one
// per gateway, kept across sessions, whose tools follow its targets' (gen is the generation of
// the targets it was last brought up to). The handler is the gateway's because its sessions'
// idle timeout is (protocolConfiguration.mcp.sessionConfiguration).
type gatewayServer struct {
	srv     *mcp.Server
	handler http.Handler
	config  string // the gateway's protocolConfiguration it was built for
	gen     uint64
	tools   map[string]string // full tool name → a digest of its definition, to update only what changed
}

// defaultSessionTimeout ends idle MCP sessions of a gateway without a sessionConfiguration.
const defaultSessionTimeout = 30 * time.Minute

// changed records a change to a gateway or its targets' tools: its server catches up at its
// next request.
func (s *Service) changed(gatewayID string) {
	s.mu.Lock()
	s.gens[gatewayID]++
	s.mu.Unlock()
}

// dropServer forgets a gateway's server (deleted, or its protocolConfiguration changed): its
// sessions end, and the next request builds a new one.
func (s *Service) dropServer(gatewayID string) {
	s.mu.Lock()
	gs := s.servers[gatewayID]
	delete(s.servers, gatewayID)
	s.gens[gatewayID]++
	s.mu.Unlock()
	if gs != nil {
		for ss := range gs.srv.Sessions() {
			ss.Close()
		}
	}
}

// newServer builds g's MCP server and handler.
func (s *Service) newServer(g *gatewayRec, config string, gen uint64) *gatewayServer {
	opts := &mcp.ServerOptions{PageSize: 1000, Capabilities: &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{ListChanged: true}}}
	timeout := defaultSessionTimeout
	if p := g.ProtocolConfiguration; p != nil && p.MCP != nil {
		if p.MCP.Instructions != nil {
			opts.Instructions = *p.MCP.Instructions
		}
		if sc := p.MCP.SessionConfiguration; sc != nil && sc.SessionTimeoutInSeconds != nil {
			timeout = time.Duration(*sc.SessionTimeoutInSeconds) * time.Second
		}
	}
	gs := &gatewayServer{srv: mcp.NewServer(&mcp.Implementation{Name: g.Name, Version: "1.0.0"}, opts), config: config, gen: gen - 1, tools: map[string]string{}}
	gs.handler = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return gs.srv }, &mcp.StreamableHTTPOptions{SessionTimeout: timeout})
	id := g.ID
	gs.srv.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if method == "tools/list" {
				s.refreshDynamic(ctx, id)
			}
			return next(ctx, method, req)
		}
	})
	return gs
}

// dynamicTimeout bounds the listing of DYNAMIC targets before a tools/list.
const dynamicTimeout = 10 * time.Second

// isGatewayURL tells whether u is a gateway's MCP URL on this endpoint.
func (s *Service) isGatewayURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && s.isSelf(p) && strings.HasPrefix(p.Path, "/gateways/")
}

// refreshDynamic lists again the tools of a gateway's MCP server targets whose listingMode
// is DYNAMIC, before its tools/list answers: their tools are the server's of the moment. A
// server that cannot be reached keeps the tools it had.
func (s *Service) refreshDynamic(ctx context.Context, gatewayID string) {
	var dynamic []targetRec
	var g *gatewayRec
	s.cfg.DB.View(func(tx *bolt.Tx) (err error) {
		if g, err = s.gateway(tx, gatewayID, false); err != nil {
			return err
		}
		return forTargets(tx, gatewayID, func(t *targetRec) error {
			// A gateway of this endpoint answers from its own gathered tools: listing it again
			// would gain nothing, and two gateways listing each other would loop.
			if m := t.Config.MCP; t.Status == statusReady && t.Job == "" && m != nil && m.MCPServer != nil &&
				m.MCPServer.MCPToolSchema == nil && m.MCPServer.ListingMode != nil && *m.MCPServer.ListingMode == "DYNAMIC" &&
				!s.isGatewayURL(*m.MCPServer.Endpoint) {
				dynamic = append(dynamic, *t)
			}
			return nil
		})
	})
	if len(dynamic) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, dynamicTimeout)
	defer cancel()
	changed := false
	for i := range dynamic {
		t := &dynamic[i]
		tools, err := s.listMCP(ctx, t)
		if err != nil {
			continue
		}
		old, _ := json.Marshal(t.Tools)
		now, _ := json.Marshal(tools)
		if string(old) == string(now) {
			continue
		}
		s.cfg.DB.Update(func(tx *bolt.Tx) error {
			var cur targetRec
			ok, err := getJSON(tx.Bucket(bucketTargets), targetKey(gatewayID, t.ID), &cur)
			if err != nil || !ok || cur.Job != "" || cur.Status != statusReady {
				return err
			}
			cur.Tools = tools
			changed = true
			return putJSON(tx.Bucket(bucketTargets), targetKey(gatewayID, t.ID), &cur)
		})
	}
	if changed {
		s.changed(gatewayID)
		s.serverFor(ctx, g)
	}
}

// ServeMCP answers a gateway's MCP URL: the gateway's inbound auth, then the SDK's streamable
// HTTP transport over the gateway's server.
func (s *Service) ServeMCP(w http.ResponseWriter, r *http.Request) {
	id, _ := mcpGatewayID(r)
	var g *gatewayRec
	err := s.cfg.DB.View(func(tx *bolt.Tx) (err error) {
		g, err = s.gateway(tx, id, false)
		return err
	})
	if err != nil {
		httpError(w, http.StatusNotFound, "", fmt.Sprintf("no gateway %s on this endpoint", id))
		return
	}
	if g.Status == statusCreating {
		httpError(w, http.StatusServiceUnavailable, "", fmt.Sprintf("gateway %s is CREATING; retry when GetGateway says READY", id))
		return
	}
	if !s.inbound(w, r, g) {
		return
	}
	gs, err := s.serverFor(r.Context(), g)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "", err.Error())
		return
	}
	gs.handler.ServeHTTP(w, r)
}

// httpError answers a refusal before MCP: a JSON body with the message, as AgentCore's
// gateway does, and the challenge (WWW-Authenticate) when there is one.
func httpError(w http.ResponseWriter, status int, challenge, msg string) {
	if challenge != "" {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": nil, "error": map[string]any{"code": -32001, "message": msg}})
}

// serverFor returns g's server with its tools brought up to date with its targets.
func (s *Service) serverFor(ctx context.Context, g *gatewayRec) (*gatewayServer, error) {
	config, _ := json.Marshal(g.ProtocolConfiguration)
	s.mu.Lock()
	gs := s.servers[g.ID]
	if gs != nil && gs.config != string(config) {
		s.mu.Unlock()
		s.dropServer(g.ID) // instructions and session timeout are fixed at a server's start
		s.mu.Lock()
		gs = s.servers[g.ID]
	}
	gen := s.gens[g.ID]
	if gs == nil {
		gs = s.newServer(g, string(config), gen)
		s.servers[g.ID] = gs
	}
	current := gs.gen == gen
	s.mu.Unlock()
	if current {
		return gs, nil
	}
	// Bring the tools up to date under the service's lock, so two requests do not both.
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs.gen == s.gens[g.ID] {
		return gs, nil
	}
	gen = s.gens[g.ID]
	want, err := s.gatewayTools(g)
	if err != nil {
		return nil, err
	}
	for name := range gs.tools {
		if _, ok := want[name]; !ok {
			gs.srv.RemoveTools(name)
			delete(gs.tools, name)
		}
	}
	for name, w := range want {
		if gs.tools[name] == w.digest {
			continue
		}
		gs.srv.AddTool(w.tool, w.handler)
		gs.tools[name] = w.digest
	}
	gs.gen = gen
	return gs, nil
}

// wantTool is a tool the gateway serves: its definition, handler and a digest of both.
type wantTool struct {
	tool    *mcp.Tool
	handler mcp.ToolHandler
	digest  string
}

// gatewayTools is every tool g serves: its serving targets' under {target}___{tool}, and the
// search tool when enabled.
func (s *Service) gatewayTools(g *gatewayRec) (map[string]wantTool, error) {
	var targets []targetRec
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		return forTargets(tx, g.ID, func(t *targetRec) error {
			if t.Status != statusDeleting && len(t.Tools) > 0 {
				targets = append(targets, *t)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	want := map[string]wantTool{}
	for i := range targets {
		t := &targets[i]
		for j := range t.Tools {
			tr := &t.Tools[j]
			name := t.Name + toolSep + tr.Name
			tool := &mcp.Tool{Name: name, Description: tr.Description, InputSchema: objectSchema(tr.InputSchema)}
			if len(tr.OutputSchema) > 0 && string(tr.OutputSchema) != "null" {
				tool.OutputSchema = json.RawMessage(tr.OutputSchema)
			}
			digest, _ := json.Marshal([]any{t.ID, t.UpdatedAt, tr})
			want[name] = wantTool{tool: tool, handler: s.toolHandler(t, tr), digest: string(digest)}
		}
	}
	if g.searchEnabled() {
		all := make([]*mcp.Tool, 0, len(want))
		for _, w := range want {
			all = append(all, w.tool)
		}
		sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
		names := make([]string, len(all))
		for i, t := range all {
			names[i] = t.Name
		}
		digest, _ := json.Marshal(names)
		want[searchTool] = wantTool{
			tool: &mcp.Tool{Name: searchTool, Description: "Search this gateway's tools with a natural language query: the tools most relevant to it, best first.",
				InputSchema: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string","description":"what the tool should do"}},"required":["query"]}`)},
			handler: searchHandler(all), digest: string(digest),
		}
	}
	return want, nil
}

// objectSchema is a tool's input schema as MCP wants it: a JSON object of type object.
func objectSchema(raw json.RawMessage) json.RawMessage {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return json.RawMessage(`{"type":"object"}`)
	}
	if m["type"] != "object" {
		m["type"] = "object"
		raw, _ = json.Marshal(m)
	}
	return raw
}

// toolHandler routes a call of one tool to its target.
func (s *Service) toolHandler(t *targetRec, tr *toolRec) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args := req.Params.Arguments
		var res *mcp.CallToolResult
		var err error
		switch t.kind() {
		case kindMCPServer:
			res, err = s.callMCP(ctx, t, tr.Name, args)
		case kindOpenAPI:
			res, err = s.callOpenAPI(ctx, t, tr, args)
		case kindLambda:
			res, err = s.callLambda(ctx, t, tr.Name, args)
		default:
			err = fmt.Errorf("target %s cannot be called", t.Name)
		}
		if err != nil {
			// A target that cannot be reached is the tool's error, which the model can read,
			// as AgentCore answers it.
			return toolError("target %s: %v", t.Name, err), nil
		}
		return res, nil
	}
}

// searchHandler ranks tools by the words of the query found in their names and descriptions:
// a keyword stand-in for AgentCore's semantic search.
func searchHandler(tools []*mcp.Tool) mcp.ToolHandler {
	return func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var in struct {
			Query string `json:"query"`
		}
		args := req.Params.Arguments
		if json.Unmarshal(args, &in) != nil || strings.TrimSpace(in.Query) == "" {
			return toolError("query is required: a natural language description of the tool you need"), nil
		}
		type scored struct {
			tool  *mcp.Tool
			score int
		}
		var hits []scored
		words := splitWords(in.Query)
		for _, t := range tools {
			name, desc := splitWords(t.Name), splitWords(t.Description)
			score := 0
			for w := range words {
				if name[w] {
					score += 3
				}
				if desc[w] {
					score++
				}
			}
			if score > 0 {
				hits = append(hits, scored{t, score})
			}
		}
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
		if len(hits) > 10 {
			hits = hits[:10]
		}
		found := make([]*mcp.Tool, len(hits))
		for i, h := range hits {
			found[i] = h.tool
		}
		out := map[string]any{"tools": found}
		text, _ := json.Marshal(out)
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(text)}}, StructuredContent: out}, nil
	}
}

// stopWords match every description, so they rank nothing.
var stopWords = map[string]bool{"the": true, "an": true, "is": true, "in": true, "of": true, "to": true, "for": true, "and": true,
	"or": true, "what": true, "how": true, "me": true, "my": true, "on": true, "at": true, "with": true, "by": true, "it": true, "be": true}

// splitWords is the set of lower-cased words of s (split at anything not a letter or digit,
// and at the ___ and _ of tool names), a plural's -s or -ies made singular.
func splitWords(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		switch {
		case len(w) > 4 && strings.HasSuffix(w, "ies"):
			w = w[:len(w)-3] + "y"
		case len(w) > 3 && !strings.HasSuffix(w, "ss"):
			w = strings.TrimSuffix(w, "s")
		}
		if len(w) > 1 && !stopWords[w] {
			out[w] = true
		}
	}
	return out
}
