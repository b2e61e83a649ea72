-- traces: the spans an agent exported (OpenTelemetry), from the Transaction Search group aws/spans.
local observe = require("observe")

local function ms(x)
  if not x then return "-" end
  if x >= 1000 then return ("%.2f s"):format(x / 1000) end
  return ("%.1f ms"):format(x)
end

local function short_time(t)
  if not t or t == "" then return "-" end
  return (t:gsub("T", " "):gsub("%.%d+", ""):gsub("Z$", ""))
end

-- Groups spans by trace: its root (the span without a parent among them), start, duration,
-- status (ERROR when any span failed) and session.
local function summarize(spans)
  local by, order = {}, {}
  for _, s in ipairs(spans) do
    local t = by[s.trace_id]
    if not t then
      t = { trace_id = s.trace_id, spans = {}, ids = {} }
      by[s.trace_id] = t
      table.insert(order, t)
    end
    table.insert(t.spans, s)
    t.ids[s.span_id] = true
  end
  local out = json.array() -- [] in -o json when there is no trace
  for _, t in ipairs(order) do
    local first, last, status, session, root = nil, nil, "OK", nil, nil
    for _, s in ipairs(t.spans) do
      local e = s.start_ms + s.duration_ms
      if not first or s.start_ms < first then first = s.start_ms end
      if not last or e > last then last = e end
      if s.status == "ERROR" then status = "ERROR" end
      session = session or s.session
      if not s.parent_span_id or s.parent_span_id == "" or not t.ids[s.parent_span_id] then
        if not root or s.start_ms < root.start_ms then root = s end
      end
    end
    if status ~= "ERROR" and root and root.status == "UNSET" then status = "UNSET" end
    table.insert(out, { trace_id = t.trace_id, root = root and root.name or "-", start = root and root.start or t.spans[1].start,
      start_ms = first, duration_ms = last - first, status = status, session = session, spans = #t.spans })
  end
  table.sort(out, function(x, y) return x.start_ms < y.start_ms end)
  return out
end

-- Prints a trace's spans as a tree: offset from the trace's start, duration, status.
local function print_tree(spans)
  local children, ids, t0 = {}, {}, nil
  for _, s in ipairs(spans) do
    ids[s.span_id] = true
    if not t0 or s.start_ms < t0 then t0 = s.start_ms end
  end
  local roots = {}
  for _, s in ipairs(spans) do
    local p = s.parent_span_id
    if p and p ~= "" and ids[p] then
      children[p] = children[p] or {}
      table.insert(children[p], s)
    else
      table.insert(roots, s)
    end
  end
  local rows = {}
  local function walk(s, prefix, last, depth)
    local branch = depth == 0 and "" or (prefix .. (last and "└─ " or "├─ "))
    table.insert(rows, { branch .. s.name, "+" .. ms(s.start_ms - t0), ms(s.duration_ms), s.status, s.kind or "" })
    local kids = children[s.span_id] or {}
    table.sort(kids, function(x, y) return x.start_ms < y.start_ms end)
    for i, k in ipairs(kids) do
      walk(k, depth == 0 and "" or (prefix .. (last and "   " or "│  ")), i == #kids, depth + 1)
    end
  end
  table.sort(roots, function(x, y) return x.start_ms < y.start_ms end)
  for _, r in ipairs(roots) do walk(r, "", true, 0) end
  ui.table({ "SPAN", "START", "DURATION", "STATUS", "KIND" }, rows)
end

return recipe {
  description = "List an agent's recent traces, or show one trace's spans as a tree with timings",
  usage = [[
Traces are the OpenTelemetry spans an agent exports: on AWS, AgentCore observability sends them
to CloudWatch Transaction Search (the log group aws/spans; create enables it once per account
and region); locally the endpoint receives them on its OTLP endpoint, which it gives every
agent in OTEL_EXPORTER_OTLP_ENDPOINT. An agent's spans are those naming its runtime.

Examples:
  agentcore traces my-bot
  agentcore traces my-bot --since 6h --session 7f3c...e2
  agentcore traces my-bot 6745f1c2b8a94e0f9d4a2b3c1d0e9f8a]],
  lock = false,
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "trace", type = "string", positional = true, help = "a trace id: show its spans as a tree" },
    { name = "session", type = "string", help = "only the traces of this runtime session" },
    { name = "since", type = "string", help = "from when: 30s, 10m, 2h, 2d or an RFC 3339 time (default 1h; 1d with a trace id)" },
  },
  run = function(args)
    local since = args.since or (args.trace and "1d" or "1h")
    local start = observe.since(args.since, since)
    if args.trace and not args.trace:match("^%x+$") then
      ui.error(("%q is not a trace id (hexadecimal, as agentcore traces %s lists them)"):format(args.trace, args.agent), { usage = true })
    end
    local agent, a = observe.deployed(args.agent, "traces")
    -- spans name the runtime: its id in aws.log.group.names or cloud.resource_id, its name in service.name
    local r = logs.spans { any = { a.runtime_id, agent.runtime_name }, session = args.session, trace_id = args.trace and args.trace:lower(), start = start }
    local result = { agent = agent.name, environment = env.name(), since = since }
    if r.missing then
      ui.ok(("no spans yet in %s (no log group aws/spans): %s has not exported any"):format(env.name(), agent.name))
      ui.info("an agent exports spans with OpenTelemetry (OTLP); on AWS, agentcore create enables Transaction Search")
      result.traces = json.array()
      return result
    end

    if args.trace then
      if #r.spans == 0 then
        ui.error(("no trace %s of %s in %s since %s"):format(args.trace, agent.name, env.name(), since),
          { usage = true, hint = "list the traces with agentcore traces " .. agent.name .. ", or look further back with --since 7d" })
      end
      local t = summarize(r.spans)[1]
      result.trace_id, result.spans, result.duration_ms, result.status, result.session = t.trace_id, r.spans, t.duration_ms, t.status, t.session
      if not ui.json_mode() then
        ui.step(("trace %s: %s, %d span%s, %s, %s%s"):format(t.trace_id, t.root, t.spans, t.spans == 1 and "" or "s",
          ms(t.duration_ms), t.status, t.session and (", session " .. t.session) or ""))
        print_tree(r.spans)
      end
      return result
    end

    local traces = summarize(r.spans)
    result.traces = traces
    if #traces == 0 then
      ui.ok(("no traces of %s in %s since %s%s"):format(agent.name, env.name(), since, args.session and (" in session " .. args.session) or ""))
      return result
    end
    if not ui.json_mode() then
      local rows = {}
      for _, t in ipairs(traces) do
        table.insert(rows, { t.trace_id, t.root, short_time(t.start), ms(t.duration_ms), t.status, t.session or "-", tostring(t.spans) })
      end
      ui.table({ "TRACE", "ROOT SPAN", "START (UTC)", "DURATION", "STATUS", "SESSION", "SPANS" }, rows)
      ui.info("agentcore traces " .. agent.name .. " TRACE shows one as a tree")
    end
    return result
  end,
}
