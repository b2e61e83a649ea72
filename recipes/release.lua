-- release: deploy a change behind the canary endpoint, check it, then move stable.
local deploy = require("deploy")
local release = require("release")

return recipe {
  description = "Deploy a change to the canary endpoint, run smoke checks, and only then move stable to it",
  usage = [==[
In AgentCore DEFAULT always follows the newest version, so callers that must not see an
unchecked version use a named endpoint, stable. release deploys the change as update does
(no new version when nothing changed), points canary at the new version, runs the smoke
checks against canary and, only when all pass, moves stable to it. When a check fails, canary
goes back where it was, stable is left untouched, and release fails (exit 1) with the checks'
output.

Smoke checks come from --smoke (repeatable; each replaces agentcore.toml's) or from
[[agents.NAME.smoke]] in agentcore.toml (an environment may override them):

  [[agents.my-bot.smoke]]
  prompt = "What is 2 + 2?"          # or payload = { ... }, sent as JSON
  expect = "4"                        # text the answer contains
  expect_json = { "answer.value" = 4 }  # paths into a JSON answer (indexes from 0)
  timeout = "30s"

A project adds checks in Lua with recipes/lib/smoke.lua (a function, or a table of functions
by agent name, given ctx.invoke(prompt | payload) -> {body, text, json}; raise an error or
return false, "why" to fail).

--hold 10m keeps canary for that long after the checks, watching its errors (counted by the
local endpoint, from CloudWatch on AWS), and fails like a check when there is any.

Examples:
  agentcore release my-bot -e prod
  agentcore release my-bot --smoke 'What is 2 + 2?=>4'
  agentcore release my-bot --smoke '{"prompt": "status", "expect_json": {"ok": true}}' --hold 10m]==],
  lock = "agent",
  changes = true,
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "smoke", type = "list", help = "a smoke check: 'PROMPT=>EXPECTED TEXT' or a JSON object (repeatable; replaces agentcore.toml's checks)" },
    { name = "hold", type = "string", help = "after the checks, keep canary this long (10m, 90s) and fail on any error it serves" },
    { name = "force", type = "bool", help = "create a new version even when nothing changed" },
  },
  run = function(args)
    local agent = project.agent(args.agent)
    local checks = release.checks(agent, args.smoke) -- bad --smoke input stops here (exit 2)
    local hold = release.parse_duration(args.hold, "--hold")
    if #checks == 0 and not release.hook(agent) then
      ui.error(("release needs smoke checks for %s in %s: none are configured"):format(agent.name, env.name()), { usage = true,
        hint = ("add [[agents.%s.smoke]] with prompt and expect to agentcore.toml, or pass --smoke 'PROMPT=>EXPECTED TEXT'"):format(agent.name) })
    end
    -- deployed by the update recipe as the project has it (a project's update may wrap the
    -- stock one, e.g. to compile the agent first), arguments bound as on the command line
    local up = load_recipe("update").call { agent = agent.name, force = args.force }
    release.event("deployed", { version = up.version, digest = up.digest, changed = up.changed })
    local r = release.canary_release(agent, up.version, { checks = checks, hold = hold })
    return { agent = agent.name, environment = env.name(), version = up.version, digest = up.digest,
      changed = up.changed, released = r.released, previous_stable = r.previous_stable }
  end,
}
