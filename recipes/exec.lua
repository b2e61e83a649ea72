-- exec: run a command in one of an agent's runtime sessions (InvokeAgentRuntimeCommand).
local deploy = require("deploy")
local sessions = require("sessions")

return recipe {
  description = "Run a command in an agent's runtime session; its output streams, its exit code becomes ours",
  usage = [[
The command after -- runs with /bin/sh -c in the session's sandbox (the container of the
version the endpoint serves), in the session kept by agentcore invoke (or --session ID, or a
new one with --new-session). Its stdout and stderr are shown as they are written, secrets
masked. The exit code of agentcore exec is the command's; 1 with an error when the command ran
out of time (--timeout, AgentCore's default 300s) or the platform failed.

Examples:
  agentcore exec my-bot -- ls -l /tmp
  agentcore exec my-bot --session 7f3c...e2 -- sh -c 'cat /proc/meminfo | head -3'
  agentcore exec my-bot --timeout 1h -- ./run-tests.sh]],
  lock = false,
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "command", type = "list", positional = true, required = true, after_dash = true, help = "the command and its arguments, after --" },
    { name = "endpoint", type = "string", default = "DEFAULT", help = "endpoint whose version runs it (qualifier)" },
    { name = "session", type = "string", help = "session id (33 to 256 printable characters)" },
    { name = "new-session", type = "bool", help = "run it in a new session instead of the last one" },
    { name = "timeout", type = "string", help = "end the command after this long: 90, 10m (1s to 1h; default 300s)" },
  },
  run = function(args)
    local agent = project.agent(args.agent, { resolve = false })
    local a = deploy.require_runtime(deploy.context(agent))
    local session = sessions.pick(agent, args)
    local res = agentcore.run_command {
      arn = a.runtime_arn,
      qualifier = args.endpoint,
      session_id = session,
      command = sessions.shell_quote(args.command),
      timeout = args.timeout and (tonumber(args.timeout) or args.timeout) or nil,
    }
    sessions.remember(agent, args.endpoint, session)
    local result = { agent = agent.name, endpoint = args.endpoint, session_id = session,
      exit_code = res.exitCode, status = res.status }
    if res.status == "TIMED_OUT" then
      ui.error(("the command ran out of time in session %s and was ended"):format(session),
        { hint = "give it longer: --timeout 1h (at most)" })
    elseif res.exitCode < 0 then
      ui.error("the command could not run in session " .. session .. " (AgentCore reported a platform error, exit code -1)")
    elseif res.exitCode > 125 then
      ui.error(("the command exited with %d"):format(res.exitCode), { code = res.exitCode })
    elseif res.exitCode > 0 then
      ui.exit_code(res.exitCode)
    end
    return result
  end,
}
