-- import: record an existing AgentCore resource (a memory, a credential provider) in the
-- environment's state as adopted.
local deploy = require("deploy")

-- Records provider args.id as [credentials.<args.as>] of every agent that lists it, adopted.
local function import_credential(args)
  local users = json.array()
  for _, name in ipairs(project.agents()) do
    local agent = project.agent(name, { resolve = false })
    for _, c in ipairs(agent.credentials or {}) do
      if c == args.as then table.insert(users, agent) end
    end
  end
  if #users == 0 then
    ui.error(("no agent of %s lists credentials = [%q]"):format(project.name(), args.as), { usage = true,
      hint = ("define [credentials.%s] in agentcore.toml and add it to the credentials of the agents that read it, then import again"):format(args.as) })
  end
  aws.guard()
  local cfg = identity.config(args.as)
  local pname = args.id:match("/([^/]+)$") or args.id
  local live = identity.get(cfg.type, pname)
  if not live then
    ui.error(("%s credential provider %s does not exist in %s"):format(cfg.type == "api_key" and "API key" or "OAuth2", pname, env.name()),
      { hint = ("check the name (aws bedrock-agentcore-control list-%s-credential-providers) and that [credentials.%s] has its type"):format(
        cfg.type == "api_key" and "api-key" or "oauth2", args.as) })
  end
  local st = state.load()
  local names = {}
  for _, agent in ipairs(users) do
    local c = deploy.context(agent, st)
    local rec = deploy.credential_of(c.a, args.as)
    if rec and rec.provider_name ~= pname and rec.created_by == "agentcore" then
      ui.warn(("%s recorded credential provider %s, made by agentcore: it is no longer recorded and stays in AgentCore (delete it yourself when no longer needed)"):format(
        agent.name, rec.provider_name))
    end
    -- key_hash "": the next create or update sends it this configuration's key
    journal.set_credential(st, agent.name, args.as, deploy.credential_record(live, args.as, "adopted", ""))
    ui.ok(("%s: credential provider %s recorded as %s, adopted"):format(agent.name, pname, args.as))
    table.insert(names, agent.name)
  end
  ui.info("next: agentcore update " .. table.concat(names, " ") .. " sends it the key of [credentials." .. args.as .. "] and gives the runtime its name (" .. cfg.env .. ")")
  return { environment = env.name(), credential = { provider_name = pname, arn = live.arn, type = live.type, as = args.as, created_by = "adopted" },
    agents = names }
end

-- TOML text of a string.
local function q(v) return json.encode(v) end

-- The ECR repository name of a container image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG
-- or @sha256:...), nil for an image elsewhere or code.
local function ecr_repo_of(uri)
  if not uri or deploy.is_code(uri) then return nil end
  local path = uri:match("^[^/]+%.dkr%.ecr%.[^/]+%.amazonaws%.com/(.+)$")
  if not path and env.get().is_local then
    path = uri:match("^[^/]+/(.+)$") -- the local endpoint's registry serves its ECR's repositories
  end
  if not path then return nil end
  path = path:gsub("@sha256:%x+$", "")
  return (path:gsub(":[^/:]+$", ""))
end

-- The agentcore.toml lines that describe runtime rt as agent name.
local function config_lines(name, rt, image)
  local l = { ("[agents.%s]"):format(name), ("runtime_name = %s"):format(q(rt.agentRuntimeName)) }
  if rt.description and rt.description ~= "" then table.insert(l, "description = " .. q(rt.description)) end
  local proto = rt.protocolConfiguration and rt.protocolConfiguration.serverProtocol
  if proto and proto ~= "" and proto ~= "HTTP" then table.insert(l, "protocol = " .. q(proto)) end
  if rt.roleArn then table.insert(l, "execution_role = " .. q(rt.roleArn)) end
  local vars = {}
  for k, v in pairs(rt.environmentVariables or {}) do table.insert(vars, ("%s = %s"):format(k, q(v))) end
  table.sort(vars)
  if #vars > 0 then table.insert(l, "environment = { " .. table.concat(vars, ", ") .. " }") end
  local lc = rt.lifecycleConfiguration
  if lc and (lc.idleRuntimeSessionTimeout or lc.maxLifetime) then
    local parts = {}
    if lc.idleRuntimeSessionTimeout then table.insert(parts, "idle_timeout = " .. lc.idleRuntimeSessionTimeout) end
    if lc.maxLifetime then table.insert(parts, "max_lifetime = " .. lc.maxLifetime) end
    table.insert(l, "lifecycle = { " .. table.concat(parts, ", ") .. " }")
  end
  local code = rt.agentRuntimeArtifact and rt.agentRuntimeArtifact.codeConfiguration
  if code then
    table.insert(l, "build = \"zip\"")
    if code.runtime then table.insert(l, "runtime = " .. q(code.runtime)) end
    if code.entryPoint then table.insert(l, "entrypoint = " .. json.encode(code.entryPoint)) end
    table.insert(l, ("context = %s  # the folder of its sources (it runs %s)"):format(q("agents/" .. name), image or "?"))
  else
    table.insert(l, ("# it runs %s: give its sources so update builds it (dockerfile = \"agents/%s/Dockerfile\", or build = \"go\" with context = \"agents/%s\"), or keep that image:"):format(
      image or "?", name, name))
    table.insert(l, "# image = " .. q(image or ""))
  end
  local jwt = rt.authorizerConfiguration and rt.authorizerConfiguration.customJWTAuthorizer
  if jwt then
    table.insert(l, ("auth = { type = \"jwt\", discovery_url = %s%s%s }"):format(q(jwt.discoveryUrl),
      jwt.allowedClients and (", allowed_clients = " .. json.encode(jwt.allowedClients)) or "",
      jwt.allowedAudience and (", allowed_audience = " .. json.encode(jwt.allowedAudience)) or ""))
  end
  return l
end

-- Records runtime args.id as agent args.as, adopted: its versions and endpoints; its
-- repository and role as not agentcore's.
local function import_runtime(args)
  local id = args.id:match(":runtime/([^/:]+)") or args.id
  local known = false
  for _, n in ipairs(project.agents()) do
    if n == args.as then known = true end
  end
  if not known and not args.print_config then
    ui.error(("agent %s is not in agentcore.toml"):format(args.as), { usage = true,
      hint = ("agentcore import runtime %s --as %s --print-config prints the lines that describe it: add them to agentcore.toml, then import again"):format(args.id, args.as) })
  end
  aws.guard()
  local rt = agentcore.get_runtime(id)
  if not rt then
    ui.error(("agent runtime %s does not exist in %s"):format(id, env.name()), { usage = true,
      hint = "check the id (aws bedrock-agentcore-control list-agent-runtimes) and the environment's account and region (-e ENV)" })
  end
  local image = deploy.artifact_uri(rt.agentRuntimeArtifact)
  local lines = config_lines(args.as, rt, image)
  if args.print_config then
    for _, line in ipairs(lines) do ui.print(line) end
  end
  if not known then
    ui.info(("add these lines to agentcore.toml (and the agent's sources), then record the runtime: agentcore import runtime %s --as %s -e %s"):format(
      rt.agentRuntimeId, args.as, env.name()))
    return { environment = env.name(), agent = args.as, runtime_id = rt.agentRuntimeId, recorded = false, config = table.concat(lines, "\n") }
  end

  local agent = project.agent(args.as, { resolve = false })
  local st = state.load()
  for other, oa in pairs(st.agents) do
    if other ~= agent.name and oa.runtime_id == rt.agentRuntimeId then
      ui.error(("runtime %s is already recorded as agent %s in %s"):format(rt.agentRuntimeId, other, env.name()), { usage = true,
        hint = ("one runtime is one agent: agentcore import runtime %s --as %s refreshes that record"):format(rt.agentRuntimeId, other) })
    end
  end
  local c = deploy.context(agent, st)
  local a = c.a
  if a.runtime_id and a.runtime_id ~= rt.agentRuntimeId then
    ui.error(("agent %s already has runtime %s in %s"):format(agent.name, a.runtime_id, env.name()), { usage = true,
      hint = ("destroy it first (agentcore destroy %s -e %s), or import the runtime as another agent"):format(agent.name, env.name()) })
  end
  if deploy.has_resource(c, "runtime", rt.agentRuntimeId) then
    ui.error(("runtime %s is recorded as created by agentcore for %s in %s: there is nothing to import"):format(
      rt.agentRuntimeId, agent.name, env.name()), { usage = true, hint = "agentcore status " .. agent.name .. " -e " .. env.name() .. " shows it" })
  end
  if rt.agentRuntimeName ~= agent.runtime_name then
    ui.warn(("agentcore.toml maps %s to runtime name %s, and the imported runtime is %s: add runtime_name = %q under [agents.%s] (--print-config shows it), so that no command makes a second runtime"):format(
      agent.name, agent.runtime_name, rt.agentRuntimeName, rt.agentRuntimeName, agent.name))
  end

  local repo_name = ecr_repo_of(image)
  local repo = repo_name and ecr.describe_repository(repo_name) or nil
  -- An image by tag gets its digest from ECR when the repository still has it; otherwise it
  -- stays unknown (""), and rollback refuses that version rather than redeploy a moved tag.
  local function digest_of(uri)
    if not uri then return "" end
    local d = uri:match("@(sha256:%x+)$")
    if d then return d end
    local name = ecr_repo_of(uri)
    local tag = uri:match(":([^/:@]+)$")
    if name and tag then
      local ok, imgs = pcall(ecr.describe_images, name, { tags = { tag } })
      if ok and imgs and imgs[1] and imgs[1].imageDigest then return imgs[1].imageDigest end
    end
    return ""
  end
  local versions, unknown = {}, {}
  for _, v in ipairs(agentcore.list_versions(rt.agentRuntimeId)) do
    local n = tonumber(v.agentRuntimeVersion)
    local full = agentcore.get_runtime(rt.agentRuntimeId, { version = v.agentRuntimeVersion })
    local vimage = deploy.artifact_uri(full and full.agentRuntimeArtifact) or image
    local digest = deploy.is_code(vimage or "") and "" or digest_of(vimage)
    if digest == "" and vimage and not deploy.is_code(vimage) then table.insert(unknown, deploy.vname(n) .. " (" .. vimage .. ")") end
    table.insert(versions, { number = n, image = vimage, digest = digest,
      config_hash = "", created_at = v.lastUpdatedAt or deploy.now(), status = v.status == "READY" and "READY" or v.status })
  end
  table.sort(versions, function(x, y) return x.number < y.number end)
  local endpoints, named = {}, json.array()
  for _, ep in ipairs(agentcore.list_endpoints(rt.agentRuntimeId)) do
    local n = ep.liveVersion or ep.targetVersion
    if not n then
      local full = agentcore.get_endpoint(rt.agentRuntimeId, ep.name)
      n = full and (full.liveVersion or full.targetVersion)
    end
    endpoints[ep.name] = { version = tonumber(n), status = ep.status, arn = ep.agentRuntimeEndpointArn }
    if ep.name ~= "DEFAULT" then table.insert(named, ep.name) end
  end
  table.sort(named)

  a.runtime_id, a.runtime_arn, a.runtime_name = rt.agentRuntimeId, rt.agentRuntimeArn, rt.agentRuntimeName
  a.role_arn = rt.roleArn
  a.repository = repo and deploy.push_uri(repo_name, repo.repositoryUri) or nil
  a.versions, a.endpoints = versions, endpoints
  a.adopted = { runtime = true, at = deploy.now(), repository = repo_name, role_arn = rt.roleArn, endpoints = #named > 0 and named or nil }
  state.save(st)

  local vnames = {}
  for _, v in ipairs(versions) do table.insert(vnames, deploy.vname(v.number)) end
  ui.ok(("%s: runtime %s (%s) recorded, adopted: versions %s; endpoints %s"):format(agent.name, rt.agentRuntimeName, rt.agentRuntimeId,
    #vnames > 0 and table.concat(vnames, ", ") or "none", #named > 0 and table.concat(named, ", ") or "DEFAULT only"))
  if repo_name then
    ui.info(("its repository %s and role %s are recorded as not agentcore's: updates push there and keep the role; destroy never deletes them"):format(
      repo_name, rt.roleArn or "-"))
  end
  if #unknown > 0 then
    table.sort(unknown)
    ui.warn(("no digest is known for %s: ECR does not resolve the tag, so rollback refuses %s"):format(
      table.concat(unknown, ", "), #unknown == 1 and "it" or "them"))
  end
  if repo_name and not repo then
    ui.warn(("repository %s does not exist in %s: update needs it to push to"):format(repo_name, env.name()))
  end
  ui.info(("destroy leaves the runtime unless --include-adopted is given; next: agentcore update %s -e %s makes a new version from agentcore.toml"):format(agent.name, env.name()))
  return { environment = env.name(), agent = agent.name, runtime_id = rt.agentRuntimeId, runtime_arn = rt.agentRuntimeArn,
    runtime_name = rt.agentRuntimeName, versions = #versions, endpoints = named, repository = repo_name, role_arn = rt.roleArn,
    recorded = true, adopted = true, config = args.print_config and table.concat(lines, "\n") or nil }
end

return recipe {
  description = "Record an existing runtime, memory or credential provider in the environment's state as adopted (destroy never deletes it)",
  usage = [[
agentcore import runtime ID|ARN --as NAME records an AgentCore runtime made elsewhere (the
console, Terraform, another tool) as agent NAME of agentcore.toml in the selected environment:
its versions and endpoints, and its image repository and execution role, both recorded as not
agentcore's (updates push to that repository and keep that role; nothing deletes them). It is
adopted: destroy leaves the runtime unless --include-adopted is given (and confirmed). From then
on update (a new version), promote, rollback, status, drift and history work on it.
--print-config prints the agentcore.toml lines that describe it ([agents.NAME] with its
runtime_name, role, environment, lifecycle); an agent not in agentcore.toml yet is only printed.

agentcore import memory ID --as NAME records the memory ID (made in the console, by another tool
or by another project) as the [memories.NAME] of agentcore.toml in the selected environment, for
every agent that names memory = "NAME". It is adopted: destroy never deletes it. From then on
create and update bring it to NAME's configuration (strategies, expiry; its own AgentCore name is
kept) and give its id to the agents' runtimes, and status and drift follow it.

agentcore import credential PROVIDER --as NAME records the credential provider PROVIDER (its
AgentCore Identity name) as the [credentials.NAME] of agentcore.toml, for every agent that lists
it in credentials = [...]. It is adopted: destroy never deletes it. The next create or update sends
it NAME's key or client configuration (its own name is kept) and gives its name to the runtimes.

Examples:
  agentcore import runtime legacy_bot-a1b2c3d4e5 --as legacy --print-config
  agentcore import runtime arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/legacy_bot-a1b2c3d4e5 --as legacy -e prod
  agentcore import memory chat_memory-a1b2c3d4e5 --as chat
  agentcore import memory chat_memory-a1b2c3d4e5 --as chat -e prod
  agentcore import credential team-github-token --as github]],
  args = {
    { name = "kind", type = "string", positional = true, required = true, choices = { "runtime", "memory", "credential" }, help = "what to import: runtime, memory or credential" },
    { name = "id", type = "string", positional = true, required = true, help = "the runtime's or memory's id (or ARN), or the credential provider's name" },
    { name = "as", type = "string", required = true, help = "the agent, [memories.NAME] or [credentials.NAME] of agentcore.toml it becomes" },
    { name = "print-config", type = "bool", help = "runtime: print the agentcore.toml lines that describe it" },
  },
  run = function(args)
    if args.kind == "runtime" then return import_runtime(args) end
    if args.print_config then
      ui.error("--print-config is for import runtime", { usage = true })
    end
    if args.kind == "credential" then return import_credential(args) end
    local id = args.id:match("memory/(.+)$") or args.id
    local users = json.array()
    for _, name in ipairs(project.agents()) do
      local agent = project.agent(name, { resolve = false })
      if agent.memory and agent.memory.name == args.as then table.insert(users, agent) end
    end
    if #users == 0 then
      ui.error(("no agent of %s names memory = %q"):format(project.name(), args.as), { usage = true,
        hint = ("define [memories.%s] in agentcore.toml and add memory = %q to the agents that use it, then import again"):format(args.as, args.as) })
    end
    aws.guard()
    local live = memory.get(id)
    if not live then
      ui.error(("memory %s does not exist in %s"):format(id, env.name()),
        { hint = "check the id (aws bedrock-agentcore-control list-memories) and the environment's account and region" })
    end
    local st = state.load()
    for _, agent in ipairs(users) do
      local c = deploy.context(agent, st)
      local rec = c.a.memory
      if rec and rec.id ~= live.id and rec.created_by == "agentcore" then
        ui.warn(("%s recorded memory %s (%s), made by agentcore: it is no longer recorded and stays in AgentCore (delete it yourself when its data is not needed)"):format(
          agent.name, rec.memory_name, rec.id))
      end
      journal.set_memory(st, agent.name, deploy.memory_record(args.as, live, "adopted"))
      ui.ok(("%s: memory %s (%s) recorded as %s, adopted"):format(agent.name, live.name, live.id, args.as))
    end
    local names = {}
    for _, a in ipairs(users) do table.insert(names, a.name) end
    ui.info("next: agentcore update " .. table.concat(names, " ") .. " gives the runtime its id (BEDROCK_AGENTCORE_MEMORY_ID)")
    return { environment = env.name(), memory = { id = live.id, arn = live.arn, name = live.name, as = args.as, created_by = "adopted" },
      agents = names }
  end,
}
