#!/usr/bin/env bash
# Set-up, build and the README's example: the `cnn` LightningModule trained on Fashion-MNIST
# for two epochs through plugins, then tested. Logs go to ./lightning_logs/version_N.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" -DVOLT_BUILD_TESTS=OFF -DVOLT_BUILD_BENCH=OFF
build="${VOLT_BUILD_DIR:-$root/build}"
exec "$build/bin/volt" fit --model=cnn --data=fashion_mnist --trainer.max_epochs=2 --seed_everything=42 \
  --test-after-fit "$@"
