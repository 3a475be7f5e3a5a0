#!/usr/bin/env bash
# bench/flow/vs.sh - Flow against the guarded hand-written program, in pairs of fresh
# processes.
#
# Usage: bench/flow/vs.sh agg|join [EVENTS] [PAIRS] [PAUSE]
#   runs flow_bench_W --flow-only and flow_bench_W --base-only --base-reps 1 (which runs
#   the bare baseline, then the guarded program) alternately, PAIRS times (default 3),
#   each process after PAUSE seconds (default 4), and prints each pair's ratio guarded /
#   Flow (events per CPU-second), their median, and the best against the best. EVENTS
#   defaults to 10M. Builds nothing: build the flow_bench target first.
#
# Why: run.sh measures every side several times in one process and reports each side's
# best run. On the development machine the guarded program's later runs in a process are
# often much faster than its first (up to 2x: it reuses memory the process freed, where
# the engine maps fresh blocks for its in-memory log every run), so best against best
# mixes a warm guarded run with cold engine runs. Here each run is a fresh process,
# both sides pay for their memory alike, and a pair's ratio is taken from two runs
# seconds apart (the machine's speed drifts by up to 25%).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bench="$root/build/release/bench/flow"
w=${1:?usage: vs.sh agg|join [EVENTS] [PAIRS] [PAUSE]}
events=${2:-10M}
pairs=${3:-3}
pause=${4:-4}
[[ -x $bench/flow_bench_$w ]] || { echo "vs.sh: no $bench/flow_bench_$w" >&2; exit 2; }

# One run's RESULT field ($2) from flow_bench_W with options $1.
field() {
    sleep "$pause"
    # shellcheck disable=SC2086
    (cd "${TMPDIR:-/tmp}" && "$bench/flow_bench_$w" --events "$events" $1) |
        sed -n "s/^RESULT .* $2=\([0-9]*\) .*/\1/p"
}

ratios=()
best_flow=0
best_guarded=0
for i in $(seq "$pairs"); do
    f=$(field --flow-only flow_cpu)
    g=$(field "--base-only --base-reps 1" guarded_cpu)
    [[ -n $f && -n $g && $f -gt 0 ]] || { echo "vs.sh: a run printed no rate" >&2; exit 1; }
    ((f > best_flow)) && best_flow=$f
    ((g > best_guarded)) && best_guarded=$g
    r=$(awk -v f="$f" -v g="$g" 'BEGIN { printf "%.2f", g / f }')
    ratios+=("$r")
    printf '  pair %d: flow %10d  guarded %10d  guarded/flow %s\n' "$i" "$f" "$g" "$r"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
printf '%s %s: median guarded/flow %sx; best flow %d, best guarded %d, best/best %sx\n' "$w" \
    "$events" "$median" "$best_flow" "$best_guarded" \
    "$(awk -v f="$best_flow" -v g="$best_guarded" 'BEGIN { printf "%.2f", g / f }')"
