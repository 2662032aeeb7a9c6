#!/usr/bin/env bash
# Installs the Debian 12 packages Volt needs, only those missing (idempotent; needs root or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libgloo-dev libopenblas0-openmp
  libboost-dev libboost-program-options-dev
  libspdlog-dev nlohmann-json3-dev libyaml-cpp-dev catch2 zlib1g-dev
  python3-torch python3-yaml
  clang libclang-rt-14-dev  # libFuzzer and the sanitizers (scripts/fuzz.sh)
  dataset-fashion-mnist
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
