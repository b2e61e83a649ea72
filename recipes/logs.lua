-- logs: what an agent printed (stdout, stderr, OTEL logs), from CloudWatch Logs.
local observe = require("observe")

return recipe {
  description = "Show an agent's logs (what it prints) from CloudWatch Logs; -f follows them",
  usage = [[
AgentCore keeps each endpoint's output in the log group
/aws/bedrock-agentcore/runtimes/<runtimeId>-<endpoint> (the local endpoint too, under the same
names). Lines are shown oldest first: time (UTC), session or stream, message, coloured by level
on a terminal. -o json prints one {"type":"log_event",...} object per line, then the result.
--follow shows new lines as they come (CloudWatch Logs live tail where the service offers it,
else polling every second) until Ctrl-C (exit 0). --session keeps one runtime
session's lines (a stream named after it, or a line holding its id, as AgentCore's JSON and
OTEL logs do). --grep is case-sensitive. --version N reads the endpoints serving version N.

Examples:
  agentcore logs my-bot
  agentcore logs my-bot --since 2h --grep ERROR
  agentcore logs my-bot -f --endpoint stable
  agentcore logs my-bot --session 7f3c...e2 -o json]],
  lock = false,
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "endpoint", type = "string", help = "endpoint whose logs to show (default DEFAULT)" },
    { name = "session", type = "string", help = "only the lines of this runtime session" },
    { name = "follow", short = "f", type = "bool", help = "keep showing new lines until Ctrl-C" },
    { name = "since", type = "string", help = "from when: 30s, 10m, 2h, 2d or an RFC 3339 time (default 1h; 10m with --follow)" },
    { name = "grep", type = "string", help = "only lines containing TEXT (case-sensitive)" },
    { name = "version", type = "string", help = "the endpoints that serve version N (3 or V3)" },
  },
  run = function(args)
    -- flags first: nothing is read for a bad one
    local since = args.since or (args.follow and "10m" or "1h")
    local start = observe.since(args.since, since)
    if args.grep == "" then ui.error("--grep needs a text", { usage = true }) end
    if args.session == "" then ui.error("--session needs a session id", { usage = true }) end
    local agent, a = observe.deployed(args.agent, "logs")
    local eps = observe.endpoints(agent, a, args.endpoint, args.version)
    local groups = {}
    for _, ep in ipairs(eps) do table.insert(groups, observe.group(a, ep)) end
    local result = { agent = agent.name, environment = env.name(), endpoints = eps, groups = groups, count = 0, since = since }
    local function query(group)
      return { group = group, start = start, grep = args.grep, session = args.session }
    end

    if args.follow then
      if #groups > 1 then
        ui.error(("--follow reads one endpoint, and %s serve %s: add --endpoint NAME"):format(table.concat(eps, ", "), args.version),
          { usage = true })
      end
      if not ui.json_mode() then ui.info(("following %s since %s (Ctrl-C to stop)"):format(groups[1], since)) end
      local r = logs.follow(query(groups[1]))
      result.count, result.missing, result.interrupted = r.count, r.missing, r.interrupted
      if r.missing and r.count == 0 then
        ui.ok(("%s has not written any logs yet in %s"):format(agent.name, env.name()))
      end
      return result
    end

    local missing = 0
    if #groups == 1 then
      local q = query(groups[1])
      q.print = true
      local r = logs.filter(q)
      result.count = r.count
      if r.missing then missing = 1 end
    else
      local all = {}
      for _, g in ipairs(groups) do
        local r = logs.filter(query(g))
        if r.missing then missing = missing + 1 end
        for _, e in ipairs(r.events or {}) do table.insert(all, e) end
      end
      table.sort(all, function(x, y) return x.timestamp < y.timestamp end)
      logs.print(all)
      result.count = #all
    end
    result.missing = missing == #groups
    if result.missing then
      ui.ok(("%s has not written any logs yet in %s (no log group %s)"):format(agent.name, env.name(), table.concat(groups, ", ")))
      ui.info("invoke it (agentcore invoke " .. agent.name .. " --prompt hello -e " .. env.name() .. "), then run this again")
    elseif result.count == 0 then
      local what = {}
      if args.session then table.insert(what, "session " .. args.session) end
      if args.grep then table.insert(what, ("containing %q"):format(args.grep)) end
      ui.ok(("no log lines of %s in %s since %s%s"):format(agent.name, env.name(), since,
        #what > 0 and (" " .. table.concat(what, ", ")) or ""))
    end
    return result
  end,
}
