#!/usr/bin/env bash
# The deploy lifecycle, measured through the binary against the real Docker engine and the
# local AgentCore endpoint, in one run:
#   - agentcore update with nothing changed (5 runs): median; target < 1 s and no new version
#   - agentcore update after a one-line change (3 runs) against a raw go build + docker build +
#     docker push of the same kind of change to the same repository: ratio; target <= 1.2x
#   - invoke latency through the endpoint against the container, the first byte of a streamed
#     answer through both, and the first byte of a new session against the live one
#     (bench/invokebench)
# Everything lives in a temp project with its own AGENTCORE_HOME and a free
# AGENTCORE_LOCAL_PORT; a trap destroys the agent, stops the endpoint and removes the images
# this run tagged. Usage: bench/lifecycle.sh   (AGENTCORE_BIN=path uses a built binary;
# INVOKE_ONLY=1 skips the updates, INVOKE_N=N, INVOKE_STREAMS=N set invokebench's calls per path)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
for tool in docker go jq awk aws; do
  command -v "$tool" >/dev/null || { echo "lifecycle.sh: needs $tool" >&2; exit 2; }
done
docker info >/dev/null 2>&1 || { echo "lifecycle.sh: the Docker engine does not answer (docker info)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-lifecycle.XXXXXX")
LOG=$WORK/log
mkdir -p "$LOG"
RUNID=$(date +%s)$$ # makes every changed line new, so no build cache or registry blob matches
NAME=bench$RUNID    # project name: repository and runtime names unique to this run
PROJ=$WORK/$NAME
AGENT=my-bot
RAW_TAGS=()

# a port nothing listens on
export AGENTCORE_HOME=$WORK/home
export AGENTCORE_LOCAL_PORT=${AGENTCORE_LOCAL_PORT:-$(free_port)}
export NO_COLOR=1

BIN=${AGENTCORE_BIN:-}
if [[ -z $BIN ]]; then
  BIN=$WORK/agentcore
  (cd "$ROOT" && go build -o "$BIN" ./cmd/agentcore)
fi
(cd "$ROOT" && go build -o "$WORK/invokebench" ./bench/invokebench)

cleanup() {
  local rc=$?
  set +e
  if [[ -f $PROJ/agentcore.toml ]]; then
    (cd "$PROJ" && "$BIN" destroy "$AGENT" --yes >"$LOG/destroy.out" 2>&1) ||
      { echo "cleanup: agentcore destroy failed:" >&2; tail -5 "$LOG/destroy.out" >&2; }
  fi
  "$BIN" local stop >/dev/null 2>&1
  for t in "${RAW_TAGS[@]}"; do docker rmi "$t" >/dev/null 2>&1; done
  # Anything agentcore left behind for this project: containers of its runtime, its build and
  # pushed tags, dangling images of this run's builds (all carry agentcore.project=$NAME).
  # Reported: destroy is meant to leave nothing.
  local left
  if [[ -n ${RID:-} ]]; then
    left=$(docker ps -aq --filter "label=dev.agentcore.local.runtime-id=$RID")
    if [[ -n $left ]]; then
      echo "note: after destroy, containers of $RID remained: $(echo $left)" >&2
      echo "$left" | xargs -r docker rm -f >/dev/null 2>&1
    fi
  fi
  left=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^agentcore\.local/${NAME}_|/agentcore/${NAME}-" | grep -v ":raw-$RUNID-" || true)
  if [[ -n $left ]]; then
    echo "note: after destroy, images agentcore tagged remained: $(echo $left)" >&2
    echo "$left" | xargs -r docker rmi >/dev/null 2>&1
  fi
  docker images -q --filter dangling=true --filter "label=agentcore.project=$NAME" | xargs -r docker rmi >/dev/null 2>&1
  if [[ $rc -ne 0 ]]; then
    echo "lifecycle.sh: failed (exit $rc); logs kept in $LOG" >&2
    rm -rf "$PROJ" "$AGENTCORE_HOME"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ac() { (cd "$PROJ" && "$BIN" "$@"); }
latest_version() { ac status "$AGENT" -o json | jq -r 'select(.type == "result") | .result.agents[0].latest_version'; }

# phases of one `update -o json` from its event times: compile (the project's gobuild step, up
# to the image build starting), build, push, deploy (update runtime + wait until READY)
phases() {
  jq -r 'select(.time) | "\(.time[11:]) \(.type) \(.message // "")"' "$1" | awk '
    function t(s) { split(s, p, ":"); return p[1] * 3600 + p[2] * 60 + substr(p[3], 1, length(p[3]) - 1) }
    NR == 1 { t0 = t($1) }
    / step compiling / { c0 = t($1) }
    / step building image / { b0 = t($1) }
    / ok built / { b1 = t($1) }
    / step pushing image / { p0 = t($1) }
    / ok pushed / { p1 = t($1) }
    / step (updating|creating) runtime / { d0 = t($1) }
    { last = t($1) }
    END { printf "%.3f %.3f %.3f %.3f\n", b0 - c0, b1 - b0, p1 - p0, last - d0 }'
}

# The one-line changes, a different line each round; TAG makes the text new.
change() { # change FILE ROUND TAG
  case $2 in
    1) sed -i "s/return \"You said: \" + prompt/return \"You said ($3): \" + prompt/" "$1" ;;
    2) sed -i "s/return \"Hello! Send/return \"Hello ($3)! Send/" "$1" ;;
    3) sed -i "s/log.Println(\"agent listening on :8080\")/log.Println(\"agent ($3) listening on :8080\")/" "$1" ;;
  esac
  grep -q "($3)" "$1" || { echo "lifecycle.sh: the change of round $2 did not apply to $1" >&2; exit 1; }
}

echo "== setup: $NAME in $WORK (endpoint port $AGENTCORE_LOCAL_PORT)" >&2
mkdir -p "$PROJ"
ac init --name "$NAME" >"$LOG/init.out" 2>&1
"$ROOT/bench/docker-agent.sh" "$PROJ" "$AGENT" # the Docker path: Dockerfile + gobuild recipes
t=$(ns)
ac create "$AGENT" -o json >"$LOG/create.json" 2>"$LOG/create.err"
CREATE_S=$(secs "$t" "$(ns)")
STATE=$PROJ/.agentcore/state/local.json
REPO=$(jq -r --arg a "$AGENT" '.agents[$a].repository' "$STATE")
ARN=$(jq -r --arg a "$AGENT" '.agents[$a].runtime_arn' "$STATE")
RID=$(jq -r --arg a "$AGENT" '.agents[$a].runtime_id' "$STATE")
ENDPOINT=http://$(jq -r .addr "$AGENTCORE_HOME/local/server.json")
V0=$(latest_version)
echo "   created $RID (V$V0) in ${CREATE_S}s; repository $REPO; endpoint $ENDPOINT" >&2
# The raw side's docker push needs a login to the endpoint's registry (agentcore sends its own
# token with each push); it goes to a Docker config of this run's, not the user's.
export DOCKER_CONFIG=$WORK/docker-config
mkdir -p "$DOCKER_CONFIG"
(eval "$(ac local env)" && aws ecr get-login-password) | docker login -u AWS --password-stdin "${REPO%%/*}" >/dev/null 2>"$LOG/docker-login.err" ||
  { echo "lifecycle.sh: docker login to ${REPO%%/*} failed:" >&2; cat "$LOG/docker-login.err" >&2; exit 1; }

if [[ -z ${INVOKE_ONLY:-} ]]; then
# 1. update with nothing changed
echo "== update, nothing changed (5 runs)" >&2
NOCHANGE=()
for i in 1 2 3 4 5; do
  t=$(ns)
  ac update "$AGENT" -o json >"$LOG/update-nochange-$i.json" 2>"$LOG/update-nochange-$i.err"
  NOCHANGE+=("$(secs "$t" "$(ns)")")
done
V1=$(latest_version)
NOCHANGE_MED=$(median "${NOCHANGE[@]}")
if [[ $V1 == "$V0" ]]; then NOCHANGE_VER="no new version (still V$V1)"; else NOCHANGE_VER="NEW VERSION V$V1 (expected V$V0)"; fi
echo "   ${NOCHANGE[*]} s; $NOCHANGE_VER" >&2

# 2. update after a one-line change, against the raw tools doing the same kind of change. The
# raw side works on a copy of the agent (same Dockerfile, .dockerignore and go flags as the
# project's gobuild.lua; the same labels agentcore adds), pushes to the same repository, and
# uses the same builder as agentcore (the engine's classic builder; this docker has no buildx).
RAWDIR=$WORK/raw-agent
cp -r "$PROJ/agents/$AGENT" "$RAWDIR"
rm -f "$RAWDIR/agent"
ARCH=$(go env GOARCH)
raw_round() { # raw_round ROUND
  local tag=$REPO:raw-$RUNID-$1
  RAW_TAGS+=("$tag")
  (cd "$RAWDIR" && CGO_ENABLED=0 GOOS=linux GOARCH=$ARCH GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o agent .)
  DOCKER_BUILDKIT=0 docker build -q --label "agentcore.agent=$AGENT" --label "agentcore.project=$NAME" -t "$tag" "$RAWDIR" >/dev/null 2>&1
  docker push -q "$tag" >/dev/null
}
echo "== update after a one-line change vs raw go build + docker build + docker push (3 runs each, interleaved)" >&2
UPD=()
RAW=()
PH_C=() PH_B=() PH_P=() PH_D=()
for i in 1 2 3; do
  for side in ac raw; do
    # ABBA order: agentcore first in rounds 1 and 3, raw first in round 2
    if [[ $i == 2 ]]; then side=$([[ $side == ac ]] && echo raw || echo ac); fi
    if [[ $side == ac ]]; then
      change "$PROJ/agents/$AGENT/main.go" "$i" "ac$i-$RUNID"
      t=$(ns)
      ac update "$AGENT" -o json >"$LOG/update-change-$i.json" 2>"$LOG/update-change-$i.err"
      UPD+=("$(secs "$t" "$(ns)")")
      read -r c b p d < <(phases "$LOG/update-change-$i.json")
      PH_C+=("$c") PH_B+=("$b") PH_P+=("$p") PH_D+=("$d")
      v=$(latest_version)
      [[ $v == $((V1 + i)) ]] || { echo "lifecycle.sh: update after change $i: latest version V$v, expected V$((V1 + i))" >&2; exit 1; }
    else
      change "$RAWDIR/main.go" "$i" "raw$i-$RUNID"
      t=$(ns)
      raw_round "$i"
      RAW+=("$(secs "$t" "$(ns)")")
    fi
  done
done
UPD_MED=$(median "${UPD[@]}")
RAW_MED=$(median "${RAW[@]}")
UPD_RATIO=$(ratio "$UPD_MED" "$RAW_MED")
echo "   agentcore ${UPD[*]} s; raw ${RAW[*]} s" >&2
else # INVOKE_ONLY=1: the invoke figures alone
  NOCHANGE=() UPD=() RAW=() PH_C=() PH_B=() PH_P=() PH_D=()
  NOCHANGE_MED=- NOCHANGE_VER="(INVOKE_ONLY)" UPD_MED=- RAW_MED=- UPD_RATIO=-
fi

# 3. invoke: through the binary (process start and all), then the data path with invokebench
echo "== invoke" >&2
INV=()
for i in 1 2 3; do
  t=$(ns)
  ac invoke "$AGENT" --prompt "hi $i" >"$LOG/invoke-$i.out" 2>&1
  INV+=("$(secs "$t" "$(ns)")")
done
INV_MED=$(median "${INV[@]}")
# Each session has its own sandbox, and the served version a warm pool of one: invokebench's
# session (a session id never used) takes the pooled sandbox, the newest container of the
# runtime (the others serve the sessions above; the pool refills after it is taken, with a
# container that is not running yet when listed here). Its container is the direct path (were
# it another sandbox of the version, the same image on the same network, the figure is the same).
IB_SESSION=invokebench-session-0000000000000000001 # invokebench's sessionID
CID=$(docker ps -q --filter "label=dev.agentcore.local.runtime-id=$RID" | head -1) # newest first
[[ -n $CID ]] || { echo "lifecycle.sh: no running container of $RID" >&2; exit 1; }
ac invoke "$AGENT" --prompt warm --session "$IB_SESSION" >"$LOG/invoke-session.out" 2>&1
# Agent containers publish no host port: the direct path is the container's address on the
# agents' network, which the endpoint uses too.
DIRECT=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$CID"):8080
EPID=$(jq -r .pid "$AGENTCORE_HOME/local/server.json") # invokebench reads its CPU time
"$WORK/invokebench" -endpoint "$ENDPOINT" -arn "$ARN" -direct "$DIRECT" -n "${INVOKE_N:-200}" -streams "${INVOKE_STREAMS:-5}" -sessions 10 -endpoint-pid "$EPID" >"$LOG/invokebench.out"
kv() { grep '^RESULT' "$LOG/invokebench.out" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
pass() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v + 0 <= lim + 0) ? "ok" : "MISSED" }'; }
below() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v + 0 < lim + 0) ? "ok" : "MISSED" }'; }

NCPU=$(nproc)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
cat <<EOF

agentcore lifecycle benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $NCPU cores, load average $LOAD
docker $(docker version --format '{{.Server.Version}}') ($(docker info --format '{{.Driver}}')), $(go version | awk '{print $3}')

measure                                            median       target         result
agentcore create (1 run, for reference)            ${CREATE_S} s
update, nothing changed (5 runs)                   ${NOCHANGE_MED} s      < 1 s          $(pass "$NOCHANGE_MED" 1); ${NOCHANGE_VER}
update, one-line change (3 runs)                   ${UPD_MED} s
raw go build + docker build + push (3 runs)        ${RAW_MED} s
  ratio update / raw                               ${UPD_RATIO}x        <= 1.2x        $(pass "$UPD_RATIO" 1.2)
  update phases (median s): compile $(median "${PH_C[@]}"), docker build $(median "${PH_B[@]}"), push $(median "${PH_P[@]}"), update runtime + wait READY $(median "${PH_D[@]}")
agentcore invoke through the binary (3 runs)       ${INV_MED} s
invoke via endpoint (SDK), 200 calls               $(kv invoke_endpoint_median_ms) ms (p90 $(kv invoke_endpoint_p90_ms))
invoke direct to the container, 200 calls          $(kv invoke_direct_median_ms) ms (p90 $(kv invoke_direct_p90_ms))
  endpoint adds (median difference)                $(kv invoke_added_ms) ms     < 0.5 ms       $(below "$(kv invoke_added_ms)" 0.5)
  POST to the endpoint signed by hand (no SDK)     $(kv invoke_unsigned_endpoint_median_ms) ms
streamed answer, first byte via endpoint           $(kv stream_endpoint_ttfb_ms) ms (last byte $(kv stream_endpoint_total_ms) ms)
streamed answer, first byte direct                 $(kv stream_direct_ttfb_ms) ms (last byte $(kv stream_direct_total_ms) ms)
  first byte via endpoint - direct                 $(kv stream_ttfb_added_ms) ms     < 0.5 ms       $(below "$(kv stream_ttfb_added_ms)" 0.5)
first byte, new session (fresh id, 10 calls)       $(kv session_new_ttfb_ms) ms
first byte, live session (10 calls)                $(kv session_live_ttfb_ms) ms
  new session - live session                       $(kv session_new_added_ms) ms     < 50 ms        $(below "$(kv session_new_added_ms)" 50)

runs (s): update unchanged ${NOCHANGE[*]}; update changed ${UPD[*]}; raw ${RAW[*]}; invoke ${INV[*]}

EOF
grep -v '^RESULT' "$LOG/invokebench.out"
# for bench/run.sh's summary
grep '^RESULT' "$LOG/invokebench.out"
echo "RESULT lifecycle_update_s=$UPD_MED lifecycle_raw_s=$RAW_MED lifecycle_update_ratio=$UPD_RATIO lifecycle_nochange_s=$NOCHANGE_MED"
