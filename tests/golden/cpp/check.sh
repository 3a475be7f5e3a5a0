#!/usr/bin/env bash
# tests/golden/cpp/check.sh - the C++ backend's goldens (STYLE.md §7): `flowc gen-cpp` of
# each case matches tests/golden/cpp/<case>/ byte for byte, every golden file compiles with
# -Wall -Wextra -Werror against the runtime's headers, and bad_identifiers.flow's tests pass.
# Usage: check.sh FLOWC SOURCE_ROOT
#   FLOW_UPDATE_GOLDENS=1  rewrite the goldens instead (tests/tools/update_goldens.sh)
#   FLOW_GOLDEN_CXX        the compilers, blank-separated (default: c++ and clang++-19)
set -euo pipefail
flowc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$2" && pwd)
goldens=$root/tests/golden/cpp
# Each case and its source; flowc runs in the source's directory, so the generated files
# name it without a path.
declare -A sources=(
    [bad_identifiers]=tests/golden/cpp/bad_identifiers.flow
    [shop]=examples/shop/shop.flow
)
cases=(bad_identifiers shop)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
for c in "${cases[@]}"; do
    src=$root/${sources[$c]}
    (cd "$(dirname "$src")" && "$flowc" gen-cpp "$(basename "$src")" -o "$tmp/$c")
    if [[ ${FLOW_UPDATE_GOLDENS:-0} == 1 ]]; then
        rm -rf "${goldens:?}/$c"
        cp -r "$tmp/$c" "$goldens/$c"
        echo "updated $goldens/$c"
        continue
    fi
    if ! diff -ru "$goldens/$c" "$tmp/$c"; then
        echo "golden mismatch: tests/golden/cpp/$c"
        status=1
    fi
done
if [[ ${FLOW_UPDATE_GOLDENS:-0} == 1 ]]; then
    exit 0
fi
if ((status)); then
    echo "If the change is intended, run: tests/tools/update_goldens.sh"
    exit 1
fi

# The goldens are C++ that must stay valid: each source file, and program.h (the user's
# header) through a file that includes it.
compilers=${FLOW_GOLDEN_CXX:-}
if [[ -z $compilers ]]; then
    compilers=c++
    if command -v clang++-19 > /dev/null; then
        compilers+=" clang++-19"
    fi
fi
echo '#include "program.h"' > "$tmp/includes_program_h.cpp"
for cxx in $compilers; do
    for c in "${cases[@]}"; do
        for f in "$goldens/$c"/*.cpp "$tmp/includes_program_h.cpp"; do
            if ! "$cxx" -std=c++20 -Wall -Wextra -Werror -I "$root/runtime/include" \
                -I "$goldens/$c" -c "$f" -o "$tmp/out.o"; then
                echo "does not compile: $cxx $c/$(basename "$f")"
                status=1
            fi
        done
    done
    echo "compiled with $cxx"
done

# bad_identifiers.flow's tests pass: strings built by kernels equal the plan's copies.
if ! (cd "$goldens" && "$flowc" test bad_identifiers.flow); then
    status=1
fi
exit $status
