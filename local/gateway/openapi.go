package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.yaml.in/yaml/v3"
)

// operation is how an OpenAPI operation is called: the server, method and path, and where
// each argument goes.
type operation struct {
	Server string  `json:"server"`
	Method string  `json:"method"`
	Path   string  `json:"path"`
	Params []param `json:"params,omitempty"`
	Body   bool    `json:"body,omitempty"` // the request body is the "body" argument (JSON)
}

type param struct {
	Name string `json:"name"`
	In   string `json:"in"` // path, query, header
}

var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch"}

// parseOpenAPI makes one tool per operation of an OpenAPI 3 document (JSON or YAML), named by
// its operationId. Its input schema has a property per parameter, by name, and "body" for a
// JSON request body; local $refs are resolved.
func parseOpenAPI(raw []byte) ([]toolRec, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("the OpenAPI schema does not parse: %v", err)
	}
	if doc == nil {
		return nil, fmt.Errorf("the OpenAPI schema is empty")
	}
	version, _ := doc["openapi"].(string)
	if !strings.HasPrefix(version, "3.") {
		if _, ok := doc["swagger"]; ok {
			return nil, fmt.Errorf("the OpenAPI schema is Swagger 2.0; AgentCore Gateway takes OpenAPI 3.0 or 3.1 (convert it, e.g. with swagger2openapi)")
		}
		return nil, fmt.Errorf("the OpenAPI schema has no openapi: 3.x version field")
	}
	r := &resolver{doc: doc}
	server := ""
	if servers, _ := doc["servers"].([]any); len(servers) > 0 {
		if m, _ := servers[0].(map[string]any); m != nil {
			server, _ = m["url"].(string)
			// Server variables take their defaults ({region} in https://{region}.api.example.com).
			vars, _ := m["variables"].(map[string]any)
			for name, v := range vars {
				if vm, _ := v.(map[string]any); vm != nil {
					if def, ok := vm["default"].(string); ok {
						server = strings.ReplaceAll(server, "{"+name+"}", def)
					}
				}
			}
		}
	}
	if u, err := url.Parse(server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the OpenAPI schema needs servers[0].url, an absolute http(s) URL the gateway calls (got %q)", server)
	}
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		return nil, fmt.Errorf("the OpenAPI schema has no paths")
	}
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tools []toolRec
	seen := map[string]string{}
	for _, path := range keys {
		item, _ := r.deref(paths[path]).(map[string]any)
		shared, _ := item["parameters"].([]any)
		for _, method := range openAPIMethods {
			o, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			where := strings.ToUpper(method) + " " + path
			id, _ := o["operationId"].(string)
			if id == "" {
				return nil, fmt.Errorf("operation %s has no operationId: the gateway names each tool by it", where)
			}
			if prev, dup := seen[id]; dup {
				return nil, fmt.Errorf("operationId %s is used by %s and %s", id, prev, where)
			}
			seen[id] = where
			tool, err := r.tool(id, server, method, path, o, shared)
			if err != nil {
				return nil, fmt.Errorf("operation %s (%s): %v", id, where, err)
			}
			tools = append(tools, tool)
		}
	}
	if len(tools) == 0 {
		return nil, fmt.Errorf("the OpenAPI schema has no operations")
	}
	return tools, nil
}

type resolver struct{ doc map[string]any }

// deref follows a local $ref ("#/components/..."), at most 32 deep.
func (r *resolver) deref(v any) any {
	for range 32 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		v = r.lookup(ref)
	}
	return nil
}

func (r *resolver) lookup(ref string) any {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	var cur any = r.doc
	for _, part := range strings.Split(p, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, _ := cur.(map[string]any)
		cur = m[part]
	}
	return cur
}

// inline returns schema with its local $refs replaced by what they name (a cycle is cut at
// depth 16 with an empty schema).
func (r *resolver) inline(v any, depth int) any {
	if depth > 16 {
		return map[string]any{}
	}
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			return r.inline(r.lookup(ref), depth+1)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = r.inline(e, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.inline(e, depth+1)
		}
		return out
	}
	return v
}

func (r *resolver) tool(id, server, method, path string, o map[string]any, shared []any) (toolRec, error) {
	props := map[string]any{}
	var required []string
	op := &operation{Server: server, Method: strings.ToUpper(method), Path: path}
	params := map[string]map[string]any{}
	var order []string
	for _, list := range [][]any{shared, asList(o["parameters"])} {
		for _, p := range list {
			pm, _ := r.deref(p).(map[string]any)
			name, _ := pm["name"].(string)
			in, _ := pm["in"].(string)
			if name == "" || in == "" {
				return toolRec{}, fmt.Errorf("a parameter without name or in")
			}
			key := in + ":" + name
			if _, ok := params[key]; !ok {
				order = append(order, key)
			}
			params[key] = pm
		}
	}
	for _, key := range order {
		pm := params[key]
		name, in := pm["name"].(string), pm["in"].(string)
		switch in {
		case "path", "query", "header":
		case "cookie":
			continue
		default:
			return toolRec{}, fmt.Errorf("parameter %s: in %q is not path, query, header or cookie", name, in)
		}
		schema, _ := r.inline(pm["schema"], 0).(map[string]any)
		if schema == nil {
			schema = map[string]any{"type": "string"}
		}
		if d, ok := pm["description"].(string); ok && schema["description"] == nil {
			schema["description"] = d
		}
		props[name] = schema
		if req, _ := pm["required"].(bool); req || in == "path" {
			required = append(required, name)
		}
		op.Params = append(op.Params, param{Name: name, In: in})
	}
	if rb, ok := r.deref(o["requestBody"]).(map[string]any); ok {
		content, _ := rb["content"].(map[string]any)
		var schema any
		for ct, media := range content {
			if strings.Contains(ct, "json") {
				mm, _ := media.(map[string]any)
				schema = r.inline(mm["schema"], 0)
			}
		}
		if schema == nil {
			return toolRec{}, fmt.Errorf("the request body has no application/json schema (the gateway sends JSON bodies)")
		}
		props["body"] = schema
		op.Body = true
		if req, _ := rb["required"].(bool); req {
			required = append(required, "body")
		}
	}
	input := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		input["required"] = required
	}
	in, err := json.Marshal(input)
	if err != nil {
		return toolRec{}, err
	}
	desc, _ := o["description"].(string)
	if s, _ := o["summary"].(string); s != "" && desc == "" {
		desc = s
	}
	return toolRec{Name: id, Description: desc, InputSchema: in, Op: op}, nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// callOpenAPI calls an operation with a tool call's arguments and t's outbound credential.
func (s *Service) callOpenAPI(ctx context.Context, t *targetRec, tool *toolRec, args json.RawMessage) (*mcp.CallToolResult, error) {
	var in map[string]json.RawMessage
	if len(args) > 0 {
		if err := json.Unmarshal(args, &in); err != nil {
			return toolError("the arguments are not a JSON object: %v", err), nil
		}
	}
	op := tool.Op
	path := op.Path
	q := url.Values{}
	header := http.Header{}
	for _, p := range op.Params {
		raw, ok := in[p.Name]
		if !ok {
			if p.In == "path" {
				return toolError("missing argument %s (a path parameter of %s %s)", p.Name, op.Method, op.Path), nil
			}
			continue
		}
		v := scalar(raw)
		switch p.In {
		case "path":
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(v))
		case "query":
			q.Set(p.Name, v)
		case "header":
			header.Set(p.Name, v)
		}
	}
	u := strings.TrimSuffix(op.Server, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body *bytes.Reader
	if raw, ok := in["body"]; ok && op.Body {
		body = bytes.NewReader(raw)
	}
	var req *http.Request
	var err error
	if body != nil {
		req, err = http.NewRequestWithContext(ctx, op.Method, u, body)
	} else {
		req, err = http.NewRequestWithContext(ctx, op.Method, u, nil)
	}
	if err != nil {
		return toolError("building the request %s %s: %v", op.Method, u, err), nil
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := (&http.Client{Transport: s.outbound(t), Timeout: s.cfg.HTTP.Timeout}).Do(req)
	if err != nil {
		return toolError("calling %s %s: %v", op.Method, u, err), nil
	}
	defer resp.Body.Close()
	return httpResult(resp)
}

// scalar is a JSON argument as a parameter's text: a string's value, anything else as JSON.
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func toolError(format string, args ...any) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf(format, args...)}}}
}
