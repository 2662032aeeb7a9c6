#!/usr/bin/env bash
# Configures and builds Volt into ${VOLT_BUILD_DIR:-build} (Release, Ninja, ccache when present).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${VOLT_BUILD_DIR:-$root/build}"
# ccache must ignore the precompiled header's timestamps to hit across clean builds.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build" -j "$(nproc)"
