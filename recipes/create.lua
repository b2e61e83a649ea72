-- create: the first deploy of an agent to an environment.
local deploy = require("deploy")
local observe = require("observe")

-- Creates one agent (the lock of the agent is held).
local function create_one(name)
  local agent = project.agent(name)
  aws.guard()
  deploy.resolve_secrets(agent) -- a secret without a value stops here, before any work
  deploy.check_credentials(agent) -- so does a credential provider's key
  deploy.preflight(agent)
  local c = deploy.context(agent)
  deploy.reconcile(c)
  local a = c.a
  -- An earlier create that did not get to its end left this intent: this run finishes its
  -- work (and exits 0) instead of refusing a second create.
  local marker = deploy.pending_op(a, "create_agent")

  if a.runtime_id then
    local live = agentcore.get_runtime(a.runtime_id)
    if live and marker then
      if agent.memory then deploy.memory_env(c) end
      deploy.credentials_env(c)
      require("gateways").env(c)
      observe.ensure(c)
      return deploy.finish_create(c, live, marker)
    end
    if live then
      ui.error(("agent %s already has runtime %s in %s (latest version %s)"):format(
        agent.name, a.runtime_id, env.name(), deploy.vname(live.agentRuntimeVersion)),
        { hint = "deploy a change with: agentcore update " .. agent.name, usage = true })
    end
    ui.warn(("runtime %s recorded for %s no longer exists; creating it again"):format(a.runtime_id, agent.name))
    deploy.forget_resource(c, "runtime", a.runtime_id)
    a.runtime_id, a.runtime_arn = nil, nil
  end

  if not a.runtime_id then
    for _, r in ipairs(agentcore.list_runtimes()) do
      if r.agentRuntimeName == agent.runtime_name then
        local tags = agentcore.list_tags(r.agentRuntimeArn)
        if deploy.owner(tags, agent) == "other" then
          deploy.other_checkout_error(("a runtime named %s already exists in %s (%s) and"):format(
            agent.runtime_name, env.name(), r.agentRuntimeId), tags)
        end
        ui.error(("a runtime named %s already exists in %s (%s) but the state of %s does not record it%s"):format(
          agent.runtime_name, env.name(), r.agentRuntimeId, agent.name,
          deploy.ours(tags, agent) and " (its tags say agentcore created it for this agent)" or ""),
          { hint = "agentcore drift --fix adopt records it (as created by agentcore when its tags name this project, environment and agent; otherwise destroy leaves it), then use agentcore update" })
      end
    end
  end

  deploy.warn_no_id()
  marker = marker or deploy.begin(c, { op = "create_agent", name = agent.runtime_name })
  -- The memory before the runtime: its id goes into the runtime's environment, its ARN into the role.
  deploy.ensure_memory(c)
  deploy.ensure_credentials(c) -- likewise: their names go into the runtime's environment, their ARNs into the role
  require("gateways").ensure(c) -- likewise: their URLs go into the runtime's environment, their ARNs into the role
  -- The repository (or code bucket) and the role do not depend on the artifact: prepare them
  -- while it is built.
  local repo, pushed = deploy.prepare(c)
  local n = deploy.create_runtime(c, pushed, repo)
  observe.ensure(c) -- Transaction Search and the dashboard and alarms stack (AWS)

  ui.ok(("%s is deployed in %s: runtime %s, version %s, endpoint DEFAULT"):format(
    agent.name, env.name(), a.runtime_id, deploy.vname(n)))
  ui.info("next:")
  -- how to talk to it depends on its protocol (invoke refuses another protocol's flags)
  local try = ({ MCP = " --tools", A2A = " --card" })[agent.protocol] or " --prompt hello"
  ui.info("  agentcore invoke " .. agent.name .. try)
  ui.info("  agentcore status " .. agent.name)
  local result = { agent = agent.name, environment = env.name(), runtime_id = a.runtime_id,
    runtime_arn = a.runtime_arn, version = n, image = pushed.image, digest = pushed.digest,
    memory_id = c.memory and c.memory.id or nil }
  -- last: a Ctrl-C before it leaves the intent, and create run again finishes (exit 0)
  deploy.finish(c, marker)
  return result
end

return recipe {
  description = "Build an agent's image, push it, and create its AgentCore runtime (version V1)",
  usage = [[
Steps: validate; ensure the ECR repository (scan on push, lifecycle policy) or, for build = "zip",
the code bucket, and the execution role, while the artifact is made (per the agent's build: a
Docker image, a Go image assembled without Docker, a code zip, or a prebuilt image checked for
its platform); push or upload it; create the runtime; wait until it is READY; record it all in
the environment's state. Run it once per agent and environment; later changes go through update.

Several agents (or --all) are created one after another, each holding only its own lock; a
failure does not stop the others (exit 1 when any failed). agentcore deploy creates what is
new and updates the rest.

Examples:
  agentcore create my-bot
  agentcore create my-bot -e prod --yes
  agentcore create --all]],
  lock = "agent",
  changes = true,
  args = {
    { name = "agent", type = "string", positional = true, help = "agent name from agentcore.toml" },
    { name = "agents", type = "list", positional = true, help = "more agent names (each in turn, under its own lock)" },
    { name = "all", type = "bool", help = "every agent of the project" },
  },
  run = function(args)
    return deploy.each_agent("create", deploy.agent_names(args, "create"), create_one, function(r)
      return ("created (runtime %s, %s)"):format(tostring(r.runtime_id), deploy.vname(r.version))
    end)
  end,
}
