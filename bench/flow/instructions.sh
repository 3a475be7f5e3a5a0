#!/usr/bin/env bash
# bench/flow/instructions.sh - instructions per event in the engine's timed loop, counted
# by callgrind: the same count on every run, where times on the development machine move
# by up to 25% from run to run (docs/runtime.md).
#
# Usage: bench/flow/instructions.sh W [EVENTS] [DIR] [flow|guarded]
#   W: agg|join|shop; EVENTS defaults to 300k; DIR holds flow_bench_W (default: the
#   release build's). Prints "W EVENTS (SIDE): N instructions per event" and leaves
#   callgrind's output in $TMPDIR (callgrind_annotate reads it). `guarded` counts the
#   hand-written program with the engine's guarantees instead (agg and join:
#   `guardedBaseline`, the whole function, its digest of the results included).
# What it counts: everything inside flow::bench::drive (the harness's copies of the input
# rows included, a few dozen instructions per event). Fewer instructions is not always
# less time (a cache miss costs hundreds), so check a change with ab.sh as well; but at
# 2-4 instructions per nanosecond, the engine's loop is mostly instructions.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
w=${1:?usage: instructions.sh agg|join|shop [EVENTS] [DIR] [flow|guarded]}
n=${2:-300k}
dir=${3:-$root/build/release/bench/flow}
side=${4:-flow}
case $side in
flow) toggle='flow::bench::drive*' only=--flow-only ;;
guarded)
    if [ "$w" = shop ]; then
        echo "instructions.sh: the shop has no guarded program" >&2
        exit 2
    fi
    toggle='*guardedBaseline*' only=--base-only ;;
*) echo "instructions.sh: the side is flow or guarded, not $side" >&2; exit 2 ;;
esac
out="${TMPDIR:-/tmp}/callgrind.$w.$side.$(basename "$dir").out"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/flow-bench-cg.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
count=$(cd "$scratch" && valgrind --tool=callgrind --callgrind-out-file="$out" \
    "--toggle-collect=$toggle" "$dir/flow_bench_$w" --events "$n" "$only" 2>&1 |
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
events=$(python3 -c "
s='$n'.strip().lower(); m={'k':1e3,'m':1e6}
print(int(float(s[:-1])*m[s[-1]]) if s[-1] in m else int(float(s)))")
python3 -c "print('$w $n ($side): %.0f instructions per event (%s)' % ($count / $events, '$out'))"
