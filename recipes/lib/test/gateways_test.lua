-- Unit tests of lib/gateways.lua (run by recipes/lualib_test.go).
local gateways = require("gateways")

local T = {}

local function st(records)
  local out = { agents = {} }
  for agent, targets in pairs(records) do
    local g = { name = "tools", id = "gw-1", updated = targets.updated, targets = {} }
    for _, t in ipairs(targets) do table.insert(g.targets, t) end
    out.agents[agent] = { gateways = { g } }
  end
  return out
end

-- A shared gateway's records lag behind other agents' runs: merged tells what every record
-- holds, what any holds, and every last change they know.
function T.test_merged_records_of_a_shared_gateway()
  local m = gateways.merged(st {
    chat = { updated = "t2", { id = "a", name = "calc", updated = "u1" }, { id = "b", name = "weather", updated = "u2" } },
    bot = { updated = "t1", { id = "a", name = "calc", updated = "u3" } },
    other = {},
  }, "gw-1")
  assert(#m.records == 3, "three records")
  -- "other" records the gateway with no targets: no target is in every record
  assert(next(m.in_all) == nil, "in_all: " .. json.encode(m.in_all))
  assert(#m.known.a == 2 and #m.known.b == 1 and m.known.c == nil, "known")
  assert(m.updated.t1 and m.updated.t2, "updated")
  local two = gateways.merged(st {
    chat = { { id = "a", name = "calc" }, { id = "b", name = "weather" } },
    bot = { { id = "a", name = "calc" } },
  }, "gw-1")
  assert(two.in_all.a and not two.in_all.b, "a in both, b deleted by bot's run")
  assert(#gateways.merged(st { chat = {} }, "gw-2").records == 0, "another gateway")
end

function T.test_known_change()
  assert(gateways.known_change({ { updated = "u1" }, { updated = "u2" } }, "u2"), "one record knows it")
  assert(not gateways.known_change({ { updated = "u1" } }, "u9"), "a change nobody recorded")
  assert(gateways.known_change({ { updated = "" }, {} }, "u9"), "records without changes judge nothing")
end

return T
