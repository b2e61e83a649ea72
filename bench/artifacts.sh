#!/usr/bin/env bash
# The artifact kinds (README "Artifacts: what AgentCore runs"), measured through the binary on
# the local provider in one run, with one project holding one agent of each kind:
#   my-bot  build = "go"      the init template's Go agent, compiled and assembled without Docker
#   dock    build = "docker"  a copy of it, compiled by the project's wrapper recipes + Dockerfile
#   pybot   build = "zip"     a stdlib-only main.py, run by the endpoint with python3.11
#   pre     build = "image"   an image made with oci.build_go, pushed to a plain registry first
# and measures:
#   - agentcore update with nothing changed, 5 runs per agent (interleaved): median; target < 1 s,
#     nothing pushed/uploaded/copied, no new version
#   - agentcore update of my-bot after a one-line change (3 runs) against a raw go build +
#     docker build (FROM scratch + COPY of the binary) + docker push of the same kind of change
#     to the same repository of the local registry (3 runs, ABBA order): ratio; target <= 0.5x.
#     The update's phases come from its -o json event times: artifact made and pushed, then
#     runtime update + wait until READY; the made+pushed part is also compared with raw alone.
# Everything lives in a temp project with its own AGENTCORE_HOME and a free
# AGENTCORE_LOCAL_PORT; a trap destroys the agents, stops the endpoint and the plain registry,
# and removes the images this run tagged. Usage: bench/artifacts.sh  (AGENTCORE_BIN=path uses a
# built binary; KEEP_LOGS=1 keeps the -o json logs of every run). Without python3.11 the zip
# agent is left out (the summary says so).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
for tool in docker go jq awk aws; do
  command -v "$tool" >/dev/null || { echo "artifacts.sh: needs $tool" >&2; exit 2; }
done
docker info >/dev/null 2>&1 || { echo "artifacts.sh: the Docker engine does not answer (docker info)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-artifacts.XXXXXX")
LOG=$WORK/log
mkdir -p "$LOG"
RUNID=$(date +%s)$$ # makes every changed line new, so no build cache or registry blob matches
NAME=art$RUNID      # project name: repository and runtime names unique to this run
PROJ=$WORK/$NAME
GO_AGENT=my-bot
AGENTS=(my-bot dock pre)
KIND_my_bot=go KIND_dock=docker KIND_pybot=zip KIND_pre=image
HAVE_PY=0
if command -v python3.11 >/dev/null; then
  HAVE_PY=1
  AGENTS=(my-bot dock pybot pre)
fi
RAW_TAGS=()
REG_PID=""

export AGENTCORE_HOME=$WORK/home
export AGENTCORE_LOCAL_PORT=${AGENTCORE_LOCAL_PORT:-$(free_port)}
export NO_COLOR=1
# The raw side's docker login goes to a config of its own, not the user's.
RAW_DOCKER_CONFIG=$WORK/docker-config
mkdir -p "$RAW_DOCKER_CONFIG"

BIN=${AGENTCORE_BIN:-}
if [[ -z $BIN ]]; then
  BIN=$WORK/agentcore
  (cd "$ROOT" && go build -o "$BIN" ./cmd/agentcore)
fi
(cd "$ROOT" && go build -o "$WORK/plainregistry" ./bench/plainregistry)

cleanup() {
  local rc=$?
  set +e
  if [[ -f $PROJ/agentcore.toml ]]; then
    for a in "${AGENTS[@]}"; do
      (cd "$PROJ" && "$BIN" destroy "$a" --yes >"$LOG/destroy-$a.out" 2>&1) ||
        { grep -q "not deployed\|nothing to destroy\|no runtime" "$LOG/destroy-$a.out" ||
          { echo "cleanup: agentcore destroy $a failed:" >&2; tail -5 "$LOG/destroy-$a.out" >&2; }; }
    done
  fi
  "$BIN" local stop >/dev/null 2>&1
  [[ -n $REG_PID ]] && { kill "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null; }
  for t in "${RAW_TAGS[@]}"; do docker rmi "$t" >/dev/null 2>&1; done
  # Whatever agentcore left behind for this project is reported (destroy is meant to leave
  # nothing), then removed: containers, images of its repositories (tagged, or pulled by digest
  # by the endpoint to run a version), build tags, dangling images of this run's builds.
  local left
  left=$(docker ps -aq --filter "name=agentcore-${NAME}_")
  if [[ -n $left ]]; then
    echo "note: after destroy, containers of $NAME remained: $(echo $left)" >&2
    echo "$left" | xargs -r docker rm -f >/dev/null 2>&1
  fi
  left=$(docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}' | grep -E "^agentcore\.local/${NAME}_|/agentcore/${NAME}-" | grep -v ":raw-$RUNID-" || true)
  if [[ -n $left ]]; then
    echo "note: after destroy, images of $NAME remained: $(echo "$left" | awk '{ print $1 }' | sort | uniq -c | awk '{ printf "%s (%d) ", $2, $1 }')" >&2
    echo "$left" | awk '{ print $2 }' | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
  fi
  docker images -q --filter dangling=true --filter "label=agentcore.project=$NAME" | xargs -r docker rmi >/dev/null 2>&1
  # the zip agent runs as a host process started by the endpoint, from under $WORK
  left=$(pgrep -f "$WORK/" || true)
  if [[ -n $left ]]; then
    echo "note: after destroy and local stop, processes under $WORK remained: $(echo $left)" >&2
    for p in $left; do kill "$p" 2>/dev/null; done
  fi
  if [[ $rc -ne 0 || -n ${KEEP_LOGS:-} ]]; then
    [[ $rc -ne 0 ]] && echo "artifacts.sh: failed (exit $rc); logs kept in $LOG" >&2
    [[ $rc -eq 0 ]] && echo "logs kept in $LOG (KEEP_LOGS)" >&2
    rm -rf "$PROJ" "$AGENTCORE_HOME" "$RAW_DOCKER_CONFIG"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
pass_lt() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v + 0 < lim + 0) ? "ok" : "MISSED" }'; }
pass_le() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v + 0 <= lim + 0) ? "ok" : "MISSED" }'; }
ac() { (cd "$PROJ" && "$BIN" "$@"); }
kind() { local v="KIND_${1//-/_}"; echo "${!v}"; }
latest_version() { ac status "$1" -o json | jq -r 'select(.type == "result") | .result.agents[0].latest_version'; }
# seconds since midnight UTC, the clock of the -o json event times
now_sod() { date -u '+%H %M %S.%N' | awk '{ printf "%.6f", $1 * 3600 + $2 * 60 + $3 }'; }

# Timed `agentcore update AGENT -o json` into LOG/FILE.json; sets TOOK to the wall time in
# seconds and leaves the start (seconds since midnight UTC) in LOG/FILE.t0.
timed_update() { # timed_update AGENT FILE
  local t
  now_sod >"$LOG/$2.t0"
  t=$(ns)
  ac update "$1" -o json >"$LOG/$2.json" 2>"$LOG/$2.err" ||
    { echo "artifacts.sh: agentcore update $1 failed (logs: $LOG/$2.*):" >&2; tail -5 "$LOG/$2.json" "$LOG/$2.err" >&2; exit 1; }
  TOOK=$(secs "$t" "$(ns)")
}

# Phases of one update from its event times, relative to the process start (FILE.t0):
#   made        start -> the artifact is made (the last event of the "artifact" branch)
#   published   start -> pushed / uploaded / copied / found unchanged (before the runtime step)
#   compile     "compiling" step -> the assembled image (build = "go" only)
#   push        the assembled image -> pushed
#   deploy      "updating runtime" step -> the last event (runtime update + wait until READY)
# Prints: made published compile push deploy (seconds, 3 decimals; -1 when absent).
phases() { # phases FILE
  jq -r 'select(.time) | "\(.time[11:]) \(.branch // "-") \(.type) \(.message // "")"' "$LOG/$1.json" |
    awk -v t0="$(cat "$LOG/$1.t0")" '
    function t(s) { split(s, p, ":"); return p[1] * 3600 + p[2] * 60 + substr(p[3], 1, length(p[3]) - 1) }
    BEGIN { made = pub = c0 = c1 = p1 = d0 = -1 }
    { x = t($1); last = x }
    $2 == "artifact" { made = x }
    $2 == "artifact" && $3 == "step" && $4 == "compiling" { c0 = x }
    $2 == "artifact" && $3 == "ok" && $4 == "image" { c1 = x }
    $3 == "ok" && ($4 == "pushed" || $4 == "uploaded" || $4 == "copied" || $0 ~ / unchanged.*nothing to (push|upload)/) { pub = x; if ($4 == "pushed") p1 = x }
    $3 == "step" && $4 == "updating" && $5 == "runtime" { d0 = x; if (pub < 0) pub = made }
    $3 == "ok" && / is up to date: / { if (pub < 0) pub = made }
    function rel(v) { return v < 0 ? -1 : v - t0 }
    function span(a, b) { return (a < 0 || b < 0) ? -1 : b - a }
    END { printf "%.3f %.3f %.3f %.3f %.3f\n", rel(made), rel(pub), span(c0, c1), span(c1, p1), span(d0, last) }'
}

# When the runtime step of an update began (seconds since midnight UTC), and when the endpoint
# recorded that version READY (its lastUpdatedAt): how long the runtime really took, against
# how long the waiter's polling took to see it.
runtime_step() { # runtime_step FILE
  jq -r 'select(.type == "step" and (.message // "" | startswith("updating runtime "))) | .time[11:]' "$LOG/$1.json" |
    awk -F: 'NR == 1 { printf "%.6f", $1 * 3600 + $2 * 60 + substr($3, 1, length($3) - 1) }'
}
ready_at() { # ready_at RUNTIME_ID VERSION
  ac lua --eval "local r = agentcore.get_runtime('$1', {version = '$2'}); print(r and r.status, r and r.lastUpdatedAt)" |
    awk '$1 == "READY" && $2 ~ /^[0-9.]+$/ { printf "%.6f", $2 % 86400; exit }
      $1 == "READY" { n = split($2, d, "T"); split(d[n], p, ":"); sub(/(Z|[+-][0-9:]+)$/, "", p[3]); printf "%.6f", p[1] * 3600 + p[2] * 60 + p[3] }'
}

# Did this update send anything (push, upload, copy) or make a version?
sent() { # sent FILE -> the messages that say so, empty when none
  jq -r 'select(.type == "ok") | .message' "$LOG/$1.json" | grep -E '^(pushed|uploaded|copied) ' || true
}
changed() { jq -r 'select(.type == "result") | .result.changed' "$LOG/$1.json"; }

# ---------------------------------------------------------------------------------------------
echo "== setup: $NAME in $WORK (endpoint port $AGENTCORE_LOCAL_PORT)" >&2
"$WORK/plainregistry" >"$LOG/plainregistry.addr" 2>"$LOG/plainregistry.err" &
REG_PID=$!
for _ in $(seq 50); do [[ -s $LOG/plainregistry.addr ]] && break; sleep 0.1; done
PLAINREG=$(head -1 "$LOG/plainregistry.addr")
[[ -n $PLAINREG ]] || { echo "artifacts.sh: the plain registry did not start: $(cat "$LOG/plainregistry.err")" >&2; exit 1; }

mkdir -p "$PROJ"
ac init --name "$NAME" >"$LOG/init.out" 2>&1
"$ROOT/bench/docker-agent.sh" "$PROJ" my-bot # the template as a Docker agent (Dockerfile + gobuild recipes)
cd "$PROJ"
# dock: the template's Docker agent (a copy, compiled by the project's wrapper recipes only for it)
cp -r agents/my-bot agents/dock
for r in recipes/create.lua recipes/update.lua; do
  sed -i 's/^    require("gobuild").build(args.agent)$/    if args.agent == "dock" then require("gobuild").build(args.agent) end/' "$r"
  grep -q 'if args.agent == "dock"' "$r" || { echo "artifacts.sh: could not restrict $r to the docker agent" >&2; exit 1; }
done
# my-bot: build = "go" on the template's agent folder
sed -i 's|^dockerfile = "agents/my-bot/Dockerfile"$|build = "go"\ncontext = "agents/my-bot"|' agentcore.toml
grep -q '^build = "go"$' agentcore.toml || { echo "artifacts.sh: could not switch my-bot to build = \"go\"" >&2; exit 1; }
cat >>agentcore.toml <<'EOF'

[agents.dock]
dockerfile = "agents/dock/Dockerfile"
EOF
if [[ $HAVE_PY == 1 ]]; then
  mkdir -p agents/pybot
  cat >agents/pybot/main.py <<'EOF'
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer

class H(BaseHTTPRequestHandler):
    def _send(self, body):
        b = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        self._send({"status": "Healthy"})
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        p = json.loads(self.rfile.read(n) or b"{}")
        self._send({"response": "You said: %s" % p.get("prompt")})
    def log_message(self, *a):
        pass

HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8080"))), H).serve_forever()
EOF
  cat >>agentcore.toml <<'EOF'

[agents.pybot]
context = "agents/pybot"
runtime = "PYTHON_3_11"
entrypoint = ["main.py"]
EOF
fi
# pre: a prebuilt image by digest, made elsewhere (here: oci.build_go pushed to a plain registry)
"$BIN" lua --eval "local b = oci.build_go{dir = \"agents/my-bot\", out = \".agentcore/build/prebuilt\"}
print(oci.push{path = b.path, to = \"$PLAINREG/team/prebuilt:$RUNID\"}.ref)" >"$LOG/prebuilt.ref" 2>"$LOG/prebuilt.err" ||
  { echo "artifacts.sh: pushing the prebuilt image failed: $(cat "$LOG/prebuilt.err")" >&2; exit 1; }
printf '\n[agents.pre]\nimage = "%s"\n' "$(tail -1 "$LOG/prebuilt.ref")" >>agentcore.toml
cd - >/dev/null

declare -A CREATE V0
for a in "${AGENTS[@]}"; do
  t=$(ns)
  ac create "$a" -o json >"$LOG/create-$a.json" 2>"$LOG/create-$a.err" ||
    { echo "artifacts.sh: agentcore create $a failed:" >&2; tail -5 "$LOG/create-$a.json" "$LOG/create-$a.err" >&2; exit 1; }
  CREATE[$a]=$(secs "$t" "$(ns)")
  V0[$a]=$(latest_version "$a")
  echo "   created $a ($(kind "$a")) V${V0[$a]} in ${CREATE[$a]}s" >&2
done
STATE=$PROJ/.agentcore/state/local.json
REPO=$(jq -r --arg a "$GO_AGENT" '.agents[$a].repository' "$STATE")
REGISTRY=${REPO%%/*}

# 1. update with nothing changed, every kind, 5 rounds of one run per agent
echo "== update, nothing changed (5 runs per agent, interleaved)" >&2
declare -A NC NC_MADE NC_SENT NC_CHANGED
for i in 1 2 3 4 5; do
  for a in "${AGENTS[@]}"; do
    f=nochange-$a-$i
    timed_update "$a" "$f"
    NC[$a]+="$TOOK "
    read -r made _ _ _ _ < <(phases "$f")
    NC_MADE[$a]+="$made "
    s=$(sent "$f")
    [[ -n $s ]] && NC_SENT[$a]+="run $i: $s; "
    [[ $(changed "$f") == false ]] || NC_CHANGED[$a]+="run $i "
  done
done
declare -A NC_MED NC_VER
for a in "${AGENTS[@]}"; do
  # shellcheck disable=SC2086
  NC_MED[$a]=$(median ${NC[$a]})
  v=$(latest_version "$a")
  if [[ $v == "${V0[$a]}" && -z ${NC_CHANGED[$a]:-} ]]; then NC_VER[$a]="still V$v"; else NC_VER[$a]="NEW VERSION V$v (was V${V0[$a]}; changed in ${NC_CHANGED[$a]:-no run})"; fi
  echo "   $a: ${NC[$a]}s; ${NC_VER[$a]}; ${NC_SENT[$a]:-nothing sent}" >&2
done

# 2. my-bot after a one-line change against the raw tools. The raw side works on a copy of the
# agent with the template's Dockerfile (FROM scratch, COPY of the binary), compiles with the
# command oci.build_go runs, builds with the engine's classic builder (no buildx here) and
# pushes to my-bot's repository of the local registry, logged in with the local ECR's token.
echo "== update of $GO_AGENT after a one-line change vs raw go build + docker build + docker push (3 runs each, ABBA)" >&2
(eval "$("$BIN" local env)" && aws ecr get-login-password) |
  DOCKER_CONFIG=$RAW_DOCKER_CONFIG docker login --username AWS --password-stdin "$REGISTRY" >"$LOG/docker-login.out" 2>&1 ||
  { echo "artifacts.sh: docker login to $REGISTRY failed: $(cat "$LOG/docker-login.out")" >&2; exit 1; }
RAWDIR=$WORK/raw-agent
mkdir -p "$RAWDIR"
cp "$PROJ/agents/$GO_AGENT"/{main.go,go.mod,Dockerfile,.dockerignore} "$RAWDIR/"
ARCH=$(go env GOARCH)

change() { # change FILE ROUND TAG
  case $2 in
    1) sed -i "s/return \"You said: \" + prompt/return \"You said ($3): \" + prompt/" "$1" ;;
    2) sed -i "s/return \"Hello! Send/return \"Hello ($3)! Send/" "$1" ;;
    3) sed -i "s/log.Printf(\"agent listening on :%s\", port)/log.Printf(\"agent ($3) listening on :%s\", port)/" "$1" ;;
  esac
  grep -q "($3)" "$1" || { echo "artifacts.sh: the change of round $2 did not apply to $1" >&2; exit 1; }
}
raw_round() { # raw_round ROUND -> prints: total gobuild dockerbuild push
  local tag=$REPO:raw-$RUNID-$1 t0 t1 t2 t3
  t0=$(ns)
  (cd "$RAWDIR" && CGO_ENABLED=0 GOOS=linux GOARCH=$ARCH go build -trimpath -buildvcs=false -ldflags "-s -w -buildid=" -o agent .)
  t1=$(ns)
  DOCKER_CONFIG=$RAW_DOCKER_CONFIG DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$RAWDIR" >"$LOG/raw-build-$1.out" 2>&1
  t2=$(ns)
  DOCKER_CONFIG=$RAW_DOCKER_CONFIG docker push -q "$tag" >"$LOG/raw-push-$1.out"
  t3=$(ns)
  echo "$(secs "$t0" "$t3") $(secs "$t0" "$t1") $(secs "$t1" "$t2") $(secs "$t2" "$t3")"
}
V1=$(latest_version "$GO_AGENT")
UPD=() PUB=() CMP=() PSH=() DEP=()
RAW=() RAW_GO=() RAW_DB=() RAW_PUSH=()
for i in 1 2 3; do
  for side in ac raw; do
    if [[ $i == 2 ]]; then side=$([[ $side == ac ]] && echo raw || echo ac); fi
    if [[ $side == ac ]]; then
      change "$PROJ/agents/$GO_AGENT/main.go" "$i" "ac$i-$RUNID"
      timed_update "$GO_AGENT" "change-$i"
      UPD+=("$TOOK")
      read -r _ pub c p d < <(phases "change-$i")
      PUB+=("$pub") CMP+=("$c") PSH+=("$p") DEP+=("$d")
      v=$(latest_version "$GO_AGENT")
      [[ $v == $((V1 + i)) ]] || { echo "artifacts.sh: update after change $i: latest version V$v, expected V$((V1 + i))" >&2; exit 1; }
    else
      change "$RAWDIR/main.go" "$i" "raw$i-$RUNID"
      RAW_TAGS+=("$REPO:raw-$RUNID-$i")
      read -r tot g b p < <(raw_round "$i")
      RAW+=("$tot") RAW_GO+=("$g") RAW_DB+=("$b") RAW_PUSH+=("$p")
    fi
  done
done
RID=$(jq -r --arg a "$GO_AGENT" '.agents[$a].runtime_id' "$STATE")
RDY=()
for i in 1 2 3; do
  r=$(ready_at "$RID" $((V1 + i)))
  [[ -n $r ]] && RDY+=("$(awk -v a="$(runtime_step "change-$i")" -v b="$r" 'BEGIN { printf "%.3f", b - a }')")
done
[[ ${#RDY[@]} -gt 0 ]] || RDY=(-1)
UPD_MED=$(median "${UPD[@]}")
PUB_MED=$(median "${PUB[@]}")
RAW_MED=$(median "${RAW[@]}")
echo "   agentcore ${UPD[*]} s (artifact made+pushed ${PUB[*]} s); raw ${RAW[*]} s" >&2

row() { printf '%-52s %-12s %-14s %s\n' "$@"; }
cat <<EOF

agentcore artifact kinds benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)
docker $(docker version --format '{{.Server.Version}}') ($(docker info --format '{{.Driver}}')), $(go version | awk '{print $3}')

$(row measure median target result)
EOF
for a in "${AGENTS[@]}"; do
  row "agentcore create $a (build = $(kind "$a"), 1 run)" "${CREATE[$a]} s" "" ""
done
for a in "${AGENTS[@]}"; do
  r=$(pass_lt "${NC_MED[$a]}" 1)
  [[ -n ${NC_SENT[$a]:-} || ${NC_VER[$a]} != still* ]] && r=MISSED
  row "update, nothing changed, build = $(kind "$a") (5 runs)" "${NC_MED[$a]} s" "< 1 s" "$r; ${NC_VER[$a]}; ${NC_SENT[$a]:-nothing sent}"
  # shellcheck disable=SC2086
  echo "  artifact made after (median)                     $(median ${NC_MADE[$a]}) s"
done
[[ $HAVE_PY == 1 ]] || echo "update, nothing changed, build = zip                 not measured: python3.11 is not on PATH"
cat <<EOF
$(row "update of $GO_AGENT (go), one-line change (3 runs)" "${UPD_MED} s")
$(row "raw go build + docker build + push (3 runs)" "${RAW_MED} s")
$(row "  ratio update / raw" "$(ratio "$UPD_MED" "$RAW_MED")x" "<= 0.5x" "$(pass_le "$(ratio "$UPD_MED" "$RAW_MED")" 0.5)")
$(row "  ratio artifact made+pushed / raw" "$(ratio "$PUB_MED" "$RAW_MED")x" "(<= 0.5x)" "$(pass_le "$(ratio "$PUB_MED" "$RAW_MED")" 0.5)")
  update phases (median s): start to image pushed $PUB_MED (compile+assemble $(median "${CMP[@]}"), push $(median "${PSH[@]}")), update runtime + wait READY $(median "${DEP[@]}")
  the endpoint recorded the version READY $(median "${RDY[@]}") s after the runtime step (runs: ${RDY[*]}); the rest of the wait is polling (every 20 ms on the local endpoint)
  raw phases (median s): go build $(median "${RAW_GO[@]}"), docker build $(median "${RAW_DB[@]}"), docker push $(median "${RAW_PUSH[@]}")

runs (s): update ${UPD[*]}; made+pushed ${PUB[*]}; raw ${RAW[*]}
EOF
for a in "${AGENTS[@]}"; do echo "runs (s): unchanged $a ${NC[$a]}"; done
# for bench/run.sh's summary
echo "RESULT go_update_s=$UPD_MED go_raw_s=$RAW_MED go_update_ratio=$(ratio "$UPD_MED" "$RAW_MED") go_made_pushed_ratio=$(ratio "$PUB_MED" "$RAW_MED") go_ready_after_s=$(median "${RDY[@]}")"
