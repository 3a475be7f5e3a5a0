#!/usr/bin/env bash
# tests/tools/update_goldens.sh - regenerate every golden file from the current build.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build/dev}
FLOW_UPDATE_GOLDENS=1 "$root/tests/tools/check_goldens.sh" "$build/compiler/flowc" "$root"
