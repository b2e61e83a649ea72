#!/usr/bin/env bash
# What a credential provider, and a memory with it, add to `agentcore create` on the local
# provider, measured through the binary against the real Docker engine and the local endpoint,
# in one run: create + destroy of the sample agent (build = "go") without them, with one API key
# credential provider ([credentials.github], key from the environment), and with that provider
# and a memory of two strategies ([memories.chat]; destroy deletes it), interleaved, N runs each
# (default 5); prints each median and the differences. Target (issue 17): at most 0.5 s more
# with a memory and a credential provider.
# Everything lives in a temp project with its own AGENTCORE_HOME and a free AGENTCORE_LOCAL_PORT;
# a trap destroys what is left and stops the endpoint.
# Usage: bench/resources.sh   (AGENTCORE_BIN=path uses a built binary; N=runs)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
for tool in docker go awk; do
  command -v "$tool" >/dev/null || { echo "resources.sh: needs $tool" >&2; exit 2; }
done
docker info >/dev/null 2>&1 || { echo "resources.sh: the Docker engine does not answer (docker info)" >&2; exit 2; }

N=${N:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-credentials.XXXXXX")
NAME=credbench$(date +%s)$$

export AGENTCORE_HOME=$WORK/home
export AGENTCORE_LOCAL_PORT=${AGENTCORE_LOCAL_PORT:-$(free_port)}
export NO_COLOR=1
export BENCH_GH_TOKEN=bench-key-not-a-secret

BIN=${AGENTCORE_BIN:-}
if [[ -z $BIN ]]; then
  BIN=$WORK/agentcore
  (cd "$ROOT" && go build -o "$BIN" ./cmd/agentcore)
fi

cleanup() {
  local rc=$?
  set +e
  for p in "$WORK/plain" "$WORK/cred" "$WORK/both"; do
    [[ -f $p/agentcore.toml ]] && (cd "$p" && "$BIN" destroy my-bot --yes >/dev/null 2>&1)
  done
  (cd "$WORK/plain" 2>/dev/null && "$BIN" local stop >/dev/null 2>&1)
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

# Three projects on one endpoint: the same agent, without, with a credential provider, and with
# a credential provider and a memory.
mkdir -p "$WORK/plain" "$WORK/cred" "$WORK/both"
(cd "$WORK/plain" && "$BIN" init --name "${NAME}a" >/dev/null)
(cd "$WORK/cred" && "$BIN" init --name "${NAME}b" >/dev/null)
(cd "$WORK/both" && "$BIN" init --name "${NAME}c" >/dev/null)
sed -i 's|^environment = { LOG_LEVEL = "info" }|environment = { LOG_LEVEL = "info" }\ncredentials = ["github"]|' "$WORK/cred/agentcore.toml"
printf '\n[credentials.github]\ntype = "api_key"\napi_key = { env = "BENCH_GH_TOKEN" }\n' >>"$WORK/cred/agentcore.toml"
sed -i 's|^environment = { LOG_LEVEL = "info" }|environment = { LOG_LEVEL = "info" }\ncredentials = ["github"]\nmemory = "chat"|' "$WORK/both/agentcore.toml"
printf '\n[credentials.github]\ntype = "api_key"\napi_key = { env = "BENCH_GH_TOKEN" }\n' >>"$WORK/both/agentcore.toml"
printf '\n[memories.chat]\nstrategies = [{ type = "semantic" }, { type = "summary" }]\n' >>"$WORK/both/agentcore.toml"

# seconds one create takes (the destroy after it is not counted)
create_once() {
  local dir=$1 s e
  s=$(date +%s.%N)
  (cd "$dir" && "$BIN" create my-bot >/dev/null 2>&1) || { echo "resources.sh: create failed in $dir" >&2; exit 1; }
  e=$(date +%s.%N)
  (cd "$dir" && "$BIN" destroy my-bot --yes >/dev/null 2>&1)
  awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

create_once "$WORK/plain" >/dev/null # warm: the endpoint starts, the Go build cache fills
create_once "$WORK/cred" >/dev/null
create_once "$WORK/both" >/dev/null
: >"$WORK/plain.times"
: >"$WORK/cred.times"
: >"$WORK/both.times"
for _ in $(seq "$N"); do
  create_once "$WORK/plain" >>"$WORK/plain.times"
  create_once "$WORK/cred" >>"$WORK/cred.times"
  create_once "$WORK/both" >>"$WORK/both.times"
done
p=$(median <"$WORK/plain.times")
c=$(median <"$WORK/cred.times")
b=$(median <"$WORK/both.times")
echo "create without memory or credentials: median ${p}s ($(paste -sd' ' "$WORK/plain.times"))"
echo "create with one API key credential provider: median ${c}s ($(paste -sd' ' "$WORK/cred.times"))"
echo "create with that provider and a memory of 2 strategies: median ${b}s ($(paste -sd' ' "$WORK/both.times"))"
awk -v p="$p" -v c="$c" 'BEGIN { printf "credential provider: %+.3fs\n", c - p }'
awk -v p="$p" -v b="$b" 'BEGIN { d = b - p; printf "memory and credential provider: %+.3fs (target: at most +0.5 s) %s\n", d, (d <= 0.5 ? "ok" : "OVER") }'
