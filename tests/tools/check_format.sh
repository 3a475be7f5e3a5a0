#!/usr/bin/env bash
# tests/tools/check_format.sh - every C++ source follows .clang-format (run `make format`).
set -euo pipefail
cd "$1"
mapfile -t files < <(git ls-files 'compiler/*.cpp' 'compiler/*.h' 'runtime/*.cpp' 'runtime/*.h' \
    'tests/unit/*.cpp' 'tests/fuzz/*.cpp' 'stdlib/*.cpp' 'stdlib/*.h' 'bench/*.cpp')
clang-format --dry-run --Werror "${files[@]}"
echo "${#files[@]} files formatted"
