#!/usr/bin/env bash
# What a gateway adds to `agentcore create` on the local provider, measured through the binary
# against the real Docker engine and the local endpoint, in one run: create + destroy of the
# sample agent (build = "go") without one, and with [gateways.tools] (one OpenAPI target sending
# an API key provider, which comes with it), interleaved, N runs each (default 5); then the
# wall time of `agentcore gateway tools tools` (a whole process: load, sign, initialize,
# tools/list). Prints the medians and the difference.
# Everything lives in a temp project with its own AGENTCORE_HOME and a free AGENTCORE_LOCAL_PORT;
# a trap destroys what is left and stops the endpoint.
# Usage: bench/gateway.sh   (AGENTCORE_BIN=path uses a built binary; N=runs)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
for tool in docker go awk; do
  command -v "$tool" >/dev/null || { echo "gateway.sh: needs $tool" >&2; exit 2; }
done
docker info >/dev/null 2>&1 || { echo "gateway.sh: the Docker engine does not answer (docker info)" >&2; exit 2; }

N=${N:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-gateway.XXXXXX")
NAME=gwbench$(date +%s)$$

export AGENTCORE_HOME=$WORK/home
export AGENTCORE_LOCAL_PORT=${AGENTCORE_LOCAL_PORT:-$(free_port)}
export NO_COLOR=1
export BENCH_KEY=bench-key-not-a-secret

BIN=${AGENTCORE_BIN:-}
if [[ -z $BIN ]]; then
  BIN=$WORK/agentcore
  (cd "$ROOT" && go build -o "$BIN" ./cmd/agentcore)
fi

cleanup() {
  local rc=$?
  set +e
  for p in "$WORK/plain" "$WORK/gw"; do
    [[ -f $p/agentcore.toml ]] && (cd "$p" && "$BIN" destroy my-bot --yes >/dev/null 2>&1)
  done
  (cd "$WORK/plain" 2>/dev/null && "$BIN" local stop >/dev/null 2>&1)
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

mkdir -p "$WORK/plain" "$WORK/gw"
(cd "$WORK/plain" && "$BIN" init --name "${NAME}a" >/dev/null)
(cd "$WORK/gw" && "$BIN" init --name "${NAME}b" >/dev/null)
sed -i 's|^environment = { LOG_LEVEL = "info" }|environment = { LOG_LEVEL = "info" }\ngateways = ["tools"]|' "$WORK/gw/agentcore.toml"
cat >>"$WORK/gw/agentcore.toml" <<'TOML'

[credentials.key]
type = "api_key"
api_key = { env = "BENCH_KEY" }

[gateways.tools]

[[gateways.tools.targets]]
name = "weather"
type = "openapi"
spec = "weather.yaml"
credential = "key"
TOML
cat >"$WORK/gw/weather.yaml" <<'YAML'
openapi: 3.0.3
info: {title: weather, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /weather/{city}:
    get:
      operationId: getWeather
      parameters: [{name: city, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
YAML

now() { date +%s.%N; }
# seconds one create takes (the destroy after it is not counted)
create_once() {
  local dir=$1 s e
  s=$(now)
  (cd "$dir" && "$BIN" create my-bot >/dev/null 2>&1) || { echo "gateway.sh: create failed in $dir" >&2; exit 1; }
  e=$(now)
  (cd "$dir" && "$BIN" destroy my-bot --yes >/dev/null 2>&1)
  awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

create_once "$WORK/plain" >/dev/null # warm: the endpoint starts, the Go build cache fills
create_once "$WORK/gw" >/dev/null
: >"$WORK/plain.times"
: >"$WORK/gw.times"
for _ in $(seq "$N"); do
  create_once "$WORK/plain" >>"$WORK/plain.times"
  create_once "$WORK/gw" >>"$WORK/gw.times"
done
p=$(median <"$WORK/plain.times")
g=$(median <"$WORK/gw.times")
echo "create without a gateway: median ${p}s ($(paste -sd' ' "$WORK/plain.times"))"
echo "create with a gateway of one OpenAPI target (and its API key provider): median ${g}s ($(paste -sd' ' "$WORK/gw.times"))"
awk -v p="$p" -v g="$g" 'BEGIN { printf "gateway: %+.3fs\n", g - p }'

(cd "$WORK/gw" && "$BIN" create my-bot >/dev/null 2>&1)
: >"$WORK/tools.times"
for _ in $(seq "$N"); do
  s=$(now)
  (cd "$WORK/gw" && "$BIN" gateway tools tools >/dev/null 2>&1) || { echo "gateway.sh: gateway tools failed" >&2; exit 1; }
  e=$(now)
  awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }' >>"$WORK/tools.times"
done
echo "agentcore gateway tools (a whole process): median $(median <"$WORK/tools.times")s ($(paste -sd' ' "$WORK/tools.times"))"
