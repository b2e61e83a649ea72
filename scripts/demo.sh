#!/usr/bin/env bash
# The main job, on this machine, with no AWS account: a new project with a sample agent,
# deployed to the local AgentCore endpoint, invoked, and shown. Needs Go and Docker.
# KEEP=1 leaves the project, the endpoint and the agent running afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ac="$root/bin/agentcore"
work=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-demo.XXXXXX")
export AGENTCORE_HOME="$work/.agentcore-home"
export AGENTCORE_LOCAL_PORT="${AGENTCORE_LOCAL_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 4777)}"

docker info >/dev/null 2>&1 || { echo "demo: the Docker engine is not reachable (docker info failed); start Docker first" >&2; exit 1; }

cleanup() {
  if [ "${KEEP:-}" = "1" ]; then
    echo
    echo "kept: project in $work (AGENTCORE_HOME=$AGENTCORE_HOME AGENTCORE_LOCAL_PORT=$AGENTCORE_LOCAL_PORT)"
    return
  fi
  echo
  echo "== cleaning up (KEEP=1 keeps everything)"
  (cd "$work/demo" 2>/dev/null && "$ac" destroy my-bot --yes >/dev/null 2>&1 || true)
  "$ac" local stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

cd "$work"
step agentcore init demo
"$ac" init demo --name demo
cd demo
step agentcore create my-bot
"$ac" create my-bot
step agentcore invoke my-bot --prompt "hello from the demo"
"$ac" invoke my-bot --prompt "hello from the demo"
step 'agentcore invoke my-bot --payload {"prompt": "streamed word by word", "stream": true}'
"$ac" invoke my-bot --payload '{"prompt": "streamed word by word", "stream": true}'
step agentcore status
"$ac" status
step agentcore logs my-bot --since 10m
"$ac" logs my-bot --since 10m
