#!/usr/bin/env bash
# bench/flow/run.sh - generated Flow programs against hand-written C++, and flowc build time.
#
# Builds the release preset (flowc and the bench/flow harnesses), runs the keyed
# aggregation, the stream-table join and the shop estate, each against its hand-written
# baseline in the same process, then times `flowc build` of the shop cold (empty
# FLOW_CACHE_DIR) and warm (cached). Prints a table at the end; full logs go to
# build/release/bench/flow/last-run/ (or $BENCH_OUT).
#
# Usage: bench/flow/run.sh [--quick] [--no-build]
#   --quick                 1M / 1M / 100k events instead of 10M / 10M / 500k
#   --no-build              use what build/release holds (flowc, bench/flow/flow_bench_*)
#   AGG_EVENTS=N JOIN_EVENTS=N SHOP_EVENTS=N   override the sizes (10M, 500k, ...)
#   BENCH_ARGS="..."        extra harness options for all three (see --help of each)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/release"

agg_events=${AGG_EVENTS:-10M}
join_events=${JOIN_EVENTS:-10M}
shop_events=${SHOP_EVENTS:-500k}
build_first=1
for arg in "$@"; do
    case "$arg" in
    --quick)
        agg_events=${AGG_EVENTS:-1M}
        join_events=${JOIN_EVENTS:-1M}
        shop_events=${SHOP_EVENTS:-100k}
        ;;
    --no-build) build_first=0 ;;
    *)
        sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
        exit 2
        ;;
    esac
done

if ((build_first)); then
    echo "== building (release preset)"
    cmake --preset release -S "$root" > /dev/null
    cmake --build "$build" --target flowc flow_bench -j "$(nproc)" > /dev/null
fi

out=${BENCH_OUT:-$build/bench/flow/last-run}
mkdir -p "$out"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/flow-bench-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

rev=$(git -C "$root" rev-parse --short HEAD 2> /dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain --untracked-files=no -- runtime compiler 2> /dev/null |
    wc -l)
echo "== $(date -u +%FT%TZ)  rev $rev ($dirty files modified under runtime/ compiler/)" \
    "  $(nproc) cores  load $(cut -d' ' -f1-3 /proc/loadavg)"

run() {  # workload events
    local w=$1 n=$2
    echo "== $w: $n events"
    # Each engine runs in a scratch directory of its own (the harness makes it under
    # TMPDIR); the baselines need none.
    # shellcheck disable=SC2086 # BENCH_ARGS is a list of options
    (cd "$scratch" && "$build/bench/flow/flow_bench_$w" --events "$n" ${BENCH_ARGS:-}) |
        tee "$out/$w.log"
}
run agg "$agg_events"
run join "$join_events"
run shop "$shop_events"

echo "== flowc build examples/shop/shop.flow (3 cold builds, each with an empty cache; 3 warm)"
flowc="$build/compiler/flowc"
median() { sort -g | sed -n 2p; }
cold_wall=() cold_cpu=() warm_wall=() warm_cpu=()
for i in 1 2 3; do
    # No $CXX (a ccache there would make a cold build warm): the compiler CMake found.
    env -u CXX FLOW_CACHE_DIR="$scratch/cache-$i" /usr/bin/time -f "%e %U %S" -o "$scratch/time" \
        "$flowc" build "$root/examples/shop/shop.flow" -o "$scratch/shop"
    read -r wall user sys < "$scratch/time"
    cold_wall+=("$wall")
    cold_cpu+=("$(awk "BEGIN { print $user + $sys }")")
done
for i in 1 2 3; do
    env -u CXX FLOW_CACHE_DIR="$scratch/cache-1" /usr/bin/time -f "%e %U %S" -o "$scratch/time" \
        "$flowc" build "$root/examples/shop/shop.flow" -o "$scratch/shop"
    read -r wall user sys < "$scratch/time"
    warm_wall+=("$wall")
    warm_cpu+=("$(awk "BEGIN { print $user + $sys }")")
done
tests=$(cd "$scratch" && { ./shop test 2>&1 || true; } | tail -1)
printf '%s\n' "${cold_wall[@]}" > "$out/flowc-build-cold.txt"
printf '%s\n' "${warm_wall[@]}" > "$out/flowc-build-warm.txt"
cw=$(printf '%s\n' "${cold_wall[@]}" | median)
cc=$(printf '%s\n' "${cold_cpu[@]}" | median)
ww=$(printf '%s\n' "${warm_wall[@]}" | median)
wc_=$(printf '%s\n' "${warm_cpu[@]}" | median)

echo
echo "## Results ($(date -u +%F), rev $rev, $(nproc) cores; logs in $out)"
echo
echo "Events per CPU-second of the processing thread (\"per core\"); wall-clock rates beside"
echo "them. Ratio = hand-written / Flow (lower is better; the target is <= 1.5). Guarded: the"
echo "hand-written program with the engine's guarantees (inputs deduplicated by id, every"
echo "input and derived event logged; bench/flow/README.md), and Flow's ratio to it."
echo
printf '| %-8s | %7s | %16s | %16s | %10s | %16s | %16s | %10s | %16s | %13s | %-5s |\n' \
    workload events "Flow ev/cpu-s" "hand ev/cpu-s" "ratio" "Flow ev/s wall" "hand ev/s wall" \
    "ratio wall" "guarded ev/cpu-s" "ratio guarded" check
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' --- ---: ---: ---: ---: ---: ---: ---: ---: ---: ---
status=0
for w in agg join shop; do
    line=$(grep '^RESULT' "$out/$w.log" || true)
    if [[ -z "$line" ]]; then
        echo "| $w | (no result: see $out/$w.log) |"
        status=1
        continue
    fi
    get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$line"; }
    [[ "$(get check)" == ok ]] || status=1
    guarded=$(get guarded_cpu) ratio_guarded="$(get ratio_guarded_cpu)x"
    if [[ "$guarded" == 0 ]]; then  # the workload has no guarded baseline (shop)
        guarded=- ratio_guarded=-
    fi
    printf '| %-8s | %7s | %16s | %16s | %9sx | %16s | %16s | %9sx | %16s | %13s | %-5s |\n' \
        "$w" "$(numfmt --to=si "$(get events)")" "$(get flow_cpu)" "$(get base_cpu)" \
        "$(get ratio_cpu)" "$(get flow_wall)" "$(get base_wall)" "$(get ratio_wall)" \
        "$guarded" "$ratio_guarded" "$(get check)"
done
echo
echo "flowc build of examples/shop/shop.flow (median of 3): cold ${cw} s wall (${cc} s CPU)," \
    "warm ${ww} s wall (${wc_} s CPU); target: cold < 20 s. The built executable's tests: $tests"
exit $status
