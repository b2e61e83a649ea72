-- Gateways ([gateways.NAME]): the AgentCore gateways an agent calls, ensured before its runtime
-- (their URLs go into its environment and config_hash, their ARNs into its role). A gateway is
-- the environment's, shared by the agents that name it; each records it (with its targets) in
-- its state entry, and destroy deletes it with the last of them.
--
-- Order: a target served by an agent of the project (type = "mcp", agent = "...") needs that
-- agent's runtime, whose data-plane URL is the target's endpoint; deploy.agent_names puts such
-- agents first, and a gateway whose agent is not deployed stops before any call (exit 2).
-- Every create is write-ahead (create_gateway, create_gateway_target intents with a client
-- token); the gateway carries agentcore's tags, so an interrupted run's gateway is found by
-- name and tags and recorded, never made twice.
local deploy = require("deploy")
local M = {}

---@param a table the agent's state entry
---@param name string the [gateways] key
---@return journal.Gateway?
function M.gateway_of(a, name)
  for _, r in ipairs(a and a.gateways or {}) do
    if r.name == name then return r end
  end
  return nil
end

-- The record of gateway key name by another agent of the environment (saved state).
local function recorded_elsewhere(agent_name, name, gateway_name)
  for other, a in pairs(state.load().agents or {}) do
    local r = other ~= agent_name and M.gateway_of(a, name) or nil
    if r and (r.created_by == "adopted" or r.gateway_name == gateway_name) then return r end
  end
  return nil
end

-- What the agents of an environment record of one gateway (id gid), merged: each agent records
-- a shared gateway as its own last run left it, so one agent's record may lag behind another's
-- run (a target another agent's update deleted or made). in_all[target id]: every record holds
-- it (a target gone from AgentCore that all of them hold was deleted behind agentcore's back);
-- known[target id]: the records that hold it (none: added behind agentcore's back); updated:
-- every last change of the gateway the records hold.
---@param st table the environment's state
---@param gid string
---@return {in_all: table<string, boolean>, known: table<string, table[]>, updated: table<string, boolean>, records: table[]}
function M.merged(st, gid)
  local out = { in_all = {}, known = {}, updated = {}, records = {} }
  for _, a in pairs(st.agents or {}) do
    for _, g in ipairs(a.gateways or {}) do
      if g.id == gid then table.insert(out.records, g) end
    end
  end
  for i, g in ipairs(out.records) do
    if (g.updated or "") ~= "" then out.updated[g.updated] = true end
    local here = {}
    for _, t in ipairs(g.targets or {}) do
      here[t.id] = true
      out.known[t.id] = out.known[t.id] or {}
      table.insert(out.known[t.id], t)
    end
    if i == 1 then
      for id in pairs(here) do out.in_all[id] = true end
    else
      for id in pairs(out.in_all) do
        if not here[id] then out.in_all[id] = nil end
      end
    end
  end
  return out
end

-- Whether a live last change (of a gateway or target) is one agentcore recorded: one of the
-- records holds it, or none holds any (recorded before agentcore kept them).
---@param recorded table[] records with an updated field
---@param live_updated string?
---@return boolean
function M.known_change(recorded, live_updated)
  local any = false
  for _, r in ipairs(recorded) do
    if (r.updated or "") ~= "" then
      any = true
      if r.updated == live_updated then return true end
    end
  end
  return not any
end

-- The tags of a gateway agentcore creates: project, environment and the [gateways] key.
function M.tags(name, token)
  return deploy.owned_tags("agentcore:gateway", name, token)
end

-- The agents of the project that serve a target of a gateway (mcp targets naming an agent).
---@return table<string, string[]> agent -> "gateway/target" it serves
function M.servers()
  local out = {}
  for _, g in ipairs(project.gateways()) do
    for _, t in ipairs(gateway.config(g).targets or {}) do
      if t.agent and t.agent ~= "" then
        out[t.agent] = out[t.agent] or {}
        table.insert(out[t.agent], g .. "/" .. t.name)
      end
    end
  end
  return out
end

-- The credential keys the targets of the agent's gateways send (outbound auth): deploy
-- ensures these providers with the agent's own.
---@param agent deploy.Agent
---@return string[]
function M.target_credentials(agent)
  local out, seen = {}, {}
  for _, g in ipairs(agent.gateways or {}) do
    for _, t in ipairs(gateway.config(g).targets or {}) do
      if t.credential and t.credential ~= "" and not seen[t.credential] then
        seen[t.credential] = true
        table.insert(out, t.credential)
      end
    end
  end
  table.sort(out)
  return out
end

-- Stops (exit 2) before any work when a target of the agent's gateways is served by an agent
-- of the project that is not deployed in this environment: the target would have no endpoint.
---@param agent deploy.Agent
function M.check(agent)
  if #(agent.gateways or {}) == 0 then return end
  local agents = state.load().agents or {}
  for _, g in ipairs(agent.gateways) do
    for _, t in ipairs(gateway.config(g).targets or {}) do
      local a = t.agent and t.agent ~= "" and agents[t.agent] or nil
      if t.agent and t.agent ~= "" and t.agent ~= agent.name and not (a and a.runtime_arn and a.runtime_arn ~= "") then
        ui.error(("gateway %s: target %s is served by agent %s, which is not deployed in %s"):format(g, t.name, t.agent, env.name()),
          { usage = true, hint = ("deploy it first: agentcore create %s -e %s (create --all and deploy --all order it first)"):format(t.agent, env.name()) })
      end
    end
  end
end

-- The runtime ARN and latest version of agent name in this environment, from the saved state
-- and this run's (nil when it is not deployed).
local function runtime_of(c, name)
  local a = (name == c.agent.name) and c.a or (c.st.agents or {})[name] or (state.load().agents or {})[name]
  if not a or not a.runtime_arn or a.runtime_arn == "" then return nil end
  local latest = deploy.latest(a)
  return a.runtime_arn, latest and latest.number or nil
end

-- The provider record of credential key name in this environment (any agent's).
local function credential_record(c, name)
  local r = deploy.credential_of(c.a, name)
  if r then return r end
  for _, a in pairs(state.load().agents or {}) do
    r = deploy.credential_of(a, name)
    if r then return r end
  end
  return nil
end

-- The spec of gateway name with its targets' endpoints and credentials filled in; a target
-- whose agent is not deployed stops (exit 2) before any call.
---@param c deploy.Context
---@param name string
---@return gateway.Spec spec
---@return table<string, integer> versions the served agents' latest versions
function M.spec(c, name)
  local arns, creds, versions = {}, {}, {}
  for _, t in ipairs(gateway.config(name).targets or {}) do
    if t.agent and t.agent ~= "" then
      local arn, v = runtime_of(c, t.agent)
      if not arn then
        ui.error(("gateway %s: target %s is served by agent %s, which is not deployed in %s"):format(name, t.name, t.agent, env.name()),
          { usage = true, hint = ("deploy it first: agentcore create %s -e %s (create --all and deploy --all order it first)"):format(t.agent, env.name()) })
      end
      arns[t.agent], versions[t.agent] = arn, v
    end
    if t.credential and t.credential ~= "" then
      local r = credential_record(c, t.credential)
      if r then creds[t.credential] = { arn = r.arn, type = r.type } end
    end
  end
  return gateway.config(name, { runtime_arns = arns, credentials = creds }), versions
end

-- The gateway's role: execution_role when given; on the local provider, none is needed; on
-- AWS a least-privilege role from a CloudFormation stack of its own (its functions, its
-- providers). Returns the role ARN and the stack ("" when agentcore made none).
local function ensure_role(c, spec)
  if spec.execution_role and spec.execution_role ~= "" then
    return spec.execution_role, ""
  end
  if deploy.is_local() then
    return ("arn:aws:iam::%s:role/agentcore-local-gateway"):format(aws.caller().account), ""
  end
  local lambdas, keys, oauth, secrets, runtimes = {}, {}, {}, {}, {}
  for _, t in ipairs(spec.targets or {}) do
    if t.type == "lambda" then table.insert(lambdas, t["function"]) end
    if t.agent and t.agent ~= "" then table.insert(runtimes, (runtime_of(c, t.agent))) end
    if t.credential_arn and t.credential_arn ~= "" then
      table.insert(t.credential_type == "oauth2" and oauth or keys, t.credential_arn)
      local r = credential_record(c, t.credential)
      if r and r.secret_arn and r.secret_arn ~= "" then table.insert(secrets, r.secret_arn) end
    end
  end
  for _, l in ipairs({ lambdas, keys, oauth, secrets, runtimes }) do table.sort(l) end
  -- named like the project's other stacks and roles (agentcore-PROJECT-...), which the CI
  -- role may deploy and pass: whatever gateway_name says
  local base = ("agentcore-%s-gw-%s-%s"):format(project.name(), spec.name, env.name()):lower():gsub("_", "-")
  local stack = base:sub(1, 128)
  local out = cfn.deploy { stack = stack, template = "gateway-role", capabilities = { "CAPABILITY_NAMED_IAM" },
    tags = M.tags(spec.name),
    parameters = {
      RoleName = base:sub(1, 64),
      GatewayName = spec.gateway_name,
      LambdaArns = table.concat(lambdas, ","), RuntimeArns = table.concat(runtimes, ","),
      ApiKeyProviderArns = table.concat(keys, ","), OAuth2ProviderArns = table.concat(oauth, ","),
      ProviderSecretArns = table.concat(secrets, ","),
      Project = project.name(), Environment = env.name(), Gateway = spec.name,
    } }
  ui.ok(("gateway role %s (stack %s, %s)"):format(out.outputs.RoleArn, stack, out.changed and "deployed" or "unchanged"))
  return out.outputs.RoleArn, stack
end

local function record_of(name, live, created_by, old)
  return { name = name, gateway_name = live.name, id = live.id, arn = live.arn, url = live.url, created_by = created_by,
    role_stack = old and old.role_stack or nil, role_arn = live.role_arn, updated = live.updated,
    targets = old and old.targets or json.array() }
end

local function target_of(rec, tname)
  for _, t in ipairs(rec.targets or {}) do
    if t.name == tname then return t end
  end
  return nil
end

local function set_target(rec, t)
  local out = json.array()
  for _, x in ipairs(rec.targets or {}) do
    if x.name ~= t.name then table.insert(out, x) end
  end
  if not t.deleted then table.insert(out, t) end
  table.sort(out, function(x, y) return x.name < y.name end)
  rec.targets = out
end

-- Brings the gateway's targets to the spec: created (write-ahead), updated where their hash
-- changed (or AgentCore's copy changed behind agentcore's back), deleted where no longer
-- configured, synchronized where their agent has a new version. Saves after each.
local function ensure_targets(c, rec, spec, versions)
  local merged = M.merged(state.load(), rec.id)
  local live = {}
  for _, t in ipairs(gateway.targets(rec.id)) do
    if t.status == "DELETING" then
      gateway.wait_target(rec.id, t.id) -- deleted behind agentcore's back: gone once it ends
    else
      live[t.name] = t
    end
  end
  local want = {}
  local sync = {}
  for _, t in ipairs(spec.targets or {}) do
    want[t.name] = true
    local r, l = target_of(rec, t.name), live[t.name]
    if r and l and r.id ~= l.id then r = nil end
    if l and not r then
      -- made by an interrupted run (or by hand): ours to bring to the configuration
      r = { name = t.name, id = l.id, type = t.type, hash = "" }
    end
    if r and not l then
      if merged.in_all[r.id] then
        ui.warn(("target %s of gateway %s was deleted outside agentcore; creating it again"):format(t.name, rec.gateway_name))
      end -- else another agent's run deleted it (its record no longer holds it)
      r = nil
    end
    if not r then
      local p = deploy.begin(c, { op = "create_gateway_target", name = t.name, gateway_id = rec.id, config_hash = t.hash })
      ui.step(("creating target %s (%s) of gateway %s"):format(t.name, t.type, rec.gateway_name))
      local made = gateway.create_target(rec.id, t, { client_token = p.token })
      made = gateway.wait_target(rec.id, made.id) or made
      set_target(rec, { name = t.name, id = made.id, type = t.type, hash = t.hash, updated = made.updated,
        agent = t.agent, version = t.agent and versions[t.agent] or nil })
      journal.set_gateway(c.st, c.agent.name, rec.name, rec)
      deploy.finish(c, p)
      ui.ok(("target %s of gateway %s created (%s)"):format(t.name, rec.gateway_name, made.id))
    else
      local touched = (r.updated or "") ~= "" and l.updated ~= r.updated and not M.known_change(merged.known[r.id] or {}, l.updated)
      local resync = t.agent and versions[t.agent] and r.version ~= versions[t.agent]
      if touched and resync then
        touched = false -- its agent's new version had it synchronized (M.follow): the sync below records it
      end
      if r.hash ~= t.hash or touched then
        ui.step(("updating target %s of gateway %s: %s"):format(t.name, rec.gateway_name,
          r.hash ~= t.hash and "its configuration changed" or ("changed outside agentcore at " .. tostring(l.updated) .. ": its configuration is put back")))
        gateway.update_target(rec.id, r.id, t)
        local now = gateway.wait_target(rec.id, r.id)
        r = { name = t.name, id = r.id, type = t.type, hash = t.hash, updated = now and now.updated or nil,
          agent = t.agent, version = t.agent and versions[t.agent] or nil }
        set_target(rec, r)
        journal.set_gateway(c.st, c.agent.name, rec.name, rec)
        ui.ok(("target %s of gateway %s updated"):format(t.name, rec.gateway_name))
      elseif resync then
        table.insert(sync, { rec = r, version = versions[t.agent] })
      end
    end
  end
  for _, r in ipairs(rec.targets or {}) do -- (set_target replaces the list: this one stays whole)
    if not want[r.name] then
      if live[r.name] and live[r.name].id == r.id then
        ui.step(("deleting target %s of gateway %s: no longer in agentcore.toml"):format(r.name, rec.gateway_name))
        gateway.delete_target(rec.id, r.id)
        gateway.wait_target(rec.id, r.id, { timeout = 600 })
        ui.ok(("target %s of gateway %s deleted"):format(r.name, rec.gateway_name))
      end -- else gone already (another agent's run, or by hand): forgotten
      set_target(rec, { name = r.name, deleted = true })
      journal.set_gateway(c.st, c.agent.name, rec.name, rec)
    end
  end
  M.synchronize(c, rec, sync)
end

-- Has the gateway list again the tools of targets whose agent has a new version, and records
-- the version whose tools it listed.
---@param c deploy.Context
---@param rec journal.Gateway
---@param items {rec: journal.GatewayTarget, version: integer}[]
function M.synchronize(c, rec, items)
  if #items == 0 then return end
  local ids, names = {}, {}
  for _, it in ipairs(items) do
    table.insert(ids, it.rec.id)
    table.insert(names, it.rec.name)
  end
  ui.step(("synchronizing target%s %s of gateway %s: a new version of %s"):format(#ids == 1 and "" or "s",
    table.concat(names, ", "), rec.gateway_name, items[1].rec.agent))
  gateway.synchronize(rec.id, ids)
  for _, it in ipairs(items) do
    local now = gateway.wait_target(rec.id, it.rec.id)
    it.rec.version, it.rec.updated = it.version, now and now.updated or it.rec.updated
    set_target(rec, it.rec)
  end
  journal.set_gateway(c.st, c.agent.name, rec.name, rec)
  ui.ok(("gateway %s lists the new tools"):format(rec.gateway_name))
end

-- Ensures one gateway and its targets; returns its record.
local function ensure_gateway(c, name)
  local agent, a = c.agent, c.a
  local spec, versions = M.spec(c, name)
  local rec = M.gateway_of(a, name)
  if rec and rec.created_by ~= "adopted" and rec.gateway_name ~= spec.gateway_name then rec = nil end
  rec = rec or recorded_elsewhere(agent.name, name, spec.gateway_name)
  if rec then rec = json.decode(json.encode(rec)) end -- this agent's copy
  local live = rec and gateway.get(rec.id) or nil
  if live and live.status == "DELETING" then live = gateway.wait(live.id) end
  if rec and not live then
    ui.warn(("gateway %s (%s) recorded in %s no longer exists; creating it again (its URL changes)"):format(rec.gateway_name, rec.id, env.name()))
    rec = nil
  end
  local role, stack = ensure_role(c, spec)
  if not rec then
    -- not recorded: a run killed before it recorded the gateway, or one of another checkout
    local found = gateway.find(spec.gateway_name)
    if found then
      local tags = agentcore.list_tags(found.arn)
      local owner = deploy.tag_owner(tags, "agentcore:gateway", name)
      if owner == "other" then
        deploy.other_checkout_error(("gateway %s (%s)"):format(spec.gateway_name, found.id), tags)
      elseif owner == "none" then
        ui.error(("a gateway named %s already exists in %s (%s) and its tags do not say agentcore made it for gateway %s of %s"):format(
          spec.gateway_name, env.name(), found.id, name, project.name()),
          { hint = ("give the gateway another gateway_name in [gateways.%s]"):format(name) })
      end
      live = found
      rec = record_of(name, live, "agentcore")
      ui.ok(("gateway %s (%s) exists and its tags name %s; recorded as created by agentcore"):format(spec.gateway_name, found.id, name))
    else
      local p = deploy.begin(c, { op = "create_gateway", name = spec.gateway_name })
      ui.step("creating gateway " .. spec.gateway_name)
      live = gateway.create(spec, role, { client_token = p.token, tags = M.tags(name, p.token) })
      rec = record_of(name, live, "agentcore")
      rec.role_stack = stack ~= "" and stack or nil
      journal.set_gateway(c.st, agent.name, name, rec)
      deploy.finish(c, p)
    end
  end
  if stack ~= "" then rec.role_stack = stack end
  if rec.created_by == "adopted" then spec.gateway_name = live.name end -- an adopted gateway keeps its own name
  if live.status ~= "READY" then live = gateway.wait(live.id) end
  local changes = gateway.diff(live, spec, role)
  if #changes > 0 then
    local words = {}
    for _, ch in ipairs(changes) do table.insert(words, ("%s: %s -> %s"):format(ch.what, ch.was ~= "" and ch.was or "none", ch.now ~= "" and ch.now or "none")) end
    ui.step(("updating gateway %s (%s): %s"):format(live.name, live.id, table.concat(words, "; ")))
    gateway.update(live.id, spec, role)
    live = gateway.wait(live.id)
  end
  local fresh = record_of(name, live, rec.created_by, rec)
  journal.set_gateway(c.st, agent.name, name, fresh)
  ensure_targets(c, fresh, spec, versions)
  ui.ok(("gateway %s (%s) is %s with %d target%s: %s"):format(live.name, live.id, live.status, #fresh.targets,
    #fresh.targets == 1 and "" or "s", live.url))
  return fresh
end

-- Ensures the gateways the agent uses, puts their URLs in the runtime's environment, and
-- sets c.gateways (their records: the role may invoke their ARNs). The agents of an
-- environment that use one gateway take turns (state.with_lock).
---@param c deploy.Context
---@return journal.Gateway[]
function M.ensure(c)
  local agent, a = c.agent, c.a
  local listed = {}
  for _, n in ipairs(agent.gateways or {}) do listed[n] = true end
  for _, r in ipairs(a.gateways or {}) do
    if not listed[r.name] then
      ui.warn(("%s no longer uses gateway %s (%s): the gateway is kept, and no longer recorded for it"):format(agent.name, r.name, r.gateway_name))
      journal.set_gateway(c.st, agent.name, r.name, nil)
    end
  end
  local out = json.array()
  for _, name in ipairs(agent.gateways or {}) do
    local rec = state.with_lock("gateway-" .. name, function() return ensure_gateway(c, name) end)
    agent.environment[gateway.config(name).env] = rec.url
    table.insert(out, rec)
  end
  c.gateways = out
  return out
end

-- Puts the recorded gateways' URLs in the runtime's environment, for the recipes that deploy
-- a recorded configuration without ensuring it (rollback, an interrupted create). A gateway
-- not recorded yet stops: it has to be created first.
---@param c deploy.Context
function M.env(c)
  for _, name in ipairs(c.agent.gateways or {}) do
    local rec = M.gateway_of(c.a, name)
    if not rec then
      ui.error(("agent %s uses gateway %s, which is not recorded in %s"):format(c.agent.name, name, env.name()),
        { usage = true, hint = "deploy it first: agentcore update " .. c.agent.name })
    end
    c.agent.environment[gateway.config(name).env] = rec.url
  end
end

-- The ARNs of the agent's gateways, sorted and comma-separated: its role may invoke exactly these.
---@param c deploy.Context
---@return string
function M.arns(c)
  local out = {}
  for _, r in ipairs(c.gateways or c.a.gateways or {}) do
    if r.arn and r.arn ~= "" then table.insert(out, r.arn) end
  end
  table.sort(out)
  return table.concat(out, ",")
end

-- After agent c.agent got a new version: every recorded gateway target it serves has the
-- gateway list its tools again (SynchronizeGatewayTargets), once per gateway, under the
-- gateway's lock. The records are those of the agents that use the gateway, whose runs alone
-- write them: the next deploy of one of them synchronizes once more and records the version (a
-- refresh, harmless). A failure is a warning: the agent's new version is deployed already.
---@param c deploy.Context
---@param version integer
function M.follow(c, version)
  local done = {}
  for _, a in pairs(state.load().agents or {}) do
    for _, g in ipairs(a.gateways or {}) do
      local ids, names = {}, {}
      for _, t in ipairs(g.targets or {}) do
        if t.agent == c.agent.name and t.version ~= version and not done[g.id .. "/" .. t.id] then
          done[g.id .. "/" .. t.id] = true
          table.insert(ids, t.id)
          table.insert(names, t.name)
        end
      end
      if #ids > 0 then
        ui.step(("synchronizing target%s %s of gateway %s: %s is at %s"):format(#ids == 1 and "" or "s",
          table.concat(names, ", "), g.gateway_name, c.agent.name, deploy.vname(version)))
        local ok, err = pcall(state.with_lock, "gateway-" .. g.name, function()
          gateway.synchronize(g.id, ids)
          for _, id in ipairs(ids) do gateway.wait_target(g.id, id) end
        end)
        if ok then
          ui.ok(("gateway %s lists the tools of %s %s"):format(g.gateway_name, c.agent.name, deploy.vname(version)))
        else
          ui.warn(("gateway %s could not list the new tools of %s: %s (agentcore update of an agent that uses it tries again)"):format(
            g.gateway_name, c.agent.name, tostring(type(err) == "table" and err.message or err)))
        end
      end
    end
  end
end

-- An interrupted create_gateway: the gateway of that name with our tags is recorded.
---@param c deploy.Context
---@param p deploy.Intent
function M.resolve_create(c, p)
  local name
  for _, n in ipairs(c.agent.gateways or {}) do
    if gateway.config(n).gateway_name == p.name then name = n end
  end
  local found = name and gateway.find(p.name) or nil
  if not found or deploy.tag_owner(agentcore.list_tags(found.arn), "agentcore:gateway", name) ~= "ours" then
    ui.info(("interrupted run: gateway %s was not created"):format(p.name))
    return
  end
  journal.set_gateway(c.st, c.agent.name, name, record_of(name, found, "agentcore"))
  ui.ok(("interrupted run: gateway %s (%s) was created by it; recorded as created by agentcore"):format(p.name, found.id))
end

-- An interrupted create_gateway_target: the target of that name in the recorded gateway is
-- recorded with the hash of the configuration the intent announced (what the call sent), so
-- the next ensure changes it only when agentcore.toml says otherwise since.
---@param c deploy.Context
---@param p deploy.Intent
function M.resolve_create_target(c, p)
  local rec
  for _, g in ipairs(c.a.gateways or {}) do
    if g.id == p.gateway_id then rec = json.decode(json.encode(g)) end
  end
  local found
  for _, t in ipairs(rec and gateway.targets(rec.id) or {}) do
    if t.name == p.name and t.status ~= "DELETING" then found = t end
  end
  if not found then
    ui.info(("interrupted run: target %s of gateway %s was not created"):format(p.name, tostring(p.gateway_id)))
    return
  end
  local live = gateway.get_target(rec.id, found.id) or found
  local agent
  for _, t in ipairs(gateway.config(rec.name).targets or {}) do
    if t.name == p.name then agent = t.agent end
  end
  set_target(rec, { name = p.name, id = found.id, type = live.type or "", hash = p.config_hash or "", updated = live.updated, agent = agent })
  journal.set_gateway(c.st, c.agent.name, rec.name, rec)
  ui.ok(("interrupted run: target %s of gateway %s (%s) was created by it; recorded"):format(p.name, rec.gateway_name, found.id))
end

return M
