#!/usr/bin/env bash
# bench/compile/run.sh - times `flowc check` on generated estates of 1x, 2x and 4x size.
#
#   bench/compile/run.sh FLOWC [REPS]
#
# Builds nothing: FLOWC is the compiler to measure (use a Release build). For each
# size factor (SIZES, default "1 2 4"), gen.py writes the estate into a temporary
# directory, then `/usr/bin/time -v FLOWC check root.flow` runs REPS times (default 5).
# The table gives the median wall time, the median CPU time (user + sys, less
# disturbed by other load on the machine) and the median peak RSS of each size, and
# their ratios to the first size (linear scaling gives 2.0 and 4.0).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 FLOWC [REPS]" >&2
    exit 2
fi
flowc=$(realpath "$1")
reps=${2:-5}
sizes=${SIZES:-1 2 4}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
[[ -x "$flowc" ]] || { echo "$0: '$1' is not an executable" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "$0: needs GNU time in /usr/bin/time" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/flow-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

median() {
    sort -g | awk '{ v[NR] = $1 }
        END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# "h:mm:ss" or "m:ss.cc" to seconds.
seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f\n", s }'; }

declare -A wall cpu rss lines
for f in $sizes; do
    dir="$work/x$f"
    "$python" "$here/gen.py" --factor "$f" "$dir" 2>/dev/null
    lines[$f]=$(cat "$dir"/*.flow | wc -l)
    : > "$work/wall" && : > "$work/cpu" && : > "$work/rss"
    for ((r = 0; r < reps; r++)); do
        if ! /usr/bin/time -v -o "$work/time" "$flowc" check "$dir/root.flow" \
            > /dev/null 2> "$work/stderr"; then
            echo "$0: flowc check failed on the ${f}x estate:" >&2
            head -20 "$work/stderr" >&2
            exit 1
        fi
        grep 'Elapsed (wall clock)' "$work/time" | awk '{ print $NF }' | seconds >> "$work/wall"
        awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f\n", s }' \
            "$work/time" >> "$work/cpu"
        awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time" >> "$work/rss"
    done
    wall[$f]=$(median < "$work/wall")
    cpu[$f]=$(median < "$work/cpu")
    rss[$f]=$(median < "$work/rss")
    rm -rf "$dir"
done

first=${sizes%% *}
load=$(cut -d' ' -f1 /proc/loadavg)
echo "flowc check on generated estates ($reps runs each, medians; $(nproc) cores, load $load)"
printf '%-5s %9s %8s %9s %9s %12s %9s %9s %9s\n' \
    size services lines "wall s" "cpu s" "peak RSS MB" \
    "wall/${first}x" "cpu/${first}x" "RSS/${first}x"
for f in $sizes; do
    awk -v f="$f" -v n="$((1000 * f))" -v l="${lines[$f]}" \
        -v w="${wall[$f]}" -v c="${cpu[$f]}" -v m="${rss[$f]}" \
        -v w1="${wall[$first]}" -v c1="${cpu[$first]}" -v m1="${rss[$first]}" 'BEGIN {
        printf "%-5s %9d %8d %9.2f %9.2f %12.1f %9.2f %9.2f %9.2f\n", f "x", n, l, w, c, m / 1024,
            w / w1, c / c1, m / m1
    }'
done
