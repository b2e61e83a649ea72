-- update: deploy a change as a new immutable version; nothing changed, nothing created.
local deploy = require("deploy")

return recipe {
  description = "Rebuild an agent and deploy it as a new runtime version (none when nothing changed)",
  usage = [[
A Docker or Go image's sources (the build context as the build sends it and the Dockerfile,
or the Go module's files; the build options) are hashed first: when they and the runtime configuration's hash equal the
live version's, nothing is built or pushed and no version is created, even when the build
cache is gone. Otherwise the artifact is made again (Docker's and Go's caches make an
unchanged build quick; a zip's dependencies are cached) and compared with the latest version
by digest (a zip by its sha256), and the runtime configuration by its hash: when both are
unchanged, no version is created. A runtime deleted behind agentcore's back is created again.

Several agents (or --all) are updated one after another, each holding only its own lock (other
runs may update other agents of the environment meanwhile); every line names its agent, a
failure does not stop the others, and the run ends with one line per agent (exit 1 when any
failed; -o json: {results = {{agent, ok, result | error}}}).

Examples:
  agentcore update my-bot
  agentcore update my-bot --force     # a new version even when nothing changed
  agentcore update --all]],
  lock = "agent",
  changes = true,
  args = {
    { name = "agent", type = "string", positional = true, help = "agent name from agentcore.toml" },
    { name = "agents", type = "list", positional = true, help = "more agent names (each in turn, under its own lock)" },
    { name = "all", type = "bool", help = "every agent of the project" },
    { name = "force", type = "bool", help = "create a new version even when nothing changed" },
  },
  run = function(args)
    return deploy.each_agent("update", deploy.agent_names(args, "update"), function(name)
      return deploy.update_agent(project.agent(name), { force = args.force })
    end, function(r)
      return r.changed and ("now at %s"):format(deploy.vname(r.version)) or ("unchanged (%s)"):format(deploy.vname(r.version))
    end)
  end,
}
