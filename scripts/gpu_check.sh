#!/usr/bin/env bash
# Builds Volt against the LibTorch inside the pip `torch` of the python3 on PATH (LibTorch 2.x
# with CUDA) and runs the test suite there, so that the CUDA build and the cuda:N paths are
# checked on a GPU machine. CI never runs this: it has no GPU.
#
#   scripts/gpu_check.sh [OUT_DIR]
#
# Volt's other dependencies come from the system, or from Debian 12 .deb files in .devdeps/
# (unpacked into /opt/volt-deps, never into /) for machines without Debian's packages.
# Logs go to OUT_DIR (default /tmp/volt-gpu-check): configure.log, build.log, ctest.log.
set -uo pipefail
out=${1:-${OUT:-/tmp/volt-gpu-check}}
build=${VOLT_GPU_BUILD:-/tmp/volt-gpu-build}
mkdir -p "$out"

prefixes=$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)') || exit 1
if compgen -G ".devdeps/*.deb" >/dev/null; then
  for deb in .devdeps/*.deb; do dpkg -x "$deb" /opt/volt-deps; done
  prefixes="$prefixes;/opt/volt-deps/usr"
fi

{
  nvidia-smi -L
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
"available", torch.cuda.is_available())'
  c++ --version | head -1
  nproc
} 2>&1 | tee "$out/machine.log"

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVOLT_BUILD_BENCH=OFF \
  -DCMAKE_PREFIX_PATH="$prefixes" -DVOLT_TEST_PYTHON="$(command -v python3)" \
  >"$out/configure.log" 2>&1 || { tail -40 "$out/configure.log"; exit 1; }

start=$(date +%s)
cmake --build "$build" -j"$(nproc)" -- -k 0 >"$out/build.log" 2>&1
build_rc=$?
echo "build rc=$build_rc in $(( $(date +%s) - start )) s"
grep -E "error:|FAILED:" "$out/build.log" | head -60

# Run whatever built: the libstdc++ binding check (with diagnostics when it fails), the CUDA
# tests, then everything in parallel.
cd "$build" || exit 1
if ! bin/volt_tests "[filesystem]" >"$out/diagnose.log" 2>&1; then
  # pytorch/pytorch#133437: which library the std::filesystem symbols bind to, and where it died.
  readelf -d bin/volt_tests | grep NEEDED | head -4 >>"$out/diagnose.log"
  LD_DEBUG=bindings bin/volt_tests "[filesystem]" 2>&1 | grep filesystem | head -30 >>"$out/diagnose.log"
  command -v cuda-gdb >/dev/null &&
    timeout 60 cuda-gdb -batch -ex run -ex bt --args bin/volt_tests "[filesystem]" \
      >>"$out/diagnose.log" 2>&1
  tail -50 "$out/diagnose.log"
fi
ctest -R "cuda" --output-on-failure --timeout 300 2>&1 | tee "$out/ctest_cuda.log" | tail -40
ctest -j16 --timeout 300 --output-on-failure >"$out/ctest.log" 2>&1
ctest_rc=$?
grep -E "tests passed|tests failed|\(Failed\)|\(Timeout\)|Not Run|\*\*\*" "$out/ctest.log" | head -60
exit $(( build_rc != 0 || ctest_rc != 0 ))
