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

return recipe {
  description = "Record an existing memory or credential provider in the environment's state as adopted (destroy never deletes it)",
  usage = [[
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
  agentcore import memory chat_memory-a1b2c3d4e5 --as chat
  agentcore import memory chat_memory-a1b2c3d4e5 --as chat -e prod
  agentcore import credential team-github-token --as github]],
  changes = true,
  args = {
    { name = "kind", type = "string", positional = true, required = true, choices = { "memory", "credential" }, help = "what to import: memory or credential" },
    { name = "id", type = "string", positional = true, required = true, help = "the memory's id (or ARN), or the credential provider's name" },
    { name = "as", type = "string", required = true, help = "the [memories.NAME] or [credentials.NAME] of agentcore.toml it becomes" },
  },
  run = function(args)
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
