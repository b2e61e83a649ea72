package memory_test

import (
	"testing"

	"github.com/agentcore/agentcore/builtins/agentcore"
	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/builtins/memory"
	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestMain(m *testing.M) { awstest.Main(m) }

// The memory module against moto's Memory control plane, through the real SDK client: create
// with strategies and tags, wait, find by name, diff, one UpdateMemory that adds, modifies and
// deletes strategies by id (the memory kept), then delete.
func TestMemoryLifecycle(t *testing.T) {
	h := enginetest.New(t, memory.New(awstest.AWS()), agentcore.New(awstest.AWS()))
	awstest.UseEnv(t, h, awstest.Moto(t))
	h.Do(t, `
		local spec = {memory_name = "lifecycle_mem", event_expiry_days = 30, strategies = {
			{type = "semantic", name = "facts", namespace = "/facts/{actorId}"},
			{type = "summary", name = "summary", namespace = "/summaries/{actorId}/{sessionId}"},
			{type = "user_preference", name = "prefs"},
		}}
		local m = memory.create(spec, {client_token = "agentcore-0123456789abcdef0123456789abcdef", tags = {["agentcore:memory"] = "chat"}})
		assert(m.id ~= "" and m.arn:find(":memory/" .. m.id, 1, true), "id and arn: " .. m.arn)
		m = memory.wait(m.id, {interval = 1})
		assert(m.status == "ACTIVE", m.status)
		assert(#m.strategies == 3, "strategies: " .. #m.strategies)
		assert(agentcore.list_tags(m.arn)["agentcore:memory"] == "chat", "tags")
		local found = memory.find("lifecycle_mem")
		assert(found and found.id == m.id, "find")
		assert(memory.find("no_such_memory") == nil, "find of nothing")
		assert(#memory.diff(m, spec) == 0, "no difference")

		local ids = {}
		for _, s in ipairs(m.strategies) do ids[s.name] = s.id end
		spec.event_expiry_days = 60
		spec.strategies = {
			{type = "semantic", name = "facts", namespace = "/facts2/{actorId}"},
			{type = "user_preference", name = "prefs"},
			{type = "episodic", name = "episodes"},
		}
		local r = memory.update(m.id, spec, {client_token = "agentcore-1123456789abcdef0123456789abcdef"})
		assert(r.changed, "changed")
		local seen = {}
		for _, ch in ipairs(r.changes) do seen[ch.action .. " " .. ch.what .. " " .. (ch.strategy or "")] = ch.id or "" end
		assert(seen["set event_expiry_days "], "expiry")
		assert(seen["modify strategy facts"] == ids.facts, "modify by id")
		assert(seen["delete strategy summary"] == ids.summary, "delete by id")
		assert(seen["add strategy episodes"] == "", "add")
		local after = memory.get(m.id)
		assert(after.id == m.id and after.event_expiry_days == 60, "the same memory, expiry set")
		local by = {}
		for _, s in ipairs(after.strategies) do by[s.name] = s end
		assert(by.facts.id == ids.facts and by.facts.namespaces[1] == "/facts2/{actorId}", "facts modified in place")
		assert(by.prefs.id == ids.prefs and by.episodes and by.episodes.type == "episodic" and not by.summary, "strategies")
		assert(#memory.diff(after, spec) == 0, "agrees after the update")
		local again = memory.update(m.id, spec)
		assert(not again.changed and #again.changes == 0, "nothing to do")

		-- a type change is refused before any call (exit 2)
		spec.strategies[2] = {type = "summary", name = "prefs"}
		local ok, err = pcall(memory.update, m.id, spec)
		assert(not ok and err.code == 2 and tostring(err.message):find("is user_preference in AgentCore and summary in the configuration", 1, true), tostring(err and err.message))

		assert(memory.delete(m.id) == true, "deleted")
		assert(memory.get(m.id) == nil, "gone")
		assert(memory.wait(m.id) == nil, "wait on a gone memory")
		assert(memory.delete(m.id) == false, "nothing to delete")
	`)
}
