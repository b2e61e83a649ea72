-- drift: where the recorded state, the cloud copy and what really runs disagree.
local deploy = require("deploy")

-- The comparable shape of one environment, the same for all three sources:
-- { agents = { NAME = { runtime_id, runtime_arn, repository,
--                       versions = { V1 = { image } }, endpoints = { stable = { version } } } } }
-- Timestamps, serials, statuses of past operations and sync markers are left out.
local function from_state(st, only)
  local doc = { agents = {} }
  for name, a in pairs(st.agents or {}) do
    if not only or only == name then
      local d = { versions = {}, endpoints = {} }
      d.runtime_id, d.runtime_arn, d.repository = a.runtime_id, a.runtime_arn, a.repository
      for _, v in ipairs(a.versions or {}) do
        if v.status == "READY" then d.versions[deploy.vname(v.number)] = { image = v.image } end
      end
      for en, e in pairs(a.endpoints or {}) do d.endpoints[en] = { version = e.version } end
      for _, r in ipairs(a.resources or {}) do
        if r.kind == "stack" then
          d.stacks = d.stacks or {}
          d.stacks[r.id] = "ok"
        end
      end
      doc.agents[name] = d
    end
  end
  return doc
end

-- A stack that is there and settled is "ok"; otherwise its status (ROLLBACK_COMPLETE,
-- UPDATE_ROLLBACK_FAILED...) is what differs from the state.
local settled = { CREATE_COMPLETE = true, UPDATE_COMPLETE = true, IMPORT_COMPLETE = true }

local function live_agent(name, a, by_name, stacks)
  local agent = project.agent(name, { resolve = false })
  local d = { versions = {}, endpoints = {} }
  local rt = a and a.runtime_id and agentcore.get_runtime(a.runtime_id) or nil
  if not rt and by_name[agent.runtime_name] then
    rt = agentcore.get_runtime(by_name[agent.runtime_name])
  end
  if rt then
    d.runtime_id, d.runtime_arn = rt.agentRuntimeId, rt.agentRuntimeArn
    for _, v in ipairs(agentcore.list_versions(rt.agentRuntimeId)) do
      if v.status == "READY" then
        local full = agentcore.get_runtime(rt.agentRuntimeId, { version = v.agentRuntimeVersion })
        local image = deploy.artifact_uri(full and full.agentRuntimeArtifact)
        if full and tostring(full.agentRuntimeVersion) ~= tostring(v.agentRuntimeVersion) then
          -- the service answered another version than the one asked for (an emulator that
          -- ignores the qualifier): this version's image is unknown, so only its existence is
          -- compared (docs/moto-differences.md)
          local rec = a and deploy.version(a, tonumber(v.agentRuntimeVersion))
          image = rec and rec.image or nil
        end
        d.versions[deploy.vname(v.agentRuntimeVersion)] = { image = image }
      end
    end
    for _, ep in ipairs(agentcore.list_endpoints(rt.agentRuntimeId)) do
      local n = ep.liveVersion or ep.targetVersion
      if not n then -- a list entry without its versions (the model makes them optional): ask
        local full = agentcore.get_endpoint(rt.agentRuntimeId, ep.name)
        n = full and (full.liveVersion or full.targetVersion)
      end
      d.endpoints[ep.name] = { version = tonumber(n) }
    end
    -- AWS lists DEFAULT with every runtime; where the service lists none (an emulator), the
    -- recorded DEFAULT, which always follows the latest version, is not drift
    if not d.endpoints.DEFAULT and a and a.endpoints and a.endpoints.DEFAULT then
      d.endpoints.DEFAULT = { version = a.endpoints.DEFAULT.version }
    end
  end
  -- an imported runtime's repository is the one it ran from (agentcore import runtime)
  local repo_name = a and a.adopted and a.adopted.repository or deploy.repo_name(agent)
  local repo = agent.build ~= "zip" and ecr.describe_repository(repo_name) or nil
  d.repository = repo and deploy.push_uri(repo_name, repo.repositoryUri) or nil -- where images are pushed
  if agent.build == "zip" and stacks[deploy.code_stack_name()] then
    d.stacks = d.stacks or {}
    d.stacks[deploy.code_stack_name()] = settled[stacks[deploy.code_stack_name()]] and "ok" or stacks[deploy.code_stack_name()]
  end
  for _, what in ipairs({ "repo", "role", "auth", "obs" }) do -- obs: lib/observe.lua
    local sn = deploy.stack_name(agent, what)
    if stacks[sn] then
      d.stacks = d.stacks or {}
      d.stacks[sn] = settled[stacks[sn]] and "ok" or stacks[sn]
    end
  end
  if not d.runtime_id and not d.repository and not d.stacks then return nil end
  return d
end

local function from_live(st, only)
  local by_name = {}
  for _, r in ipairs(agentcore.list_runtimes()) do by_name[r.agentRuntimeName] = r.agentRuntimeId end
  local stacks = {}
  if not env.get().is_local then
    for _, s in ipairs(cfn.list()) do stacks[s.name] = s.status end
  end
  local doc = { agents = {} }
  for _, name in ipairs(project.agents()) do
    if not only or only == name then
      doc.agents[name] = live_agent(name, st.agents[name], by_name, stacks)
    end
  end
  return doc
end

-- The document without runtime ARNs, for comparing with what runs: a runtime is its id (its
-- ARN is made from it on AWS; an emulator's ARN changes with every version).
local function without_arns(doc)
  local out = { agents = {} }
  for name, d in pairs(doc.agents) do
    local c = {}
    for k, v in pairs(d) do c[k] = v end
    c.runtime_arn = nil
    out.agents[name] = c
  end
  return out
end

-- Plain words for one change. source is "runs" or "the cloud copy".
local function describe(c, source, envname)
  local p = {}
  for part in c.path:gmatch("[^.]+") do table.insert(p, part) end
  local agent, what, key, field = p[2], p[3], p[4], p[5]
  local says = source == "runs" and "runs" or "is in the cloud copy"
  local function v(x) return x == nil and "nothing" or tostring(x) end
  if not agent then return "shared resource", c.path .. " differs" end
  if what == nil then
    if c.kind == "added" then return "runtime", ("agent %s %s in %s but is not in the recorded state"):format(agent, says, envname) end
    return "runtime", ("agent %s is in the recorded state but nothing of it %s in %s"):format(agent, says, envname)
  end
  if what == "endpoints" then
    if field == "version" and c.kind == "changed" then
      return "endpoint", ("endpoint %s of %s in %s points at %s (%s), state says %s"):format(
        key, agent, envname, deploy.vname(c.new), source, deploy.vname(c.old))
    elseif c.kind == "added" then
      return "endpoint", ("endpoint %s of %s %s in %s but is not recorded"):format(key, agent, says, envname)
    elseif c.kind == "removed" then
      return "endpoint", ("endpoint %s of %s is recorded but not there (%s) in %s"):format(key, agent, source, envname)
    end
  elseif what == "versions" then
    if c.kind == "added" then return "runtime", ("version %s of %s %s but is not recorded"):format(key, agent, says) end
    if c.kind == "removed" then return "runtime", ("version %s of %s is recorded but not there (%s)"):format(key, agent, source) end
    return "runtime", ("version %s of %s has image %s (%s), state says %s"):format(key, agent, v(c.new), source, v(c.old))
  elseif what == "runtime_id" or what == "runtime_arn" then
    if c.kind == "removed" then return "runtime", ("runtime %s of %s is recorded but does not exist (%s)"):format(v(c.old), agent, source) end
    if c.kind == "added" then return "runtime", ("runtime %s of %s exists (%s) but is not recorded"):format(v(c.new), agent, source) end
    return "runtime", ("runtime of %s is %s (%s), state says %s"):format(agent, v(c.new), source, v(c.old))
  elseif what == "stacks" then
    if c.kind == "removed" then return "shared resource", ("stack %s of %s is recorded but does not exist (%s)"):format(key, agent, source) end
    if c.kind == "added" then return "shared resource", ("stack %s of %s exists (%s) but is not recorded"):format(key, agent, source) end
    return "shared resource", ("stack %s of %s is %s (%s), state says it was deployed"):format(key, agent, v(c.new), source)
  elseif what == "repository" then
    if c.kind == "removed" then return "shared resource", ("repository %s of %s is recorded but does not exist (%s)"):format(v(c.old), agent, source) end
    if c.kind == "added" then return "shared resource", ("repository %s of %s exists (%s) but is not recorded"):format(v(c.new), agent, source) end
    return "shared resource", ("repository of %s is %s (%s), state says %s"):format(agent, v(c.new), source, v(c.old))
  end
  return "runtime", ("%s of %s differs (%s)"):format(c.path, agent, source)
end

local function report(changes, source, envname, out)
  for _, c in ipairs(changes) do
    local category, text = describe(c, source, envname)
    table.insert(out, { category = category, source = source, text = text, path = c.path, kind = c.kind,
      recorded = c.old, other = c.new })
  end
end

-- The memories: each agent's recorded memory (and its configuration) against what GetMemory
-- answers: a memory deleted, a strategy added, changed or removed behind agentcore's back, an
-- expiry changed. One finding per memory and difference, though several agents use it.
local function memory_findings(st, only, envname, out)
  local seen = {}
  for _, name in ipairs(project.agents()) do
    local a = st.agents[name]
    local rec = a and a.memory
    local agent = project.agent(name, { resolve = false })
    if (not only or only == name) and rec and not seen[rec.id] then
      seen[rec.id] = true
      local path = "agents." .. name .. ".memory"
      local live = memory.get(rec.id)
      if not live then
        table.insert(out, { category = "memory", source = "runs", path = path, kind = "removed", recorded = rec.id,
          text = ("memory %s (%s) of %s is recorded but does not exist in %s (its events are gone; agentcore update %s creates it again)"):format(
            rec.memory_name, rec.id, name, envname, name) })
      elseif agent.memory and agent.memory.name == rec.name then
        local want = agent.memory
        if rec.created_by == "adopted" then want.memory_name = live.name end
        for _, ch in ipairs(memory.diff(live, want)) do
          local text
          if ch.what == "strategy" then
            local verb = ({ add = "is in agentcore.toml but not in AgentCore (removed behind agentcore's back?)",
              delete = "is in AgentCore (" .. (ch.was or "") .. ") but not in agentcore.toml (added in the console?)",
              modify = "differs: AgentCore has " .. (ch.was or "") .. ", agentcore.toml says " .. (ch.now or ""),
              replace = "has another type in AgentCore: " .. (ch.was or "") .. ", agentcore.toml says " .. (ch.now or "") })[ch.action]
            text = ("memory %s: strategy %s %s"):format(live.name, ch.strategy, verb)
          else
            text = ("memory %s: %s is %s in AgentCore, agentcore.toml says %s"):format(live.name, ch.what, ch.was ~= "" and ch.was or "nothing", ch.now ~= "" and ch.now or "nothing")
          end
          table.insert(out, { category = "memory", source = "runs", path = path .. "." .. ch.what .. (ch.strategy and ("." .. ch.strategy) or ""),
            kind = ch.action, recorded = ch.now, other = ch.was, text = text })
        end
      end
    end
  end
end

-- The credential providers: each agent's recorded provider against what AgentCore Identity
-- answers: deleted, or changed (a later lastUpdatedTime) behind agentcore's back. One finding
-- per provider, though several agents list it. Never a value: AgentCore does not return one.
local function credential_findings(st, only, envname, out)
  local seen = {}
  for _, name in ipairs(project.agents()) do
    local a = st.agents[name]
    if (not only or only == name) and a then
      for _, rec in ipairs(a.credentials or {}) do
        if not seen[rec.provider_name] then
          seen[rec.provider_name] = true
          local path = "agents." .. name .. ".credentials." .. rec.name
          local live = identity.get(rec.type, rec.provider_name)
          if not live then
            table.insert(out, { category = "credential", source = "runs", path = path, kind = "removed", recorded = rec.provider_name,
              text = ("credential %s: provider %s no longer exists in %s (agentcore update %s creates it again)"):format(
                rec.name, rec.provider_name, envname, name) })
          elseif (rec.updated or "") ~= "" and live.updated ~= rec.updated then
            table.insert(out, { category = "credential", source = "runs", path = path, kind = "modify", recorded = rec.updated, other = live.updated,
              text = ("credential %s: provider %s was changed at %s, after agentcore last wrote it (%s); agentcore update %s puts its configuration back"):format(
                rec.name, rec.provider_name, tostring(live.updated), rec.updated, name) })
          end
        end
      end
    end
  end
end

-- The tags agentcore.toml asks for ([project] and environment tags) on what agentcore created
-- for each agent: its runtime and the endpoints it recorded as created. An adopted runtime is
-- not agentcore's to tag, and is not compared.
local function tag_findings(st, only, envname, out)
  if not next(deploy.user_tags()) then return end
  for _, name in ipairs(project.agents()) do
    local a = st.agents[name]
    if (not only or only == name) and a and a.runtime_arn and not (a.adopted and a.adopted.runtime) then
      local targets = { { what = "runtime " .. a.runtime_id, arn = a.runtime_arn, path = "agents." .. name .. ".tags" } }
      for _, r in ipairs(a.resources or {}) do
        if r.kind == "endpoint" and r.arn then
          table.insert(targets, { what = "endpoint " .. r.id, arn = r.arn, path = "agents." .. name .. ".endpoints." .. r.id:match("/(.+)$") .. ".tags" })
        end
      end
      for _, t in ipairs(targets) do
        local live = agentcore.list_tags(t.arn)
        if live then
          local d = deploy.tag_drift(live)
          local keys = {}
          for k in pairs(d) do table.insert(keys, k) end
          table.sort(keys)
          for _, k in ipairs(keys) do
            table.insert(out, { category = "tags", source = "runs", path = t.path .. "." .. k, kind = d[k].got and "changed" or "removed",
              recorded = d[k].want, other = d[k].got, arn = t.arn,
              text = ("%s of %s in %s: tag %s is %s, agentcore.toml says %q"):format(t.what, name, envname, k,
                d[k].got and ("%q"):format(d[k].got) or "missing", d[k].want) })
          end
        end
      end
    end
  end
end

local function fmt(x)
  if x == nil then return "-" end
  if type(x) == "table" then return json.encode(x) end
  return tostring(x)
end

-- adopt: make the recorded state say what runs.
local function adopt(st, live, only)
  -- what another checkout of this project's name made is never adopted: checked for every
  -- agent before anything is recorded
  for name, l in pairs(live.agents) do
    local a = st.agents[name]
    if l.runtime_arn and not (a and a.runtime_id == l.runtime_id) then
      local tags = agentcore.list_tags(l.runtime_arn)
      if deploy.owner(tags, project.agent(name, { resolve = false })) == "other" then
        deploy.other_checkout_error(("runtime %s of %s in %s"):format(l.runtime_id, name, env.name()), tags)
      end
    end
  end
  for name, l in pairs(live.agents) do
    local agent = project.agent(name, { resolve = false })
    local c = deploy.context(agent, st)
    local a = c.a
    a.runtime_id, a.runtime_arn, a.repository = l.runtime_id, l.runtime_arn, l.repository
    -- what runs is recorded as created by agentcore (destroy deletes it) only when its tags
    -- name this project, environment and agent
    if l.runtime_arn and not deploy.has_resource(c, "runtime", l.runtime_id) then
      if deploy.ours(agentcore.list_tags(l.runtime_arn), agent) then
        deploy.record_resource(c, "runtime", l.runtime_id, l.runtime_arn)
        ui.ok(("runtime %s is tagged as created by agentcore for %s: recorded as such (destroy deletes it)"):format(l.runtime_id, name))
      else
        ui.info(("runtime %s is recorded as not created by agentcore (its tags do not name %s in %s): destroy leaves it"):format(l.runtime_id, name, env.name()))
      end
    end
    local repo = deploy.repo_name(agent)
    if l.repository and not deploy.has_resource(c, "ecr_repository", repo) and env.get().is_local then
      if deploy.ours(ecr.list_tags(repo), agent) then
        local r = ecr.describe_repository(repo)
        deploy.record_resource(c, "ecr_repository", repo, r and r.repositoryArn or nil)
        ui.ok(("repository %s is tagged as created by agentcore for %s: recorded as such"):format(repo, name))
      end
    end
    local versions = {}
    for vn, v in pairs(l.versions) do
      local n = deploy.parse_version(vn)
      local old = deploy.version(a, n)
      table.insert(versions, { number = n, image = v.image, digest = v.image and v.image:match("@(sha256:.+)$") or (old and old.digest) or "",
        config_hash = old and old.config_hash or "", source_hash = old and old.source_hash or nil, created_at = old and old.created_at or deploy.now(), status = "READY" })
    end
    table.sort(versions, function(x, y) return x.number < y.number end)
    a.versions = versions
    a.endpoints = {}
    for en, e in pairs(l.endpoints) do a.endpoints[en] = { version = e.version, status = "READY" } end
    -- forget created resources that are gone
    local keep = {}
    for _, r in ipairs(a.resources) do
      local gone = (r.kind == "runtime" and r.id ~= l.runtime_id)
        or (r.kind == "endpoint" and (not l.runtime_id or not l.endpoints[r.id:match("/(.+)$") or ""]))
        or (r.kind == "ecr_repository" and not l.repository)
        or (r.kind == "stack" and not (l.stacks and l.stacks[r.id]))
      if not gone then table.insert(keep, r) end
    end
    a.resources = keep
  end
  for name in pairs(st.agents) do
    if (not only or only == name) and not live.agents[name] then st.agents[name] = nil end
  end
  state.save(st)
end

-- restore: put the runtime back to what the state says (endpoints; a missing runtime or
-- repository is recreated by the update recipe).
local function restore(st, recorded, live)
  for name, r in pairs(recorded.agents) do
    local l = live.agents[name]
    local a = st.agents[name]
    if not l or not l.runtime_id or l.runtime_id ~= r.runtime_id or not l.repository then
      ui.step(("%s: recreating what is missing with the update recipe"):format(name))
      load_recipe("update").run({ agent = name, force = false })
    else
      for en, e in pairs(r.endpoints) do
        if en ~= "DEFAULT" then
          local le = l.endpoints[en]
          if not le then
            ui.step(("creating endpoint %s of %s at %s"):format(en, name, deploy.vname(e.version)))
            deploy.point_endpoint(deploy.context(project.agent(name, { resolve = false }), st), en, e.version, false, "drift")
          elseif le.version ~= e.version then
            ui.step(("moving endpoint %s of %s back to %s"):format(en, name, deploy.vname(e.version)))
            deploy.point_endpoint(deploy.context(project.agent(name, { resolve = false }), st), en, e.version, true, "drift")
          end
        end
      end
      for en in pairs(l.endpoints) do
        if en ~= "DEFAULT" and not r.endpoints[en] then
          ui.step(("deleting endpoint %s of %s, which the state does not have"):format(en, name))
          agentcore.delete_endpoint(a.runtime_id, en)
        end
      end
    end
  end
end

return recipe {
  description = "Report where the recorded state, the cloud copy and what really runs disagree (exit 3)",
  usage = [[
Compares three documents, normalised the same way: the recorded state, its cloud copy (agentcore
sync), and the live runtimes, versions, endpoints, repositories and CloudFormation stacks (their
status). Each recorded memory is compared with agentcore.toml and what GetMemory answers: a memory
deleted, a strategy added, changed or removed outside agentcore, an expiry changed; each recorded
credential provider with what AgentCore Identity answers: deleted, or changed outside agentcore
(a later last change). Timestamps, serials and sync
markers are ignored. Changes are grouped (runtime, endpoint, shared resource, environment) and
said in plain words, then listed by path with the recorded and the other value.

Exit codes: 0 no drift, 3 drift found (a CI job fails on it), 1 the comparison failed.

--fix adopt    records what runs in the state (after asking)
--fix restore  puts the runtime back to what the state says (after asking): endpoints moved,
               created or deleted; a missing runtime or repository is recreated by update
A cloud copy that differs is fixed with agentcore sync pull or push.

Examples:
  agentcore drift
  agentcore drift my-bot -o json
  agentcore drift --fix adopt --yes]],
  args = {
    { name = "agent", type = "string", positional = true, help = "agent name (default: every agent)" },
    { name = "fix", type = "string", choices = { "adopt", "restore" }, help = "adopt what runs, or restore what the state says" },
  },
  run = function(args)
    if args.agent then project.agent(args.agent, { resolve = false }) end
    local envname = env.name()
    local st = state.load()
    for _, name in ipairs(project.agents()) do
      if (not args.agent or args.agent == name) and deploy.needs_reconcile(st.agents[name]) then
        deploy.reconcile(deploy.context(project.agent(name, { resolve = false }), st))
      end
    end
    local recorded = from_state(st, args.agent)

    local cloud_state = store.get()
    local cloud = cloud_state and from_state(cloud_state, args.agent) or nil
    local live = from_live(st, args.agent)

    local findings = json.array() -- [] in -o json when nothing drifted
    if cloud then
      report(diff.compare(recorded, cloud).changes, "the cloud copy", envname, findings)
    end
    report(diff.compare(without_arns(recorded), without_arns(live)).changes, "runs", envname, findings)
    memory_findings(st, args.agent, envname, findings)
    credential_findings(st, args.agent, envname, findings)
    tag_findings(st, args.agent, envname, findings)
    for _, f in ipairs(findings) do
      if f.source == "the cloud copy" then f.category = "environment" end
    end

    if not cloud then
      ui.info(("environment %s was never synced: no cloud copy to compare (agentcore sync push creates one); that alone is not drift"):format(envname))
    end
    local result = { environment = envname, synced = cloud ~= nil, drift = #findings > 0, changes = findings }
    if #findings == 0 then
      ui.ok(("no drift in %s: the recorded state%s and what runs agree"):format(envname, cloud and ", its cloud copy" or ""))
      return result
    end

    ui.warn(("drift in %s: %d difference%s"):format(envname, #findings, #findings == 1 and "" or "s"))
    for _, category in ipairs({ "environment", "runtime", "endpoint", "shared resource", "memory", "credential", "tags" }) do
      local lines = {}
      for _, f in ipairs(findings) do
        if f.category == category then table.insert(lines, f.text) end
      end
      if #lines > 0 then
        ui.step(category)
        for _, l in ipairs(lines) do ui.info(l) end
      end
    end
    local rows = {}
    for _, f in ipairs(findings) do
      table.insert(rows, { f.source, f.path, f.kind, fmt(f.recorded), fmt(f.other) })
    end
    ui.table({ "AGAINST", "PATH", "CHANGE", "STATE", "OTHER" }, rows)

    if args.fix then
      local live_only, resources = false, false
      local tags = {}
      for _, f in ipairs(findings) do
        if f.category == "tags" then
          table.insert(tags, f)
          live_only = true
        elseif f.category == "memory" or f.category == "credential" then
          resources = true -- not in what adopt and restore change
        elseif f.source == "runs" then
          live_only = true
        end
      end
      if resources then
        ui.info("--fix leaves memories and credential providers as they are: agentcore update AGENT brings them back to agentcore.toml")
      end
      if resources and not live_only then
        ui.exit_code(3)
        return result
      end
      if not live_only then
        ui.info("only the cloud copy differs: agentcore sync pull (take it) or agentcore sync push --force (overwrite it)")
        ui.exit_code(3)
        return result
      end
      local q = args.fix == "adopt"
        and ("record what runs in %s into the state (the state's differing entries are replaced)?"):format(envname)
        or ("change what runs in %s back to what the state says?"):format(envname)
      if not ui.confirm(q) then ui.error("not confirmed: nothing changed", { usage = true }) end
      if args.fix == "adopt" then
        adopt(st, live, args.agent)
        ui.ok("the state now records what runs")
      else
        restore(st, recorded, live)
        ui.ok("what runs is back to what the state says")
      end
      if #tags > 0 and args.fix == "restore" then
        local by_arn, order = {}, {}
        for _, f in ipairs(tags) do
          if not by_arn[f.arn] then by_arn[f.arn] = {}; table.insert(order, f.arn) end
          by_arn[f.arn][f.path:match("%.tags%.(.+)$")] = f.recorded
        end
        for _, arn in ipairs(order) do
          agentcore.tag_resource(arn, by_arn[arn])
          ui.ok("tagged " .. arn .. " as agentcore.toml says")
        end
      elseif #tags > 0 then
        ui.info("tags are not recorded in the state: --fix restore puts agentcore.toml's tags back; to keep other values, change tags in agentcore.toml")
      end
      result.fixed = args.fix
      return result
    end
    for _, f in ipairs(findings) do
      if f.category == "memory" then
        ui.info("a memory is brought back to agentcore.toml by agentcore update AGENT (one UpdateMemory: its events are kept), or take the console's change into agentcore.toml")
        break
      end
    end
    for _, f in ipairs(findings) do
      if f.category == "credential" then
        ui.info("a credential provider is made again, or given its configuration again, by agentcore update AGENT")
        break
      end
    end
    ui.info("fix with: agentcore drift --fix adopt (record what runs) or --fix restore (put back what the state says)")
    ui.exit_code(3)
    return result
  end,
}
