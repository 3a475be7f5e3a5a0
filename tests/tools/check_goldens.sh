#!/usr/bin/env bash
# tests/tools/check_goldens.sh - compare `--emit=ast|sema` of the shop estate with goldens.
# Usage: check_goldens.sh FLOWC SOURCE_ROOT   (FLOW_UPDATE_GOLDENS=1 rewrites them)
set -euo pipefail
flowc=$1
root=$2
cd "$root/examples/shop"
status=0
for stage in ast sema ir; do
    golden="$root/tests/golden/dumps/shop.$stage"
    actual=$("$flowc" --emit=$stage shop.flow)
    if [[ ${FLOW_UPDATE_GOLDENS:-0} == 1 ]]; then
        printf '%s\n' "$actual" > "$golden"
        echo "updated $golden"
        continue
    fi
    if ! diff -u "$golden" <(printf '%s\n' "$actual"); then
        echo "golden mismatch: $golden"
        status=1
    fi
done
if ((status)); then
    echo "If the change is intended, run: tests/tools/update_goldens.sh"
fi
exit $status
