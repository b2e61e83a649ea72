-- promote: point a named endpoint at a version, without rebuilding.
local deploy = require("deploy")

-- promote --to: the exact image of a version of this environment, deployed to another one
-- (copied registry to registry, digest kept; nothing rebuilt).
local function promote_to(args, agent)
  local from = env.name()
  if args.to == from then
    ui.error("--to names the environment promote runs in (" .. from .. ")", { usage = true,
      hint = "select the source with -e and name the target with --to" })
  end
  local c = deploy.context(agent)
  deploy.reconcile(c)
  local a = deploy.require_runtime(c)
  local n = deploy.parse_version(args.version) or (a.endpoints.DEFAULT and a.endpoints.DEFAULT.version)
  local v = n and deploy.version(a, n)
  if not v or v.status ~= "READY" or not v.digest or v.digest == "" then
    ui.error(("%s has no READY version %s with an image digest in %s"):format(agent.name, deploy.vname(n or 0), from),
      { usage = true, hint = "agentcore status " .. agent.name .. " lists the versions" })
  end
  aws.guard()
  local src_auth = not deploy.is_code(v.image) and deploy.registry_auth() or nil
  ui.step(("promoting %s %s (image %s) from %s to %s"):format(agent.name, deploy.vname(n), deploy.short_digest(v.digest), from, args.to))
  return with_env(args.to, function()
    return deploy.carry(agent.name, { from = from, version = n, image = v.image, digest = v.digest, auth = src_auth })
  end)
end

return recipe {
  description = "Point a named endpoint (stable, canary...) at a version, or deploy a version's image to another environment",
  usage = [[
Moves traffic between versions that already exist: nothing is rebuilt. Without --version the
latest READY version is used. DEFAULT always follows the latest version; use named endpoints to
pin what callers get.

With --to ENV, the exact image (same digest) of a version of this environment (default: the
one DEFAULT serves) is copied registry to registry and deployed in ENV as a new version there,
with ENV's configuration; nothing is rebuilt.

Examples:
  agentcore promote my-bot --endpoint stable --version 3
  agentcore promote my-bot --endpoint canary          # the latest version
  agentcore promote my-bot -e staging --to prod       # what runs in staging, to prod]],
  changes = true,
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "endpoint", type = "string", help = "endpoint name, e.g. stable or canary (within the environment)" },
    { name = "version", type = "string", help = "version to point at or to promote (3 or V3; default: the latest READY one, or with --to the one DEFAULT serves)" },
    { name = "to", type = "string", help = "another environment to deploy this version's exact image to (no rebuild)" },
  },
  run = function(args)
    local agent = project.agent(args.agent, { resolve = false })
    if args.to then
      if args.endpoint then
        ui.error("--endpoint and --to do not go together", { usage = true,
          hint = "promote across environments first, then pin an endpoint there with -e " .. args.to .. " --endpoint NAME" })
      end
      return promote_to(args, agent)
    end
    if not args.endpoint then
      ui.error("promote needs --endpoint NAME (within the environment) or --to ENV (to another one)", { usage = true,
        hint = "agentcore promote " .. agent.name .. " --endpoint stable --version 2" })
    end
    if args.endpoint == "DEFAULT" then
      ui.error("DEFAULT always follows the latest version and cannot be pinned", { usage = true,
        hint = "pin a named endpoint instead: agentcore promote " .. agent.name .. " --endpoint stable --version N; to move DEFAULT back use agentcore rollback" })
    end
    if not agent.runtime_name:match("^[a-zA-Z]") or not args.endpoint:match("^[a-zA-Z][a-zA-Z0-9_]*$") or #args.endpoint > 48 then
      ui.error(("endpoint name %q is invalid: AgentCore endpoint names match [a-zA-Z][a-zA-Z0-9_]{0,47}"):format(args.endpoint), { usage = true })
    end
    aws.guard()
    local c = deploy.context(agent)
    deploy.reconcile(c)
    local a = deploy.require_runtime(c)

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
      journal.set_endpoint(c.st, agent.name, args.endpoint, { version = n, status = existing.status, arn = existing.agentRuntimeEndpointArn })
    else
      if existing then
        ui.step(("moving endpoint %s of %s from %s to %s"):format(args.endpoint, agent.name, deploy.vname(before), deploy.vname(n)))
      else
        ui.step(("creating endpoint %s of %s at %s"):format(args.endpoint, agent.name, deploy.vname(n)))
      end
      deploy.point_endpoint(c, args.endpoint, n, existing, "promote")
    end
    ui.ok(("endpoint %s of %s now serves %s"):format(args.endpoint, agent.name, deploy.vname(n)))
    return { agent = agent.name, endpoint = args.endpoint, version = n, previous = before }
  end,
}
