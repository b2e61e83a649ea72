-- The runtime sessions a project talks to, as agentcore invoke keeps them: one session id per
-- agent and endpoint in .agentcore/sessions/ENV.json (not in the shared state), so exec and
-- shell reach the session invoke used, and sessions lists them on AWS.
local deploy = require("deploy")
local M = {}

function M.path() return ".agentcore/sessions/" .. env.name() .. ".json" end

-- The recorded sessions: {["agent/endpoint"] = session id}; {} when none or unreadable.
function M.load()
  local text = fs.read(M.path())
  if not text then return {} end
  local ok, t = pcall(json.decode, text)
  if ok and type(t) == "table" then return t end
  return {}
end

-- Records session as the one of agent and endpoint.
function M.remember(agent, endpoint, session)
  local all = M.load()
  all[agent.name .. "/" .. endpoint] = session
  fs.write(M.path(), json.encode(all, { indent = true }))
end

-- The session a command runs in: --session, else (without --new-session) the recorded one,
-- else a new id.
function M.pick(agent, args)
  if args.session and args.new_session then
    ui.error("give --session ID or --new-session, not both", { usage = true })
  end
  local s = args.session
  if not s and not args.new_session then s = M.load()[agent.name .. "/" .. args.endpoint] end
  return s or deploy.new_session_id()
end

-- Quotes words for /bin/sh so that the command runs with exactly these arguments.
function M.shell_quote(words)
  local out = {}
  for _, w in ipairs(words) do
    if w:match("^[%w%./_:=@%%+,-]+$") then
      table.insert(out, w)
    else
      table.insert(out, "'" .. w:gsub("'", "'\\''") .. "'")
    end
  end
  return table.concat(out, " ")
end

return M
