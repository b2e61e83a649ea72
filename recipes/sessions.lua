-- sessions: list an agent's live runtime sessions, or stop them (StopRuntimeSession).
local deploy = require("deploy")
local observe = require("observe")
local sessions = require("sessions")

local function left(at_text, now)
  if not at_text then return nil end
  local ok, at = pcall(logs.parse_time, at_text)
  if not ok then return nil end
  return math.max(0, math.floor((at - now) / 1000))
end

local function human(secs)
  if secs == nil then return "unknown" end
  if secs >= 3600 then return ("%dh%02dm"):format(math.floor(secs / 3600), math.floor((secs % 3600) / 60)) end
  if secs >= 60 then return ("%dm%02ds"):format(math.floor(secs / 60), secs % 60) end
  return ("%ds"):format(secs)
end

-- The live sessions: the local endpoint's own list, or on AWS what can be known.
local function list(agent, a, endpoint)
  local now = logs.parse_time(deploy.now())
  if deploy.is_local() then
    local out = {}
    for _, s in ipairs(agentcore.list_sessions(a.runtime_arn).sessions) do
      if not endpoint or s.endpointName == endpoint then
        table.insert(out, { id = s.runtimeSessionId, endpoint = s.endpointName, version = s.agentRuntimeVersion,
          started = s.startedAt, last_request = s.lastRequestAt,
          idle_left = left(s.idleTimeoutAt, now), lifetime_left = left(s.maxLifetimeAt, now) })
      end
    end
    return out, {}
  end
  -- AWS has no API that lists sessions: the ones this project used (agentcore invoke, exec,
  -- shell), and the runtime's log streams (one per session's microVM).
  local out, seen = {}, {}
  for key, id in pairs(sessions.load()) do
    local name, ep = key:match("^(.-)/(.+)$")
    if name == agent.name and (not endpoint or ep == endpoint) and not seen[id] then
      seen[id] = true
      table.insert(out, { id = id, endpoint = ep, source = "this project" })
    end
  end
  table.sort(out, function(x, y) return x.id < y.id end)
  local streams = {}
  for ep in pairs(endpoint and { [endpoint] = true } or a.endpoints) do
    for _, st in ipairs(logs.describe_streams { group = observe.group(a, ep) } or {}) do
      table.insert(streams, { endpoint = ep, stream = st.name, last_event = st.last_event })
    end
  end
  return out, streams
end

return recipe {
  description = "List an agent's live runtime sessions, or stop them",
  usage = [[
agentcore sessions AGENT lists the sessions: id, endpoint, version, last request, and the time
left before the idle timeout and the maximum lifetime end them. The local endpoint knows them
all (its own route, GET /runtimes/ARN/sessions).
AgentCore has no API that lists sessions: on AWS the list holds the sessions this project
used (invoke, exec, shell) and the runtime's log streams (one per session), and the times left
are unknown.

agentcore sessions stop AGENT ID | --idle-over 10m | --all ends sessions (StopRuntimeSession):
one, those without a request for that long (local endpoint only), or all that are listed.

Examples:
  agentcore sessions my-bot
  agentcore sessions my-bot -o json
  agentcore sessions stop my-bot 7f3c...e2
  agentcore sessions stop my-bot --idle-over 10m
  agentcore sessions stop my-bot --all]],
  lock = false,
  args = {
    { name = "words", type = "list", positional = true, required = true, help = "AGENT, or stop AGENT [ID]" },
    { name = "endpoint", type = "string", help = "only the sessions of this endpoint (qualifier)" },
    { name = "idle-over", type = "string", help = "stop: the sessions without a request for this long (10m, 1h)" },
    { name = "all", type = "bool", help = "stop: every listed session" },
  },
  run = function(args)
    local w = args.words
    local stop = w[1] == "stop" and #w >= 2
    local name, id = w[1], nil
    if stop then name, id = w[2], w[3] end
    if #w > (stop and 3 or 1) then
      ui.error(("unexpected argument %q"):format(w[stop and 4 or 2]), { usage = true,
        hint = "agentcore sessions AGENT, or agentcore sessions stop AGENT ID | --idle-over 10m | --all" })
    end
    if not stop and (args.all or args.idle_over) then
      ui.error("--all and --idle-over go with stop: agentcore sessions stop " .. name .. " --all", { usage = true })
    end
    if stop then
      local n = (id and 1 or 0) + (args.all and 1 or 0) + (args.idle_over and 1 or 0)
      if n ~= 1 then
        ui.error("say which sessions to stop: one ID, --idle-over DURATION or --all", { usage = true,
          hint = "agentcore sessions " .. name .. " lists them" })
      end
    end
    local cutoff
    if args.idle_over then cutoff = observe.since(args.idle_over) end

    local agent = project.agent(name, { resolve = false })
    local a = deploy.require_runtime(deploy.context(agent))

    if not stop then
      local live, streams = list(agent, a, args.endpoint)
      local result = { agent = agent.name, environment = env.name(), sessions = {}, streams = streams,
        complete = deploy.is_local() }
      local rows = {}
      for _, s in ipairs(live) do
        table.insert(result.sessions, s)
        table.insert(rows, { s.id, s.endpoint or "", s.version and ("V" .. s.version) or "", s.started or "unknown",
          s.last_request or "unknown", human(s.idle_left), human(s.lifetime_left) })
      end
      if ui.json_mode() then return result end
      if #rows == 0 and deploy.is_local() then
        ui.ok(("%s has no live sessions in %s"):format(agent.name, env.name()))
      elseif #rows == 0 then
        ui.ok(("this project has used no session of %s in %s"):format(agent.name, env.name()))
      else
        ui.table({ "SESSION", "ENDPOINT", "VERSION", "STARTED", "LAST REQUEST", "IDLE LEFT", "LIFETIME LEFT" }, rows)
      end
      if not deploy.is_local() then
        ui.info("AgentCore has no API that lists sessions: these are the ones this project used; idle and lifetime left are unknown on AWS")
        if #streams > 0 then
          local srows = {}
          for _, s in ipairs(streams) do table.insert(srows, { s.endpoint, s.stream, s.last_event or "" }) end
          ui.table({ "ENDPOINT", "LOG STREAM (one per session)", "LAST EVENT" }, srows)
        end
      end
      return result
    end

    local targets = {}
    if id then
      targets = { { id = id, endpoint = args.endpoint or "DEFAULT" } }
    else
      if cutoff and not deploy.is_local() then
        ui.error("--idle-over needs the time of each session's last request, which AgentCore does not tell on AWS",
          { usage = true, hint = "stop them by id, or --all the ones this project used" })
      end
      for _, s in ipairs((list(agent, a, args.endpoint))) do
        local ok, last = pcall(logs.parse_time, s.last_request or "")
        if not cutoff or (ok and last <= cutoff) then table.insert(targets, s) end
      end
    end
    local stopped = {}
    for _, s in ipairs(targets) do
      agentcore.stop_session(a.runtime_arn, s.id, { qualifier = s.endpoint or "DEFAULT" })
      table.insert(stopped, s.id)
      ui.ok(("stopped session %s of %s"):format(s.id, agent.name))
    end
    if #stopped == 0 then ui.ok(("no session of %s to stop"):format(agent.name)) end
    return { agent = agent.name, environment = env.name(), stopped = stopped }
  end,
}
