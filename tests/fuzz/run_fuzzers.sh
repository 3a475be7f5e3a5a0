#!/usr/bin/env bash
# tests/fuzz/run_fuzzers.sh - run every libFuzzer target for N seconds under ASan+UBSan.
# Usage: run_fuzzers.sh BUILD_DIR SECONDS. Seeds: the examples and the language tests.
# A crash input is kept in tests/fuzz/crashes/ for a regression test.
set -euo pipefail
build=$1
seconds=${2:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/parser"
find "$root/examples" "$root/tests/lang" "$root/tests/lit" -name '*.flow' -size -64k \
    -exec cp -t "$work/parser" {} + 2>/dev/null || true
cp "$root/tests/fuzz/regressions/parser"/* "$work/parser" 2>/dev/null || true

run() {
    local name=$1 corpus=$2 dict=$3
    echo "== fuzz $name for ${seconds}s"
    mkdir -p "$root/tests/fuzz/crashes"
    local dictArg=()
    [[ -s $dict ]] && dictArg=(-dict="$dict")
    FLOW_FUZZ_SEED_DIR="$corpus" "$build/tests/fuzz/$name" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 "${dictArg[@]}" -print_final_stats=1 \
        -artifact_prefix="$root/tests/fuzz/crashes/$name-" 2>&1 | tail -n 20
    return "${PIPESTATUS[0]}"
}
# Seeds for the decoder and the log: small encoded records and a real segment.
mkdir -p "$work/decoder" "$work/log"
"$root/tests/fuzz/make_seeds.py" "$work/decoder" "$work/log"
cp "$root/tests/fuzz/regressions/decoder"/* "$work/decoder" 2>/dev/null || true

status=0
run flow_fuzz_parser "$work/parser" "$root/tests/fuzz/flow.dict" || status=1
run flow_fuzz_decoder "$work/decoder" "$root/tests/fuzz/empty.dict" || status=1
run flow_fuzz_log_recovery "$work/log" "$root/tests/fuzz/empty.dict" || status=1
exit $status
