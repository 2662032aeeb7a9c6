#!/usr/bin/env bash
# Installs Volt from BUILD_DIR into a temporary prefix, builds examples/out_of_tree_plugin
# against that install with find_package(Volt), and trains with the plugin through the
# installed host. Fails on any step; prints the evidence of success.
#   install_and_build_example.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build="$1"; source="$2"; work="$3"
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"

cmake --install "$build" --prefix "$prefix" > "$work/install.log"
test -x "$prefix/bin/volt"
test -f "$prefix/include/volt/volt.h"
test -f "$prefix/lib/cmake/Volt/VoltConfig.cmake"

cmake -S "$source/examples/out_of_tree_plugin" -B "$work/example" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log"
cmake --build "$work/example" > "$work/build.log"
test -f "$work/example/example_logreg.so"

# Exactly one exported symbol: the entry.
exports=$(nm -D --defined-only "$work/example/example_logreg.so" | awk '{print $3}')
if [ "$exports" != "volt_entry" ]; then
  echo "expected only volt_entry to be exported, got:"; echo "$exports"; exit 1
fi

# The installed host finds its own plugins (synthetic) and the example through --plugin-dir.
"$prefix/bin/volt" plugins --plugin-dir "$work/example" | tee "$work/plugins.txt"
grep -q "logreg" "$work/plugins.txt"
grep -q "synthetic" "$work/plugins.txt"

"$prefix/bin/volt" fit --plugin-dir "$work/example" --model=logreg --model.in_features=20 \
  --data=synthetic --data.shape=[20] --data.size=256 --trainer.max_epochs=2 \
  --trainer.default_root_dir="$work/run" --trainer.enable_progress_bar=false \
  --seed_everything=1 | tee "$work/fit.txt"
csv="$work/run/lightning_logs/version_0/metrics.csv"
test -f "$csv"
head -1 "$csv" | grep -q "val_loss"
echo "out-of-tree plugin built against the installed SDK and trained: $csv"
