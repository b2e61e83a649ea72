#!/usr/bin/env bash
# agentcore dev on the Go template, through the binary, the real Docker engine and the local
# endpoint: from a save of the agent's source to the first invoke that answers with the change
# (target < 1.5 s), RUNS times (default 3); median and each run. The figure includes noticing
# the save (dev polls every 150 ms and waits 50 ms without further saves), compiling (and, but
# for a Go-only change, assembling and pushing the image), and swapping the version's
# container; each probe is one agentcore invoke (its own process, ~0.1 s: the figure's
# resolution). Everything lives in temp projects with their own AGENTCORE_HOME and a free
# AGENTCORE_LOCAL_PORT, removed on exit.
# AGENTCORE_BASE_BIN=path also runs that build's dev loop, in a project and endpoint of its own,
# and alternates the changes (base, this, base, this...), so both are measured on the same load;
# it prints both medians and their ratio.
# Usage: bench/dev.sh   (AGENTCORE_BIN=path uses a built binary; RUNS=N; AGENTCORE_BASE_BIN=path)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
for tool in docker go; do
  command -v "$tool" >/dev/null || { echo "dev.sh: needs $tool" >&2; exit 2; }
done
docker info >/dev/null 2>&1 || { echo "dev.sh: the Docker engine does not answer (docker info)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-devbench.XXXXXX")
export NO_COLOR=1
BIN=${AGENTCORE_BIN:-}
if [[ -z $BIN ]]; then
  BIN=$WORK/agentcore
  (cd "$ROOT" && go build -o "$BIN" ./cmd/agentcore)
fi
SIDES=(new)
declare -A SIDE_BIN=([new]=$BIN) DEV_PID=()
if [[ -n ${AGENTCORE_BASE_BIN:-} ]]; then
  SIDES=(base new)
  SIDE_BIN[base]=$AGENTCORE_BASE_BIN
fi
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# side NAME CMD...: runs CMD in that side's project, with its home and endpoint
side() {
  local name=$1; shift
  (cd "$WORK/$name/proj" && AGENTCORE_HOME=$WORK/$name/home AGENTCORE_LOCAL_PORT=$(cat "$WORK/$name/port") exec "$@")
}
cleanup() {
  for s in "${SIDES[@]}"; do
    [[ -n ${DEV_PID[$s]:-} ]] && kill -INT "${DEV_PID[$s]}" 2>/dev/null && wait "${DEV_PID[$s]}" 2>/dev/null || true
    [[ -d $WORK/$s/proj ]] && side "$s" "${SIDE_BIN[$s]}" local reset --yes >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

for s in "${SIDES[@]}"; do
  mkdir -p "$WORK/$s"
  if [[ -n ${AGENTCORE_LOCAL_PORT:-} && $s == new ]]; then echo "$AGENTCORE_LOCAL_PORT" >"$WORK/$s/port"; else freeport >"$WORK/$s/port"; fi
  (cd "$WORK/$s" && AGENTCORE_HOME=$WORK/$s/home "${SIDE_BIN[$s]}" init proj --name "devbench$s" >/dev/null)
  side "$s" "${SIDE_BIN[$s]}" create my-bot >/dev/null
  # started directly (not through side, whose subshells would hold the PID): Ctrl-C reaches it
  (cd "$WORK/$s/proj" && AGENTCORE_HOME=$WORK/$s/home AGENTCORE_LOCAL_PORT=$(cat "$WORK/$s/port") exec "${SIDE_BIN[$s]}" dev my-bot --no-logs) >"$WORK/$s/dev.log" 2>&1 &
  DEV_PID[$s]=$!
  for _ in $(seq 600); do
    grep -q 'runs the sources as they are' "$WORK/$s/dev.log" && break
    kill -0 "${DEV_PID[$s]}" 2>/dev/null || { cat "$WORK/$s/dev.log" >&2; exit 1; }
    sleep 0.1
  done
done

now() { date +%s.%N; }
declare -A figures=()
for i in $(seq "${RUNS:-3}"); do
  for s in "${SIDES[@]}"; do
    word="Edit$i$RANDOM"
    sed -i "s/return \"You [a-zA-Z0-9 ]*: \" + prompt/return \"You $word: \" + prompt/" "$WORK/$s/proj/agents/my-bot/main.go"
    t0=$(now)
    until side "$s" "${SIDE_BIN[$s]}" invoke my-bot --prompt x 2>/dev/null | grep -q "You $word: x"; do
      if awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a > 120) }'; then echo "dev.sh: no answer with the change after 120 s" >&2; cat "$WORK/$s/dev.log" >&2; exit 1; fi
    done
    t1=$(now)
    figures[$s]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') "
  done
done
declare -A medians=()
for s in "${SIDES[@]}"; do
  medians[$s]=$(printf '%s\n' ${figures[$s]} | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  label="dev"
  [[ ${#SIDES[@]} -gt 1 ]] && label="dev ($s: ${SIDE_BIN[$s]})"
  echo "$label: save to answer with the change: median ${medians[$s]}s (runs: ${figures[$s]% }; target < 1.5 s)"
  grep 'runs a change' "$WORK/$s/dev.log" | sed 's/^/  dev said: /'
  side "$s" "${SIDE_BIN[$s]}" local logs 2>/dev/null | grep -o 'agentcore dev: runtime .* now runs.*(restarted in .*' | sed 's/.*(restarted in /  endpoint: restarted in /; s/)$//' || true
  echo "  versions on the endpoint after ${RUNS:-3} changes: $(side "$s" "${SIDE_BIN[$s]}" status my-bot -o json | grep -o '"latest_version":[0-9]*')"
done
if [[ ${#SIDES[@]} -gt 1 ]]; then
  echo "ratio new / base (medians, same run, changes alternated): $(awk -v a="${medians[new]}" -v b="${medians[base]}" 'BEGIN { printf "%.2fx", a / b }')"
fi
