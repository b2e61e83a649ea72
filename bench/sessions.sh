#!/usr/bin/env bash
# New sessions against the warm pool, alone (lifecycle.sh runs the same invokebench after its
# updates): the Go template on the local provider, one invoke in a session of its own, then
# bench/invokebench, whose last rows time the first byte of a call in a new session (a session
# id never used, 10 calls) against the live one's, interleaved (target: new - live < 50 ms).
# Everything lives in a temp project with its own AGENTCORE_HOME and a free
# AGENTCORE_LOCAL_PORT, removed on exit. Usage: bench/sessions.sh  (AGENTCORE_BIN=path uses a
# built binary; SESSIONS=N new-session calls)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
for tool in docker go jq; do
  command -v "$tool" >/dev/null || { echo "sessions.sh: needs $tool" >&2; exit 2; }
done
docker info >/dev/null 2>&1 || { echo "sessions.sh: the Docker engine does not answer (docker info)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-sessions.XXXXXX")
export AGENTCORE_HOME=$WORK/home
export AGENTCORE_LOCAL_PORT=${AGENTCORE_LOCAL_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
export NO_COLOR=1
BIN=${AGENTCORE_BIN:-}
if [[ -z $BIN ]]; then
  BIN=$WORK/agentcore
  (cd "$ROOT" && go build -o "$BIN" ./cmd/agentcore)
fi
(cd "$ROOT" && go build -o "$WORK/invokebench" ./bench/invokebench)
cleanup() {
  (cd "$WORK/proj" 2>/dev/null && "$BIN" destroy my-bot --yes >/dev/null 2>&1) || true
  "$BIN" local reset --yes >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cd "$WORK"
"$BIN" init proj --name sessbench >/dev/null
cd proj
"$BIN" create my-bot >/dev/null
"$BIN" invoke my-bot --prompt warm >/dev/null
STATE=.agentcore/state/local.json
ARN=$(jq -r '.agents["my-bot"].runtime_arn' "$STATE")
RID=$(jq -r '.agents["my-bot"].runtime_id' "$STATE")
ENDPOINT=http://$(jq -r .addr "$AGENTCORE_HOME/local/server.json")
"$BIN" invoke my-bot --prompt warm --session invokebench-session-0000000000000000001 >/dev/null
# The direct path: a container of the runtime (any sandbox of the version: the same image on the
# same network, so the figure is the same as through the live session's own).
CID=$(docker ps -q --filter "label=dev.agentcore.local.runtime-id=$RID" | head -1)
DIRECT=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$CID"):8080
"$WORK/invokebench" -endpoint "$ENDPOINT" -arn "$ARN" -direct "$DIRECT" -n 50 -streams 3 -sessions "${SESSIONS:-10}" | tail -5
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); containers of the runtime at the end: $(docker ps -q --filter "label=dev.agentcore.local.runtime-id=$RID" | wc -l)"
