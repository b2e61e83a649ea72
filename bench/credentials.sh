#!/usr/bin/env bash
# What a credential provider adds to `agentcore create` on the local provider, measured through
# the binary against the real Docker engine and the local endpoint, in one run: create + destroy
# of the sample agent (build = "go") without credentials and with one API key credential
# provider ([credentials.github], key from the environment), interleaved, N runs each (default
# 5); prints each median and their difference. Target (issue 17): at most 0.5 s more.
# Everything lives in a temp project with its own AGENTCORE_HOME and a free AGENTCORE_LOCAL_PORT;
# a trap destroys what is left and stops the endpoint.
# Usage: bench/credentials.sh   (AGENTCORE_BIN=path uses a built binary; N=runs)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
for tool in docker go awk; do
  command -v "$tool" >/dev/null || { echo "credentials.sh: needs $tool" >&2; exit 2; }
done
docker info >/dev/null 2>&1 || { echo "credentials.sh: the Docker engine does not answer (docker info)" >&2; exit 2; }

N=${N:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-credentials.XXXXXX")
NAME=credbench$(date +%s)$$

free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  echo "credentials.sh: no free port found" >&2
  return 1
}

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
  for p in "$WORK/plain" "$WORK/cred"; do
    [[ -f $p/agentcore.toml ]] && (cd "$p" && "$BIN" destroy my-bot --yes >/dev/null 2>&1)
  done
  (cd "$WORK/plain" 2>/dev/null && "$BIN" local stop >/dev/null 2>&1)
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

# Two projects on one endpoint: the same agent, one of them with a credential provider.
mkdir -p "$WORK/plain" "$WORK/cred"
(cd "$WORK/plain" && "$BIN" init --name "${NAME}a" >/dev/null)
(cd "$WORK/cred" && "$BIN" init --name "${NAME}b" >/dev/null)
sed -i 's|^environment = { LOG_LEVEL = "info" }|environment = { LOG_LEVEL = "info" }\ncredentials = ["github"]|' "$WORK/cred/agentcore.toml"
printf '\n[credentials.github]\ntype = "api_key"\napi_key = { env = "BENCH_GH_TOKEN" }\n' >>"$WORK/cred/agentcore.toml"

# seconds one create takes (the destroy after it is not counted)
create_once() {
  local dir=$1 s e
  s=$(date +%s.%N)
  (cd "$dir" && "$BIN" create my-bot >/dev/null 2>&1) || { echo "credentials.sh: create failed in $dir" >&2; exit 1; }
  e=$(date +%s.%N)
  (cd "$dir" && "$BIN" destroy my-bot --yes >/dev/null 2>&1)
  awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

create_once "$WORK/plain" >/dev/null # warm: the endpoint starts, the Go build cache fills
create_once "$WORK/cred" >/dev/null
: >"$WORK/plain.times"
: >"$WORK/cred.times"
for _ in $(seq "$N"); do
  create_once "$WORK/plain" >>"$WORK/plain.times"
  create_once "$WORK/cred" >>"$WORK/cred.times"
done
p=$(median <"$WORK/plain.times")
c=$(median <"$WORK/cred.times")
echo "create without credentials: median ${p}s ($(paste -sd' ' "$WORK/plain.times"))"
echo "create with one API key credential provider: median ${c}s ($(paste -sd' ' "$WORK/cred.times"))"
awk -v p="$p" -v c="$c" 'BEGIN { d = c - p; printf "difference: %+.3fs (target: at most +0.5 s) %s\n", d, (d <= 0.5 ? "ok" : "OVER") }'
