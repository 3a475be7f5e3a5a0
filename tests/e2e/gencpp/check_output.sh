#!/usr/bin/env bash
# tests/e2e/gencpp/check_output.sh - runs EXE; its output must equal EXPECTED and its exit
# status be 0. Usage: check_output.sh EXE EXPECTED
set -uo pipefail
actual=$("$1")
rc=$?
if ! diff -u "$2" <(printf '%s\n' "$actual"); then
    echo "output differs from $2"
    exit 1
fi
if ((rc != 0)); then
    echo "$1 exited with status $rc"
    exit 1
fi
