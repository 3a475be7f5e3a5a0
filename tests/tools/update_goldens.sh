#!/usr/bin/env bash
# tests/tools/update_goldens.sh - regenerate every golden file from the current build: the
# dumps of tests/golden/dumps and the generated C++ of tests/golden/cpp.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build/dev}
FLOW_UPDATE_GOLDENS=1 "$root/tests/tools/check_goldens.sh" "$build/compiler/flowc" "$root"
FLOW_UPDATE_GOLDENS=1 "$root/tests/golden/cpp/check.sh" "$build/compiler/flowc" "$root"
