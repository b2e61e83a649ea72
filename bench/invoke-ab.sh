#!/usr/bin/env bash
# Two builds of agentcore compared on the invoke figures in one run: bench/lifecycle.sh with
# INVOKE_ONLY=1 (a fresh project and endpoint each time) alternately with OLD_BIN and NEW_BIN,
# ROUNDS times each, ABBA order; prints each run's figures, then the medians of each side and
# their ratio. invokebench (the client side) is built once from this tree for both.
#   OLD_BIN=/tmp/agentcore-main NEW_BIN=bin/agentcore bench/invoke-ab.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${OLD_BIN:?OLD_BIN=path of the baseline build}" "${NEW_BIN:?NEW_BIN=path of the build measured}"
ROUNDS=${ROUNDS:-2}
export INVOKE_STREAMS=${INVOKE_STREAMS:-20}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/agentcore-invoke-ab.XXXXXX")
keys="invoke_added_ms invoke_endpoint_median_ms invoke_direct_median_ms invoke_unsigned_endpoint_median_ms stream_ttfb_added_ms stream_endpoint_ttfb_ms stream_direct_ttfb_ms invoke_endpoint_cpu_us"
order=()
for ((i = 0; i < ROUNDS; i++)); do
  if ((i % 2)); then order+=(new old); else order+=(old new); fi
done
n=0
for side in "${order[@]}"; do
  n=$((n + 1))
  bin=$OLD_BIN
  [[ $side == new ]] && bin=$NEW_BIN
  echo "== run $n: $side ($bin)" >&2
  INVOKE_ONLY=1 AGENTCORE_BIN=$bin "$ROOT/bench/lifecycle.sh" >"$OUT/$n-$side.out" 2>"$OUT/$n-$side.err" ||
    { echo "invoke-ab.sh: lifecycle.sh failed, see $OUT/$n-$side.err" >&2; exit 1; }
  grep '^RESULT invoke_\|^RESULT stream_' "$OUT/$n-$side.out" | tr ' ' '\n' | grep = | sed "s/^/$side /" >>"$OUT/all"
done
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-38s %-22s %-22s %s\n' figure "old (each run)" "new (each run)" "new/old"
for k in $keys; do
  o=$(awk -v k="$k" -F'[ =]' '$1 == "old" && $2 == k { print $3 }' "$OUT/all")
  w=$(awk -v k="$k" -F'[ =]' '$1 == "new" && $2 == k { print $3 }' "$OUT/all")
  om=$(echo "$o" | median) wm=$(echo "$w" | median)
  printf '%-38s %-22s %-22s %s\n' "$k" "$om ($(echo $o | tr ' ' ,))" "$wm ($(echo $w | tr ' ' ,))" \
    "$(awk -v a="$wm" -v b="$om" 'BEGIN { if (b + 0 > 0) printf "%.2fx", a / b; else print "-" }')"
done
echo "runs' output: $OUT" >&2
