-- promote: point a named endpoint at a version, without rebuilding.
local deploy = require("deploy")

-- Registry credentials of the selected environment, for the registry images go to.
local function registry_auth()
  if env.get().registry ~= "" then return nil end
  local a = ecr.auth()
  return { username = a.username, password = a.password }
end

-- promote --to: the exact image of a version of this environment, deployed to another one
-- (copied registry to registry, digest kept; nothing rebuilt).
local function promote_to(args, agent)
  local from = env.name()
  if args.to == from then
    ui.error("--to names the environment promote runs in (" .. from .. ")", { usage = true,
      hint = "select the source with -e and name the target with --to" })
  end
  local st = state.load()
  deploy.reconcile(st, agent)
  local a = deploy.require_runtime(st, agent)
  local n = deploy.parse_version(args.version) or (a.endpoints.DEFAULT and a.endpoints.DEFAULT.version)
  local v = n and deploy.version(a, n)
  if not v or v.status ~= "READY" or not v.digest or v.digest == "" then
    ui.error(("%s has no READY version %s with an image digest in %s"):format(agent.name, deploy.vname(n or 0), from),
      { usage = true, hint = "agentcore status " .. agent.name .. " lists the versions" })
  end
  aws.guard()
  local src_auth = not deploy.is_code(v.image) and registry_auth() or nil
  ui.step(("promoting %s %s (image %s) from %s to %s"):format(agent.name, deploy.vname(n), deploy.short_digest(v.digest), from, args.to))

  return with_env(args.to, function()
    local target = project.agent(agent.name)
    aws.guard()
    deploy.resolve_secrets(target)
    local tst = state.load()
    deploy.reconcile(tst, target)
    local ta = deploy.agent_state(tst, target)
    local repo = deploy.ensure_repository_and_role(target, tst, ta)
    local pushed
    if deploy.is_code(v.image) then
      -- a code zip: copied object to object; its sha256 is its identity
      if target.build ~= "zip" then
        ui.error(("%s %s is a code zip, and %s builds %s in %s"):format(agent.name, deploy.vname(n), agent.name, target.build, args.to),
          { usage = true, hint = "a runtime cannot switch between code and a container image: use the same build kind in both environments" })
      end
      local src = deploy.parse_s3_uri(v.image)
      local key = repo.prefix .. v.digest:gsub("^sha256:", ""):sub(1, 32) .. ".zip"
      local out = s3.copy { from_bucket = src.bucket, from_key = src.key, from_version_id = src.version_id, bucket = repo.bucket, key = key }
      pushed = { image = deploy.s3_uri(repo.bucket, key, out.version_id), digest = v.digest }
      ui.ok(("code zip %s copied to s3://%s/%s"):format(deploy.short_digest(v.digest), repo.bucket, key))
    else
      if target.build == "zip" then
        ui.error(("%s %s is a container image, and %s builds a code zip in %s"):format(agent.name, deploy.vname(n), agent.name, args.to),
          { usage = true, hint = "a runtime cannot switch between code and a container image: use the same build kind in both environments" })
      end
      local copied = oci.copy { from = v.image, to = repo.push_uri .. ":promoted-" .. deploy.short_digest(v.digest),
        from_auth = src_auth, to_auth = registry_auth() }
      if copied.digest ~= v.digest then
        ui.error(("the copied image has digest %s, not %s"):format(copied.digest, v.digest),
          { hint = "the target registry rewrote the manifest; nothing was deployed to " .. args.to .. ": check its registry, or run agentcore update there" })
      end
      ui.ok(("image %s copied to %s"):format(deploy.short_digest(v.digest), repo.push_uri))
      pushed = { image = repo.push_uri .. "@" .. v.digest, digest = v.digest }
    end
    local live = ta.runtime_id and agentcore.get_runtime(ta.runtime_id) or nil
    local latest = live and deploy.version(ta, tonumber(live.agentRuntimeVersion)) or nil
    local tn
    if live and latest and latest.status == "READY" and latest.digest == v.digest and latest.config_hash == target.config_hash then
      tn = latest.number
      ui.ok(("%s already runs this image in %s (%s): no new version"):format(agent.name, args.to, deploy.vname(tn)))
    elseif live then
      ui.step("updating runtime " .. ta.runtime_id .. " in " .. args.to)
      tn = deploy.update_runtime(tst, ta, target, pushed.image, pushed.digest, repo.role_arn, repo.role_fresh, repo.authorizer)
    else
      if ta.runtime_id then deploy.forget_resource(ta, "runtime", ta.runtime_id) end
      tn = deploy.create_runtime(tst, ta, target, pushed, repo.role_arn, repo.role_fresh, repo.authorizer)
    end
    require("observe").ensure(target, tst, ta) -- the target's dashboard and alarms, as create makes them
    ui.ok(("%s in %s now runs %s's %s as %s"):format(agent.name, args.to, from, deploy.vname(n), deploy.vname(tn)))
    return { agent = agent.name, from = from, to = args.to, version = tn, source_version = n, digest = v.digest }
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
    local st = state.load()
    deploy.reconcile(st, agent)
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
      a.endpoints[args.endpoint] = { version = n, status = existing.status, arn = existing.agentRuntimeEndpointArn }
      state.save(st)
    else
      if existing then
        ui.step(("moving endpoint %s of %s from %s to %s"):format(args.endpoint, agent.name, deploy.vname(before), deploy.vname(n)))
      else
        ui.step(("creating endpoint %s of %s at %s"):format(args.endpoint, agent.name, deploy.vname(n)))
      end
      deploy.point_endpoint(st, a, agent, args.endpoint, n, existing)
    end
    ui.ok(("endpoint %s of %s now serves %s"):format(args.endpoint, agent.name, deploy.vname(n)))
    return { agent = agent.name, endpoint = args.endpoint, version = n, previous = before }
  end,
}
