-- shell: an interactive terminal in one of an agent's runtime sessions
-- (InvokeAgentRuntimeCommandShell: a WebSocket with a PTY behind it).
local deploy = require("deploy")
local sessions = require("sessions")

return recipe {
  description = "Open an interactive shell in an agent's runtime session",
  usage = [[
Opens /bin/sh on a terminal in the session's sandbox (the session kept by agentcore invoke, or
--session ID, or a new one with --new-session) and connects it to yours: every key goes to
the shell (Ctrl-C interrupts what runs there, Ctrl-D or exit ends it), and resizing your window
resizes its terminal. The exit code is the shell's.

Examples:
  agentcore shell my-bot
  agentcore shell my-bot --session 7f3c...e2 --endpoint stable]],
  lock = false,
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "endpoint", type = "string", default = "DEFAULT", help = "endpoint whose version runs it (qualifier)" },
    { name = "session", type = "string", help = "session id (33 to 256 printable characters)" },
    { name = "new-session", type = "bool", help = "open it in a new session instead of the last one" },
  },
  run = function(args)
    local agent = project.agent(args.agent, { resolve = false })
    local a = deploy.require_runtime(deploy.context(agent))
    local session = sessions.pick(agent, args)
    local res = agentcore.shell { arn = a.runtime_arn, qualifier = args.endpoint, session_id = session }
    sessions.remember(agent, args.endpoint, res.runtimeSessionId or session)
    if res.exitCode > 125 then
      ui.error(("the shell exited with %d"):format(res.exitCode), { code = res.exitCode })
    elseif res.exitCode > 0 then
      ui.exit_code(res.exitCode)
    end
    return { agent = agent.name, endpoint = args.endpoint, session_id = res.runtimeSessionId or session,
      shell_id = res.shellId, exit_code = res.exitCode }
  end,
}
