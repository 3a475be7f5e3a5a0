#!/usr/bin/env bash
# scripts/install-deps.sh - install every Debian package Flow builds, tests and runs with.
#
# Idempotent: packages already installed are skipped, and nothing is fetched when all
# are present. Works as root or through sudo.
set -euo pipefail

packages=(
    # build
    cmake ninja-build g++ ccache pkg-config python3
    # parser generator and runtime
    antlr4 libantlr4-runtime-dev
    # LLVM backend, lit/FileCheck, libFuzzer
    llvm-19-dev llvm-19-tools clang-19 libclang-rt-19-dev
    # libraries
    libfmt-dev catch2 librocksdb-dev libabsl-dev libnats-dev libcpp-httplib-dev
    nlohmann-json3-dev libcli11-dev zlib1g-dev libzstd-dev libxxhash-dev
    # tests
    nats-server clang-format
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
        exit 1
    fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
