// Package mcp is the `mcp` Lua module: a Model Context Protocol client (streamable HTTP) for MCP
// servers deployed on AgentCore Runtime, AgentCore Gateways and any MCP URL. It lists tools,
// resources and prompts and calls tools through the official MCP Go SDK
// (github.com/modelcontextprotocol/go-sdk) over an http.Client whose transport adds the
// authentication: SigV4 with the selected environment's credentials (as AgentCore's data plane
// and IAM-authorized gateways take it), or a bearer token (JWT-authorized gateways).
//
// Each function opens one MCP session (initialize), does its work and leaves the session to
// the server: AgentCore keeps an MCP session per Mcp-Session-Id (the runtime session, a
// microVM), so a caller that passes the returned session_id back gets the same one, as
// invoke keeps runtime sessions.
package mcp

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// New returns the mcp Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := &module{aws: a}
	return &engine.Module{
		Name: "mcp",
		Doc: "A Model Context Protocol client (streamable HTTP, the official MCP Go SDK) for MCP servers on AgentCore " +
			"Runtime, AgentCore Gateways and any MCP URL: tools, tool calls, resources and prompts. opts.sigv4 signs every " +
			"request with the selected environment's credentials (AgentCore's data plane, IAM-authorized gateways); opts.bearer " +
			"sends a token (JWT-authorized gateways). Each call opens an MCP session and returns its session_id: pass it back " +
			"as opts.session_id to stay in it (AgentCore keeps one microVM per session); a session the server no longer knows " +
			"is replaced by a new one. A server's error answer raises (exit 1; an unknown tool or bad arguments exit 2); a " +
			"tool's own error is a result with isError = true.",
		Classes: []*engine.Class{
			{Name: "mcp.Opts", Of: Opts{}, Doc: "How to reach the server: auth (sigv4 or bearer), extra headers, the session to resume, a timeout in seconds (default 120), and label, what messages call the server (default its URL)."},
			{Name: "mcp.SigV4", Of: SigV4{}, Doc: "SigV4 signing: service (default bedrock-agentcore) and region (default the environment's). sigv4 = true takes both defaults."},
			{Name: "mcp.Tool", Of: Tool{}, Doc: "A tool as tools/list describes it, with args: its input schema's properties flattened for display."},
			{Name: "mcp.Arg", Of: Arg{}},
			{Name: "mcp.Tools", Of: ToolList{}},
			{Name: "mcp.CallResult", Of: CallResult{}, Doc: "What tools/call answered: content as sent, text (the text contents joined by newlines), " +
				"structuredContent when the tool returns structured output, isError for a tool's own failure."},
			{Name: "mcp.Resource", Of: Resource{}},
			{Name: "mcp.ResourceTemplate", Of: ResourceTemplate{}},
			{Name: "mcp.Resources", Of: ResourceList{}},
			{Name: "mcp.Prompt", Of: Prompt{}},
			{Name: "mcp.PromptArg", Of: PromptArg{}},
			{Name: "mcp.Prompts", Of: PromptList{}},
		},
		Funcs: []engine.Func{
			{Name: "tools", Params: "url: string, opts?: mcp.Opts", Returns: "mcp.Tools", Go: m.luaTools,
				Doc: "The server's tools (tools/list, every page), in the server's order."},
			{Name: "call", Params: "url: string, tool: string, args?: table|string, opts?: mcp.Opts", Returns: "mcp.CallResult", Go: m.luaCall,
				Doc: "Calls a tool (tools/call) with args, a table or a JSON object as text (not an object: exit 2). A tool's own " +
					"failure is a result with isError = true and its message in text; an unknown tool or arguments the server " +
					"refuses raise with exit 2."},
			{Name: "resources", Params: "url: string, opts?: mcp.Opts", Returns: "mcp.Resources",
				Doc: "The server's resources and resource templates (resources/list, resources/templates/list, every page); empty lists when the server offers none.",
				Go:  m.luaResources},
			{Name: "prompts", Params: "url: string, opts?: mcp.Opts", Returns: "mcp.Prompts",
				Doc: "The server's prompts (prompts/list, every page) with their arguments; an empty list when the server offers none.",
				Go:  m.luaPrompts},
		},
	}
}

// module is the mcp module built with the program's AWS layer (for SigV4 credentials).
type module struct {
	aws *awscall.AWS
}

// Opts is how a call reaches the server.
type Opts struct {
	SigV4     *SigV4           `json:"sigv4,omitempty" lua:"mcp.SigV4|boolean"`
	Bearer    string           `json:"bearer,omitempty"`
	Headers   engine.StringMap `json:"headers,omitempty"`
	SessionID string           `json:"session_id,omitempty"`
	Timeout   float64          `json:"timeout,omitempty"` // seconds for the whole call, 0: 120
	Label     string           `json:"label,omitempty"`   // the server in messages ("agent tools-bot"), default its URL
}

// SigV4 says how to sign. sigv4 = true in Lua takes the defaults.
type SigV4 struct {
	Service string `json:"service,omitempty"`
	Region  string `json:"region,omitempty"`
}

// UnmarshalJSON accepts true (the defaults) as well as a table.
func (s *SigV4) UnmarshalJSON(b []byte) error {
	var on bool
	if err := json.Unmarshal(b, &on); err == nil {
		if !on {
			return errors.New("sigv4 = false: leave sigv4 out to send unsigned requests")
		}
		*s = SigV4{}
		return nil
	}
	type plain SigV4
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("sigv4: expected true or {service = ..., region = ...}: %w", err)
	}
	*s = SigV4(p)
	return nil
}

// Arg is one property of a tool's input schema.
type Arg struct {
	Name        string `json:"name"`
	Type        string `json:"type,omitempty"`
	Required    bool   `json:"required,omitempty"`
	Description string `json:"description,omitempty"`
}

// Tool is a tool as tools/list describes it.
type Tool struct {
	Name         string `json:"name"`
	Title        string `json:"title,omitempty"`
	Description  string `json:"description,omitempty"`
	InputSchema  any    `json:"inputSchema,omitempty" lua:"table"`
	OutputSchema any    `json:"outputSchema,omitempty" lua:"table"`
	Annotations  any    `json:"annotations,omitempty" lua:"table"`
	Args         []Arg  `json:"args"`
}

// ToolList is what tools returns.
type ToolList struct {
	Tools     []Tool `json:"tools"`
	SessionID string `json:"session_id,omitempty"`
	Server    string `json:"server,omitempty"` // the server's name and version, as initialize gave them
}

// CallResult is what call returns.
type CallResult struct {
	Content           []any  `json:"content" lua:"table[]"`
	Text              string `json:"text"`
	StructuredContent any    `json:"structuredContent,omitempty" lua:"any"`
	IsError           bool   `json:"isError"`
	SessionID         string `json:"session_id,omitempty"`
}

// Resource is a resource as resources/list describes it.
type Resource struct {
	URI         string `json:"uri"`
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	MIMEType    string `json:"mimeType,omitempty"`
	Size        int64  `json:"size,omitempty"`
}

// ResourceTemplate is a resource template as resources/templates/list describes it.
type ResourceTemplate struct {
	URITemplate string `json:"uriTemplate"`
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	MIMEType    string `json:"mimeType,omitempty"`
}

// ResourceList is what resources returns.
type ResourceList struct {
	Resources []Resource         `json:"resources"`
	Templates []ResourceTemplate `json:"templates"`
	SessionID string             `json:"session_id,omitempty"`
}

// PromptArg is one argument of a prompt.
type PromptArg struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
}

// Prompt is a prompt as prompts/list describes it.
type Prompt struct {
	Name        string      `json:"name"`
	Title       string      `json:"title,omitempty"`
	Description string      `json:"description,omitempty"`
	Arguments   []PromptArg `json:"arguments"`
}

// PromptList is what prompts returns.
type PromptList struct {
	Prompts   []Prompt `json:"prompts"`
	SessionID string   `json:"session_id,omitempty"`
}
