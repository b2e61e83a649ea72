#!/usr/bin/env bash
# agentcore dev on the Go template, through the binary, the real Docker engine and the local
# endpoint: from a save of the agent's source to the first invoke that answers with the change
# (target < 1.5 s), RUNS times (default 3); median and each run. The figure includes noticing
# the save (dev polls every 150 ms and waits 50 ms without further saves), compiling, assembling and
# pushing the image, and swapping the version's container; each probe is one agentcore invoke
# (its own process, ~0.1 s: the figure's resolution). Everything lives in a temp project with
# its own AGENTCORE_HOME and a free AGENTCORE_LOCAL_PORT, removed on exit.
# Usage: bench/dev.sh   (AGENTCORE_BIN=path uses a built binary; RUNS=N)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
for tool in docker go; do
  command -v "$tool" >/dev/null || { echo "dev.sh: needs $tool" >&2; exit 2; }
done
docker info >/dev/null 2>&1 || { echo "dev.sh: the Docker engine does not answer (docker info)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-devbench.XXXXXX")
export AGENTCORE_HOME=$WORK/home
export AGENTCORE_LOCAL_PORT=${AGENTCORE_LOCAL_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
export NO_COLOR=1
BIN=${AGENTCORE_BIN:-}
if [[ -z $BIN ]]; then
  BIN=$WORK/agentcore
  (cd "$ROOT" && go build -o "$BIN" ./cmd/agentcore)
fi
DEV_PID=
cleanup() {
  [[ -n $DEV_PID ]] && kill -INT "$DEV_PID" 2>/dev/null && wait "$DEV_PID" 2>/dev/null || true
  "$BIN" local reset --yes >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cd "$WORK"
"$BIN" init proj --name devbench >/dev/null
cd proj
"$BIN" create my-bot >/dev/null
"$BIN" dev my-bot --no-logs >"$WORK/dev.log" 2>&1 &
DEV_PID=$!
for _ in $(seq 600); do
  grep -q 'runs the sources as they are' "$WORK/dev.log" && break
  kill -0 "$DEV_PID" 2>/dev/null || { cat "$WORK/dev.log" >&2; exit 1; }
  sleep 0.1
done

now() { date +%s.%N; }
figures=()
for i in $(seq "${RUNS:-3}"); do
  word="Edit$i$RANDOM"
  sed -i "s/return \"You [a-zA-Z0-9 ]*: \" + prompt/return \"You $word: \" + prompt/" agents/my-bot/main.go
  t0=$(now)
  until "$BIN" invoke my-bot --prompt x 2>/dev/null | grep -q "You $word: x"; do
    if awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a > 120) }'; then echo "dev.sh: no answer with the change after 120 s" >&2; cat "$WORK/dev.log" >&2; exit 1; fi
  done
  t1=$(now)
  figures+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')")
done
sorted=$(printf '%s\n' "${figures[@]}" | sort -n)
median=$(printf '%s\n' "$sorted" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "dev: save to answer with the change: median ${median}s (runs: ${figures[*]}; target < 1.5 s)"
grep 'runs a change' "$WORK/dev.log" | sed 's/^/  dev said: /'
echo "  versions on the endpoint after ${RUNS:-3} changes: $("$BIN" status my-bot -o json | grep -o '"latest_version":[0-9]*')"
