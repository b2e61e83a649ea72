-- invoke: talk to a deployed agent, streaming its answer.
local deploy = require("deploy")
local protocols = require("protocols")

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

-- The flags of each protocol, and what to use instead of a flag the agent's protocol does not
-- take: refused before any work (exit 2).
local MCP_OPS = { "tools", "call", "resources", "prompts" }
local INSTEAD = {
  HTTP = "use --prompt TEXT or --payload JSON (or --ws for its WebSocket)",
  AGUI = "use --prompt TEXT (its events are rendered) or --payload JSON (a RunAgentInput), or --ws",
  MCP = "use --tools, --call TOOL --args JSON, --resources or --prompts",
  A2A = "use --card, or --prompt TEXT (message/send, or message/stream when its card says streaming)",
}

local function refuse(agent, protocol, flag, what)
  ui.error(("%s serves protocol %s (agentcore.toml), and %s is for %s"):format(agent.name, protocol, flag, what),
    { usage = true, hint = ("%s: %s"):format(agent.name, INSTEAD[protocol] or INSTEAD.HTTP) })
end

local function check_flags(agent, protocol, args)
  local ops = {}
  for _, op in ipairs(MCP_OPS) do if args[op] then table.insert(ops, "--" .. op) end end
  if #ops > 0 and protocol ~= "MCP" then refuse(agent, protocol, ops[1], "MCP servers") end
  if args.args and not args.call then
    ui.error("--args goes with --call TOOL", { usage = true, hint = ("agentcore invoke %s --call TOOL --args '{\"a\": 2}'"):format(agent.name) })
  end
  if args.card and protocol ~= "A2A" then refuse(agent, protocol, "--card", "A2A agents (GetAgentCard)") end
  if args.no_stream and protocol ~= "A2A" then refuse(agent, protocol, "--no-stream", "A2A agents") end
  if args.ws and (protocol == "MCP" or protocol == "A2A") then
    refuse(agent, protocol, "--ws", "the WebSocket of HTTP and AG-UI agents (AgentCore serves /ws on their port 8080 only)")
  end
  if (args.interactive or args.idle) and not args.ws then
    ui.error(("--%s goes with --ws"):format(args.interactive and "interactive" or "idle"), { usage = true,
      hint = ("agentcore invoke %s --ws --interactive"):format(agent.name) })
  end
  if args.session and args.new_session then
    ui.error("give --session ID or --new-session, not both", { usage = true })
  end
  local given = {}
  for _, f in ipairs({ "prompt", "payload", "card" }) do if args[f] ~= nil and args[f] ~= false then table.insert(given, "--" .. f) end end
  for _, o in ipairs(ops) do table.insert(given, o) end
  if #given > 1 then
    ui.error(("give one of %s, not several"):format(table.concat(given, ", ")), { usage = true,
      hint = ("%s: %s"):format(agent.name, INSTEAD[protocol] or INSTEAD.HTTP) })
  end
  if protocol == "MCP" and args.prompt then refuse(agent, protocol, "--prompt", "HTTP, A2A and AG-UI agents") end
  if #given == 0 and not (args.ws and args.interactive) then
    ui.error(("say what to send to %s (protocol %s)"):format(agent.name, protocol), { usage = true,
      hint = INSTEAD[protocol] or INSTEAD.HTTP })
  end
  if args.call then
    if args.call == "" then ui.error("--call needs a tool name", { usage = true }) end
    local text = args.args or "{}"
    local ok, v = pcall(json.decode, text)
    if not ok then
      ui.error("--args is not valid JSON: " .. tostring(type(v) == "table" and v.message or v), { usage = true,
        hint = "give the tool's arguments as a JSON object, e.g. --args '{\"a\": 2, \"b\": 2}'" })
    end
    if type(v) ~= "table" or not text:match("^%s*{") then
      ui.error("--args is not a JSON object: " .. text, { usage = true,
        hint = "give the tool's arguments as a JSON object, e.g. --args '{\"a\": 2, \"b\": 2}'" })
    end
  end
end

-- The payload of --prompt / --payload, checked: its text, or the file to read it from.
local function payload_of(args, protocol)
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
    -- a WebSocket message is any text; an invocation's payload is JSON
    local ok, err = pcall(json.decode, payload)
    if not ok and not args.ws then
      ui.error("--payload is not valid JSON: " .. tostring(err.message or err), { usage = true })
    end
  elseif args.prompt then
    if protocol == "AGUI" then
      payload = protocols.agui_input(args.prompt)
    else
      payload = json.encode({ prompt = args.prompt })
    end
  end
  return payload, payload_file
end

-- The argument list of a tool for a table: "a: number, b?: string".
local function tool_args(t)
  local out = {}
  for _, a in ipairs(t.args or {}) do
    table.insert(out, ("%s%s: %s"):format(a.name, a.required and "" or "?", a.type ~= "" and a.type or "any"))
  end
  return table.concat(out, ", ")
end

local function one_line(s, n)
  s = tostring(s or ""):gsub("%s+", " ")
  if #s > n then s = s:sub(1, n - 3) .. "..." end
  return s
end

-- MCP: tools/list, tools/call, resources, prompts through the runtime's invocations URL.
local function invoke_mcp(agent, a, args, session, save)
  local url = protocols.mcp_url(a, args.endpoint)
  local opts = protocols.mcp_opts(session, nil, ("agent %s (%s)"):format(agent.name, args.endpoint))
  if args.user then opts.headers = { ["X-Amzn-Bedrock-AgentCore-Runtime-User-Id"] = args.user } end
  local out = { agent = agent.name, endpoint = args.endpoint, protocol = "MCP" }
  if args.tools then
    local r = mcp.tools(url, opts)
    out.tools, out.server, out.session_id = r.tools, r.server, r.session_id
    if not ui.json_mode() then
      local rows = {}
      for _, t in ipairs(r.tools) do table.insert(rows, { t.name, one_line(t.description, 60), tool_args(t) }) end
      if #rows == 0 then ui.print(("%s has no tools"):format(agent.name)) else ui.table({ "TOOL", "DESCRIPTION", "ARGUMENTS" }, rows) end
    end
  elseif args.call then
    local r = mcp.call(url, args.call, args.args or "{}", opts)
    out.tool, out.content, out.structuredContent, out.isError, out.text, out.session_id =
      args.call, r.content, r.structuredContent, r.isError, r.text, r.session_id
    if r.isError then
      save(r.session_id)
      ui.error(("tool %s of %s failed: %s"):format(args.call, agent.name, r.text ~= "" and r.text or json.encode(r.content)))
    end
    if not ui.json_mode() then
      local shown = false
      for _, c in ipairs(r.content) do
        if c.type == "text" then
          ui.print(c.text); shown = true
        elseif c.type ~= nil then
          ui.print(("(%s content%s)"):format(c.type, c.mimeType and (", " .. c.mimeType) or "")); shown = true
        end
      end
      if not shown and r.structuredContent ~= nil then ui.print(json.encode(r.structuredContent, { indent = true })) end
    end
  elseif args.resources then
    local r = mcp.resources(url, opts)
    out.resources, out.templates, out.session_id = r.resources, r.templates, r.session_id
    if not ui.json_mode() then
      local rows = {}
      for _, x in ipairs(r.resources) do table.insert(rows, { x.uri, x.name, x.mimeType or "", one_line(x.description, 50) }) end
      for _, x in ipairs(r.templates) do table.insert(rows, { x.uriTemplate, x.name, x.mimeType or "", one_line(x.description, 50) }) end
      if #rows == 0 then ui.print(("%s has no resources"):format(agent.name)) else ui.table({ "URI", "NAME", "TYPE", "DESCRIPTION" }, rows) end
    end
  else
    local r = mcp.prompts(url, opts)
    out.prompts, out.session_id = r.prompts, r.session_id
    if not ui.json_mode() then
      local rows = {}
      for _, p in ipairs(r.prompts) do
        local as = {}
        for _, x in ipairs(p.arguments) do table.insert(as, x.name .. (x.required and "" or "?")) end
        table.insert(rows, { p.name, one_line(p.description, 60), table.concat(as, ", ") })
      end
      if #rows == 0 then ui.print(("%s has no prompts"):format(agent.name)) else ui.table({ "PROMPT", "DESCRIPTION", "ARGUMENTS" }, rows) end
    end
  end
  return out
end

-- A2A: the agent card, or a message (streamed as it arrives when the card says streaming).
local function invoke_a2a(agent, a, args, session, save)
  local out = { agent = agent.name, endpoint = args.endpoint, protocol = "A2A" }
  local card = agentcore.agent_card(a.runtime_arn, { qualifier = args.endpoint, session_id = session })
  out.session_id = card.runtimeSessionId or session
  if args.card then
    local c = card.agentCard
    out.card = c
    if not ui.json_mode() then
      ui.print(("%s %s"):format(tostring(c.name or "?"), c.version and ("v" .. tostring(c.version)) or ""))
      if c.description then ui.print(c.description) end
      local caps = c.capabilities or {}
      ui.print(("url: %s  protocol %s  streaming: %s"):format(tostring(c.url or "?"), tostring(c.protocolVersion or "?"), caps.streaming and "yes" or "no"))
      local rows = {}
      for _, sk in ipairs(c.skills or {}) do table.insert(rows, { tostring(sk.id or ""), tostring(sk.name or ""), one_line(sk.description, 60) }) end
      if #rows > 0 then ui.table({ "SKILL", "NAME", "DESCRIPTION" }, rows) end
    end
    return out
  end
  local stream = not args.no_stream and type(card.agentCard.capabilities) == "table" and card.agentCard.capabilities.streaming == true
  local texts, last_state, open = {}, nil, false
  local feed, done = protocols.a2a_reader(function(result)
    if ui.json_mode() then ui.emit("a2a", { result = result }) end
    local text = protocols.a2a_text(result)
    if text ~= "" then
      table.insert(texts, text)
      if not ui.json_mode() then ui.write(text); open = text:sub(-1) ~= "\n" end
    end
    if type(result) == "table" and result.status and result.status.state then last_state = result.status.state end
  end)
  local res = agentcore.invoke {
    arn = a.runtime_arn, qualifier = args.endpoint, session_id = out.session_id, user_id = args.user,
    payload = protocols.a2a_request(args.prompt, stream),
    accept = stream and "text/event-stream" or "application/json",
    on_chunk = feed,
  }
  done()
  if open then ui.write("\n") end
  out.session_id = res.runtimeSessionId or out.session_id
  out.text, out.state, out.streamed = table.concat(texts), last_state, stream
  if last_state == "failed" or last_state == "rejected" then
    save(out.session_id)
    ui.error(("%s's task ended %s"):format(agent.name, last_state))
  end
  return out
end
return recipe {
  description = "Invoke a deployed agent in its protocol (HTTP, MCP, A2A, AG-UI, WebSocket) and stream its answer",
  usage = [[
The agent's protocol (agentcore.toml protocol) decides what invoke sends and how it shows the
answer; a flag of another protocol is refused (exit 2) with what to use instead.

HTTP: the payload is {"prompt": TEXT} with --prompt, or any JSON with --payload: given inline,
read from a file with --payload @FILE, or from stdin with --payload - (at most 100 MB,
AgentCore's limit). The answer is printed as text, with secrets masked: a JSON answer with one
text field (response, answer, output, text or result) as that text, other JSON pretty-printed,
server-sent events as the text of their events while they arrive; --raw prints it exactly as
sent. It ends with a newline. The -o json result, and the value stock("invoke").call{...}
returns, hold the answer: text, json (the JSON document), body (as sent) and truncated (beyond
1 MiB they are cut). The session id is kept per agent and endpoint so a conversation
continues; --new-session starts another.

MCP servers (protocol = "MCP", the official MCP Go SDK over the runtime's invocations URL,
SigV4-signed): --tools lists the tools (name, description, arguments; -o json: as the server
describes them), --call TOOL --args JSON calls one (its text printed, structured content as
JSON when it has no text; a tool's error is exit 1 with its message), --resources and
--prompts list those. The MCP session is kept like a runtime session.

A2A agents: --card shows the agent card (GetAgentCard); --prompt TEXT sends message/send, or
message/stream shown as it arrives when the card says streaming (--no-stream: message/send).

AG-UI agents: --prompt TEXT sends a RunAgentInput with that user message (--payload: your own);
the event stream is rendered as it arrives: text deltas inline, tool calls with name and
arguments, state snapshots and deltas summarized; -o json gives the raw events.

--ws (HTTP and AG-UI agents): opens the runtime's WebSocket (/ws, SigV4-signed), sends the
payload (--prompt as {"prompt": TEXT}, or --payload) and prints messages as they arrive, until
the agent closes or nothing came for --idle (default 3s); --interactive also sends each line
typed on stdin.

  local r = stock("invoke").call { agent = "my-bot", prompt = "What is 2 + 2?" }
  if not r.text:find("4") then ui.error("wrong answer: " .. r.text) end

Examples:
  agentcore invoke my-bot --prompt "hello"
  agentcore invoke my-bot --payload '{"prompt": "hi", "stream": true}' --endpoint stable
  agentcore invoke my-bot --payload @request.json
  generate-request | agentcore invoke my-bot --payload -
  agentcore invoke tools-bot --tools
  agentcore invoke tools-bot --call add --args '{"a": 2, "b": 2}'
  agentcore invoke helper --card
  agentcore invoke helper --prompt "summarize this"
  agentcore invoke my-bot --ws --interactive]],
  lock = false,
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "prompt", short = "p", type = "string", help = "text to send: {\"prompt\": TEXT} (HTTP), a message (A2A), a RunAgentInput's user message (AG-UI)" },
    { name = "payload", type = "string", help = "JSON payload to send as is; @FILE reads a file, - reads stdin" },
    { name = "endpoint", type = "string", default = "DEFAULT", help = "endpoint to invoke (qualifier)" },
    { name = "session", type = "string", help = "session id to use (33 to 256 printable characters)" },
    { name = "new-session", type = "bool", help = "start a new session instead of reusing the last one" },
    { name = "user", type = "string", help = "user id passed to the agent" },
    { name = "raw", type = "bool", help = "print the answer exactly as the agent sent it (no text extraction, no newline added)" },
    { name = "tools", type = "bool", help = "MCP: list the server's tools (tools/list)" },
    { name = "call", type = "string", help = "MCP: call this tool (tools/call), with --args" },
    { name = "args", type = "string", help = "MCP: the tool's arguments, a JSON object (default {})" },
    { name = "resources", type = "bool", help = "MCP: list the server's resources and resource templates" },
    { name = "prompts", type = "bool", help = "MCP: list the server's prompts" },
    { name = "card", type = "bool", help = "A2A: show the agent card (GetAgentCard)" },
    { name = "no-stream", type = "bool", help = "A2A: message/send even when the card says streaming" },
    { name = "ws", type = "bool", help = "open the runtime's WebSocket (/ws), send the payload, print messages as they arrive" },
    { name = "interactive", type = "bool", help = "with --ws: also send each line typed on stdin" },
    { name = "idle", type = "string", help = "with --ws: end after this long without a message (default 3s)" },
  },
  run = function(args)
    local agent = project.agent(args.agent, { resolve = false })
    local protocol = agent.protocol or "HTTP"
    -- Arguments are checked before anything is read or sent.
    check_flags(agent, protocol, args)
    if args.session then check_session(args.session) end
    local idle = args.idle and duration.parse(args.idle)
    if args.idle and not idle then
      ui.error(("--idle %s is not a duration: use e.g. 3s or 1m"):format(args.idle), { usage = true })
    end
    local payload, payload_file = payload_of(args, protocol)
    if args.ws and payload_file == "-" then
      ui.error("--payload - cannot go with --ws: stdin is for --interactive", { usage = true,
        hint = ("agentcore invoke %s --ws --interactive (each line of stdin is sent)"):format(agent.name) })
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
    local function save(id)
      if not id or id == "" then return end
      sessions[key] = id
      fs.write(sessions_path(), json.encode(sessions, { indent = true }))
    end

    if args.ws then
      local r = agentcore.websocket { arn = a.runtime_arn, qualifier = args.endpoint, session_id = session,
        payload = payload_file and fs.read(payload_file) or payload,
        interactive = args.interactive, idle = idle }
      save(r.runtimeSessionId or session)
      return { agent = agent.name, endpoint = args.endpoint, protocol = protocol, session_id = r.runtimeSessionId or session,
        messages = r.messages, sent = r.sent, close_code = r.closeCode, close_reason = r.closeReason }
    end
    if protocol == "MCP" and not payload and not payload_file then
      local out = invoke_mcp(agent, a, args, session, save)
      save(out.session_id)
      return out
    end
    if protocol == "A2A" and (args.card or args.prompt) then
      local out = invoke_a2a(agent, a, args, session, save)
      save(out.session_id)
      return out
    end

    -- How the answer is printed, decided by its first bytes: a server-sent event stream as the
    -- text of its events, as they arrive (an AG-UI agent's events rendered); a JSON document
    -- once whole, as its text field or pretty-printed (agentcore.answer); anything else as it
    -- arrives. --raw: as is.
    local printer, last, held = nil, "", nil
    local function write(text)
      if text == "" then return end
      ui.write(text)
      last = text
    end
    local agui_text
    local res = agentcore.invoke {
      arn = a.runtime_arn,
      qualifier = args.endpoint,
      payload = payload,
      payload_file = payload_file,
      check_json = payload_file ~= nil,
      session_id = session,
      user_id = args.user,
      accept = protocol == "AGUI" and "text/event-stream" or nil,
      on_chunk = function(chunk)
        if not printer then
          if args.raw then
            printer = write
          elseif protocol == "AGUI" and (chunk:match("^%s*data:") or chunk:match("^%s*event:")) then
            -- -o json: the raw events, one each; the renderer still gathers the text
            local on_event
            on_event, agui_text = protocols.agui_renderer(ui.json_mode() and function() end or write)
            printer = protocols.sse(function(data)
              local ok, ev = pcall(json.decode, data)
              if not ok or type(ev) ~= "table" then write(data .. "\n") return end
              if ui.json_mode() then ui.emit("agui", { event = ev }) end
              on_event(ev)
            end)
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

    save(res.runtimeSessionId or session)
    return { agent = agent.name, endpoint = args.endpoint, session_id = sessions[key],
      status_code = res.statusCode, content_type = res.contentType,
      text = agui_text and agui_text() or answer.text, json = answer.json, body = answer.body, truncated = answer.truncated }
  end,
}
