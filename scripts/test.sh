#!/usr/bin/env bash
# Set-up, build and the whole test suite (ctest).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" -DVOLT_BUILD_TESTS=ON -DVOLT_REQUIRE_DISTRIBUTED=ON
build="${VOLT_BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure -j "$(nproc)" "$@"
# The fuzz targets under ASan/UBSan for a short fixed budget each (seed 1, so a run repeats);
# scripts/fuzz.sh with a longer budget before landing a change to a reader. 0 skips.
fuzz_seconds="${VOLT_FUZZ_SECONDS:-10}"
if [ "$fuzz_seconds" != 0 ]; then
  VOLT_FUZZ_SEED=1 "$root/scripts/fuzz.sh" "$fuzz_seconds"
fi
