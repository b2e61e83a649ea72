-- destroy: delete what agentcore created for an agent, and nothing else.
local deploy = require("deploy")

-- endpoints, then the runtime (with its containers), then the images pushed, then the
-- repository, then the stacks (the repository's before the role's, which names it)
local function rank(r)
  if r.kind == "endpoint" then return 1 end
  if r.kind == "runtime" then return 2 end
  if r.kind == "memory" then return 2.5 end -- after the runtime that used it
  if r.kind == "credential" then return 2.6 end -- likewise
  if r.kind == "ecr_repository" then return 3 end
  if r.kind == "stack" and r.id:match("%-repo$") then return 3 end
  if r.kind == "code" then return 3 end
  return 4
end

-- After a runtime in VPC mode is deleted, AgentCore releases the network interfaces it held in
-- the environment's subnets on its own time, and a subnet or security group cannot be deleted
-- while they exist: wait for them (bounded), and name those that outlive the wait.
local ENI_WAIT, ENI_POLL = 600, 10
local function wait_interfaces(e, max_wait)
  max_wait = max_wait or ENI_WAIT
  local net = e.network
  if not net or e.is_local then return end
  local left = ec2.managed_interfaces(net.subnets, net.security_groups)
  if #left == 0 then
    ui.ok("no network interfaces of AgentCore left in " .. table.concat(net.subnets, ", "))
    return
  end
  ui.step(("waiting for AgentCore to release %d network interface%s (at most %ds)"):format(#left, #left == 1 and "" or "s", max_wait))
  local waited = 0
  while #left > 0 and waited < max_wait do
    local step = math.min(ENI_POLL, max_wait - waited)
    sleep(step)
    waited = waited + step
    left = ec2.managed_interfaces(net.subnets, net.security_groups)
  end
  if #left == 0 then
    ui.ok("AgentCore released its network interfaces")
    return
  end
  local ids = {}
  for _, n in ipairs(left) do table.insert(ids, ("%s (%s, %s)"):format(n.id, n.subnet_id, n.status)) end
  ui.warn(("%d network interface%s of AgentCore still exist%s after %ds: %s; AgentCore shares them between runtimes with the same subnets and security groups and deletes them itself, up to 8 hours after the last one; subnets and security groups cannot be deleted until then"):format(
    #left, #left == 1 and "" or "s", #left == 1 and "s" or "", max_wait, table.concat(ids, ", ")))
end

-- The plan for one agent (its lock is held): {agent, plan, keep}, or {agent, empty = true}
-- when nothing is recorded for it. An interrupted run's intents are resolved first. leaving
-- names the agents this run destroys before this one: what it shares only with them is its
-- to delete.
local function plan_of(name, leaving, opts)
  opts = opts or {}
  local agent = project.agent(name, { resolve = false })
  local st = state.load()
  local a = st.agents[agent.name]
  if not a then return { agent = agent, empty = true } end
  local c = deploy.context(agent, st)
  if deploy.needs_reconcile(a) then
    aws.guard()
    deploy.reconcile(c)
  end
  a = c.a
  local plan = json.array()
  -- The code bucket is shared by the environment's zip agents: only the last one deletes it.
  local function shared_with(r)
    for name, other in pairs(st.agents) do
      if name ~= agent.name and not (leaving and leaving[name]) then
        for _, o in ipairs(other.resources or {}) do
          if o.kind == r.kind and o.id == r.id then return name end
        end
      end
    end
    return nil
  end
  local code_locations = {}
  for _, v in ipairs(a.versions) do
    local loc = deploy.parse_s3_uri(v.image)
    if loc then code_locations[loc.bucket .. "/" .. loc.key:match("^(.*/)")] = loc end
  end
  -- a zip uploaded by a run killed before its version was recorded sits under the same prefix
  if agent.build == "zip" then
    code_locations[deploy.code_bucket_name() .. "/" .. deploy.code_prefix(agent)] = true
  end
  for where in pairs(code_locations) do
    table.insert(plan, { kind = "code", id = "s3://" .. where })
  end
  local keep = {}
  for _, r in ipairs(a.resources) do
    local other = (r.kind == "s3_bucket" or r.kind == "stack" and r.id == deploy.code_stack_name()) and shared_with(r) or nil
    if other then
      table.insert(keep, { kind = r.kind, id = r.id, why = "shared with agent " .. other })
    else
      table.insert(plan, { kind = r.kind, id = r.id, arn = r.arn })
    end
  end
  -- The memory holds users' data: deleted only when agentcore created it, no other agent of the
  -- environment still uses it, and --keep-memory was not given (asked for on its own).
  local m = a.memory
  if m then
    local user = nil
    for other_name, other in pairs(st.agents) do
      if other_name ~= agent.name and not (leaving and leaving[other_name]) and other.memory and other.memory.id == m.id then user = other_name end
    end
    local what = ("%s (%s)"):format(m.memory_name, m.id)
    if m.created_by ~= "agentcore" then
      table.insert(keep, { kind = "memory", id = what, why = "adopted with agentcore import memory: delete it yourself when no longer needed" })
    elseif opts.keep_memory then
      table.insert(keep, { kind = "memory", id = what, why = "--keep-memory" })
    elseif user then
      table.insert(keep, { kind = "memory", id = what, why = "used by agent " .. user })
    else
      table.insert(plan, { kind = "memory", id = m.id, arn = m.arn, name = m.memory_name })
    end
  end
  -- A credential provider: deleted when agentcore created it and no other agent of the
  -- environment still lists it.
  for _, cr in ipairs(a.credentials or {}) do
    local user = nil
    for other_name, other in pairs(st.agents) do
      if other_name ~= agent.name and not (leaving and leaving[other_name]) and deploy.credential_of(other, cr.name)
        and deploy.credential_of(other, cr.name).provider_name == cr.provider_name then user = other_name end
    end
    local what = ("credential provider %s (%s)"):format(cr.provider_name, cr.name)
    if cr.created_by ~= "agentcore" then
      table.insert(keep, { kind = "credential", id = what, name = cr.name, why = "adopted with agentcore import credential: delete it yourself when no longer needed" })
    elseif user then
      table.insert(keep, { kind = "credential", id = what, name = cr.name, why = "used by agent " .. user })
    else
      table.insert(plan, { kind = "credential", id = cr.provider_name, arn = cr.arn, name = cr.name, type = cr.type })
    end
  end
  -- A runtime agentcore import runtime took over: deleted (with the endpoints it had) only with
  -- --include-adopted; its repository and role are never agentcore's to delete.
  local ad = a.adopted
  if ad and ad.runtime and a.runtime_id then
    if opts.include_adopted then
      for _, name in ipairs(ad.endpoints or {}) do
        local id = a.runtime_id .. "/" .. name
        if a.endpoints[name] and not deploy.has_resource(c, "endpoint", id) then
          table.insert(plan, { kind = "endpoint", id = id, adopted = true })
        end
      end
      table.insert(plan, { kind = "runtime", id = a.runtime_id, arn = a.runtime_arn, adopted = true })
    else
      table.insert(keep, { kind = "runtime", id = a.runtime_id, why = "adopted with agentcore import runtime: --include-adopted deletes it" })
    end
    if ad.repository then
      table.insert(keep, { kind = "repository", id = ad.repository, why = "the imported runtime's: never deleted by agentcore" })
    end
    if ad.role_arn then
      table.insert(keep, { kind = "role", id = ad.role_arn, why = "the imported runtime's: never deleted by agentcore" })
    end
  end
  table.sort(plan, function(x, y) return rank(x) < rank(y) end)
  if agent.execution_role ~= "" then
    table.insert(keep, { kind = "role", id = agent.execution_role, why = "not created by agentcore" })
  end

  return { agent = agent, plan = plan, keep = keep, repo_uri = a.repository, network_wait = opts.network_wait }
end

local function show(p, e)
  local rows = {}
  for _, x in ipairs(p.plan) do table.insert(rows, { "delete", x.kind, x.id }) end
  for _, k in ipairs(p.keep) do table.insert(rows, { "keep", k.kind, k.id .. " (" .. k.why .. ")" }) end
  ui.step(("plan for %s in %s"):format(p.agent.name, e.name))
  ui.table({ "ACTION", "KIND", "RESOURCE" }, rows)
end

-- Carries out one agent's plan (its lock is held), against the state as it is now.
local function execute(pl)
  local agent, plan, keep, repo_uri = pl.agent, pl.plan, pl.keep, pl.repo_uri
  local e = env.get()
  local st = state.load()
  local c = deploy.context(agent, st)
  local a = c.a
  -- the local Docker engine's copies of the images pushed to the repository, once no runtime
  -- container holds them (and while the state still says where they were pushed)
  local images_done = false
  local function remove_images()
    if images_done then return end
    images_done = true
    if not repo_uri or not (agent.build == "docker" or e.is_local) then return end
    for _, im in ipairs(docker.list_images(repo_uri)) do
      for _, tag in ipairs(im.tags) do
        deploy.retry_held("image " .. tag, function() docker.remove_image(tag) end)
      end
    end
  end
  local function gone_ok(fn, ...)
    local ok, err = pcall(fn, ...)
    if not ok and not aws.is_not_found(err) then error(err, 0) end
  end
  for _, p in ipairs(plan) do
    local known = true
    if rank(p) >= 3 then remove_images() end
    if p.kind == "endpoint" then
      local rid, name = p.id:match("^(.-)/(.+)$")
      ui.step("deleting endpoint " .. name)
      deploy.retry_held("endpoint " .. name, function() gone_ok(agentcore.delete_endpoint, rid, name) end)
      a.endpoints[name] = nil
    elseif p.kind == "runtime" then
      ui.step("deleting runtime " .. p.id)
      deploy.retry_held("runtime " .. p.id, function() gone_ok(agentcore.delete_runtime, p.id) end)
      agentcore.wait_runtime(p.id)
      a.runtime_id, a.runtime_arn, a.versions, a.endpoints = nil, nil, {}, {}
      if p.adopted then a.adopted = nil end
      wait_interfaces(e, pl.network_wait)
    elseif p.kind == "code" then
      local b, prefix = p.id:match("^s3://([^/]+)/(.*)$")
      ui.step("deleting the code zips under " .. p.id)
      gone_ok(s3.delete_prefix, { bucket = b, prefix = prefix })
      known = false -- not a recorded resource
      ui.ok("deleted the code zips under " .. p.id)
    elseif p.kind == "memory" then
      ui.step(("deleting memory %s (%s) with its events and records"):format(p.name or p.id, p.id))
      memory.delete(p.id)
      memory.wait(p.id)
      journal.set_memory(c.st, agent.name, nil)
      known = false -- recorded in the agent's memory, not its resources
      ui.ok("deleted memory " .. p.id)
    elseif p.kind == "credential" then
      ui.step(("deleting credential provider %s"):format(p.id))
      identity.delete(p.type, p.id)
      journal.set_credential(c.st, agent.name, p.name, nil)
      known = false -- recorded in the agent's credentials, not its resources
      ui.ok("deleted credential provider " .. p.id)
    elseif p.kind == "s3_bucket" then
      ui.step("deleting code bucket " .. p.id)
      deploy.retry_held("bucket " .. p.id, function() gone_ok(s3.delete_bucket, { bucket = p.id, force = true }) end)
    elseif p.kind == "stack" then
      ui.step("deleting stack " .. p.id)
      if p.id == deploy.code_stack_name() then
        -- CloudFormation cannot delete a bucket that holds objects (or object versions)
        gone_ok(s3.delete_prefix, { bucket = deploy.code_bucket_name(), prefix = "agentcore/" })
      end
      cfn.delete(p.id)
      if p.id:match("%-repo$") then a.repository = nil end
      if p.id:match("%-role$") then a.role_arn = nil end
    elseif p.kind == "ecr_repository" then
      ui.step("deleting repository " .. p.id .. " and its images")
      deploy.retry_held("repository " .. p.id, function() gone_ok(ecr.delete_repository, p.id, { force = true }) end)
      a.repository = nil
    else
      ui.warn("do not know how to delete a " .. p.kind .. " (" .. p.id .. "); left in place")
      known = false
    end
    if known then
      deploy.forget_resource(c, p.kind, p.id)
      ui.ok("deleted " .. p.kind .. " " .. p.id)
    end
  end
  -- the local Docker engine's copies: the build tag (the tags pushed went before the
  -- repository). Agents built without Docker on AWS left none and need no engine.
  if agent.build == "docker" or e.is_local then
    if not a.repository then remove_images() end
    if agent.build == "docker" then
      docker.remove_image(("agentcore.local/%s:build"):format(agent.runtime_name:lower()), { force = true })
    end
  end
  for _, k in ipairs(keep) do
    if k.kind == "memory" then
      if a.memory then
        ui.ok(("kept memory %s (%s)"):format(k.id, k.why))
        journal.set_memory(c.st, agent.name, nil)
      end
    elseif k.kind == "credential" then
      ui.ok(("kept %s (%s)"):format(k.id, k.why))
      journal.set_credential(c.st, agent.name, k.name, nil)
    elseif k.kind ~= "role" and k.kind ~= "runtime" and k.kind ~= "repository" then
      deploy.forget_resource(c, k.kind, k.id)
    end
  end
  if a.adopted and a.runtime_id then
    -- the adopted runtime stays, and so does its record: update, status and a later
    -- destroy --include-adopted still find it
    ui.ok(("kept runtime %s (adopted: --include-adopted deletes it)"):format(a.runtime_id))
  elseif #a.resources == 0 then
    st.agents[agent.name] = nil
  end
  state.save(st)
  ui.ok(("%s is destroyed in %s"):format(agent.name, e.name))
  return { agent = agent.name, plan = plan, destroyed = true }
end

-- Runs fn holding the locks of all the agents (one plan, one confirmation).
local function with_agents(names, fn, i)
  i = i or 1
  if i > #names then return fn() end
  return state.with_agent(names[i], function() return with_agents(names, fn, i + 1) end)
end

-- The memories a set of plans deletes, for their own question.
local function memories_of(plans)
  local out = {}
  for _, p in ipairs(plans) do
    for _, x in ipairs(p.plan) do
      if x.kind == "memory" then table.insert(out, ("%s (%s)"):format(x.name or x.id, x.id)) end
    end
  end
  return out
end

local confirm
-- Deleting what agentcore did not create (--include-adopted) is asked on its own.
local function confirm_adopted(e, plans)
  local what = {}
  for _, p in ipairs(plans) do
    for _, x in ipairs(p.plan) do
      if x.adopted and x.kind == "runtime" then table.insert(what, ("%s of %s"):format(x.id, p.agent.name)) end
    end
  end
  if #what == 0 then return end
  confirm(e, ("also delete the adopted runtime%s %s, which agentcore did not create (with its versions and endpoints; this cannot be undone)?"):format(
    #what == 1 and "" or "s", table.concat(what, ", ")))
end

local function confirm_memories(e, plans)
  local mems = memories_of(plans)
  if #mems == 0 then return end
  confirm(e, ("also delete memor%s %s, with every event and long-term record it holds (users' data; this cannot be undone)? --keep-memory keeps %s"):format(
    #mems == 1 and "y" or "ies", table.concat(mems, ", "), #mems == 1 and "it" or "them"))
end

function confirm(e, question)
  if e.protected then
    if not ui.confirm("environment " .. e.name .. " is protected: " .. question, { typed = e.name }) then
      ui.error("not confirmed: nothing was deleted", { usage = true,
        hint = "type the environment name exactly, or pass --yes --confirm " .. e.name })
    end
  elseif not ui.confirm(question) then
    ui.error("not confirmed: nothing was deleted", { usage = true })
  end
end

return recipe {
  description = "Delete an agent's endpoints, runtime, images or code zips, and repository (only what agentcore created)",
  usage = [[
The plan comes from the environment's state: only resources agentcore recorded as created are
deleted (a role you brought with execution_role is kept). The agent's memory is deleted only
when agentcore created it and no other agent of the environment uses it, after a question of its
own (--yes answers it too); --keep-memory keeps it, and a memory recorded by agentcore import
memory is never deleted. A credential provider is deleted when agentcore created it and no
other agent of the environment lists it (one recorded by agentcore import credential is kept).
A runtime recorded by agentcore import runtime is kept unless --include-adopted is given (a
question of its own, or --yes); its repository and role are never deleted.
--dry-run prints the plan. A protected
environment needs --yes and a typed confirmation of its name (in a terminal, or --confirm NAME).

Several agents (or --all) make one plan and one confirmation, holding every agent's lock; then
each agent is destroyed in turn (a failure does not stop the others; exit 1 when any failed).

Examples:
  agentcore destroy --all --dry-run
  agentcore destroy my-bot --yes
  agentcore destroy my-bot -e prod --yes --confirm prod]],
  lock = "agent",
  args = {
    { name = "agent", type = "string", positional = true, help = "agent name from agentcore.toml" },
    { name = "agents", type = "list", positional = true, help = "more agent names (each in turn, under its own lock)" },
    { name = "all", type = "bool", help = "every agent of the project (one plan, one confirmation)" },
    { name = "dry-run", type = "bool", help = "print the plan and change nothing" },
    { name = "network-wait", type = "string", help = "how long to wait for the network interfaces AgentCore holds in a VPC environment's subnets (default 10m)" },
    { name = "include-adopted", type = "bool", help = "also delete runtimes recorded by agentcore import runtime (asked on its own; their repositories and roles are kept)" },
    { name = "keep-memory", type = "bool", help = "keep the agent's memory (its events and records) even when agentcore created it and no other agent uses it" },
  },
  run = function(args)
    local names = deploy.agent_names(args, "destroy")
    local e = env.get()
    local network_wait = require("release").parse_duration(args.network_wait, "--network-wait")
    if #names == 1 then return with_agents(names, function()
      local p = plan_of(names[1], nil, { keep_memory = args.keep_memory, include_adopted = args.include_adopted, network_wait = network_wait })
      if p.empty then
        ui.ok(("nothing is recorded for %s in %s: nothing to destroy"):format(p.agent.name, e.name))
        return { agent = p.agent.name, plan = json.array(), destroyed = false }
      end
      show(p, e)
      if args.dry_run then
        ui.ok("dry run: nothing changed")
        return { agent = p.agent.name, plan = p.plan, destroyed = false, dry_run = true }
      end
      confirm(e, ("delete these %d resources of %s in %s?"):format(#p.plan, p.agent.name, e.name))
      confirm_adopted(e, { p })
      confirm_memories(e, { p })
      aws.guard()
      return execute(p)
    end) end
    return with_agents(names, function()
      local plans, count, which, leaving = {}, 0, {}, {}
      for _, name in ipairs(names) do
        local p = plan_of(name, leaving, { keep_memory = args.keep_memory, include_adopted = args.include_adopted, network_wait = network_wait })
        leaving[name] = true
        if p.empty then
          ui.ok(("nothing is recorded for %s in %s: nothing to destroy"):format(name, e.name))
        else
          show(p, e)
          table.insert(plans, p)
          table.insert(which, name)
          count = count + #p.plan
        end
      end
      if #plans == 0 then
        return { environment = e.name, results = json.array(), failed = 0, destroyed = false }
      end
      if args.dry_run then
        ui.ok("dry run: nothing changed")
        local results = json.array()
        for _, p in ipairs(plans) do table.insert(results, { agent = p.agent.name, ok = true, result = { agent = p.agent.name, plan = p.plan, destroyed = false, dry_run = true } }) end
        return { environment = e.name, results = results, failed = 0, dry_run = true }
      end
      confirm(e, ("delete these %d resources of %s in %s?"):format(count, table.concat(which, ", "), e.name))
      confirm_adopted(e, plans)
      confirm_memories(e, plans)
      aws.guard()
      local by_name = {}
      for _, p in ipairs(plans) do by_name[p.agent.name] = p end
      return deploy.each_agent("destroy", which, function(name) return execute(by_name[name]) end,
        function() return "destroyed" end)
    end)
  end,
}
