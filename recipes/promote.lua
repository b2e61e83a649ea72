-- promote: point a named endpoint at a version, without rebuilding.
local deploy = require("deploy")

return recipe {
  description = "Point a named endpoint (stable, canary...) at a version, creating the endpoint if needed",
  usage = [[
Moves traffic between versions that already exist: nothing is rebuilt. Without --version the
latest READY version is used. DEFAULT always follows the latest version; use named endpoints to
pin what callers get.

Examples:
  agentcore promote my-bot --endpoint stable --version 3
  agentcore promote my-bot --endpoint canary          # the latest version]],
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "endpoint", type = "string", required = true, help = "endpoint name, e.g. stable or canary" },
    { name = "version", type = "string", help = "version to point at (3 or V3; default: the latest READY one)" },
    { name = "to", type = "string", help = "promote to another environment (not available yet)" },
  },
  run = function(args)
    local agent = project.agent(args.agent, { resolve = false })
    if args.to then
      ui.error("promote --to ENV (copying a version to another environment) is not available in this version", {
        usage = true, hint = "deploy to the other environment with: agentcore update " .. agent.name .. " -e " .. args.to })
    end
    if args.endpoint == "DEFAULT" then
      ui.error("DEFAULT always follows the latest version and cannot be pinned", { usage = true,
        hint = "pin a named endpoint instead: agentcore promote " .. agent.name .. " --endpoint stable --version N; to move DEFAULT back use agentcore rollback" })
    end
    if not agent.runtime_name:match("^[a-zA-Z]") or not args.endpoint:match("^[a-zA-Z][a-zA-Z0-9_]*$") or #args.endpoint > 48 then
      ui.error(("endpoint name %q is invalid: AgentCore endpoint names match [a-zA-Z][a-zA-Z0-9_]{0,47}"):format(args.endpoint), { usage = true })
    end
    aws.guard()
    local st = state.load()
    local a = deploy.require_runtime(st, agent)

    local n = deploy.parse_version(args.version)
    if not n then
      local best
      for _, v in ipairs(a.versions) do
        if v.status == "READY" and (not best or v.number > best) then best = v.number end
      end
      n = best
      if not n then ui.error(agent.name .. " has no READY version to promote", { hint = "agentcore status " .. agent.name }) end
    end
    local v = deploy.version(a, n)
    if not v then
      local live = agentcore.get_runtime(a.runtime_id, { version = n })
      if not live then
        ui.error(("%s has no version %s in %s"):format(agent.name, deploy.vname(n), env.name()),
          { usage = true, hint = "agentcore status " .. agent.name .. " lists the versions" })
      end
      ui.warn(("version %s is not recorded in state; using it as the runtime reports it"):format(deploy.vname(n)))
    elseif v.status ~= "READY" then
      ui.error(("version %s of %s is %s, not READY"):format(deploy.vname(n), agent.name, v.status), { usage = true })
    end

    local existing = agentcore.get_endpoint(a.runtime_id, args.endpoint)
    local before = existing and tonumber(existing.liveVersion or existing.targetVersion) or nil
    if existing and before == n then
      ui.ok(("endpoint %s of %s already points at %s"):format(args.endpoint, agent.name, deploy.vname(n)))
    elseif existing then
      ui.step(("moving endpoint %s of %s from %s to %s"):format(args.endpoint, agent.name, deploy.vname(before), deploy.vname(n)))
      agentcore.update_endpoint(a.runtime_id, args.endpoint, { version = n })
    else
      ui.step(("creating endpoint %s of %s at %s"):format(args.endpoint, agent.name, deploy.vname(n)))
      local ep = agentcore.create_endpoint(a.runtime_id, args.endpoint, { version = n })
      deploy.record_resource(a, "endpoint", a.runtime_id .. "/" .. args.endpoint, ep.agentRuntimeEndpointArn)
    end
    local ep = agentcore.wait_endpoint(a.runtime_id, args.endpoint)
    a.endpoints[args.endpoint] = { version = n, status = ep and ep.status or "READY", arn = ep and ep.agentRuntimeEndpointArn or nil }
    state.save(st)
    ui.ok(("endpoint %s of %s now serves %s"):format(args.endpoint, agent.name, deploy.vname(n)))
    return { agent = agent.name, endpoint = args.endpoint, version = n, previous = before }
  end,
}
