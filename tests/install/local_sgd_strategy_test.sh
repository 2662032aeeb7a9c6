#!/usr/bin/env bash
# Installs Volt from BUILD_DIR into a temporary prefix, builds examples/local_sgd_strategy out of
# tree against it (find_package(Volt) and Volt::distributed only) and runs it through the
# installed host on 2 CPU ranks. Checkpoints are read back with PYTHON's torch.load:
#  1. right after an averaging step both ranks' parameters are bitwise identical (and between
#     two averagings they are not, so the check can fail);
#  2. with sync_every=1 and SGD the final weights match ddp's within 1e-6;
#  3. a run interrupted between two averagings and resumed from its checkpoint ends bitwise
#     equal to the uninterrupted run;
#  4. across two network namespaces (one rank per node), where `ip netns` can be used.
#   local_sgd_strategy_test.sh BUILD_DIR SOURCE_DIR WORK_DIR PYTHON
set -euo pipefail
build="$1"; source="$2"; work="$3"; python="$4"
rm -rf "$work"; mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
test -f "$prefix/lib/libvolt_distributed.a"
test -f "$prefix/include/volt/sdk/distributed/data_parallel.hpp"

cmake -S "$source/examples/local_sgd_strategy" -B "$work/example" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log"
cmake --build "$work/example" > "$work/build.log"
plugins="$work/example"
test -f "$plugins/local_sgd_strategy.so"
volt="$prefix/bin/volt"
"$volt" plugins --plugin-dir "$plugins" > "$work/plugins.txt"
grep -q "local_sgd" "$work/plugins.txt"

# mlp 8 -> 16 -> 3 on 128 synthetic samples; 2 ranks with batch 16: 4 steps per epoch.
fit() {
  local root="$1"; shift
  "$volt" fit --plugin-dir "$plugins" --model=mlp --model.in_features=8 --model.hidden_sizes=[16] \
    --model.num_classes=3 --model.lr=0.05 --data=synthetic --data.shape=[8] --data.size=128 \
    --data.val_size=32 --data.num_classes=3 --data.batch_size=16 --data.seed=7 \
    --trainer.enable_progress_bar=false --trainer.enable_model_summary=false \
    --trainer.default_root_dir="$root" --seed_everything=11 --logger=false "$@" \
    > "$root.log" 2>&1 || { echo "volt fit failed ($root):"; cat "$root.log"; exit 1; }
}
only_ckpt() { find "$1" -name '*.ckpt' | sort | tail -1; }
check() { "$python" "$source/tests/install/local_sgd_checks.py" "$@"; }

# 1. Averaged after step 8 (sync_every=4); not after step 8 with sync_every=3.
fit "$work/k4" --strategy=local_sgd --strategy.sync_every=4 --trainer.devices=2 --trainer.max_epochs=2
check replicas-equal "$(only_ckpt "$work/k4")"
fit "$work/k3" --strategy=local_sgd --strategy.sync_every=3 --trainer.devices=2 --trainer.max_epochs=2
check replicas-differ "$(only_ckpt "$work/k3")"

# 2. sync_every=1 with SGD is ddp.
fit "$work/k1" --strategy=local_sgd --strategy.sync_every=1 --trainer.devices=2 \
  --trainer.max_epochs=2 --model.optimizer=sgd
fit "$work/ddp" --strategy=ddp --trainer.devices=2 --trainer.max_epochs=2 --model.optimizer=sgd
check weights-close "$(only_ckpt "$work/k1")" "$(only_ckpt "$work/ddp")" 1e-6

# 3. A checkpoint at every step; resume from step 5 (between the averagings at 3 and 6).
every_step=(--strategy=local_sgd --strategy.sync_every=3 --trainer.devices=2 --trainer.max_epochs=3
            --callbacks+=model_checkpoint --callbacks.every_n_train_steps=1 --callbacks.save_top_k=-1)
fit "$work/whole" "${every_step[@]}" --callbacks.dirpath="$work/whole/ckpts"
check replicas-differ "$work/whole/ckpts/epoch=1-step=5.ckpt"
fit "$work/resumed" "${every_step[@]}" --callbacks.dirpath="$work/resumed/ckpts" \
  --ckpt_path="$work/whole/ckpts/epoch=1-step=5.ckpt"
check bitwise-equal "$work/resumed/ckpts/epoch=2-step=12.ckpt" "$work/whole/ckpts/epoch=2-step=12.ckpt"

# The per-rank state of 2 ranks does not resume on 1: refused, naming both counts.
if "$volt" fit --plugin-dir "$plugins" --model=mlp --model.in_features=8 --model.hidden_sizes=[16] \
     --model.num_classes=3 --data=synthetic --data.shape=[8] --data.num_classes=3 \
     --strategy=local_sgd --trainer.devices=1 --trainer.max_epochs=3 --logger=false \
     --trainer.default_root_dir="$work/one" --ckpt_path="$work/whole/ckpts/epoch=1-step=5.ckpt" \
     > "$work/one.log" 2>&1; then
  echo "a 2-rank local_sgd checkpoint resumed on 1 rank"; exit 1
fi
grep -q "holds the strategy state of 2 ranks, but strategy 'local_sgd' runs 1" "$work/one.log" ||
  { echo "unexpected refusal:"; cat "$work/one.log"; exit 1; }

# 4. Two nodes: one rank in each of two network namespaces joined by a veth pair.
id=$$; ns0="vlsgd0_$id"; ns1="vlsgd1_$id"; net="10.232.$((id % 250))"
cleanup() { ip netns del "$ns0" 2>/dev/null || true; ip netns del "$ns1" 2>/dev/null || true; }
trap cleanup EXIT
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && ip netns add "$ns0" 2>/dev/null; then
  ip netns add "$ns1"
  ip link add "va_$id" type veth peer name "vb_$id"
  ip link set "va_$id" netns "$ns0"; ip link set "vb_$id" netns "$ns1"
  ip -n "$ns0" addr add "$net.1/24" dev "va_$id"; ip -n "$ns1" addr add "$net.2/24" dev "vb_$id"
  for ns in "$ns0" "$ns1"; do ip -n "$ns" link set lo up; done
  ip -n "$ns0" link set "va_$id" up; ip -n "$ns1" link set "vb_$id" up
  pids=()
  for node in 0 1; do
    ns="vlsgd${node}_$id"
    NODE_RANK=$node MASTER_ADDR="$net.1" MASTER_PORT=29533 ip netns exec "$ns" \
      "$volt" fit --plugin-dir "$plugins" --model=mlp --model.in_features=8 \
      --model.hidden_sizes=[16] --model.num_classes=3 --model.lr=0.05 --data=synthetic \
      --data.shape=[8] --data.size=128 --data.val_size=32 --data.num_classes=3 \
      --data.batch_size=16 --data.seed=7 --trainer.enable_progress_bar=false \
      --trainer.enable_model_summary=false --trainer.default_root_dir="$work/nodes" \
      --seed_everything=11 --logger=false --strategy=local_sgd --strategy.sync_every=4 \
      --strategy.timeout=120 --trainer.num_nodes=2 --trainer.devices=1 --trainer.max_epochs=2 \
      > "$work/node$node.log" 2>&1 &
    pids+=($!)
  done
  for node in 0 1; do
    wait "${pids[$node]}" || { echo "node $node failed:"; cat "$work/node$node.log"; exit 1; }
  done
  check replicas-equal "$(only_ckpt "$work/nodes")"
  check bitwise-equal "$(only_ckpt "$work/nodes")" "$(only_ckpt "$work/k4")"
  echo "two nodes: trained across network namespaces, equal to the one-node run"
else
  echo "two nodes: skipped (needs root and iproute2's ip netns)"
fi
echo "local_sgd built out of tree against the installed SDK and passed every check"
