#!/usr/bin/env bash
# README command 2: install what is missing, build (warnings are errors) and run the whole suite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
kyc_install_packages
kyc_build
cd "$KYC_BUILD"
ctest --output-on-failure --parallel "$(nproc)" "$@"
