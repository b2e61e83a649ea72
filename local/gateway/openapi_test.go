package gateway

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

func TestParseOpenAPI(t *testing.T) {
	good := `openapi: 3.1.0
info: {title: t, version: "1"}
servers: [{url: "https://{host}/{base}", variables: {host: {default: api.example.com}, base: {default: v1, enum: [v1, v2]}}}]
components:
  schemas:
    Order: {type: object, properties: {item: {type: string}, qty: {type: integer}}, required: [item]}
  parameters:
    Tenant: {name: X-Tenant, in: header, required: true, schema: {type: string}}
paths:
  /orders/{id}:
    parameters: [{$ref: "#/components/parameters/Tenant"}]
    get:
      operationId: getOrder
      summary: one order
      parameters: [{name: id, in: path, schema: {type: string}}, {name: expand, in: query, schema: {type: boolean}}]
      responses: {"200": {description: ok}}
  /orders:
    post:
      operationId: createOrder
      description: a new order
      requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}}
      responses: {"201": {description: ok}}
`
	tools, err := parseOpenAPI([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(tools) != 2 || tools[0].Name != "createOrder" || tools[1].Name != "getOrder" {
		t.Fatalf("tools: %+v", tools)
	}
	var create, get map[string]any
	json.Unmarshal(tools[0].InputSchema, &create)
	json.Unmarshal(tools[1].InputSchema, &get)
	body := create["properties"].(map[string]any)["body"].(map[string]any)
	if body["type"] != "object" || body["required"].([]any)[0] != "item" || create["required"].([]any)[0] != "body" || tools[0].Description != "a new order" {
		t.Fatalf("createOrder: %s", tools[0].InputSchema)
	}
	if req := get["required"].([]any); len(req) != 2 || req[0] != "X-Tenant" || req[1] != "id" || tools[1].Description != "one order" {
		t.Fatalf("getOrder: %s", tools[1].InputSchema)
	}
	op := tools[1].Op
	if op.Server != "https://api.example.com/v1" || op.Method != "GET" || op.Path != "/orders/{id}" || len(op.Params) != 3 || op.Params[0].In != "header" {
		t.Fatalf("getOrder's operation: %+v", op)
	}

	for name, tc := range map[string]struct{ doc, want string }{
		"not yaml":       {"openapi: 3.0.0\npaths: [\n", "line"},
		"swagger":        {"swagger: \"2.0\"\n", "Swagger 2.0"},
		"no version":     {"info: {}\n", "no openapi: 3.x"},
		"no server":      {"openapi: 3.0.0\npaths: {/a: {get: {operationId: a}}}\n", "servers[0].url"},
		"no operationId": {"openapi: 3.0.0\nservers: [{url: http://x}]\npaths: {/a: {get: {summary: s}}}\n", "GET /a has no operationId"},
		"duplicate id":   {"openapi: 3.0.0\nservers: [{url: http://x}]\npaths: {/a: {get: {operationId: a}, put: {operationId: a}}}\n", "operationId a is used by"},
		"form body":      {"openapi: 3.0.0\nservers: [{url: http://x}]\npaths: {/a: {post: {operationId: a, requestBody: {content: {text/plain: {}}}}}}\n", "no application/json schema"},
		"no paths":       {"openapi: 3.0.0\nservers: [{url: http://x}]\n", "no paths"},
	} {
		if _, err := parseOpenAPI([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

func TestParseToolList(t *testing.T) {
	tools, err := parseToolList([]byte(`{"tools":[{"name":"a","description":"d","inputSchema":{"type":"object"}}]}`), "x")
	if err != nil || len(tools) != 1 || tools[0].Name != "a" {
		t.Fatalf("%v %+v", err, tools)
	}
	if _, err := parseToolList([]byte(`[{"name":"a"}]`), "x"); err == nil || !strings.Contains(err.Error(), "x[0]") {
		t.Fatalf("a tool without inputSchema: %v", err)
	}
}

func TestSearch(t *testing.T) {
	words := splitWords("Get the weather___of Cities")
	for _, w := range []string{"get", "weather", "city"} {
		if !words[w] {
			t.Errorf("%q not in %v", w, words)
		}
	}
	if words["the"] || words["of"] {
		t.Errorf("stop words kept: %v", words)
	}
}

// TestPatterns compiles the model's patterns this package declares (a pattern Go cannot
// compile would panic at its first use, in a request).
func TestPatterns(t *testing.T) {
	if err := lazyregexp.Check(); err != nil {
		t.Fatal(err)
	}
}
