-- Shared steps of logs, traces and the observability parts of create, update, status and
-- destroy: where an agent's logs are, reading --since, and the observability stack.
local deploy = require("deploy")
local M = {}

-- AgentCore writes an endpoint's stdout/stderr to this group (streams
-- YYYY/MM/DD/[runtime-logs]<id>, OTEL logs in otel-rt-logs).
function M.group(a, endpoint)
  return ("/aws/bedrock-agentcore/runtimes/%s-%s"):format(a.runtime_id, endpoint)
end

local function message(err)
  if type(err) == "table" then return tostring(err.message or err) end
  return tostring(err)
end

-- Reads --since (a duration back from now or an RFC 3339 time); exit 2 on anything else.
function M.since(text, default)
  local ok, ms = pcall(logs.parse_time, text or default)
  if not ok then
    ui.error("--since: " .. message(ms), { usage = true, hint = "for example --since 10m, --since 2h, --since 2026-11-27T08:00:00Z" })
  end
  return ms
end

-- The agent and its state; exit 2 when it was never deployed in this environment.
function M.deployed(name, what)
  local agent = project.agent(name, { resolve = false })
  local st = state.load()
  local a = st.agents[agent.name]
  if not a or not a.runtime_id then
    ui.error(("%s has never been deployed in %s, so it has no %s there"):format(agent.name, env.name(), what),
      { usage = true, hint = "deploy it first: agentcore create " .. agent.name .. " -e " .. env.name() })
  end
  a.endpoints = a.endpoints or {}
  return agent, a
end

local function endpoint_names(a)
  local names = {}
  for n in pairs(a.endpoints) do table.insert(names, n) end
  table.sort(names)
  return names
end

-- The endpoints to read: --endpoint (default DEFAULT), or with --version N the endpoints that
-- serve version N (AgentCore keeps logs per endpoint, not per version).
function M.endpoints(agent, a, endpoint, version)
  local names = endpoint_names(a)
  if endpoint and not a.endpoints[endpoint] then
    ui.error(("%s has no endpoint %s in %s (endpoints: %s)"):format(agent.name, endpoint, env.name(), table.concat(names, ", ")),
      { usage = true, hint = "pick one of them with --endpoint NAME (agentcore status " .. agent.name .. " lists them)" })
  end
  if version then
    local n = deploy.parse_version(version)
    local out, serving = {}, {}
    for _, en in ipairs(names) do
      local v = a.endpoints[en].version
      table.insert(serving, en .. " serves " .. (v and deploy.vname(v) or "-"))
      if v == n and (not endpoint or en == endpoint) then table.insert(out, en) end
    end
    if #out == 0 then
      ui.error(("no endpoint of %s serves %s in %s%s (%s)"):format(agent.name, deploy.vname(n), env.name(),
        endpoint and (" at " .. endpoint) or "", table.concat(serving, ", ")),
        { usage = true, hint = "AgentCore keeps logs per endpoint: pick an endpoint with --endpoint NAME" })
    end
    return out
  end
  return { endpoint or "DEFAULT" }
end

-- Observability on AWS (create and update): CloudWatch Transaction Search once per account and
-- region, and the agent's dashboard and alarms stack. Local environments need neither: the
-- local endpoint keeps logs, spans and metrics itself.
function M.stack_name(agent)
  return deploy.stack_name(agent, "obs")
end

function M.dashboard_name(agent)
  return ("agentcore-%s-%s"):format(project.name(), agent.runtime_name):gsub("[^%w%-_]", "-"):sub(1, 255)
end

function M.dashboard_url(agent)
  local region = env.get().region
  return ("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards/dashboard/%s"):format(region, region, M.dashboard_name(agent))
end

-- Transaction Search and the agent's dashboard and alarms stack (AWS); c is deploy.context's.
function M.ensure(c)
  local agent, a = c.agent, c.a
  if deploy.is_local() then
    ui.info("local environment: observability needs no setup, the local endpoint keeps logs, spans and metrics (skipped)")
    return
  end
  local where = ("account %s, %s"):format(aws.caller().account, env.get().region)
  -- the runtime is there already: an account that may not change X-Ray or the logs resource
  -- policies gets a warning, not a failed create
  -- account-wide, shared by the environment's agents: one run at a time turns it on
  local r = state.with_lock("transaction-search", function() return { pcall(logs.ensure_transaction_search) } end)
  local ok, ts = r[1], r[2]
  if not ok then
    ui.warn(("CloudWatch Transaction Search not enabled in %s: %s"):format(where, message(ts)))
    ui.info("traces reach aws/spans once it is: it needs xray:GetTraceSegmentDestination, xray:UpdateTraceSegmentDestination, logs:DescribeResourcePolicies and logs:PutResourcePolicy (or enable it in the CloudWatch console, Transaction Search)")
  elseif ts.unsupported then
    ui.warn(("CloudWatch Transaction Search not enabled in %s: %s (resource policy %s in place)"):format(where, ts.unsupported, ts.policy or "-"))
  elseif ts.changed then
    ui.ok(("enabled CloudWatch Transaction Search in %s: spans go to aws/spans (resource policy %s)"):format(where, ts.policy or "-"))
  else
    ui.ok(("CloudWatch Transaction Search is already enabled in %s (skipped)"):format(where))
  end

  local al = agent.alarms or {}
  local emails, topics = {}, {}
  for _, n in ipairs(al.notify or {}) do
    if n:match("^arn:") then table.insert(topics, n) else table.insert(emails, n) end
  end
  local topic_name = ("agentcore-%s-%s-alarms"):format(project.name(), agent.runtime_name):gsub("[^%w%-_]", "-"):sub(1, 256)
  local stack = M.stack_name(agent)
  local out = deploy.deploy_stack(c, { stack = stack, template = "observability", tags = deploy.tags(agent),
    parameters = {
      RuntimeArn = a.runtime_arn, RuntimeName = agent.runtime_name, DashboardName = M.dashboard_name(agent),
      ErrorsThreshold = al.errors and tostring(al.errors) or "",
      LatencyP99Ms = al.latency_p99_ms and tostring(al.latency_p99_ms) or "",
      AlarmEndpoint = al.endpoint or "DEFAULT",
      TopicName = #emails > 0 and topic_name or "",
      Email1 = emails[1] or "", Email2 = emails[2] or "", Email3 = emails[3] or "",
      TopicArns = table.concat(topics, ","),
      Project = project.name(), Environment = env.name(), Agent = agent.name,
    } })
  local n = (al.errors and 1 or 0) + (al.latency_p99_ms and 1 or 0)
  ui.ok(("dashboard %s%s (stack %s, %s)"):format(M.dashboard_name(agent),
    n > 0 and (" and %d alarm%s"):format(n, n == 1 and "" or "s") or "", stack, out.changed and "deployed" or "unchanged"))
end

return M
