#!/usr/bin/env bash
# agentcore logs through the binary against the local endpoint's CloudWatch Logs, in one run:
#   - `agentcore logs AGENT --grep TEXT` over 100,000 events (100 match): median of 5 runs;
#     target < 300 ms. Baseline in the same run: `agentcore status AGENT -o json` (process
#     start, project and state, one call to the endpoint), reported as the ratio.
#   - every event printed (no --grep): median of 3 runs, for scale
#   - `agentcore logs AGENT -f`: the delay from PutLogEvents returning to the line appearing
#     in the follow's output, 5 lines, with live tail and with polling; target < 1 s
# Needs the Docker engine (the agent is created, its events are put with boto3) and a binary
# whose local endpoint serves CloudWatch Logs. Everything lives in a temp project with its own
# AGENTCORE_HOME and AGENTCORE_LOCAL_PORT; a trap destroys the agent and stops the endpoint.
# Usage: bench/logs.sh   (AGENTCORE_BIN=path uses a built binary)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
for tool in docker go python3 awk; do
  command -v "$tool" >/dev/null || { echo "logs.sh: needs $tool" >&2; exit 2; }
done
python3 -c 'import boto3' 2>/dev/null || { echo "logs.sh: needs boto3 (python3)" >&2; exit 2; }
docker info >/dev/null 2>&1 || { echo "logs.sh: the Docker engine does not answer (docker info)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-logs.XXXXXX")
BIN=${AGENTCORE_BIN:-$WORK/agentcore}
if [[ -z ${AGENTCORE_BIN:-} ]]; then
  (cd "$ROOT" && go build -o "$BIN" ./cmd/agentcore)
fi
export AGENTCORE_HOME=$WORK/home
export AGENTCORE_LOCAL_PORT=$((20000 + RANDOM % 40000))
PROJ=$WORK/logs$$
mkdir -p "$PROJ"
cd "$PROJ"
cleanup() {
  "$BIN" destroy my-bot --yes >/dev/null 2>&1 || true
  "$BIN" local stop >/dev/null 2>&1 || true
  [[ -n ${FOLLOW:-} ]] && kill "$FOLLOW" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" init --name "logs$$" >/dev/null
"$BIN" create my-bot >"$WORK/create.log" 2>&1 || { cat "$WORK/create.log" >&2; exit 1; }
eval "$("$BIN" local env)"
RID=$("$BIN" lua --eval 'print(state.load().agents["my-bot"].runtime_id)')
GROUP="/aws/bedrock-agentcore/runtimes/$RID-DEFAULT"

python3 - "$GROUP" <<'PY'
import boto3, os, sys, time
g = sys.argv[1]
c = boto3.client("logs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ.get("AWS_REGION", "us-east-1"))
try:
    c.create_log_group(logGroupName=g)
except c.exceptions.ResourceAlreadyExistsException:
    pass
s = time.strftime("%Y/%m/%d") + "/[runtime-logs]bench"
c.create_log_stream(logGroupName=g, logStreamName=s)
now = int(time.time() * 1000) - 1200000
for b in range(10):
    c.put_log_events(logGroupName=g, logStreamName=s, logEvents=[
        {"timestamp": now + b * 10000 + i // 2,
         "message": f"INFO handled request {b * 10000 + i} in {i % 500} ms" if i % 1000 else f"ERROR needle {b * 10000 + i}"}
        for i in range(10000)])
PY

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

n=$("$BIN" logs my-bot --since 1h --grep needle | wc -l)
[[ $n -eq 100 ]] || { echo "logs.sh: --grep needle printed $n lines, want 100" >&2; exit 1; }
GREP=() BASE=()
for _ in 1 2 3 4 5; do
  GREP+=("$(ms "$BIN" logs my-bot --since 1h --grep needle)")
  BASE+=("$(ms "$BIN" status my-bot -o json)")
done
ALL=()
for _ in 1 2 3; do ALL+=("$(ms "$BIN" logs my-bot --since 1h)"); done
g=$(printf '%s\n' "${GREP[@]}" | median)
b=$(printf '%s\n' "${BASE[@]}" | median)
a=$(printf '%s\n' "${ALL[@]}" | median)

# follow: put a line, time until it is printed; once with live tail (StartLiveTail, what
# `logs -f` uses on the local endpoint), once polling FilterLogEvents (logs.follow's
# poll_only, what it falls back to where live tail is not offered)
follow_delays() { # $1: tag; the follow command is the rest
  local tag=$1; shift
  "$@" >"$WORK/follow-$tag.out" 2>/dev/null &
  FOLLOW=$!
  sleep 2
  DELAYS=()
  for i in 1 2 3 4 5; do
    marker="follow-$tag-$i-$$"
    python3 - "$GROUP" "$marker" <<'PY'
import boto3, os, sys, time
c = boto3.client("logs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ.get("AWS_REGION", "us-east-1"))
c.put_log_events(logGroupName=sys.argv[1], logStreamName=time.strftime("%Y/%m/%d") + "/[runtime-logs]bench",
                 logEvents=[{"timestamp": int(time.time() * 1000), "message": "INFO " + sys.argv[2]}])
PY
    s=$(date +%s%N)
    until grep -q "$marker" "$WORK/follow-$tag.out"; do
      sleep 0.005
      (( ($(date +%s%N) - s) / 1000000 > 10000 )) && { echo "logs.sh: $marker not shown within 10 s" >&2; kill "$FOLLOW"; exit 1; }
    done
    DELAYS+=($((($(date +%s%N) - s) / 1000000)))
    sleep 0.3
  done
  kill -INT "$FOLLOW"; wait "$FOLLOW" || true; FOLLOW=
  echo "median $(printf '%s\n' "${DELAYS[@]}" | median) ms, max $(printf '%s\n' "${DELAYS[@]}" | sort -n | tail -1) ms (${DELAYS[*]})"
}
LIVE=$(follow_delays live "$BIN" logs my-bot -f --since 1m)
POLL=$(follow_delays poll "$BIN" lua --eval "logs.follow{group = \"$GROUP\", start = logs.parse_time(\"1m\"), poll_only = true}")

echo "logs --grep over 100,000 events: median ${g} ms (runs: ${GREP[*]}); status -o json baseline ${b} ms; ratio $(awk -v x="$g" -v y="$b" 'BEGIN {printf "%.2f", x / y}')x; target < 300 ms"
echo "logs, all 100,000 events printed: median ${a} ms (runs: ${ALL[*]})"
echo "logs -f, PutLogEvents to printed, live tail: $LIVE; target < 1000 ms"
echo "logs -f, PutLogEvents to printed, polling: $POLL; target < 1000 ms"
