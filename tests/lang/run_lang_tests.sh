#!/usr/bin/env bash
# tests/lang/run_lang_tests.sh - the `lang` and `lang_run` ctests (tests/lang/README.md).
# Usage: run_lang_tests.sh tests|runs FLOWC SOURCE_ROOT [FILTER]
#   tests: `flowc test` on every tests/lang/**/*.flow, two files at a time, on both
#          backends where flowc has them (`--backend both`: a difference is a failure).
#   runs:  for every tests/lang/**/NAME.input.jsonl, `flowc run NAME.flow --input
#          NAME.input.jsonl` in its directory, on each backend flowc has: stdout must
#          equal NAME.tables.expected, and stderr NAME.stderr.expected where that exists.
#   FILTER: only files whose path contains it.
# FLOW_UPDATE_LANG=1 rewrites the expected files of `runs` (check the diff by hand).
set -uo pipefail
mode=$1
flowc=$(realpath "$2")
root=$3
filter=${4:-}
cd "$root/tests/lang" || exit 2
jobs=${FLOW_LANG_JOBS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The backends: both where flowc offers them (STYLE.md §7), else its default.
testBackend=()
if "$flowc" test --help 2>/dev/null | grep -q 'both'; then
    testBackend=(--backend both)
fi
runBackends=("")
if "$flowc" run --help 2>/dev/null | grep -q 'llvm' && "$flowc" run --help | grep -q 'cpp'; then
    runBackends=(cpp llvm)
fi

case $mode in
tests)
    mapfile -t files < <(find . -name '*.flow' | sed 's|^\./||' | grep -F -- "$filter" | sort)
    if ((${#files[@]} == 0)); then
        echo "no test files"
        exit 1
    fi
    # Each file is compiled and run on its own, `jobs` at a time; each report goes to a
    # file of its own, and the reports are printed in order.
    running=0
    for i in "${!files[@]}"; do
        if ((running >= jobs)); then
            wait -n
            running=$((running - 1))
        fi
        (
            if grep -qE '^\s*test "' "${files[$i]}"; then
                "$flowc" test "${testBackend[@]}" "${files[$i]}" >"$work/$i.out" 2>&1
            else
                # A file without tests (one imported by others) need only check.
                "$flowc" check "${files[$i]}" >"$work/$i.out" 2>&1 && echo "0 passed, 0 failed" >>"$work/$i.out"
            fi
            echo $? >"$work/$i.rc"
        ) &
        running=$((running + 1))
    done
    wait
    status=0 passed=0 failed=0
    for i in "${!files[@]}"; do
        n=$i
        echo "== ${files[$i]}"
        cat "$work/$n.out"
        echo
        rc=$(cat "$work/$n.rc" 2>/dev/null || echo 1)
        if [[ $rc != 0 ]]; then
            status=1
        fi
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/$n.out" | tail -1)
        p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"${line:-0 passed}")
        f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"${line:-0 passed, 1 failed}")
        passed=$((passed + p))
        failed=$((failed + f))
    done
    echo "lang: ${#files[@]} files, $passed tests passed, $failed failed"
    exit $status
    ;;
runs)
    mapfile -t inputs < <(find . -name '*.input.jsonl' | sed 's|^\./||' | grep -F -- "$filter" | sort)
    if ((${#inputs[@]} == 0)); then
        echo "no runs"
        exit 1
    fi
    status=0
    for input in "${inputs[@]}"; do
        dir=$(dirname "$input")
        name=$(basename "$input" .input.jsonl)
        for backend in "${runBackends[@]}"; do
            args=()
            label=$dir/$name
            if [[ -n $backend ]]; then
                args=(--backend "$backend")
                label="$dir/$name ($backend)"
            fi
            (
                cd "$dir" || exit 1
                "$flowc" run "${args[@]}" "$name.flow" --input "$name.input.jsonl" \
                    >"$work/out" 2>"$work/err"
                echo $? >"$work/rc"
            )
            if [[ ${FLOW_UPDATE_LANG:-0} == 1 ]]; then
                cp "$work/out" "$dir/$name.tables.expected"
                if [[ -f $dir/$name.stderr.expected ]]; then
                    cp "$work/err" "$dir/$name.stderr.expected"
                fi
                echo "updated $label"
                continue
            fi
            ok=1
            if ! diff -u "$dir/$name.tables.expected" "$work/out"; then
                echo "$label: the tables differ from $name.tables.expected"
                ok=0
            fi
            if [[ -f $dir/$name.stderr.expected ]]; then
                if ! diff -u "$dir/$name.stderr.expected" "$work/err"; then
                    echo "$label: stderr differs from $name.stderr.expected"
                    ok=0
                fi
            elif [[ $(cat "$work/rc") != 0 ]]; then
                cat "$work/err"
                ok=0
            fi
            if ((ok)); then
                echo "PASS  $label"
            else
                echo "FAIL  $label"
                status=1
            fi
        done
    done
    exit $status
    ;;
*)
    echo "usage: run_lang_tests.sh tests|runs FLOWC SOURCE_ROOT [FILTER]" >&2
    exit 2
    ;;
esac
