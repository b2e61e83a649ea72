package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"sort"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// session runs fn in a new MCP session with url, the interpreter lock released, bounded by
// the call's timeout.
func session[T any](L *lua.LState, m *module, rawURL string, o Opts, doing string, fn func(ctx context.Context, c *conn) (T, error)) (T, error) {
	run := engine.FromL(L)
	return engine.Unlocked(L, func(ctx context.Context) (T, error) {
		var zero T
		timeout := defaultTimeout
		if o.Timeout > 0 {
			timeout = time.Duration(o.Timeout * float64(time.Second))
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		c, err := m.connect(ctx, run, rawURL, o)
		if err != nil {
			return zero, timedOut(ctx, err, doing, timeout)
		}
		defer c.close()
		out, err := fn(ctx, c)
		if err != nil {
			return zero, timedOut(ctx, callError(doing, err), doing, timeout)
		}
		return out, nil
	})
}

func timedOut(ctx context.Context, err error, doing string, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
		return engine.Failf("raise opts.timeout if the server is slow", "%s: no answer within %s (timeout)", doing, timeout)
	}
	return err
}

// collect gathers a paginated list, at most maxItems.
func collect[S, T any](seq iter.Seq2[S, error], conv func(S) T) ([]T, error) {
	out := []T{}
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		if len(out) == maxItems {
			return nil, fmt.Errorf("the server lists more than %d items", maxItems)
		}
		out = append(out, conv(v))
	}
	return out, nil
}

func (m *module) luaTools(L *lua.LState, rawURL string, o Opts) (*ToolList, error) {
	return session(L, m, rawURL, o, "listing the tools of "+o.name(rawURL), func(ctx context.Context, c *conn) (*ToolList, error) {
		init := c.cs.InitializeResult()
		res := &ToolList{Tools: []Tool{}}
		if init != nil && init.ServerInfo != nil {
			res.Server = strings.TrimSpace(init.ServerInfo.Name + " " + init.ServerInfo.Version)
		}
		if init != nil && init.Capabilities != nil && init.Capabilities.Tools == nil {
			res.SessionID = c.sessionID()
			return res, nil // a server without tools
		}
		tools, err := collect(c.cs.Tools(ctx, nil), toolOf)
		if err != nil {
			return nil, err
		}
		res.Tools, res.SessionID = tools, c.sessionID()
		return res, nil
	})
}

// toolOf turns an SDK tool into the module's, its schemas as plain JSON data.
func toolOf(t *sdk.Tool) Tool {
	out := Tool{Name: t.Name, Title: t.Title, Description: t.Description,
		InputSchema: plain(t.InputSchema), OutputSchema: plain(t.OutputSchema), Args: []Arg{}}
	if t.Annotations != nil {
		out.Annotations = plain(t.Annotations)
	}
	out.Args = argsOf(out.InputSchema)
	return out
}

// argsOf flattens a JSON schema's top-level properties: required ones first, each group in
// name order (JSON objects carry no order).
func argsOf(schema any) []Arg {
	args := []Arg{}
	s, _ := schema.(map[string]any)
	props, _ := s["properties"].(map[string]any)
	required := map[string]bool{}
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok {
				required[name] = true
			}
		}
	}
	for name, p := range props {
		a := Arg{Name: name, Required: required[name]}
		if pm, ok := p.(map[string]any); ok {
			a.Type = typeOf(pm["type"])
			a.Description, _ = pm["description"].(string)
		}
		args = append(args, a)
	}
	sort.Slice(args, func(i, j int) bool {
		if args[i].Required != args[j].Required {
			return args[i].Required
		}
		return args[i].Name < args[j].Name
	})
	return args
}

// typeOf reads a schema's type: "number", or ["string", "null"] as "string|null".
func typeOf(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		var parts []string
		for _, p := range t {
			if s, ok := p.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "|")
	}
	return ""
}

// plain turns an SDK value (a schema, content) into plain JSON data for Lua.
func plain(v any) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

// toolArgs reads call's args: a table, or a JSON object as text; nil is no arguments.
func toolArgs(args lua.LValue) (map[string]any, error) {
	switch v := args.(type) {
	case *lua.LNilType:
		return map[string]any{}, nil
	case lua.LString:
		var out map[string]any
		dec := json.NewDecoder(strings.NewReader(string(v)))
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			return nil, fmt.Errorf("the arguments are not a JSON object: %v", jsonError(string(v), err))
		}
		if dec.More() {
			return nil, errors.New("the arguments are not a JSON object: text after the object")
		}
		if out == nil {
			return nil, errors.New("the arguments are not a JSON object: null")
		}
		return out, nil
	case *lua.LTable:
		g, err := engine.ToGo(v)
		if err != nil {
			return nil, err
		}
		switch t := g.(type) {
		case map[string]any:
			return t, nil
		case []any:
			if len(t) == 0 {
				return map[string]any{}, nil
			}
		}
		return nil, errors.New("the arguments must be a table of names to values, not a list")
	}
	return nil, fmt.Errorf("the arguments must be a table or a JSON object as text, got a %s", args.Type())
}

// jsonError says where JSON text went wrong (column of a one-line text, as --args gives).
func jsonError(text string, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at character %d)", err, se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("expected an object, got %s", te.Value)
	}
	if errors.Is(err, errors.New("EOF")) || strings.TrimSpace(text) == "" {
		return "empty"
	}
	return err.Error()
}

func (m *module) luaCall(L *lua.LState, rawURL, tool string, args lua.LValue, o Opts) (*CallResult, error) {
	const fn = "mcp.call"
	if tool == "" {
		return nil, engine.Usagef("", "%s: the tool name is empty", fn)
	}
	a, err := toolArgs(args)
	if err != nil {
		return nil, engine.Usagef(`give them as a JSON object, e.g. '{"a": 2, "b": 2}'`, "%s %s: %v", fn, tool, err)
	}
	doing := fmt.Sprintf("calling tool %q of %s", tool, o.name(rawURL))
	return session(L, m, rawURL, o, doing, func(ctx context.Context, c *conn) (*CallResult, error) {
		res, err := c.cs.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: a})
		if err != nil {
			var we *jsonrpc.Error
			if errors.As(err, &we) && (we.Code == jsonrpc.CodeInvalidParams || we.Code == jsonrpc.CodeMethodNotFound) {
				return nil, &engine.Error{Code: engine.ExitUsage, Err: err, Msg: fmt.Sprintf("%s: %s", doing, we.Message),
					Hint: "list the tools and their arguments: agentcore invoke AGENT --tools"}
			}
			return nil, err
		}
		out := &CallResult{Content: []any{}, IsError: res.IsError, SessionID: c.sessionID()}
		var texts []string
		for _, content := range res.Content {
			out.Content = append(out.Content, plain(content))
			if t, ok := content.(*sdk.TextContent); ok {
				texts = append(texts, t.Text)
			}
		}
		out.Text = strings.Join(texts, "\n")
		if res.StructuredContent != nil {
			out.StructuredContent = plain(res.StructuredContent)
		}
		return out, nil
	})
}

func (m *module) luaResources(L *lua.LState, rawURL string, o Opts) (*ResourceList, error) {
	return session(L, m, rawURL, o, "listing the resources of "+o.name(rawURL), func(ctx context.Context, c *conn) (*ResourceList, error) {
		res := &ResourceList{Resources: []Resource{}, Templates: []ResourceTemplate{}}
		if init := c.cs.InitializeResult(); init != nil && init.Capabilities != nil && init.Capabilities.Resources == nil {
			res.SessionID = c.sessionID()
			return res, nil
		}
		rs, err := collect(c.cs.Resources(ctx, nil), func(r *sdk.Resource) Resource {
			return Resource{URI: r.URI, Name: r.Name, Title: r.Title, Description: r.Description, MIMEType: r.MIMEType, Size: r.Size}
		})
		if err != nil {
			return nil, err
		}
		ts, err := collect(c.cs.ResourceTemplates(ctx, nil), func(r *sdk.ResourceTemplate) ResourceTemplate {
			return ResourceTemplate{URITemplate: r.URITemplate, Name: r.Name, Title: r.Title, Description: r.Description, MIMEType: r.MIMEType}
		})
		if err != nil {
			var we *jsonrpc.Error
			if !errors.As(err, &we) || we.Code != jsonrpc.CodeMethodNotFound {
				return nil, err
			}
			ts = []ResourceTemplate{} // templates are optional for a server with resources
		}
		res.Resources, res.Templates, res.SessionID = rs, ts, c.sessionID()
		return res, nil
	})
}

func (m *module) luaPrompts(L *lua.LState, rawURL string, o Opts) (*PromptList, error) {
	return session(L, m, rawURL, o, "listing the prompts of "+o.name(rawURL), func(ctx context.Context, c *conn) (*PromptList, error) {
		res := &PromptList{Prompts: []Prompt{}}
		if init := c.cs.InitializeResult(); init != nil && init.Capabilities != nil && init.Capabilities.Prompts == nil {
			res.SessionID = c.sessionID()
			return res, nil
		}
		ps, err := collect(c.cs.Prompts(ctx, nil), func(p *sdk.Prompt) Prompt {
			out := Prompt{Name: p.Name, Title: p.Title, Description: p.Description, Arguments: []PromptArg{}}
			for _, a := range p.Arguments {
				out.Arguments = append(out.Arguments, PromptArg{Name: a.Name, Description: a.Description, Required: a.Required})
			}
			return out
		})
		if err != nil {
			return nil, err
		}
		res.Prompts, res.SessionID = ps, c.sessionID()
		return res, nil
	})
}

// name is what messages call the server.
func (o Opts) name(rawURL string) string {
	if o.Label != "" {
		return o.Label
	}
	return rawURL
}
