-- metrics: an endpoint's invocations, errors and latency per minute (the console's charts).
local observe = require("observe")

local function fmt(v)
  if v == nil then return "-" end
  if v == math.floor(v) then return tostring(math.floor(v)) end
  return ("%.1f"):format(v)
end

return recipe {
  description = "Show an endpoint's invocations, errors and latency p50/p99 per minute",
  usage = [[
Reads the metrics AgentCore publishes per runtime endpoint (namespace AWS/Bedrock-AgentCore;
the local endpoint counts its invocations itself) with one GetMetricData: Invocations, errors
(SystemErrors + UserErrors), and Latency at p50 and p99, per minute. Minutes without an
invocation are left out. The console draws these as charts.

Examples:
  agentcore metrics my-bot
  agentcore metrics my-bot --endpoint stable --since 6h -o json]],
  lock = false,
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "endpoint", type = "string", default = "DEFAULT", help = "runtime endpoint" },
    { name = "since", type = "string", help = "from when: 30m, 2h, 1d or an RFC 3339 time (default 1h)" },
  },
  run = function(args)
    local start = observe.since(args.since, "1h")
    local agent, a = observe.deployed(args.agent, "metrics")
    observe.endpoints(agent, a, args.endpoint ~= "DEFAULT" and args.endpoint or nil)
    local dims = { Resource = a.runtime_arn, Operation = "InvokeAgentRuntime",
      Name = (a.runtime_name or agent.runtime_name) .. "::" .. args.endpoint }
    local ns = "AWS/Bedrock-AgentCore"
    local function q(id, metric, stat) return { id = id, namespace = ns, metric = metric, dimensions = dims, stat = stat, period = 60 } end
    local r = metrics.get_data { start = start, queries = {
      q("inv", "Invocations", "Sum"), q("sys", "SystemErrors", "Sum"), q("usr", "UserErrors", "Sum"),
      q("p50", "Latency", "p50"), q("p99", "Latency", "p99"),
    } }
    -- One row per minute that has any point, oldest first.
    local rows, byt = {}, {}
    local function at(t)
      local row = byt[t]
      if not row then
        row = { time = t, invocations = 0, errors = 0 }
        byt[t] = row
        table.insert(rows, row)
      end
      return row
    end
    local function each(id, fn)
      local s = r[id]
      for i, t in ipairs(s.timestamps) do fn(at(t), s.values[i]) end
    end
    each("inv", function(row, v) row.invocations = v end)
    each("sys", function(row, v) row.errors = row.errors + v end)
    each("usr", function(row, v) row.errors = row.errors + v end)
    each("p50", function(row, v) row.latency_p50_ms = v end)
    each("p99", function(row, v) row.latency_p99_ms = v end)
    table.sort(rows, function(x, y) return x.time < y.time end)
    local total, errors = 0, 0
    for _, row in ipairs(rows) do total, errors = total + row.invocations, errors + row.errors end
    local result = { agent = agent.name, endpoint = args.endpoint, start = start, minutes = json.array(),
      invocations = total, errors = errors }
    for _, row in ipairs(rows) do table.insert(result.minutes, row) end
    if not ui.json_mode() then
      if #rows == 0 then
        ui.ok(("no invocations of %s at %s in %s since %s"):format(agent.name, args.endpoint, env.name(), args.since or "1h"))
        return result
      end
      local t = {}
      for _, row in ipairs(rows) do
        table.insert(t, { row.time, fmt(row.invocations), fmt(row.errors), fmt(row.latency_p50_ms), fmt(row.latency_p99_ms) })
      end
      ui.table({ "MINUTE (UTC)", "INVOCATIONS", "ERRORS", "P50 MS", "P99 MS" }, t)
      ui.info(("%s invocations, %s errors"):format(fmt(total), fmt(errors)))
    end
    return result
  end,
}
