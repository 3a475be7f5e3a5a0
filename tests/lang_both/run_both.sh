#!/usr/bin/env bash
# tests/lang_both/run_both.sh - the `lang_both` ctest: `flowc test --backend both` on every
# examples/**/*.flow, `jobs` files at a time. A file fails when any of its tests fails or
# when the two backends print anything different (responses, emitted events, query
# results, failure details). The files of tests/lang run with `--backend both` in the
# `lang` ctest (tests/lang/run_lang_tests.sh), not again here.
# Usage: run_both.sh FLOWC SOURCE_ROOT [FILTER]
set -uo pipefail
flowc=$(realpath "$1")
root=$(realpath "$2")
filter=${3:-}
jobs=${FLOW_LANG_JOBS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root" || exit 2

mapfile -t files < <(find examples -name '*.flow' | sort | grep -F -- "$filter")
if ((${#files[@]} == 0)); then
    echo "no files"
    exit 1
fi
running=0
for i in "${!files[@]}"; do
    if ((running >= jobs)); then
        wait -n
        running=$((running - 1))
    fi
    (
        "$flowc" test --backend both "${files[$i]}" >"$work/$i.out" 2>&1
        echo $? >"$work/$i.rc"
    ) &
    running=$((running + 1))
done
wait
status=0 passed=0 failed=0 bad=()
for i in "${!files[@]}"; do
    echo "== ${files[$i]}"
    cat "$work/$i.out"
    echo
    rc=$(cat "$work/$i.rc" 2>/dev/null || echo 1)
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/$i.out" | tail -1)
    if [[ $rc != 0 || -z $line ]]; then
        status=1
        bad+=("${files[$i]}")
    fi
    p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"${line:-0 passed}")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"${line:-0 passed, 1 failed}")
    passed=$((passed + p))
    failed=$((failed + f))
done
echo "lang_both: ${#files[@]} files on both backends, $passed tests passed, $failed failed"
for f in "${bad[@]}"; do
    echo "FAIL  $f"
done
exit $status
