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

Examples:
  agentcore update my-bot
  agentcore update my-bot --force     # a new version even when nothing changed]],
  args = {
    { name = "agent", type = "string", positional = true, required = true, help = "agent name from agentcore.toml" },
    { name = "force", type = "bool", help = "create a new version even when nothing changed" },
  },
  run = function(args)
    return deploy.update_agent(project.agent(args.agent), { force = args.force })
  end,
}
