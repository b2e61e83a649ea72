-- update: deploy a change as a new immutable version; nothing changed, nothing created.
local deploy = require("deploy")
local observe = require("observe")

return recipe {
  description = "Rebuild an agent and deploy it as a new runtime version (none when nothing changed)",
  usage = [[
The artifact is made again (Docker's and Go's caches make an unchanged build quick; a zip's
dependencies are cached) and compared with the latest version by digest (a zip by its sha256), and the runtime configuration by its hash: when both are unchanged, no version
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
    deploy.resolve_secrets(agent) -- a secret without a value stops here, before any work
    deploy.preflight(agent)
    local st = state.load()
    deploy.reconcile(st, agent)
    local a = deploy.require_runtime(st, agent)
    local latest = deploy.latest(a)
    local live = agentcore.get_runtime(a.runtime_id)
    if live then deploy.check_artifact_switch(agent, live) end

    local repo, pushed = deploy.prepare(agent, st, a, latest and latest.digest)

    if not live then
      ui.warn(("runtime %s of %s was deleted outside agentcore; creating it again"):format(a.runtime_id, agent.name))
      deploy.forget_resource(a, "runtime", a.runtime_id)
      local n = deploy.create_runtime(st, a, agent, pushed, repo.role_arn, repo.role_fresh, repo.authorizer)
      observe.ensure(agent, st, a)
      return { agent = agent.name, changed = true, recreated = true, version = n, digest = pushed.digest }
    end

    observe.ensure(agent, st, a) -- alarms and the dashboard follow agentcore.toml even without a new version

    -- Compared with the runtime's live latest version (what an interrupted run may have made),
    -- not only with the state.
    local live_n = tonumber(live.agentRuntimeVersion)
    local lv = live_n and deploy.version(a, live_n)
    local live_uri = deploy.artifact_uri(live.agentRuntimeArtifact) or ""
    local same = live_uri == pushed.image or live_uri:match("@(sha256:.+)$") == pushed.digest
    if not args.force and lv and lv.status == "READY" and same and lv.config_hash == agent.config_hash then
      ui.ok(("%s is up to date: image %s and configuration unchanged; no new version (still %s)"):format(
        agent.name, deploy.short_digest(pushed.digest), deploy.vname(lv.number)))
      return { agent = agent.name, changed = false, version = lv.number, digest = pushed.digest }
    end

    ui.step("updating runtime " .. a.runtime_id)
    local n = deploy.update_runtime(st, a, agent, pushed.image, pushed.digest, repo.role_arn,
      repo.role_fresh, repo.authorizer)
    ui.ok(("%s is now at version %s in %s (DEFAULT follows it; named endpoints stay where they are)"):format(
      agent.name, deploy.vname(n), env.name()))
    return { agent = agent.name, changed = true, version = n, image = pushed.image, digest = pushed.digest }
  end,
}
