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
# -benchtime. Takes about 4 minutes on 2 cores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "== building agentcore" >&2
(cd "$ROOT" && go build -o "$TMP/agentcore" ./cmd/agentcore)
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
agentcore --help                                   ${HELP} ms     < 15 ms        $(pass "$HELP" 15)   $(ratio "$HELP" "$HELP_T")x /bin/true (${HELP_T} ms, same iterations)
/bin/true exec (process start baseline)            ${TRUE} ms
zip.package, 50 MB of cached deps                  ${ZIP} ms    < 1000 ms      $(pass "$ZIP" 1000)   $(ratio "$ZIP" "$ZIP_C")x a plain copy of the layer (${ZIP_C} ms, same iterations)
$LIFE
$ARTS
EOF
