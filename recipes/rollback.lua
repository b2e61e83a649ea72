-- rollback: back to the previous (or a given) version, without rebuilding.
local deploy = require("deploy")

return recipe {
  description = "Move an endpoint back to the version it served before (or a given one)",
  usage = [[
A named endpoint goes back to the version it served before (or --to): agentcore records every
move of a named endpoint (from, to, when, by which recipe), so after a release that moved stable
from V1 to V3, rollback puts it back on V1, not V2. A rollback undoes the move before it: rolling
back twice goes two moves back. An endpoint with no recorded history (recorded by an older
agentcore) goes to the highest READY version below the one it serves.
DEFAULT always follows the latest version, so rolling DEFAULT back deploys the older version's
exact image and configuration again as a new version (nothing is rebuilt).

Examples:
  agentcore rollback my-bot --endpoint stable
  agentcore rollback my-bot --to 2]],
  lock = "agent",
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "endpoint", type = "string", default = "DEFAULT", help = "endpoint to move back" },
    { name = "to", type = "string", help = "version to go back to (3 or V3; default: the previous READY one)" },
  },
  run = function(args)
    local agent = project.agent(args.agent)
    aws.guard()
    deploy.resolve_secrets(agent)
    local c = deploy.context(agent)
    deploy.reconcile(c)
    local a = deploy.require_runtime(c)
    local cur = a.endpoints[args.endpoint]
    if not cur then
      ui.error(("endpoint %s of %s is not recorded in %s"):format(args.endpoint, agent.name, env.name()),
        { usage = true, hint = "agentcore status " .. agent.name .. " lists the endpoints" })
    end
    local target = deploy.parse_version(args.to)
    local why = args.to and "as asked" or nil
    if not target and args.endpoint ~= "DEFAULT" then
      -- a named endpoint goes back to the version it served before, as its history says
      local before = deploy.served_before(cur)
      local bv = before and deploy.version(a, before)
      if bv and bv.status == "READY" then
        target, why = before, "the version it served before"
      elseif before then
        ui.warn(("endpoint %s of %s served %s before, which is not a READY version any more; going back to the previous READY one"):format(
          args.endpoint, agent.name, deploy.vname(before)))
      end
    end
    if not target then
      why = "the previous READY version"
      for _, v in ipairs(a.versions) do
        if v.status == "READY" and v.number < cur.version and (not target or v.number > target) then target = v.number end
      end
      if not target then
        ui.error(("endpoint %s of %s serves %s and there is no earlier READY version"):format(
          args.endpoint, agent.name, deploy.vname(cur.version)), { usage = true })
      end
    end
    local v = deploy.version(a, target)
    if not v or v.status ~= "READY" then
      ui.error(("%s has no READY version %s recorded in %s"):format(agent.name, deploy.vname(target), env.name()),
        { usage = true, hint = "agentcore status " .. agent.name .. " lists the versions" })
    end
    if target == cur.version then
      ui.ok(("endpoint %s already serves %s"):format(args.endpoint, deploy.vname(target)))
      return { agent = agent.name, endpoint = args.endpoint, version = target, changed = false }
    end

    if args.endpoint ~= "DEFAULT" then
      ui.step(("moving endpoint %s of %s from %s back to %s (%s)"):format(args.endpoint, agent.name, deploy.vname(cur.version), deploy.vname(target), why))
      deploy.point_endpoint(c, args.endpoint, target, true, "rollback")
      ui.ok(("endpoint %s of %s serves %s again"):format(args.endpoint, agent.name, deploy.vname(target)))
      return { agent = agent.name, endpoint = args.endpoint, version = target, previous = cur.version, changed = true }
    end

    -- DEFAULT: redeploy the old version's image as a new version.
    if (v.digest or "") == "" then
      -- a version of an imported runtime that ran an image by tag ECR could not resolve: the
      -- tag may point elsewhere now, and "exact image" cannot be promised
      ui.error(("%s of %s ran %s, a tag whose digest agentcore does not know (recorded by agentcore import runtime): rolling back to it would not redeploy an exact image"):format(
        deploy.vname(target), agent.name, v.image), { usage = true,
        hint = ("roll back to a version with a digest (agentcore status %s lists them), or deploy that image again with an update"):format(agent.name) })
    end
    ui.step(("rolling DEFAULT of %s back to %s: redeploying its image %s"):format(agent.name, deploy.vname(target), deploy.short_digest(v.digest)))
    deploy.memory_env(c) -- the recorded memory stays the runtime's
    deploy.credentials_env(c) -- so do the recorded providers
    if v.config_hash ~= agent.config_hash then
      ui.warn("the configuration in agentcore.toml changed since " .. deploy.vname(target) .. "; the current configuration is used with the old image")
    end
    local n = deploy.update_runtime(c, { image = v.image, digest = v.digest, source_hash = v.source_hash },
      { role_arn = a.role_arn or agent.execution_role })
    ui.ok(("DEFAULT of %s serves %s, a copy of %s"):format(agent.name, deploy.vname(n), deploy.vname(target)))
    return { agent = agent.name, endpoint = "DEFAULT", version = n, copy_of = target, previous = cur.version, changed = true }
  end,
}
