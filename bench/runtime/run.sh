#!/usr/bin/env bash
# bench/runtime/run.sh - build the release preset and run the libflowrt benchmarks.
# Usage: bench/runtime/run.sh [--quick]   (data goes to a directory on the real disk)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cmake --preset release -S "$root" > /dev/null
cmake --build "$root/build/release" --target flow_runtime_bench -j "$(nproc)" > /dev/null
exec "$root/build/release/bench/runtime/flow_runtime_bench" --dir "${BENCH_DIR:-/var/tmp/flow-runtime-bench}" "$@"
