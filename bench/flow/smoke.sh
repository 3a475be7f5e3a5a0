#!/usr/bin/env bash
# bench/flow/smoke.sh - the bench executables on small inputs: each must finish with the
# engine's results equal to the hand-written programs' (check=ok), alone and in turns.
# Not a measurement (the sizes are far too small): a test that the benches still build,
# run and agree, registered with ctest as bench_smoke when FLOW_BENCH_SMOKE is on.
#
# Usage: bench/flow/smoke.sh DIR   (DIR: the build tree's bench/flow)
set -euo pipefail
dir=$(cd "${1:?usage: smoke.sh DIR}" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/flow-bench-smoke.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
status=0
run() {
    local w=$1
    shift
    local out rc=0
    out=$("$dir/flow_bench_$w" "$@" 2>&1) || rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "FAIL flow_bench_$w $*: exit status $rc"
        echo "$out"
        status=1
        return
    fi
    if ! grep -q '^RESULT .* check=ok ' <<< "$out"; then
        echo "FAIL flow_bench_$w $*: the results differ"
        echo "$out"
        status=1
        return
    fi
    echo "ok   flow_bench_$w $*"
}
run agg --events 20k --keys 1k --base-reps 1
run agg --events 20k --keys 1k --interleave 3k --flow-reps 2
run agg --events 20k --keys 1k --base-reps 1 --one-by-one
run agg --events 20k --keys 1k --base-reps 1 --alternate-ingest
run join --events 20k --keys 2k --base-reps 1
run join --events 20k --keys 2k --interleave 3k
run shop --events 2k --base-reps 1
run shop --events 2k --base-reps 1 --one-by-one
exit $status
