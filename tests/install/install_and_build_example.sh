#!/usr/bin/env bash
# Installs Volt from BUILD_DIR into a temporary prefix, builds examples/out_of_tree_plugin (a
# module, a datamodule, a callback and a precision plugin) against that install with
# find_package(Volt), and trains with them through the installed host. Fails on any step;
# prints the evidence of success.
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
# Exactly one exported symbol in each plugin: the entry.
for kind in logreg csv_datamodule grad_norm_callback static_loss_scale; do
  so="$work/example/example_$kind.so"
  test -f "$so"
  exports=$(nm -D --defined-only "$so" | awk '{print $3}')
  if [ "$exports" != "volt_entry" ]; then
    echo "expected only volt_entry to be exported by $so, got:"; echo "$exports"; exit 1
  fi
done

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

# The other kinds: logreg on a CSV of two classes split by x0 + x1 = 0 (csv_table), the
# gradient norm logged by a callback (grad_norm_monitor), and static loss scaling by 1024
# (static_loss_scale), whose power-of-two round trip must leave training bitwise unchanged.
awk 'BEGIN { srand(3); for (i = 0; i < 400; i++) { a = rand() * 2 - 1; b = rand() * 2 - 1;
             printf "%.6f,%.6f,%d\n", a, b, (a + b > 0) } }' > "$work/table.csv"
# column NAME FILE: the non-empty values of a metrics.csv column, one per line.
column() { awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
                                  c && $c != "" { print $c }' "$2"; }
kinds_fit() {
  "$prefix/bin/volt" fit --plugin-dir "$work/example" --model=logreg --model.in_features=2 \
    --model.num_classes=2 --model.lr=0.5 --data=csv_table --data.path="$work/table.csv" \
    --data.batch_size=20 --callbacks+=grad_norm_monitor --trainer.max_epochs=4 \
    --trainer.log_every_n_steps=1 --trainer.enable_progress_bar=false --seed_everything=1 \
    --trainer.default_root_dir="$1" "${@:2}" > "$1.log" 2>&1 || { cat "$1.log"; exit 1; }
}
kinds_fit "$work/kinds"
kinds_fit "$work/kinds-scaled" --precision=static_loss_scale --precision.scale=1024
kinds_csv="$work/kinds/lightning_logs/version_0/metrics.csv"
acc=$(column val_acc "$kinds_csv" | tail -1)
awk -v a="$acc" 'BEGIN { exit !(a >= 0.9) }' || { echo "csv_table: val_acc $acc < 0.9"; exit 1; }
norms=$(column grad_2.0_norm_total "$kinds_csv")
test "$(echo "$norms" | wc -l)" -eq 64  # 320 training rows / 20 per batch * 4 epochs
echo "$norms" | awk '!($1 > 0 && $1 < 1e6) { bad = 1 } END { exit bad }' ||
  { echo "grad_norm_monitor: a norm out of range"; exit 1; }
cmp "$kinds_csv" "$work/kinds-scaled/lightning_logs/version_0/metrics.csv" ||
  { echo "static_loss_scale changed training"; exit 1; }
echo "datamodule, callback and precision plugins: val_acc $acc, 64 gradient norms, scaled run identical"
echo "out-of-tree plugins built against the installed SDK and trained: $csv"
