#!/usr/bin/env bash
# Runs every agentcore benchmark in one go and prints a summary with the targets:
#   1. startup: go test -bench in bench/ (Lua VM + stock recipes, agentcore recipes and --help
#      through the binary, /bin/true as the process start baseline), and the warm zip package
#      (BenchmarkPackageWarm in builtins/codezip, a plain copy of the same bytes as its baseline)
#   2. the deploy lifecycle: bench/lifecycle.sh (needs the Docker engine; skipped without it,
#      or with SKIP_LIFECYCLE=1)
#   3. the artifact kinds: bench/artifacts.sh (update of a build = docker, go, zip and image
#      agent with nothing changed; a go agent's update against raw go build + docker build +
#      push; needs the Docker engine; skipped without it, or with SKIP_ARTIFACTS=1)
# The binary is built once into a temp dir and used by all. BENCHTIME (default 1s) is passed to
# -benchtime. It ends with the speed figures of issue 19 (part 5) and their targets, taken from
# the runs above. Takes about 4 minutes on a quiet 2-core machine.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "== building agentcore" >&2
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$TMP/agentcore" ./cmd/agentcore) # static, as make build and the releases
export AGENTCORE_BIN=$TMP/agentcore

echo "== go test -bench ./bench/ ./builtins/codezip/" >&2
(cd "$ROOT" && go test -run XXX -bench . -benchtime "${BENCHTIME:-1s}" -count 1 ./bench/ ./builtins/codezip/) | tee "$TMP/go-bench.out" >&2

# value UNIT from the line of benchmark NAME (ns/op in ms when UNIT is ns/op)
metric() {
  awk -v name="$1" -v unit="$2" '
    $1 ~ "^" name "(-[0-9]+)?$" { for (i = 3; i < NF; i++) if ($(i + 1) == unit) { v = $i } }
    END { if (v == "") exit 1; if (unit == "ns/op") printf "%.2f", v / 1e6; else printf "%.2f", v }' "$TMP/go-bench.out"
}
pass() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v + 0 < lim + 0) ? "ok" : "MISSED" }'; }
pass_le() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v + 0 <= lim + 0) ? "ok" : "MISSED" }'; }
# value of KEY in the RESULT lines of the scripts' outputs ("" when not measured)
result() { printf '%s\n%s\n' "$LIFE" "$ARTS" | grep '^RESULT' | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { v = $2 } END { print v }'; }
# one row of the issue 19 table: LABEL VALUE UNIT TARGET-TEXT CHECK LIMIT
figure() {
  if [[ -z $2 ]]; then
    printf '%-52s %-14s %-12s %s\n' "$1" "not measured" "$4" "(its script was skipped or failed)"
  else
    printf '%-52s %-14s %-12s %s\n' "$1" "$2$3" "$4" "$($5 "$2" "$6")"
  fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

LUA=$(metric BenchmarkLuaStart ns/op)
VM=$(metric BenchmarkLuaVM ns/op)
REC=$(metric BenchmarkCommandRecipes ns/op)
REC_T=$(metric BenchmarkCommandRecipes true-ms/op)
HELP=$(metric BenchmarkCommandHelp ns/op)
HELP_T=$(metric BenchmarkCommandHelp true-ms/op)
TRUE=$(metric BenchmarkExecTrue ns/op)
ZIP=$(metric BenchmarkPackageWarm ns/op)
ZIP_C=$(metric BenchmarkPackageWarm copy-ms/op)

LIFE=""
if [[ ${SKIP_LIFECYCLE:-} == 1 ]]; then
  LIFE="lifecycle: skipped (SKIP_LIFECYCLE=1)"
elif ! docker info >/dev/null 2>&1; then
  LIFE="lifecycle: skipped (the Docker engine does not answer)"
else
  echo "== bench/lifecycle.sh" >&2
  LIFE=$("$ROOT/bench/lifecycle.sh")
fi

ARTS=""
if [[ ${SKIP_ARTIFACTS:-} == 1 ]]; then
  ARTS="artifact kinds: skipped (SKIP_ARTIFACTS=1)"
elif ! docker info >/dev/null 2>&1; then
  ARTS="artifact kinds: skipped (the Docker engine does not answer)"
else
  echo "== bench/artifacts.sh" >&2
  ARTS=$("$ROOT/bench/artifacts.sh")
fi

cat <<EOF

agentcore benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)

startup (go test -bench, per op)                   measured     target         result
Lua VM + every builtin + all stock recipes loaded  ${LUA} ms      < 5 ms         $(pass "$LUA" 5)
  the VM alone (every builtin, no recipe)          ${VM} ms      ($(ratio "$LUA" "$VM")x the VM alone)
agentcore recipes (in an init project)             ${REC} ms     < 15 ms        $(pass "$REC" 15)   $(ratio "$REC" "$REC_T")x /bin/true (${REC_T} ms, same iterations)
agentcore --help                                   ${HELP} ms     <= 25 ms       $(pass_le "$HELP" 25)   $(ratio "$HELP" "$HELP_T")x /bin/true (${HELP_T} ms, same iterations)
/bin/true exec (process start baseline)            ${TRUE} ms
zip.package, 50 MB of cached deps                  ${ZIP} ms    < 1000 ms      $(pass "$ZIP" 1000)   $(ratio "$ZIP" "$ZIP_C")x a plain copy of the layer (${ZIP_C} ms, same iterations)
$(printf '%s\n' "$LIFE" | grep -v '^RESULT')
$(printf '%s\n' "$ARTS" | grep -v '^RESULT')

speed figures of issue 19 (part 5), from the runs above    measured       target       result
$(figure "one-line Go agent update / raw build + push" "$(result go_update_ratio)" x "<= 0.5x" pass_le 0.5)
$(figure "  (artifact made + pushed / raw)" "$(result go_made_pushed_ratio)" x "(<= 0.5x)" pass_le 0.5)
$(figure "agentcore --help" "$HELP" " ms" "<= 25 ms" pass_le 25)
$(figure "invoke via the endpoint - direct POST (median)" "$(result invoke_added_ms)" " ms" "< 0.5 ms" pass 0.5)
$(figure "first streamed byte via the endpoint - direct" "$(result stream_ttfb_added_ms)" " ms" "< 0.5 ms" pass 0.5)
$(figure "first byte, new session - live session" "$(result session_new_added_ms)" " ms" "< 50 ms" pass 50)
EOF
