#!/usr/bin/env bash
# Builds the fuzz targets of tests/fuzz with clang (libFuzzer + AddressSanitizer +
# UndefinedBehaviorSanitizer) into ${VOLT_FUZZ_BUILD_DIR:-build-fuzz} and runs each one for
# SECONDS (default 300) from its seed corpus. CI runs it with a short budget (scripts/test.sh);
# run it longer before landing a change to a reader. Inputs that crash, leak, time out or exceed
# the memory limit land in <build>/findings/<target>/ and fail the script: fix the reader, then
# add the input to tests/fuzz/regressions/<target>/ so that every ctest run replays it.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (VOLT_FUZZ_SEED=N repeats a run)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${VOLT_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${1:-300}"
shift || true
"$root/scripts/install-deps.sh"

export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVOLT_FUZZ=ON -DVOLT_USE_PCH=OFF -DVOLT_BUILD_TESTS=OFF -DVOLT_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target fuzz_targets -j "$(nproc)"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(checkpoint_reader yaml_config json_config command_line idx_reader shard_index elf_check)
fi
# Leaks are findings too, except LibTorch's own listed in tests/fuzz/lsan.supp. The checkpoint
# reader unwinds fully on malloc so that a suppression sees frames inside LibTorch (built
# without frame pointers); the others keep the fast unwinder (about 10x the executions).
asan_options="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  findings="$build/findings/$t"
  mkdir -p "$work" "$findings"
  seeds=("$root/tests/fuzz/corpus/$t" "$root/tests/fuzz/regressions/$t")
  echo "== $t: ${seconds} s"
  # -rss_limit_mb and -malloc_limit_mb: the readers' own limits must stop an input long before.
  options="$asan_options"
  [ "$t" = checkpoint_reader ] && options="$options:fast_unwind_on_malloc=0"
  if ! ASAN_OPTIONS="$options" "$build/bin/fuzz_$t" "$work" "${seeds[@]}" -max_total_time="$seconds" -timeout=10 \
      ${VOLT_FUZZ_SEED:+-seed=$VOLT_FUZZ_SEED} -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$findings/" </dev/null 2>"$build/fuzz-$t.log"; then
    failed+=("$t")
    tail -40 "$build/fuzz-$t.log"
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$build/fuzz-$t.log" | sed "s/^/  $t /" || true
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found inputs that fail: ${failed[*]} (see $build/findings/)" >&2
  exit 1
fi
echo "fuzzing: no findings in ${#targets[@]} targets"
