-- Shared steps of release and rollout: smoke checks, the canary release of a version in one
-- environment, and the events -o json shows. A project can require("release") from its own
-- recipes, or shadow it with recipes/lib/release.lua.
local deploy = require("deploy")
local protocols = require("protocols")
local M = {}

-- One JSON event per step with -o json ({"type":"rollout","step":...,"environment":...});
-- the text output has its own lines.
function M.event(step, fields)
  if not ui.json_mode() then return end
  local f = { step = step, environment = env.name() }
  for k, v in pairs(fields or {}) do f[k] = v end
  ui.emit("rollout", f)
end

-- Durations such as 10m, 90s, 1h30m or a number of seconds (duration.parse), for flag.
function M.parse_duration(s, flag)
  if s == nil or s == "" then return nil end
  local seconds = duration.parse(s)
  if not seconds then
    ui.error(("%s %s is not a duration: use e.g. 10m, 90s or 1h30m"):format(flag, s), { usage = true })
  end
  return seconds
end

-- The project's own smoke checks in Lua, when it has recipes/lib/smoke.lua: a function
-- (for every agent) or a table of functions by agent name, called with a context whose
-- invoke(prompt | payload table) returns {body, text, json}. A check fails by raising an
-- error (error("...")) or by returning false and a reason.
function M.hook(agent)
  if not fs.exists("recipes/lib/smoke.lua") then return nil end
  local h = require("smoke")
  if type(h) == "function" then return h end
  if type(h) == "table" then return h[agent.name] end
  ui.error("recipes/lib/smoke.lua must return a function, or a table of functions by agent name", { usage = true })
end

-- The smoke checks of an agent in the selected environment: --smoke values when given,
-- otherwise [[agents.NAME.smoke]] (and the environment's override). Each is a table as
-- project.agent(name).smoke gives it, with a label.
function M.checks(agent, flags)
  local checks = {}
  if flags and #flags > 0 then
    for i, f in ipairs(flags) do
      local c = project.parse_smoke(f)
      c.label = ("--smoke %d"):format(i)
      -- agentcore.toml's checks are checked against the agent's protocol when it is loaded
      if c.tool and agent.protocol ~= "MCP" then
        ui.error(("--smoke %d calls tool %s, but %s serves protocol %s: tool is for MCP servers"):format(i, c.tool, agent.name, agent.protocol),
          { usage = true, hint = "send a prompt: --smoke 'PROMPT=>EXPECTED TEXT'" })
      elseif not c.tool and agent.protocol == "MCP" then
        ui.error(("--smoke %d sends a prompt, but %s is an MCP server: check a tool"):format(i, agent.name),
          { usage = true, hint = "--smoke '{\"tool\": \"add\", \"args\": {\"a\": 2, \"b\": 2}, \"expect\": \"4\"}'" })
      end
      table.insert(checks, c)
    end
  else
    for i, c in ipairs(agent.smoke or {}) do
      c.label = ("smoke check %d%s"):format(i, c.where and (" (" .. c.where .. ")") or "")
      table.insert(checks, c)
    end
  end
  return checks
end

-- Whether the agent has anything to check in the selected environment.
function M.has_checks(agent, flags)
  return #M.checks(agent, flags) > 0 or M.hook(agent) ~= nil
end

-- The text of an answer (agentcore.answer reads it as invoke does: a JSON body's one text
-- field, the events of a text/event-stream joined, else the body).
function M.answer_text(body)
  return agentcore.answer(body).text
end

-- The JSON document of an answer: the body, or a stream's last event that is JSON.
local function answer_json(body)
  return agentcore.answer(body).json
end

-- The value at a dotted path (array indexes count from 0), and whether it exists.
function M.json_path(doc, path)
  local cur = doc
  for part in path:gmatch("[^.]+") do
    if type(cur) ~= "table" then return nil, false end
    local idx = tonumber(part)
    if idx and cur[idx + 1] ~= nil then
      cur = cur[idx + 1]
    elseif cur[part] ~= nil then
      cur = cur[part]
    else
      return nil, false
    end
  end
  return cur, true
end

local function same(a, b)
  if type(a) == "table" or type(b) == "table" then
    return type(a) == "table" and type(b) == "table" and json.encode(a) == json.encode(b)
  end
  if type(a) == "number" and type(b) == "number" then return math.abs(a - b) < 1e-9 end
  return a == b
end

local function show(v)
  if type(v) == "string" then return ("%q"):format(v) end
  if v == nil then return "nothing" end
  return json.encode(v)
end

local function excerpt(s)
  s = tostring(s or "")
  if #s > 600 then s = s:sub(1, 600) .. "... (" .. #s .. " bytes)" end
  return s
end

local call_tool, call_a2a, agui_text

-- Invokes an endpoint of the agent and collects the whole answer (nothing is printed).
local function call(a, qualifier, payload, timeout)
  local body = ""
  local ok, err = pcall(agentcore.invoke, {
    arn = a.runtime_arn, qualifier = qualifier, payload = payload, session_id = deploy.new_session_id(),
    timeout = timeout or 30, on_chunk = function(chunk) body = body .. chunk end,
  })
  if not ok then return nil, "the invocation failed: " .. tostring(type(err) == "table" and err.message or err) end
  return body
end

-- An MCP server's check: the tool called in a new session (tools/call); its text is the
-- answer, its structured content the JSON expect_json reads. Returns body, err, text, doc.
call_tool = function(a, qualifier, c)
  local ok, r = pcall(mcp.call, protocols.mcp_url(a, qualifier), c.tool, c.args or "{}",
    protocols.mcp_opts(deploy.new_session_id(), c.timeout or 30, qualifier))
  if not ok then return nil, "the tool call failed: " .. tostring(type(r) == "table" and r.message or r) end
  if r.isError then return nil, "the tool answered an error: " .. excerpt(r.text ~= "" and r.text or json.encode(r.content)) end
  return r.text, nil, r.text, r.structuredContent
end

-- An A2A agent's check: the prompt as a message (message/send); the text of the message or
-- task it answers, and the result as the JSON expect_json reads.
call_a2a = function(a, qualifier, c)
  local body, err = call(a, qualifier, protocols.a2a_request(c.prompt, false), c.timeout)
  if not body then return nil, err end
  local ok, msg = pcall(json.decode, body)
  if not ok or type(msg) ~= "table" then return nil, "the A2A agent answered something that is not JSON-RPC: " .. excerpt(body) end
  if msg.error then return nil, ("the A2A agent answered error %s: %s"):format(tostring(msg.error.code), tostring(msg.error.message)) end
  return body, nil, protocols.a2a_text(msg.result), msg.result
end

-- The assistant's text of an AG-UI event stream.
agui_text = function(body)
  local on_event, text = protocols.agui_renderer(function() end)
  local feed = protocols.sse(function(data)
    local ok, ev = pcall(json.decode, data)
    if ok and type(ev) == "table" then on_event(ev) end
  end)
  feed(body .. "\n\n")
  return text()
end

-- Runs the checks (and the project's Lua hook) against an endpoint of the agent. Returns
-- whether all passed and a report: one line per check, with the answer of a failed one.
function M.run_checks(agent, a, qualifier, checks, version)
  local lines, failed = {}, 0
  local where = ("%s of %s in %s"):format(qualifier, agent.name, env.name())
  ui.step(("smoke checks on %s (%s)"):format(where, deploy.vname(version)))
  for _, c in ipairs(checks) do
    local what = c.prompt and ("%q"):format(c.prompt) or c.payload
    local body, err, text, doc
    if c.tool then
      what = ("tool %s %s"):format(c.tool, c.args or "{}")
      body, err, text, doc = call_tool(a, qualifier, c)
    elseif c.prompt and agent.protocol == "A2A" then
      body, err, text, doc = call_a2a(a, qualifier, c)
    elseif c.prompt and agent.protocol == "AGUI" then
      body, err = call(a, qualifier, protocols.agui_input(c.prompt), c.timeout)
      if body then text = agui_text(body) end
    else
      body, err = call(a, qualifier, c.payload or json.encode({ prompt = c.prompt }), c.timeout)
    end
    local problem
    if not body then
      problem = err
    else
      text = text or M.answer_text(body)
      if c.expect and not text:find(c.expect, 1, true) and not body:find(c.expect, 1, true) then
        problem = ("expected %q in the answer, got: %s"):format(c.expect, excerpt(text))
      end
      if not problem and c.expect_json then
        if doc == nil and not c.tool then doc = answer_json(body) end
        if type(doc) ~= "table" then
          problem = "expected a JSON answer, got: " .. excerpt(text)
        else
          local paths = {}
          for p in pairs(c.expect_json) do table.insert(paths, p) end
          table.sort(paths)
          for _, p in ipairs(paths) do
            local got, found = M.json_path(doc, p)
            if not found or not same(got, c.expect_json[p]) then
              problem = ("expected %s = %s, got %s in: %s"):format(p, show(c.expect_json[p]), found and show(got) or "no such path", excerpt(body))
              break
            end
          end
        end
      end
    end
    if problem then
      failed = failed + 1
      ui.fail(("%s: %s: %s"):format(c.label, what, problem))
      table.insert(lines, ("%s failed: %s: %s"):format(c.label, what, problem))
    else
      ui.ok(("%s passed: %s"):format(c.label, what))
      table.insert(lines, ("%s passed"):format(c.label))
    end
  end
  local hook = M.hook(agent)
  if hook then
    local ctx = { agent = agent.name, environment = env.name(), endpoint = qualifier, version = version }
    function ctx.invoke(x, opts)
      local payload = type(x) == "table" and json.encode(x) or json.encode({ prompt = x })
      local body, err = call(a, qualifier, payload, opts and opts.timeout)
      if not body then error("the invocation failed: " .. err, 2) end
      return agentcore.answer(body) -- {body, text, json, truncated}, as invoke's answer
    end
    local ok, res, why = pcall(hook, ctx)
    if not ok or res == false then
      local msg = not ok and tostring(type(res) == "table" and res.message or res) or tostring(why or "returned false")
      failed = failed + 1
      ui.fail("recipes/lib/smoke.lua: " .. msg)
      table.insert(lines, "recipes/lib/smoke.lua failed: " .. msg)
    else
      ui.ok("recipes/lib/smoke.lua passed")
      table.insert(lines, "recipes/lib/smoke.lua passed")
    end
  end
  M.event("smoke", { endpoint = qualifier, version = version, passed = failed == 0, failed = failed })
  return failed == 0, table.concat(lines, "\n")
end

-- Watches the canary's errors for hold seconds (the endpoint's counts locally, its metrics on
-- AWS): any error since the watch began fails it. Returns ok and a report.
-- The counts come in one-minute periods (CloudWatch rounds a query's start down to its period),
-- so the watch reads from the start of the minute the hold began and subtracts what that minute
-- held before the hold: an error of the smoke checks' minute is not the hold's. On AWS a
-- datapoint of that minute published late can still be counted (metrics arrive within minutes).
function M.hold(agent, a, version, seconds)
  ui.step(("holding canary of %s at %s for %ds, watching its errors"):format(agent.name, deploy.vname(version), seconds))
  M.event("hold", { endpoint = "canary", version = version, seconds = seconds })
  local function health(since)
    return metrics.endpoint_health { runtime_arn = a.runtime_arn, runtime_name = a.runtime_name, endpoint = "canary",
      since_seconds = math.max(0.001, since) }
  end
  local started = os.time()
  local minute = started - started % 60
  local base = health(started - minute)
  local base_errors, base_system, base_user = base.errors or 0, base.system_errors or 0, base.user_errors or 0
  local base_inv = base.invocations or 0
  local interval = math.max(1, math.min(30, math.floor(seconds / 10)))
  local seen = base.available
  while true do
    local now = os.time()
    local elapsed = now - started
    local h = health(now - minute)
    seen = seen or h.available
    local errors = (h.errors or 0) - base_errors
    local inv = math.max(0, (h.invocations or 0) - base_inv)
    if errors > 0 then
      local msg = ("canary had %d error%s in %d invocation%s during the hold (%d system, %d user; last at %s)"):format(
        errors, errors == 1 and "" or "s", inv, inv == 1 and "" or "s",
        (h.system_errors or 0) - base_system, (h.user_errors or 0) - base_user, tostring(h.last_error or "-"))
      ui.fail(msg)
      return false, msg
    end
    if elapsed >= seconds and not seen then
      local msg = ("canary's errors could not be read during the %ds hold (no counts from %s): nothing was watched"):format(
        seconds, deploy.is_local() and "the local endpoint" or "CloudWatch")
      ui.fail(msg)
      return false, msg
    end
    if elapsed >= seconds then
      ui.ok(("canary held %ds without errors (%d invocation%s)"):format(seconds, inv, inv == 1 and "" or "s"))
      return true, ("hold of %ds passed (%d invocations, no errors)"):format(seconds, inv)
    end
    sleep(math.min(interval, seconds - elapsed))
  end
end

-- Removes a named endpoint (a canary that did not exist before a failed first release).
local function remove_endpoint(c, name)
  local a = c.a
  local ok, err = pcall(agentcore.delete_endpoint, a.runtime_id, name)
  if not ok and not aws.is_not_found(err) then error(err, 0) end
  pcall(agentcore.wait_endpoint, a.runtime_id, name)
  a.endpoints[name] = nil
  deploy.forget_resource(c, "endpoint", a.runtime_id .. "/" .. name)
end

-- The canary release of version n in the selected environment: canary points at n, the
-- smoke checks run against canary (and the hold watches it), and only then stable moves to n.
-- On failure canary goes back where it was (after an interrupted release: where stable is),
-- stable is untouched, and the error carries the checks' output. opts = {checks, hold
-- (seconds)}. Returns {version, previous_stable, released}.
function M.canary_release(agent, n, opts)
  local c = deploy.context(agent)
  local a = deploy.require_runtime(c)
  local stable = a.endpoints.stable and a.endpoints.stable.version or nil
  if stable == n then
    ui.ok(("stable of %s already serves %s in %s: nothing to release"):format(agent.name, deploy.vname(n), env.name()))
    M.event("released", { version = n, previous = stable, changed = false })
    return { version = n, previous_stable = stable, released = false }
  end
  local existing = agentcore.get_endpoint(a.runtime_id, "canary")
  local before = existing and tonumber(existing.liveVersion or existing.targetVersion) or nil
  if before == n then
    before = stable -- an interrupted release moved it: where it was is not known, stable's is
  else
    ui.step(("canary of %s to %s in %s"):format(agent.name, deploy.vname(n), env.name()))
    deploy.point_endpoint(c, "canary", n, existing, "release")
  end
  M.event("canary", { version = n, previous = before })
  local ok, report = M.run_checks(agent, a, "canary", opts.checks, n)
  if ok and opts.hold and opts.hold > 0 then
    local hok, hreport = M.hold(agent, a, n, opts.hold)
    ok, report = hok, report .. "\n" .. hreport
  end
  if not ok then
    c = deploy.context(agent)
    a = deploy.require_runtime(c)
    if before then
      ui.step(("canary of %s back to %s"):format(agent.name, deploy.vname(before)))
      deploy.point_endpoint(c, "canary", before, true, "release")
    else
      ui.step(("removing canary of %s (there was none before)"):format(agent.name))
      remove_endpoint(c, "canary")
    end
    M.event("failed", { version = n, canary = before, stable = stable })
    ui.error(("release of %s %s failed in %s: canary is back at %s, stable still serves %s\n%s"):format(
      agent.name, deploy.vname(n), env.name(), before and deploy.vname(before) or "nothing (removed)",
      stable and deploy.vname(stable) or "nothing", report),
      { hint = ("DEFAULT follows the newest version (%s); callers of stable are unaffected. Fix the agent and release again, or see: agentcore invoke %s -e %s --endpoint DEFAULT --prompt ..."):format(
        deploy.vname(n), agent.name, env.name()) })
  end
  c = deploy.context(agent)
  a = deploy.require_runtime(c)
  local sep = agentcore.get_endpoint(a.runtime_id, "stable")
  ui.step(("stable of %s to %s in %s"):format(agent.name, deploy.vname(n), env.name()))
  deploy.point_endpoint(c, "stable", n, sep, "release")
  ui.ok(("%s %s released in %s: canary and stable serve it (stable was %s)"):format(
    agent.name, deploy.vname(n), env.name(), stable and deploy.vname(stable) or "new"))
  M.event("released", { version = n, previous = stable, changed = true })
  return { version = n, previous_stable = stable, released = true }
end

-- The gate of an environment without a canary: the checks against DEFAULT, which serves the
-- new version already. Fails with their output.
function M.direct_checks(agent, n, checks)
  local a = deploy.require_runtime(deploy.context(agent))
  local ok, report = M.run_checks(agent, a, "DEFAULT", checks, n)
  if not ok then
    M.event("failed", { version = n })
    ui.error(("smoke checks of %s %s failed in %s (DEFAULT serves it)\n%s"):format(agent.name, deploy.vname(n), env.name(), report),
      { hint = ("fix the agent and run again; to go back: agentcore rollback %s -e %s"):format(agent.name, env.name()) })
  end
end

return M
