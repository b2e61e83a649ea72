#!/usr/bin/env bash
# docker-agent.sh PROJECT_DIR AGENT: turns the Go agent of `agentcore init` (build = "go") into
# a Docker-built one, as the template was before: a Dockerfile FROM scratch that copies a binary
# compiled first by the project's recipes (recipes/lib/gobuild.lua, wrapped around the stock
# create and update). The benchmarks that compare agentcore's Docker path with raw docker
# commands (lifecycle.sh, artifacts.sh) use it.
set -euo pipefail
proj=$1 agent=$2
cd "$proj"
grep -q '^build = "go"$' agentcore.toml || { echo "docker-agent.sh: no build = \"go\" line in $proj/agentcore.toml" >&2; exit 1; }
sed -i "s|^build = \"go\"$|dockerfile = \"agents/$agent/Dockerfile\"|; \\|^context = \"agents/$agent\"$|d" agentcore.toml
cat >"agents/$agent/Dockerfile" <<'DOCKERFILE'
# The binary is compiled by recipes/lib/gobuild.lua before the image is built (the project's
# create and update recipes wrap the stock ones to do it), so the image needs no base to pull.
FROM scratch
COPY agent /agent
EXPOSE 8080
ENTRYPOINT ["/agent"]
DOCKERFILE
cat >"agents/$agent/.dockerignore" <<'IGNORE'
*
!agent
IGNORE
mkdir -p recipes/lib
cat >recipes/lib/gobuild.lua <<'LUA'
-- Compiles a Go agent into a static Linux binary next to its Dockerfile, for the platform the
-- environment builds for (the host's locally, linux/arm64 on AWS).
local M = {}

function M.build(name)
  local agent = project.agent(name, { resolve = false })
  local arch = agent.platform:match("^linux/(.+)$") or "amd64"
  ui.step("compiling " .. name .. " for linux/" .. arch)
  exec.run {
    "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", "agent", ".",
    dir = agent.context,
    env = { CGO_ENABLED = "0", GOOS = "linux", GOARCH = arch, GOFLAGS = "-mod=mod" },
    stream = false,
  }
end

return M
LUA
for r in create update; do
  cat >"recipes/$r.lua" <<LUA
-- Wraps the stock $r recipe: compile the Go agent first, then run the stock steps.
local base = stock("$r")

return recipe {
  description = base.description,
  usage = base.usage,
  args = base.args,
  run = function(args)
    require("gobuild").build(args.agent)
    return base.run(args)
  end,
}
LUA
done
grep -qx "agents/\*/agent" .gitignore 2>/dev/null || echo "agents/*/agent" >>.gitignore
