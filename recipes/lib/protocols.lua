-- Speaking to an agent in its protocol (agentcore.toml protocol = HTTP, MCP, A2A or AGUI):
-- the MCP URL and options of a runtime, A2A's JSON-RPC messages and the text of their
-- answers, AG-UI's run input and the rendering of its event stream, and the server-sent
-- events both stream. invoke and the smoke checks of release and rollout share it.
local deploy = require("deploy")
local M = {}

-- The MCP URL of a runtime's endpoint (its invocations, streamable HTTP) and the options that
-- sign every request with the environment's credentials, in session (nil: a new one).
function M.mcp_url(a, qualifier)
  return agentcore.invocation_url(a.runtime_arn, { qualifier = qualifier })
end

function M.mcp_opts(session, timeout, label)
  return { sigv4 = true, session_id = session, timeout = timeout, label = label }
end

-- A reader of text/event-stream chunks: feed(chunk) calls on_data(text) with the data of each
-- event (its data: lines joined) as soon as the event is whole.
function M.sse(on_data)
  local buf, data = "", nil
  return function(chunk)
    buf = buf .. chunk
    while true do
      local i = buf:find("\n", 1, true)
      if not i then break end
      local line = buf:sub(1, i - 1):gsub("\r$", "")
      buf = buf:sub(i + 1)
      if line == "" then
        if data then on_data(data) end
        data = nil
      else
        local d = line:match("^data:%s?(.*)$")
        if d then data = data and (data .. "\n" .. d) or d end
      end
    end
  end
end

-- A2A (JSON-RPC 2.0 over the runtime's invocations): message/send or message/stream with one
-- text part.
function M.a2a_request(text, stream, context_id)
  return json.encode({
    jsonrpc = "2.0", id = deploy.new_session_id(), method = stream and "message/stream" or "message/send",
    params = { message = { kind = "message", role = "user", messageId = deploy.new_session_id(),
      contextId = context_id, parts = { { kind = "text", text = text } } } },
  })
end

local function parts_text(parts)
  local out = {}
  for _, p in ipairs(parts or {}) do
    if p.kind == "text" or (p.kind == nil and p.text) then table.insert(out, p.text)
    elseif p.kind == "data" then table.insert(out, json.encode(p.data)) end
  end
  return table.concat(out)
end

-- The text an A2A result carries: a message's parts, an artifact update's, a task's
-- artifacts (or its status message); "" for a bare status update.
function M.a2a_text(result)
  if type(result) ~= "table" then return "" end
  if result.kind == "message" or result.parts then return parts_text(result.parts) end
  if result.kind == "artifact-update" and result.artifact then return parts_text(result.artifact.parts) end
  if result.kind == "task" then
    local out = {}
    for _, art in ipairs(result.artifacts or {}) do table.insert(out, parts_text(art.parts)) end
    if #out == 0 and result.status and result.status.message then return parts_text(result.status.message.parts) end
    return table.concat(out)
  end
  if result.kind == "status-update" and result.status and result.status.message then
    return parts_text(result.status.message.parts)
  end
  return ""
end

-- Reads an A2A answer (a JSON-RPC response, or a stream of them): on_result(result) for each
-- result as it arrives; a JSON-RPC error raises with its code and message. Returns feed(chunk)
-- and done() (which handles a plain JSON response once whole).
function M.a2a_reader(on_result)
  local sse, plain = nil, nil
  local function handle(text)
    local ok, msg = pcall(json.decode, text)
    if not ok or type(msg) ~= "table" then
      ui.error("the A2A agent answered something that is not JSON-RPC: " .. text:sub(1, 300))
    end
    if msg.error then
      ui.error(("the A2A agent answered error %s: %s"):format(tostring(msg.error.code), tostring(msg.error.message)))
    end
    on_result(msg.result)
  end
  local function feed(chunk)
    if not sse and not plain then
      if chunk:match("^%s*data:") or chunk:match("^%s*event:") or chunk:match("^%s*:") then
        sse = M.sse(handle)
      else
        plain = {}
      end
    end
    if sse then sse(chunk) else table.insert(plain, chunk) end
  end
  local function done()
    if plain and #plain > 0 then handle(table.concat(plain)) end
  end
  return feed, done
end

-- AG-UI's RunAgentInput with one user message.
function M.agui_input(text)
  return json.encode({
    threadId = deploy.new_session_id(), runId = deploy.new_session_id(),
    messages = { { id = deploy.new_session_id(), role = "user", content = text } },
    tools = json.array(), context = json.array(), state = {}, forwardedProps = {},
  })
end

local function keys_of(t)
  local ks = {}
  if type(t) == "table" then for k in pairs(t) do table.insert(ks, tostring(k)) end end
  table.sort(ks)
  return ks
end

-- Renders AG-UI events for people: write(text) gets text deltas inline and one line per tool
-- call (name and arguments), state snapshot and delta (summarized), step and error. Returns
-- on_event(ev) and the text of the assistant's messages so far (text()).
function M.agui_renderer(write)
  local texts, calls, open_line = {}, {}, false
  local function line(s)
    if open_line then write("\n"); open_line = false end
    write(s .. "\n")
  end
  local function on_event(ev)
    local t = ev.type
    if t == "TEXT_MESSAGE_CONTENT" or t == "TEXT_MESSAGE_CHUNK" then
      if type(ev.delta) == "string" and ev.delta ~= "" then
        write(ev.delta); open_line = not ev.delta:find("\n$")
        table.insert(texts, ev.delta)
      end
    elseif t == "TEXT_MESSAGE_END" then
      if open_line then write("\n"); open_line = false end
    elseif t == "TOOL_CALL_START" then
      calls[ev.toolCallId or ""] = { name = ev.toolCallName or "?", args = "" }
    elseif t == "TOOL_CALL_ARGS" then
      local c = calls[ev.toolCallId or ""]
      if c then c.args = c.args .. (ev.delta or "") end
    elseif t == "TOOL_CALL_END" or t == "TOOL_CALL_CHUNK" then
      local c = calls[ev.toolCallId or ""] or { name = ev.toolCallName or "?", args = ev.delta or "" }
      line(("→ tool %s %s"):format(c.name, c.args ~= "" and c.args or "{}"))
      calls[ev.toolCallId or ""] = nil
    elseif t == "TOOL_CALL_RESULT" then
      line(("← tool result %s"):format(tostring(ev.content)))
    elseif t == "STATE_SNAPSHOT" then
      local ks = keys_of(ev.snapshot)
      line(("state: snapshot of %d key%s (%s)"):format(#ks, #ks == 1 and "" or "s", table.concat(ks, ", ")))
    elseif t == "STATE_DELTA" then
      local n = type(ev.delta) == "table" and #ev.delta or 0
      line(("state: %d change%s"):format(n, n == 1 and "" or "s"))
    elseif t == "MESSAGES_SNAPSHOT" then
      line(("messages: snapshot of %d"):format(type(ev.messages) == "table" and #ev.messages or 0))
    elseif t == "STEP_STARTED" then
      line("step: " .. tostring(ev.stepName))
    elseif t == "RUN_ERROR" then
      line("run error: " .. tostring(ev.message) .. (ev.code and (" (" .. tostring(ev.code) .. ")") or ""))
    end
  end
  return on_event, function() return table.concat(texts) end
end

return M
