package gateway_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/agentcore/agentcore/builtins/agentcore"
	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/builtins/gateway"
	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestMain(m *testing.M) { awstest.Main(m) }

// The gateway module against moto's Gateway control plane, through the real SDK client: create
// with tags, wait, find by name, diff, targets of three kinds (mcp, openapi inline, lambda with
// typed tools) created, listed, updated and deleted, then the gateway deleted with its targets.
func TestGatewayLifecycle(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "weather.yaml")
	tools := filepath.Join(dir, "orders.json")
	must(t, os.WriteFile(spec, []byte("openapi: 3.0.3\ninfo: {title: w, version: '1'}\npaths:\n  /w:\n    get:\n      operationId: getWeather\n      responses: {'200': {description: ok}}\n"), 0o644))
	must(t, os.WriteFile(tools, []byte(`[{"name": "get_order", "description": "an order", "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}}]`), 0o644))
	h := enginetest.New(t, gateway.New(awstest.AWS()), agentcore.New(awstest.AWS()))
	awstest.UseEnv(t, h, awstest.Moto(t))
	h.Do(t, `SPEC, TOOLS = "`+spec+`", "`+tools+`"`)
	h.Do(t, `
		local spec = {name = "tools", gateway_name = "lifecycle-gw", auth_type = "iam", search = true}
		local role = "arn:aws:iam::123456789012:role/gw"
		local g = gateway.create(spec, role, {client_token = "agentcore-0123456789abcdef0123456789abcdef", tags = {["agentcore:gateway"] = "tools"}})
		assert(g.id ~= "" and g.arn:find(":gateway/" .. g.id, 1, true), "id and arn: " .. g.arn)
		g = gateway.wait(g.id, {interval = 1})
		assert(g.status == "READY" and g.url ~= "" and g.search and g.auth_type == "iam", g.status)
		assert(agentcore.list_tags(g.arn)["agentcore:gateway"] == "tools", "tags")
		assert(gateway.find("lifecycle-gw").id == g.id, "find")
		assert(gateway.find("no-such-gw") == nil, "find of nothing")
		assert(#gateway.diff(g, spec, role) == 0, "no difference")
		spec.search = false
		local ch = gateway.diff(g, spec, role)
		assert(#ch == 1 and ch[1].what == "search", "search differs")

		local mcp = gateway.create_target(g.id, {name = "calc", type = "mcp", endpoint = "https://mcp.example.com/mcp"},
			{client_token = "agentcore-1123456789abcdef0123456789abcdef"})
		local api = gateway.create_target(g.id, {name = "weather", type = "openapi", spec = SPEC})
		local fn = gateway.create_target(g.id, {name = "orders", type = "lambda", ["function"] = "arn:aws:lambda:us-east-1:123456789012:function:orders", tools = TOOLS})
		assert(gateway.wait_target(g.id, mcp.id).status == "READY", "mcp ready")
		local got = gateway.get_target(g.id, fn.id)
		assert(got.type == "lambda" and got["function"]:find("orders", 1, true), "lambda target: " .. tostring(got.type))
		assert(gateway.get_target(g.id, mcp.id).endpoint == "https://mcp.example.com/mcp", "mcp endpoint")
		assert(gateway.get_target(g.id, api.id).type == "openapi", "openapi")
		local names = {}
		for _, t in ipairs(gateway.targets(g.id)) do table.insert(names, t.name) end
		assert(table.concat(names, ",") == "calc,orders,weather", table.concat(names, ","))
		gateway.update_target(g.id, mcp.id, {name = "calc", type = "mcp", endpoint = "https://mcp2.example.com/mcp"})
		assert(gateway.get_target(g.id, mcp.id).endpoint == "https://mcp2.example.com/mcp", "updated")
		assert(gateway.delete_target(g.id, api.id) == true and gateway.delete_target(g.id, api.id) == false, "target deleted once")
		assert(gateway.get_target(g.id, api.id) == nil, "target gone")

		-- an mcp target without an endpoint (its agent not deployed) is refused before any call
		local ok, err = pcall(gateway.create_target, g.id, {name = "x", type = "mcp", agent = "bot"})
		assert(not ok and tostring(err.message):find("agent bot has no runtime", 1, true), tostring(err and err.message))

		assert(gateway.delete(g.id) == true, "deleted")
		assert(gateway.get(g.id) == nil and gateway.wait(g.id) == nil, "gone")
		assert(gateway.delete(g.id) == false, "nothing to delete")
	`)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
