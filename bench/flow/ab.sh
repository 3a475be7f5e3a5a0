#!/usr/bin/env bash
# bench/flow/ab.sh - the engine side of one workload, two builds side by side.
#
# Usage: bench/flow/ab.sh save DIR
#          copies the release build's flow_bench_{agg,join,shop} into DIR (a "before")
#        bench/flow/ab.sh OLD NEW agg|join|shop [EVENTS] [PAIRS] [PAUSE]
#          runs OLD/flow_bench_W and NEW/flow_bench_W (NEW may be "build": the release
#          build) --flow-only, alternating, PAIRS times (default 3), each run after PAUSE
#          seconds (default 4), and prints each pair's ratio, the median of those, and
#          the best against the best. EVENTS defaults to 2M.
#
# Why pauses: on the development machine, a virtual machine, memory freed a few seconds
# before costs as much as memory never used, several times what memory freed a moment
# before does (docs/runtime.md: the host seems to take it back), so without a pause a run is
# faster or slower depending on how long ago the run before it ended. With one, every
# run starts from cold memory. Why pairs: the machine is shared and its speed drifts;
# a ratio within a pair is worth more than two rates minutes apart.
# Builds nothing: build the flow_bench target first.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
release="$root/build/release/bench/flow"

if [[ ${1:-} == save ]]; then
    dir=${2:?usage: ab.sh save DIR}
    mkdir -p "$dir"
    for w in agg join shop; do
        cp "$release/flow_bench_$w" "$dir/"
    done
    echo "saved the release build's benches in $dir"
    exit 0
fi

old=${1:?usage: ab.sh OLD NEW agg|join|shop [EVENTS] [PAIRS] [PAUSE]}
new=${2:?usage: ab.sh OLD NEW agg|join|shop [EVENTS] [PAIRS] [PAUSE]}
w=${3:?usage: ab.sh OLD NEW agg|join|shop [EVENTS] [PAIRS] [PAUSE]}
events=${4:-2M}
pairs=${5:-3}
pause=${6:-4}
[[ $new == build ]] && new=$release
for dir in "$old" "$new"; do
    [[ -x $dir/flow_bench_$w ]] || { echo "ab.sh: no $dir/flow_bench_$w" >&2; exit 2; }
done

# One run's engine rate (events per CPU-second), from its RESULT line.
rate() {
    sleep "$pause"
    (cd "${TMPDIR:-/tmp}" && "$1/flow_bench_$w" --events "$events" --flow-only) |
        sed -n 's/^RESULT .* flow_cpu=\([0-9]*\) .*/\1/p'
}

ratios=()
best_old=0
best_new=0
for i in $(seq "$pairs"); do
    a=$(rate "$old")
    b=$(rate "$new")
    [[ -n $a && -n $b ]] || { echo "ab.sh: a run printed no rate" >&2; exit 1; }
    ((a > best_old)) && best_old=$a
    ((b > best_new)) && best_new=$b
    r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')
    ratios+=("$r")
    printf '  pair %d: old %10d  new %10d  new/old %s\n' "$i" "$a" "$b" "$r"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
printf '%s %s: median new/old %s; best old %d, best new %d, best/best %s\n' "$w" "$events" \
    "$median" "$best_old" "$best_new" \
    "$(awk -v a="$best_old" -v b="$best_new" 'BEGIN { printf "%.3f", b / a }')"
