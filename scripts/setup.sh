#!/usr/bin/env bash
# Installs the Debian 12 packages KYConnect needs (only the missing ones, non-interactively, through
# sudo when not root), then configures and builds into build/. Sourced by run.sh and test.sh.
set -euo pipefail

KYC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KYC_BUILD=${KYC_BUILD_DIR:-$KYC_ROOT/build}

kyc_packages=(
  g++ cmake ninja-build pkg-config ca-certificates
  qt6-base-dev qt6-base-dev-tools qt6-httpserver-dev qt6-websockets-dev libqt6sql6-sqlite
  qt6-l10n-tools qtkeychain-qt6-dev libssl-dev libsqlite3-dev libicu-dev libgl-dev
  python3 dbus gnome-keyring fonts-dejavu-core fontconfig
  clang-16 libfuzzer-16-dev libclang-rt-16-dev
)

kyc_install_packages() {
  local missing=()
  for p in "${kyc_packages[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # The OpenAPI lint test uses Node.js; images that ship a newer node keep theirs.
  command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

kyc_build() {
  cmake -S "$KYC_ROOT" -B "$KYC_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKYC_WERROR=ON >/dev/null
  cmake --build "$KYC_BUILD" --parallel "$(nproc)"
}
