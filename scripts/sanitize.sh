#!/usr/bin/env bash
# Builds the whole tree (host, SDK, plugins, tests) with AddressSanitizer and
# UndefinedBehaviorSanitizer into ${VOLT_SANITIZE_BUILD_DIR:-build-sanitize} and runs the unit
# and end-to-end tests (ctest) under them: every `volt` the tests start, every plugin it loads.
# LibTorch itself is not instrumented.
#
# A script a developer runs before landing a change, not a CI step: the second full build and
# the 2-3x slower tests would more than double CI's 30 minutes on 2 cores. CI keeps the fuzz
# targets under the same sanitizers (scripts/fuzz.sh, a fixed short budget).
#
#   scripts/sanitize.sh [CTEST_ARGS...]      e.g. scripts/sanitize.sh -R 'checkpoint|config'
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${VOLT_SANITIZE_BUILD_DIR:-$root/build-sanitize}"
"$root/scripts/install-deps.sh"

export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
# -O1 (ASan's advice for speed) with line tables only and assertions on: -O2 -g made the
# instrumented files take 1 to 4 minutes each on 2 cores.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DVOLT_SANITIZE=ON -DVOLT_BUILD_TESTS=ON -DVOLT_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
cmake --build "$build" -j "$(nproc)"  # a second pass picks up sources added since the last configure

# Leaks are errors except LibTorch's own (scripts/sanitize-lsan.supp says which and why).
# halt_on_error: the first report ends the process, so the test that caused it fails.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=0}"
supp="$build/lsan.supp"
cat "$root/tests/fuzz/lsan.supp" "$root/scripts/sanitize-lsan.supp" > "$supp"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$build"
# The malloc tuning tests measure glibc's malloc, which ASan replaces with its own: they cannot
# hold in this build and are left out.
ctest --output-on-failure -j "$(nproc)" --timeout 2400 -E "glibc.s malloc|malloc settings are left" "$@"
