-- import: record an existing AgentCore resource in the environment's state as adopted.
local deploy = require("deploy")

return recipe {
  description = "Record an existing memory in the environment's state as adopted (destroy never deletes it)",
  usage = [[
agentcore import memory ID --as NAME records the memory ID (made in the console, by another tool
or by another project) as the [memories.NAME] of agentcore.toml in the selected environment, for
every agent that names memory = "NAME". It is adopted: destroy never deletes it. From then on
create and update bring it to NAME's configuration (strategies, expiry; its own AgentCore name is
kept) and give its id to the agents' runtimes, and status and drift follow it.

Credential providers cannot be imported by this version.

Examples:
  agentcore import memory chat_memory-a1b2c3d4e5 --as chat
  agentcore import memory chat_memory-a1b2c3d4e5 --as chat -e prod]],
  args = {
    { name = "kind", type = "string", positional = true, required = true, choices = { "memory", "credential" }, help = "what to import: memory" },
    { name = "id", type = "string", positional = true, required = true, help = "the memory's id (or ARN)" },
    { name = "as", type = "string", required = true, help = "the [memories.NAME] of agentcore.toml it becomes" },
  },
  run = function(args)
    if args.kind ~= "memory" then
      ui.error("credential providers are validated but not deployed (nor imported) by this version of agentcore yet",
        { usage = true, hint = "only agentcore import memory ID --as NAME is supported for now" })
    end
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
