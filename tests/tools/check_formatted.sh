#!/usr/bin/env bash
# tests/tools/check_formatted.sh - every example and language test is already formatted,
# and formatting is idempotent.
set -euo pipefail
flowc=$1
root=$2
mapfile -t files < <(cd "$root" && find examples tests/lang -name '*.flow' | sort)
cd "$root"
status=0
for f in "${files[@]}"; do
    if ! "$flowc" fmt --check "$f"; then
        status=1
    fi
    tmp=$(mktemp --suffix=.flow)
    "$flowc" fmt --stdout "$f" > "$tmp"
    if ! "$flowc" fmt --check "$tmp" 2>/dev/null; then
        echo "$f: formatting is not idempotent"
        status=1
    fi
    rm -f "$tmp"
done
echo "${#files[@]} files checked"
exit $status
