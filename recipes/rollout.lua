-- rollout: build once, then carry the exact artifact through environments, checking each.
local deploy = require("deploy")
local release = require("release")

local function through_text(waves)
  local parts = {}
  for _, w in ipairs(waves) do table.insert(parts, table.concat(w, "|")) end
  return table.concat(parts, ",")
end

-- What the selected environment runs of the agent: DEFAULT's version and digest, stable's.
local function runs(name)
  local st = state.load()
  local a = st.agents[name]
  if not a or not a.runtime_id then return {} end
  local d = a.endpoints.DEFAULT and a.endpoints.DEFAULT.version
  local s = a.endpoints.stable and a.endpoints.stable.version
  local dv, sv = d and deploy.version(a, d), s and deploy.version(a, s)
  return { version = d, digest = dv and dv.digest, stable = s, stable_digest = sv and sv.digest }
end

-- An environment's gate once it runs version n: a canary release where the environment asks
-- for one, otherwise its smoke checks against DEFAULT (none configured: a warning).
local function gate(agent, n, opts)
  local checks = release.checks(agent, opts.smoke)
  if env.get().release == "canary" then
    return release.canary_release(agent, n, { checks = checks, hold = opts.hold })
  end
  if #checks == 0 and not release.hook(agent) then
    ui.warn(("no smoke checks for %s in %s: nothing checks %s before the next environment"):format(agent.name, env.name(), deploy.vname(n)))
    release.event("smoke", { version = n, skipped = true })
    return
  end
  release.direct_checks(agent, n, checks)
end

-- The first environment: the artifact is made and deployed there (as update, or create for
-- an agent it does not have yet), and recorded in its state as the rollout's; a rollout
-- interrupted earlier with the same --through continues with its recorded artifact instead.
local function source_step(name, through, opts)
  release.event("start", { wave = 1 })
  local agent = project.agent(name)
  local a = deploy.reconcile(deploy.context(agent))
  local ro = a.rollout
  local src
  if ro and not opts.rebuild then
    local v = deploy.version(a, ro.version)
    if ro.through ~= through then
      ui.warn(("an unfinished rollout of %s through %s (%s, %s) is recorded; this one goes through %s and replaces it"):format(
        name, ro.through, deploy.vname(ro.version), deploy.short_digest(ro.digest), through))
    elseif not (a.endpoints.DEFAULT and a.endpoints.DEFAULT.version == ro.version) then
      ui.warn(("an unfinished rollout of %s %s is recorded, but %s has moved on since (DEFAULT serves %s): building anew"):format(
        name, deploy.vname(ro.version), env.name(), deploy.vname(a.endpoints.DEFAULT and a.endpoints.DEFAULT.version or 0)))
    elseif v and v.status == "READY" and v.digest == ro.digest then
      ui.ok(("continuing the interrupted rollout of %s %s (%s, started %s): nothing is rebuilt"):format(
        name, deploy.vname(ro.version), deploy.short_digest(ro.digest), ro.started_at))
      src = { version = ro.version, image = ro.image, digest = ro.digest, resumed = true }
    end
  end
  if not src then
    local r
    if not a.runtime_id then
      r = load_recipe("create").call { agent = name }
    else
      -- the project's update recipe (it may wrap the stock one, e.g. to compile the agent)
      r = load_recipe("update").call { agent = name, force = opts.force }
    end
    local st = state.load()
    a = deploy.agent_state(st, agent)
    local v = deploy.version(a, r.version)
    a.rollout = { through = through, version = v.number, image = v.image, digest = v.digest, started_at = deploy.now() }
    state.save(st)
    src = { version = v.number, image = v.image, digest = v.digest }
  end
  release.event("deployed", { wave = 1, version = src.version, digest = src.digest, resumed = src.resumed or false })
  gate(agent, src.version, opts)
  src.from = env.name()
  src.auth = not deploy.is_code(src.image) and deploy.registry_auth() or nil
  release.event("done", { wave = 1, version = src.version, digest = src.digest })
  return src
end

-- A first wave of several environments: the artifact is made once on this machine and
-- published to the first environment's repository (or code bucket) without being deployed
-- there yet; then every environment of the wave gets it as a later wave does, in parallel.
-- The environments of the wave must build the same kind for the same platform.
local function build_step(name, wave)
  local agent = project.agent(name)
  aws.guard()
  deploy.preflight(agent)
  local c = deploy.context(agent)
  deploy.reconcile(c)
  ui.step(("building %s once for %s"):format(name, table.concat(wave, ", ")))
  local r = parallel {
    repository = function() return agent.build == "zip" and deploy.ensure_code_bucket(c) or deploy.ensure_repository(c) end,
    artifact = function() return deploy.make_artifact(agent) end,
  }
  r.artifact.platform = agent.platform
  local pushed = deploy.publish(r.artifact, r.repository)
  release.event("built", { wave = 1, digest = pushed.digest })
  return { image = pushed.image, digest = pushed.digest, from = env.name(),
    auth = not deploy.is_code(pushed.image) and deploy.registry_auth() or nil }
end

-- Stops (exit 2, before any work) when the environments of a first wave would not run one
-- artifact: another build kind or platform in one of them.
local function check_first_wave(name, wave)
  local want
  for _, e in ipairs(wave) do
    local a = with_env(e, function() return project.agent(name, { resolve = false }) end)
    local got = { build = a.build, platform = a.platform, env = e }
    if want and (got.build ~= want.build or got.platform ~= want.platform) then
      ui.error(("the first wave %s is built once, but %s builds %s for %s in %s and %s for %s in %s"):format(
        table.concat(wave, "|"), name, want.build, want.platform, want.env, got.build, got.platform, e), { usage = true,
        hint = "give the environments of the first wave the same build and platform, or start with one: --through " .. wave[1] .. "," .. table.concat(wave, "|") })
    end
    want = want or got
  end
end

-- A later environment: the artifact carried as promote --to does (no new version when it
-- runs it already), then the gate. A canary environment whose stable serves the artifact is
-- done already.
local function env_step(name, src, opts, wave)
  release.event("start", { wave = wave })
  local agent = project.agent(name)
  local w = runs(name)
  if env.get().release == "canary" and w.stable_digest == src.digest then
    ui.ok(("%s: stable serves %s (%s) already: skipped"):format(env.name(), deploy.short_digest(src.digest), deploy.vname(w.stable)))
    release.event("done", { wave = wave, version = w.stable, digest = src.digest, skipped = true })
    return { version = w.stable, digest = src.digest, skipped = true }
  end
  local r = deploy.carry(name, src)
  release.event("deployed", { wave = wave, version = r.version, digest = r.digest, changed = r.changed })
  gate(agent, r.version, opts)
  release.event("done", { wave = wave, version = r.version, digest = r.digest })
  return { version = r.version, digest = r.digest, changed = r.changed }
end

-- Removes the rollout's record from the selected (first) environment's state.
local function forget_rollout(name)
  local st = state.load()
  if st.agents[name] and st.agents[name].rollout then
    st.agents[name].rollout = nil
    state.save(st)
  end
end

-- Asks for the typed confirmation of each protected environment of a wave that does not run
-- the artifact yet (--yes --confirm NAME[,NAME] in CI).
local function confirm_wave(name, wave, src)
  for _, e in ipairs(wave) do
    if env.get(e).protected then
      local w = with_env(e, function() return runs(name) end)
      local done = src and (w.digest == src.digest and (env.get(e).release ~= "canary" or w.stable_digest == src.digest))
      if not done then
        local what = src and (deploy.short_digest(src.digest) .. " (" .. deploy.source_label(src) .. " of " .. src.from .. ")") or "a new build"
        if not ui.confirm(("environment %s is protected: roll %s out to it?"):format(e, what), { typed = e }) then
          ui.error(("not confirmed: the rollout stopped before %s"):format(e), { usage = true,
            hint = "type the environment name exactly, or pass --yes --confirm " .. e .. " (several: --confirm a,b)" })
        end
      end
    end
  end
end

return recipe {
  description = "Build once, then carry the exact artifact through environments (in waves), checking each",
  usage = [[
The first environment builds (as update does; create for an agent it does not have yet); each
next one gets the exact artifact (same image digest, or zip sha256), copied as promote --to
does, with its own configuration, and runs its smoke checks before the rollout goes on. An
environment with release = "canary" gets a canary release (canary, checks, then stable; see
agentcore release --help). The first failure stops the rollout, with what runs where.

--through lists environments: ',' one after the other, '|' a wave deployed in parallel (each
environment under its own lock, output labelled with its name), or names a [rollouts.NAME]
table (through = ["dev", "staging", "prod-us|prod-eu"]). Multi-region is a wave: one
environment per account and region. A rollout may start with a wave (--through
'prod-us|prod-eu'): the artifact is built once, published to the first environment's
repository, and the wave's environments get it in parallel (they must build the same kind for
the same platform; it builds with the stock build, not a project's update recipe).

Protected environments ask for their typed confirmation before their wave (--yes --confirm
prod-us,prod-eu in CI). A rollout killed or interrupted and run again continues with the same
artifact (recorded in the first environment's state) without rebuilding; environments that
run it already are not deployed again. --rebuild starts over.

Examples:
  agentcore rollout my-bot --through dev,staging,prod
  agentcore rollout my-bot --through 'dev,staging,prod-us|prod-eu' -o json
  agentcore rollout my-bot --through 'prod-us|prod-eu' --yes --confirm prod-us,prod-eu
  agentcore rollout my-bot --through main --yes --confirm prod-us,prod-eu]],
  lock = false, -- each environment is locked while the rollout acts on it
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "through", type = "string", help = "environments: dev,staging,prod-us|prod-eu, or a [rollouts.NAME] name (default: the only [rollouts.NAME])" },
    { name = "smoke", type = "list", help = "a smoke check for every environment, replacing agentcore.toml's: 'PROMPT=>TEXT' or JSON (repeatable)" },
    { name = "hold", type = "string", help = "in canary environments, keep canary this long after its checks (10m), failing on any error" },
    { name = "rebuild", type = "bool", help = "build anew even when an interrupted rollout is recorded" },
    { name = "force", type = "bool", help = "a new version in the first environment even when nothing changed" },
  },
  run = function(args)
    local name = args.agent
    project.agent(name, { resolve = false }) -- an unknown agent stops here
    local plan = project.rollout(args.through or "")
    local waves = plan.waves
    local through, first = through_text(waves), waves[1][1]
    if #waves[1] > 1 then check_first_wave(name, waves[1]) end
    local opts = { smoke = args.smoke, hold = release.parse_duration(args.hold, "--hold"), rebuild = args.rebuild, force = args.force }
    -- Before any work: bad --smoke input, and canary environments without checks.
    for _, w in ipairs(waves) do
      for _, e in ipairs(w) do
        with_env(e, function()
          local agent = project.agent(name, { resolve = false })
          if env.get().release == "canary" and not release.has_checks(agent, opts.smoke) then
            ui.error(("%s has release = \"canary\" and no smoke checks for %s"):format(e, name), { usage = true,
              hint = ("add [[agents.%s.smoke]] (or [[environments.%s.agents.%s.smoke]]) to agentcore.toml, or pass --smoke"):format(name, e, name) })
          end
        end)
      end
    end
    ui.step(("rollout of %s through %s (%s)"):format(name, (through:gsub(",", " -> ")), plan.from))
    if ui.json_mode() then ui.emit("rollout", { step = "plan", through = through, waves = waves }) end

    -- The first environment (which records the rollout) stays locked for the whole rollout,
    -- so that two rollouts from it never interleave; each other one is locked while it is
    -- deployed.
    return with_env(first, function()
      local results, src, reached = {}, nil, 0
      local ok, err = pcall(function()
        confirm_wave(name, waves[1], nil)
        reached = 1
        local from = 2
        if #waves[1] == 1 then
          src = with_env(first, function() return source_step(name, through, opts) end)
          results[first] = { version = src.version, digest = src.digest, status = src.resumed and "continued" or "deployed" }
        else
          -- built once, then the whole first wave is deployed as a later wave is
          src = with_env(first, function() return build_step(name, waves[1]) end)
          from = 1
        end
        for i = from, #waves do
          local wave = waves[i]
          if i > 1 then confirm_wave(name, wave, src) end
          reached = i
          ui.step(("wave %d: %s"):format(i, table.concat(wave, ", ")))
          local branches = {}
          for _, e in ipairs(wave) do
            branches[e] = function()
              local res = { pcall(with_env, e, function() return env_step(name, src, opts, i) end) }
              return { ok = res[1], value = res[2] }
            end
          end
          local out = #wave == 1 and { [wave[1]] = branches[wave[1]]() } or parallel(branches)
          local failure
          for _, e in ipairs(wave) do
            local r = out[e]
            if r.ok then
              results[e] = { version = r.value.version, digest = r.value.digest, status = r.value.skipped and "already released" or "deployed" }
            else
              results[e] = { status = "failed", error = r.value }
              failure = failure or r.value
            end
          end
          if failure then error(failure, 0) end
        end
      end)

      -- What runs where: the rollout's results, and for environments it did not finish, what
      -- their state says DEFAULT and stable serve now.
      local rows, envs = {}, {}
      for i, w in ipairs(waves) do
        for _, e in ipairs(w) do
          local r = results[e] or { status = i <= reached and "failed" or "not reached" }
          local okw, now = pcall(with_env, e, function() return runs(name) end)
          now = okw and now or {}
          if r.status == "failed" or r.status == "not reached" then r.version, r.digest = now.version, now.digest end
          table.insert(rows, { e, tostring(i), r.status, r.version and deploy.vname(r.version) or "-",
            now.stable and deploy.vname(now.stable) or "-", deploy.short_digest(r.digest) })
          table.insert(envs, { environment = e, wave = i, status = r.status, version = r.version, digest = r.digest, stable = now.stable })
        end
      end
      if ok then
        forget_rollout(name)
        ui.table({ "environment", "wave", "status", "DEFAULT", "stable", "digest" }, rows)
        ui.ok(("%s %s runs in %d environment%s"):format(name, deploy.short_digest(src.digest), #envs, #envs == 1 and "" or "s"))
        if ui.json_mode() then ui.emit("rollout", { step = "finished", through = through, digest = src.digest }) end
        return { agent = name, through = through, digest = src.digest, source_version = src.version, environments = envs,
          built_once = #waves[1] > 1 or nil }
      end

      local code = type(err) == "table" and err.code or 1
      local msg = type(err) == "table" and err.message or tostring(err)
      -- A failed artifact is not carried on by the next run (it builds anew); a rollout
      -- interrupted (Ctrl-C, kill) or stopped by bad input (a refused confirmation) is continued.
      if code == 1 then
        pcall(forget_rollout, name)
      end
      ui.table({ "environment", "wave", "status", "DEFAULT", "stable", "digest" }, rows)
      if ui.json_mode() then ui.emit("rollout", { step = "stopped", through = through, environments = envs }) end
      ui.error(("rollout of %s stopped: %s"):format(name, msg), { code = code, usage = code == 2,
        hint = type(err) == "table" and err.hint or "fix it and run the rollout again" })
    end)
  end,
}
