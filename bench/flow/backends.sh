#!/usr/bin/env bash
# bench/flow/backends.sh - the same workloads with the C++ backend's kernels and with the
# LLVM JIT's, in one run: events per CPU-second of the engine, and the ratio JIT / C++.
# The engine (runtime) is the same in both; only the kernels differ.
#
# Usage: bench/flow/backends.sh [EVENTS]   (default 2M per workload; release preset)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build/release
events=${1:-2M}
cmake --preset release -S "$root" > /dev/null
cmake --build "$build" --target flow_bench flow_bench_llvm -j "$(nproc)" > /dev/null
scratch=$(mktemp -d "${TMPDIR:-/tmp}/flow-bench-backends.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
printf '| workload | events | C++ kernels ev/cpu-s | LLVM JIT ev/cpu-s | C++ / JIT | check |\n'
printf '|---|---:|---:|---:|---:|---|\n'
for w in agg join shop; do
    n=$events
    [[ $w == shop ]] && n=${SHOP_EVENTS:-200k}
    # Alternate: cpp, llvm, cpp, llvm; each side's best run.
    best_cpp=0 best_llvm=0 checks=""
    for round in 1 2; do
        for b in cpp llvm; do
            exe=$build/bench/flow/flow_bench_$w
            [[ $b == llvm ]] && exe=${exe}_llvm
            line=$(cd "$scratch" && "$exe" --events "$n" --base-reps 1 | grep '^RESULT')
            rate=$(field flow_cpu <<< "$line")
            checks="$checks $(field check <<< "$line")"
            if [[ $b == cpp ]]; then
                ((rate > best_cpp)) && best_cpp=$rate
            else
                ((rate > best_llvm)) && best_llvm=$rate
            fi
            : "$round"
        done
    done
    ratio=$(awk -v a="$best_cpp" -v b="$best_llvm" 'BEGIN { printf "%.2f", a / b }')
    printf '| %s | %s | %s | %s | %s× | %s |\n' "$w" "$n" "$best_cpp" "$best_llvm" "$ratio" \
        "$(tr ' ' '\n' <<< "$checks" | sort -u | tr '\n' ' ')"
done
