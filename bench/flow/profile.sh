#!/usr/bin/env bash
# bench/flow/profile.sh - where the engine's time goes in one workload, with perf.
#
# Usage: bench/flow/profile.sh agg|join|shop [EVENTS] [harness options...]
#   e.g. bench/flow/profile.sh agg 1M
#        PROFILE_TAG=nockpt bench/flow/profile.sh agg 1M --checkpoint-every 1e12
# Runs the engine side only (--flow-only) under `perf record --call-graph dwarf` (the
# release build has no frame pointers) and prints the timed loop's profile: functions by
# inclusive and by self time, as % of the samples in the loop (perf_breakdown.py).
# Builds nothing: run bench/flow/run.sh (or build the flow_bench target) first.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/release"
w=${1:?usage: profile.sh agg|join|shop [EVENTS] [options]}
n=${2:-1M}
shift $(($# >= 2 ? 2 : 1))
out="$build/bench/flow/profile-$w${PROFILE_TAG:+-$PROFILE_TAG}"
mkdir -p "$out"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/flow-bench-prof.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# cpu-clock works where hardware counters are not available (containers, VMs).
(cd "$scratch" && perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -o "$out/perf.data" \
    "$build/bench/flow/flow_bench_$w" --events "$n" --flow-only "$@") > "$out/run.log" 2>&1
grep -E '^  [a-z]+ +flow ' "$out/run.log" || true
perf script -i "$out/perf.data" 2> /dev/null | python3 "$root/bench/flow/perf_breakdown.py" |
    tee "$out/breakdown.txt"
echo "(perf data and this breakdown: $out)"
