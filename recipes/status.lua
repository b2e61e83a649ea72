-- status: what runs, per agent: versions, endpoints, images.
local deploy = require("deploy")
local gateways = require("gateways")
local observe = require("observe")

-- The endpoints' invocations and errors over the last hour from AgentCore's metrics (the
-- local endpoint counts them itself), one GetMetricData for all of a runtime's endpoints; {}
-- when they cannot be read (an endpoint without the CloudWatch API), so that status still
-- shows the rest.
local function health(a, runtime_name, endpoints)
  if #endpoints == 0 then return {} end
  local ok, h = pcall(metrics.endpoints_health, { runtime_arn = a.runtime_arn, runtime_name = runtime_name,
    endpoints = endpoints, since_seconds = 3600 })
  if not ok then
    ui.debug(("metrics of %s not read: %s"):format(runtime_name, tostring(type(h) == "table" and h.message or h)))
    return {}
  end
  return h
end

local function short_time(t)
  if not t or t == "" then return "-" end
  return (t:gsub("T", " "):gsub("Z$", ""):gsub("%.%d+", ""))
end

-- The agent's memory: as recorded, and as GetMemory describes it (status, strategies, expiry).
local function memory_status(agent, a)
  local rec = a and a.memory
  if not agent.memory and not rec then return nil end
  local out = { name = agent.memory and agent.memory.name or rec.name, memory_name = rec and rec.memory_name or agent.memory.memory_name,
    recorded = rec ~= nil, created_by = rec and rec.created_by or nil, id = rec and rec.id or nil, arn = rec and rec.arn or nil,
    strategies = json.array() }
  if not rec then
    out.status = "NOT CREATED"
    return out
  end
  local live = memory.get(rec.id)
  if not live then
    out.status = "MISSING"
    return out
  end
  out.status, out.event_expiry_days = live.status, live.event_expiry_days
  for _, s in ipairs(live.strategies) do
    table.insert(out.strategies, { name = s.name, type = s.type, id = s.id, namespaces = s.namespaces, status = s.status })
  end
  return out
end

-- The agent's credential providers: as recorded, and as AgentCore Identity describes them
-- (kind, last change); never a value.
local function credentials_status(agent, a)
  local out = json.array()
  local recs = {}
  for _, r in ipairs(a and a.credentials or {}) do recs[r.name] = r end
  local names, seen = {}, {}
  for _, n in ipairs(agent.credentials or {}) do table.insert(names, n); seen[n] = true end
  for n in pairs(recs) do if not seen[n] then table.insert(names, n) end end
  table.sort(names)
  for _, n in ipairs(names) do
    local rec = recs[n]
    local cfg = seen[n] and identity.config(n) or nil
    local x = { name = n, provider_name = rec and rec.provider_name or cfg.provider_name, type = rec and rec.type or cfg.type,
      recorded = rec ~= nil, created_by = rec and rec.created_by or nil, arn = rec and rec.arn or nil, listed = seen[n] == true }
    if not rec then
      x.status = "NOT CREATED"
    else
      local live = identity.get(rec.type, rec.provider_name)
      x.status = live and "READY" or "MISSING"
      if live then x.vendor, x.updated = live.vendor, live.updated end
    end
    table.insert(out, x)
  end
  return out
end

-- The agent's gateways: as recorded, and as AgentCore describes them (status, URL, targets).
local function gateways_status(agent, a)
  local out = json.array()
  local recs = {}
  for _, r in ipairs(a and a.gateways or {}) do recs[r.name] = r end
  local names, seen = {}, {}
  for _, n in ipairs(agent.gateways or {}) do table.insert(names, n); seen[n] = true end
  for n in pairs(recs) do if not seen[n] then table.insert(names, n) end end
  table.sort(names)
  for _, n in ipairs(names) do
    local rec = recs[n]
    local x = { name = n, gateway_name = rec and rec.gateway_name or gateway.config(n).gateway_name, recorded = rec ~= nil,
      created_by = rec and rec.created_by or nil, id = rec and rec.id or nil, arn = rec and rec.arn or nil,
      url = rec and rec.url or nil, listed = seen[n] == true, targets = json.array() }
    if not rec then
      x.status = "NOT CREATED"
    else
      local live = gateway.get(rec.id)
      x.status = live and live.status or "MISSING"
      if live then
        x.url, x.auth = live.url, live.auth_type
        local types = {}
        -- every agent's record of it: one agent's may lag behind another's run
        local merged = gateways.merged(state.load(), rec.id)
        for id, recs in pairs(merged.known) do types[id] = recs[#recs] end
        for _, t in ipairs(gateway.targets(rec.id)) do
          local r = types[t.id]
          table.insert(x.targets, { name = t.name, id = t.id, status = t.status, type = r and r.type or nil,
            agent = r and r.agent or nil, recorded = r ~= nil, updated = t.updated })
          types[t.id] = nil
        end
        for _, r in ipairs(rec.targets or {}) do
          if types[r.id] and merged.in_all[r.id] then -- recorded by all, and AgentCore does not have it
            table.insert(x.targets, { name = r.name, id = r.id, status = "MISSING", type = r.type, agent = r.agent, recorded = true })
          end
        end
        table.sort(x.targets, function(p, q) return p.name < q.name end)
      end
    end
    table.insert(out, x)
  end
  return out
end

-- The agent's last change in the environment's history: who made it, when, and how it ended.
local function last_change(name)
  local e = history.last(name)
  if not e then return nil end
  return { id = e.id, recipe = e.recipe, who = e.who, at = e.started_at, outcome = e.outcome, what = e.what, commit = e.short_commit }
end

local function agent_status(name, st)
  local agent = project.agent(name, { resolve = false })
  local a = st.agents[name]
  local out = { agent = name, runtime_name = agent.runtime_name, protocol = agent.protocol or "HTTP", deployed = false,
    versions = json.array(), endpoints = json.array() }
  out.memory = memory_status(agent, a)
  out.credentials = credentials_status(agent, a)
  out.gateways = gateways_status(agent, a)
  if not a or not a.runtime_id then return out end
  out.deployed = true
  out.runtime_id, out.runtime_arn, out.repository = a.runtime_id, a.runtime_arn, a.repository
  if a.adopted then
    out.adopted = { at = a.adopted.at, repository = a.adopted.repository, role_arn = a.adopted.role_arn }
  end
  local live = agentcore.get_runtime(a.runtime_id)
  out.live = live ~= nil
  out.status = live and live.status or "MISSING"
  out.latest_version = live and tonumber(live.agentRuntimeVersion) or nil
  local live_versions = {}
  if live then
    for _, v in ipairs(agentcore.list_versions(a.runtime_id)) do
      live_versions[tonumber(v.agentRuntimeVersion)] = v.status
    end
  end
  local live_eps = {}
  if live then
    for _, ep in ipairs(agentcore.list_endpoints(a.runtime_id)) do
      live_eps[ep.name] = ep
    end
  end
  local names = {}
  for n in pairs(a.endpoints) do names[n] = true end
  for n in pairs(live_eps) do names[n] = true end
  local sorted = {}
  for n in pairs(names) do table.insert(sorted, n) end
  table.sort(sorted)
  local healths = (live and a.runtime_arn) and health(a, a.runtime_name or agent.runtime_name, sorted) or {}
  for _, n in ipairs(sorted) do
    local rec, lv = a.endpoints[n], live_eps[n]
    table.insert(out.endpoints, {
      name = n,
      version = rec and rec.version or nil,
      live_version = lv and tonumber(lv.liveVersion or lv.targetVersion) or nil,
      status = lv and lv.status or (live and "MISSING" or "-"),
      health = healths[n],
    })
  end
  for _, v in ipairs(a.versions) do
    local eps = json.array() -- [] in -o json when no endpoint serves the version
    for _, e in ipairs(out.endpoints) do
      if (e.live_version or e.version) == v.number then table.insert(eps, e.name) end
    end
    table.insert(out.versions, { number = v.number, status = live_versions[v.number] or (live and "MISSING" or v.status),
      recorded_status = v.status, image = v.image, digest = v.digest, created_at = v.created_at, endpoints = eps })
  end
  for _, r in ipairs(a.resources or {}) do
    if r.kind == "stack" and r.id == observe.stack_name(agent) then out.dashboard_url = observe.dashboard_url(agent) end
  end
  return out
end

return recipe {
  description = "Show each agent's runtime, versions, endpoints and images in the environment",
  usage = [[
Reads the recorded state and asks the runtime what is live, with each endpoint's invocations
and errors over the last hour and its last error (AgentCore's CloudWatch metrics; counted by
the local endpoint itself locally), and on AWS the agent's CloudWatch dashboard; its memory, and
its credential providers (kind, status, last change; never a value), and its gateways (status, MCP
URL, each target's type, agent and status). -o json gives the same as
data.

Examples:
  agentcore status
  agentcore status my-bot -o json]],
  lock = false,
  args = {
    { name = "agent", type = "string", positional = true, help = "agent name (default: every agent)" },
  },
  run = function(args)
    local st = state.load()
    local names = args.agent and { args.agent } or project.agents()
    local result = { environment = env.name(), provider = env.get().provider, agents = json.array() }
    for _, name in ipairs(names) do
      local s = agent_status(name, st)
      s.last_change = last_change(name)
      table.insert(result.agents, s)
      if not ui.json_mode() then
        if not s.deployed then
          ui.step(("%s: not deployed in %s"):format(name, env.name()))
          ui.info("agentcore create " .. name .. " deploys it")
        else
          ui.step(("%s: runtime %s, %s, latest %s"):format(name, s.runtime_id, s.status,
            s.latest_version and deploy.vname(s.latest_version) or "-"))
          if not s.live then
            ui.warn(("runtime %s is recorded but does not exist (deleted outside agentcore?); agentcore update %s creates it again"):format(s.runtime_id, name))
          end
          local rows = {}
          for _, v in ipairs(s.versions) do
            table.insert(rows, { deploy.vname(v.number), v.status, deploy.short_digest(v.digest), short_time(v.created_at),
              table.concat(v.endpoints, ", ") })
          end
          ui.table({ "VERSION", "STATUS", "IMAGE", "CREATED (UTC)", "ENDPOINTS" }, rows)
          local erows = {}
          for _, e in ipairs(s.endpoints) do
            local where = e.live_version and deploy.vname(e.live_version) or "-"
            if e.version and e.live_version and e.version ~= e.live_version then
              where = where .. " (state says " .. deploy.vname(e.version) .. ")"
            end
            local h = e.health
            local inv, errs, last = "-", "-", "-"
            if h and h.available then
              inv, errs, last = tostring(math.floor(h.invocations)), tostring(math.floor(h.errors)), short_time(h.last_error)
            elseif h then
              inv, errs = "0", "0"
            end
            table.insert(erows, { e.name, where, e.status, inv, errs, last })
          end
          ui.table({ "ENDPOINT", "VERSION", "STATUS", "INVOCATIONS (1H)", "ERRORS (1H)", "LAST ERROR (UTC)" }, erows)
          if s.dashboard_url then ui.info("dashboard: " .. s.dashboard_url) end
          if s.adopted then
            ui.info(("adopted (agentcore import runtime, %s): destroy keeps the runtime unless --include-adopted; its repository %s and role %s are never agentcore's"):format(
              s.adopted.at or "-", s.adopted.repository or "-", s.adopted.role_arn or "-"))
          end
        end
        local lc = s.last_change
        if lc then
          ui.info(("last change: %s by %s at %s UTC (%s)"):format(lc.recipe, lc.who, short_time(lc.at), lc.outcome))
        end
        local m = s.memory
        if m then
          ui.info(("memory %s: %s %s%s%s"):format(m.name, m.memory_name, m.id and ("(" .. m.id .. ") ") or "", m.status,
            m.event_expiry_days and (", events kept " .. m.event_expiry_days .. " days") or ""))
          if m.created_by == "adopted" then ui.info("  adopted (agentcore import memory): destroy never deletes it") end
          if m.status == "MISSING" then
            ui.warn(("memory %s (%s) is recorded but does not exist; agentcore update %s creates it again"):format(m.memory_name, m.id, name))
          end
          local srows = {}
          for _, x in ipairs(m.strategies) do
            table.insert(srows, { x.name, x.type, table.concat(x.namespaces or {}, ", "), x.status or "-", x.id })
          end
          if #srows > 0 then ui.table({ "STRATEGY", "TYPE", "NAMESPACE", "STATUS", "ID" }, srows) end
        end
        for _, g in ipairs(s.gateways or {}) do
          ui.info(("gateway %s: %s %s%s%s"):format(g.name, g.gateway_name, g.id and ("(" .. g.id .. ") ") or "", g.status,
            g.url and (", " .. g.url) or ""))
          if g.created_by == "adopted" then ui.info("  adopted (agentcore import gateway): destroy never deletes it") end
          if g.status == "MISSING" then
            ui.warn(("gateway %s (%s) is recorded but does not exist; agentcore update %s creates it again"):format(g.gateway_name, g.id, name))
          end
          local trows = {}
          for _, t in ipairs(g.targets) do
            table.insert(trows, { t.name, t.type or "-", t.agent or "-", t.status, t.id })
          end
          if #trows > 0 then ui.table({ "TARGET", "TYPE", "AGENT", "STATUS", "ID" }, trows) end
        end
        for _, x in ipairs(s.credentials or {}) do
          ui.info(("credential %s: %s provider %s%s, %s%s"):format(x.name, x.type == "api_key" and "API key" or "OAuth2", x.provider_name,
            x.vendor and x.vendor ~= "" and (" (" .. x.vendor .. ")") or "", x.status,
            x.updated and (", last changed " .. short_time(x.updated) .. " UTC") or ""))
          if x.created_by == "adopted" then ui.info("  adopted (agentcore import credential): destroy never deletes it") end
          if x.status == "MISSING" then
            ui.warn(("credential provider %s is recorded but does not exist; agentcore update %s creates it again"):format(x.provider_name, name))
          end
        end
      end
    end
    return result
  end,
}
