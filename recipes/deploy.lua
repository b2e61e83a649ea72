-- deploy: create what is new in the environment, update what exists; one agent, several or all.
local deploy = require("deploy")

-- What deploy does for one agent (its lock is held): create when the environment has no
-- runtime recorded for it (or an interrupted create to finish), update otherwise, each
-- through the recipe the project has (a project's create or update that wraps the stock one
-- runs too), arguments bound as on the command line.
local function deploy_one(name, force)
  local a = state.load().agents[name]
  if not (a and a.runtime_id) or deploy.pending_op(a, "create_agent") then
    local r = load_recipe("create").call { agent = name }
    return { agent = name, action = "created", version = r.version, runtime_id = r.runtime_id, digest = r.digest, result = r }
  end
  local r = load_recipe("update").call { agent = name, force = force }
  return { agent = name, action = r.changed and "updated" or "unchanged", version = r.version, digest = r.digest, result = r }
end

return recipe {
  description = "Create or update agents: create what is new in the environment, update the rest (--all: every agent)",
  usage = [[
For each agent: create (as agentcore create) when the environment has no runtime for it,
otherwise update (as agentcore update: a new version only when something changed). Several
agents (or --all) go one after another, each holding only its own lock, so another run may
deploy other agents of the environment meanwhile; every line names its agent, a failure does
not stop the others, and the run ends with one line per agent (exit 1 when any failed;
-o json: {results = {{agent, ok, result = {agent, action, version}} | error}}).

Examples:
  agentcore deploy my-bot
  agentcore deploy --all -e staging
  agentcore deploy my-bot other-bot --force]],
  lock = "agent",
  changes = true,
  args = {
    { name = "agent", type = "string", positional = true, help = "agent name from agentcore.toml" },
    { name = "agents", type = "list", positional = true, help = "more agent names (each in turn, under its own lock)" },
    { name = "all", type = "bool", help = "every agent of the project" },
    { name = "force", type = "bool", help = "update: create a new version even when nothing changed" },
  },
  run = function(args)
    return deploy.each_agent("deploy", deploy.agent_names(args, "deploy"), function(name)
      return deploy_one(name, args.force)
    end, function(r)
      return ("%s (%s)"):format(r.action, deploy.vname(r.version))
    end)
  end,
}
