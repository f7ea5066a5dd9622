#!/usr/bin/env bash
# README command 1: install what is missing, build, and start KYConnect (GUI + API on port 3000).
# Arguments go to kyconnect, e.g. --headless, --port 3100, --data-dir DIR.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
kyc_install_packages
kyc_build
args=("$@")
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [[ " ${args[*]} " != *" --headless "* ]] && [[ " ${args[*]} " != *" admin "* ]]; then
  echo "No display found: starting the API alone (--headless)."
  args+=(--headless)
fi
# A new data directory starts with the demo firm (see the README for its users) and, when the shared test
# data sits beside the repository, with real lists to screen against (UN, OFAC SDN, a PEP and an adverse-media source).
shared_data="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/data"
[ -d "$shared_data/sanctions" ] && export KYCONNECT_DEMO_DATA="${KYCONNECT_DEMO_DATA:-$shared_data}"
exec "$KYC_BUILD/app/kyconnect" --demo "${args[@]}"
