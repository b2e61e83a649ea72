-- invoke: talk to a deployed agent, streaming its answer.
local deploy = require("deploy")

-- Session ids are reused per agent and endpoint (kept in .agentcore/sessions/ENV.json, not in
-- the shared state), so successive invocations continue one conversation.
local function sessions_path() return ".agentcore/sessions/" .. env.name() .. ".json" end

local function load_sessions()
  local text = fs.read(sessions_path())
  if not text then return {} end
  local ok, t = pcall(json.decode, text)
  if ok and type(t) == "table" then return t end
  return {}
end

-- AgentCore's limits on InvokeAgentRuntime (the bedrock-agentcore model: Body, SessionType).
local MAX_PAYLOAD = 100000000

-- A session id is an HTTP header: 33 to 256 printable ASCII characters, no spaces or line
-- breaks. Refused at once (exit 2) rather than after the request's retries.
local function check_session(s, hint)
  if #s < 33 or #s > 256 then
    ui.error(("session id %q has %d characters; AgentCore needs 33 to 256"):format(s, #s),
      { usage = true, hint = hint })
  end
  local i = s:find("[^!-~]")
  if i then
    local c = s:sub(i, i)
    local what = ({ ["\r"] = "a carriage return (CR)", ["\n"] = "a line feed (LF)", [" "] = "a space", ["\t"] = "a tab" })[c]
      or ("the byte %d"):format(c:byte())
    ui.error(("session id has %s at position %d; use letters, digits and punctuation only (it is sent as an HTTP header)"):format(what, i),
      { usage = true, hint = hint or "pass --session ID without line breaks, or --new-session" })
  end
end

-- Renders text/event-stream chunks: the text of each event's JSON (delta, text, content,
-- response) or the raw data. write prints.
local function sse_printer(write)
  local buf = ""
  return function(chunk)
    buf = buf .. chunk
    while true do
      local i = buf:find("\n", 1, true)
      if not i then break end
      local line = buf:sub(1, i - 1):gsub("\r$", "")
      buf = buf:sub(i + 1)
      local data = line:match("^data:%s?(.*)$")
      if data then
        local ok, ev = pcall(json.decode, data)
        if ok and type(ev) == "table" then
          local text = ev.delta or ev.text or ev.content or ev.response or ev.answer or ev.output or ev.result
          write(type(text) == "string" and text or data)
        else
          write(data)
        end
      end
    end
  end
end

return recipe {
  description = "Invoke a deployed agent and stream its answer",
  usage = [[
The payload is {"prompt": TEXT} with --prompt, or any JSON with --payload: given inline, read
from a file with --payload @FILE, or from stdin with --payload - (at most 100 MB, AgentCore's
limit). The answer is printed as text, with secrets masked: a JSON answer with one text field
(response, answer, output, text or result) as that text, other JSON pretty-printed, server-sent
events as the text of their events while they arrive; --raw prints it exactly as sent. It
ends with a newline. The -o json result, and the value stock("invoke").call{...} returns, hold
the answer: text, json (the JSON document), body (as sent) and truncated (beyond 1 MiB they are
cut). The session id is kept per agent and endpoint so a conversation continues;
--new-session starts another.

  local r = stock("invoke").call { agent = "my-bot", prompt = "What is 2 + 2?" }
  if not r.text:find("4") then ui.error("wrong answer: " .. r.text) end

Examples:
  agentcore invoke my-bot --prompt "hello"
  agentcore invoke my-bot --payload '{"prompt": "hi", "stream": true}' --endpoint stable
  agentcore invoke my-bot --payload @request.json
  generate-request | agentcore invoke my-bot --payload -]],
  lock = false,
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "prompt", short = "p", type = "string", help = "text to send as {\"prompt\": TEXT}" },
    { name = "payload", type = "string", help = "JSON payload to send as is; @FILE reads a file, - reads stdin" },
    { name = "endpoint", type = "string", default = "DEFAULT", help = "endpoint to invoke (qualifier)" },
    { name = "session", type = "string", help = "session id to use (33 to 256 printable characters)" },
    { name = "new-session", type = "bool", help = "start a new session instead of reusing the last one" },
    { name = "user", type = "string", help = "user id passed to the agent" },
    { name = "raw", type = "bool", help = "print the answer exactly as the agent sent it (no text extraction, no newline added)" },
  },
  run = function(args)
    local agent = project.agent(args.agent, { resolve = false })
    if (args.prompt == nil) == (args.payload == nil) then
      ui.error("give exactly one of --prompt TEXT or --payload JSON", { usage = true,
        hint = "agentcore invoke " .. agent.name .. " --prompt hello" })
    end
    -- Arguments are checked before anything is read or sent.
    if args.session then check_session(args.session) end
    local payload, payload_file = args.payload, nil
    if payload == "-" then
      payload, payload_file = nil, "-"
    elseif payload and payload:sub(1, 1) == "@" then
      payload_file = payload:sub(2) -- (not one multiple assignment: gopher-lua assigns as it goes)
      payload = nil
      if payload_file == "" then ui.error("--payload @FILE needs a file name", { usage = true }) end
    elseif payload then
      if #payload > MAX_PAYLOAD then
        ui.error(("--payload is %d bytes; AgentCore accepts at most %d"):format(#payload, MAX_PAYLOAD), { usage = true })
      end
      local ok, err = pcall(json.decode, payload)
      if not ok then
        ui.error("--payload is not valid JSON: " .. tostring(err.message or err), { usage = true })
      end
    else
      payload = json.encode({ prompt = args.prompt })
    end
    local a = deploy.require_runtime(deploy.context(agent))
    if args.endpoint ~= "DEFAULT" and not a.endpoints[args.endpoint] then
      local names = {}
      for n in pairs(a.endpoints) do table.insert(names, n) end
      table.sort(names)
      ui.warn(("endpoint %s of %s is not recorded in state (known: %s); asking the runtime anyway"):format(
        args.endpoint, agent.name, table.concat(names, ", ")))
    end

    local sessions = load_sessions()
    -- A session stays on the version that served its first request (its sandbox runs it): the
    -- saved one is reused while the endpoint serves that version, a new one starts after a change.
    local key = agent.name .. "/" .. args.endpoint
    local served = a.endpoints[args.endpoint] and a.endpoints[args.endpoint].version
    if served then key = key .. "@V" .. tostring(served) end
    local session = args.session
    if not session and not args.new_session then session = sessions[key] end
    if not session then session = deploy.new_session_id() end
    check_session(session, not args.session and "start a new one with --new-session" or nil)

    -- How the answer is printed, decided by its first bytes: a server-sent event stream as the
    -- text of its events, as they arrive; a JSON document once whole, as its text field or
    -- pretty-printed (agentcore.answer); anything else as it arrives. --raw: as is.
    local printer, last, held = nil, "", nil
    local function write(text)
      if text == "" then return end
      ui.write(text)
      last = text
    end
    local res = agentcore.invoke {
      arn = a.runtime_arn,
      qualifier = args.endpoint,
      payload = payload,
      payload_file = payload_file,
      check_json = payload_file ~= nil,
      session_id = session,
      user_id = args.user,
      on_chunk = function(chunk)
        if not printer then
          if args.raw then
            printer = write
          elseif chunk:match("^%s*data:") or chunk:match("^%s*event:") then
            printer = sse_printer(write)
          elseif chunk:match("^%s*[{%[\"]") then
            held = {}
            printer = function(c) table.insert(held, c) end -- shown once whole
          else
            printer = write
          end
        end
        printer(chunk)
      end,
    }
    local answer = res.answer
    if held then
      -- the whole answer is kept up to 1 MiB: a longer one is printed as it came
      write(answer.truncated and table.concat(held) or answer.text)
    end
    if not args.raw and not ui.json_mode() and last ~= "" and last:sub(-1) ~= "\n" then ui.write("\n") end

    sessions[key] = res.runtimeSessionId or session
    fs.write(sessions_path(), json.encode(sessions, { indent = true }))
    return { agent = agent.name, endpoint = args.endpoint, session_id = sessions[key],
      status_code = res.statusCode, content_type = res.contentType,
      text = answer.text, json = answer.json, body = answer.body, truncated = answer.truncated }
  end,
}
