#!/usr/bin/env bash
# Installs, from Debian 12's archive, everything plinth needs to build, test, demo and benchmark.
# Idempotent: when every package is already installed it does nothing (no apt-get update either).
set -euo pipefail

packages=(
  cmake ninja-build g++ make pkg-config
  libsqlite3-dev libssl-dev libboost-dev nlohmann-json3-dev libspdlog-dev libcli11-dev libgtest-dev libsimdjson-dev libxgboost-dev
  librocksdb-dev libyaml-cpp-dev libbenchmark-dev libhttp-parser-dev ccache
  prometheus redis-server
  wrk python3 python3-pytest python3-numpy python3-scipy python3-pandas python3-xgboost python3-fastapi python3-uvicorn
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
