-- update: deploy a change as a new immutable version; nothing changed, nothing created.
local deploy = require("deploy")

return recipe {
  description = "Rebuild an agent and deploy it as a new runtime version (none when nothing changed)",
  usage = [[
The image is rebuilt (Docker's cache makes an unchanged build quick) and compared with the latest
version by digest, and the runtime configuration by its hash: when both are unchanged, no version
is created. A runtime deleted behind agentcore's back is created again.

Examples:
  agentcore update my-bot
  agentcore update my-bot --force     # a new version even when nothing changed]],
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "force", type = "bool", help = "create a new version even when nothing changed" },
  },
  run = function(args)
    local agent = project.agent(args.agent)
    aws.guard()
    local st = state.load()
    local a = deploy.require_runtime(st, agent)
    local latest = deploy.latest(a)

    local r = parallel {
      repository = function() return deploy.ensure_repository_and_role(agent, st, a) end,
      image = function() return deploy.build(agent) end,
    }
    local pushed = deploy.push(r.image, r.repository.push_uri, latest and latest.digest)

    local live = agentcore.get_runtime(a.runtime_id)
    if not live then
      ui.warn(("runtime %s of %s was deleted outside agentcore; creating it again"):format(a.runtime_id, agent.name))
      deploy.forget_resource(a, "runtime", a.runtime_id)
      local n = deploy.create_runtime(st, a, agent, pushed, r.repository.role_arn, r.repository.role_fresh, r.repository.authorizer)
      return { agent = agent.name, changed = true, recreated = true, version = n, digest = pushed.digest }
    end

    if not args.force and latest and latest.status == "READY" and latest.digest == pushed.digest
        and latest.config_hash == agent.config_hash then
      ui.ok(("%s is up to date: image %s and configuration unchanged; no new version (still %s)"):format(
        agent.name, deploy.short_digest(pushed.digest), deploy.vname(latest.number)))
      return { agent = agent.name, changed = false, version = latest.number, digest = pushed.digest }
    end

    ui.step("updating runtime " .. a.runtime_id)
    local up = deploy.with_iam_retry(r.repository.role_fresh, function()
      return agentcore.update_runtime(a.runtime_id, deploy.runtime_spec(agent, pushed.image, r.repository.role_arn, false, r.repository.authorizer))
    end)
    local n = tonumber(up.agentRuntimeVersion)
    deploy.wait_version(st, a, agent, n, pushed.image, pushed.digest)
    ui.ok(("%s is now at version %s in %s (DEFAULT follows it; named endpoints stay where they are)"):format(
      agent.name, deploy.vname(n), env.name()))
    return { agent = agent.name, changed = true, version = n, image = pushed.image, digest = pushed.digest }
  end,
}
