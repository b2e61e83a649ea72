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

-- Renders text/event-stream chunks: the text of each event's JSON (delta, text, content,
-- response) or the raw data.
local function sse_printer()
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
          local text = ev.delta or ev.text or ev.content or ev.response
          ui.write(type(text) == "string" and text or data)
        else
          ui.write(data)
        end
      end
    end
  end
end

return recipe {
  description = "Invoke a deployed agent and stream its answer",
  usage = [[
The payload is {"prompt": TEXT} with --prompt, or any JSON with --payload. The answer is printed
as it arrives (server-sent events are shown as text). The session id is kept per agent and
endpoint so a conversation continues; --new-session starts another.

Examples:
  agentcore invoke my-bot --prompt "hello"
  agentcore invoke my-bot --payload '{"prompt": "hi", "stream": true}' --endpoint stable]],
  lock = false,
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "prompt", short = "p", type = "string", help = "text to send as {\"prompt\": TEXT}" },
    { name = "payload", type = "string", help = "JSON payload to send as is" },
    { name = "endpoint", type = "string", default = "DEFAULT", help = "endpoint to invoke (qualifier)" },
    { name = "session", type = "string", help = "session id to use (33 to 256 characters)" },
    { name = "new-session", type = "bool", help = "start a new session instead of reusing the last one" },
    { name = "user", type = "string", help = "user id passed to the agent" },
  },
  run = function(args)
    local agent = project.agent(args.agent, { resolve = false })
    if (args.prompt == nil) == (args.payload == nil) then
      ui.error("give exactly one of --prompt TEXT or --payload JSON", { usage = true,
        hint = "agentcore invoke " .. agent.name .. " --prompt hello" })
    end
    local payload = args.payload
    if payload then
      local ok, err = pcall(json.decode, payload)
      if not ok then
        ui.error("--payload is not valid JSON: " .. tostring(err.message or err), { usage = true })
      end
    else
      payload = json.encode({ prompt = args.prompt })
    end
    local st = state.load()
    local a = deploy.require_runtime(st, agent)
    if args.endpoint ~= "DEFAULT" and not a.endpoints[args.endpoint] then
      local names = {}
      for n in pairs(a.endpoints) do table.insert(names, n) end
      table.sort(names)
      ui.warn(("endpoint %s of %s is not recorded in state (known: %s); asking the runtime anyway"):format(
        args.endpoint, agent.name, table.concat(names, ", ")))
    end

    local sessions = load_sessions()
    local key = agent.name .. "/" .. args.endpoint
    local session = args.session
    if not session and not args.new_session then session = sessions[key] end
    if not session then session = deploy.new_session_id() end
    if #session < 33 or #session > 256 then
      ui.error(("session id %q has %d characters; AgentCore needs 33 to 256"):format(session, #session), { usage = true })
    end

    local printer, last = nil, ""
    local res = agentcore.invoke {
      arn = a.runtime_arn,
      qualifier = args.endpoint,
      payload = payload,
      session_id = session,
      user_id = args.user,
      on_chunk = function(chunk)
        if not printer then
          -- the first bytes tell a server-sent event stream from a plain answer
          printer = (chunk:match("^%s*data:") or chunk:match("^%s*event:")) and sse_printer() or ui.write
        end
        printer(chunk)
        last = chunk
      end,
    }
    if not ui.json_mode() and last:sub(-1) ~= "\n" then ui.write("\n") end

    sessions[key] = res.runtimeSessionId or session
    fs.write(sessions_path(), json.encode(sessions, { indent = true }))
    return { agent = agent.name, endpoint = args.endpoint, session_id = sessions[key],
      status_code = res.statusCode, content_type = res.contentType }
  end,
}
