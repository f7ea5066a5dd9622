#!/usr/bin/env bash
# Runs the benchmarks in tests/benchmarks/ (not part of ctest) and prints their figures next to
# the targets. Usage: scripts/bench.sh [health|audit|auth|screening|load]...
# load: 200, 256 and 1000 connections of mixed traffic, KYC_LOAD_SECONDS (60) each, memory read
# KYC_LOAD_PAUSE (60) seconds after each; loopback only, about six minutes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
kyc_install_packages wrk
kyc_build
which=("$@")
[ ${#which[@]} -eq 0 ] && which=(health audit auth screening)
for b in "${which[@]}"; do
  case "$b" in
    health) "$KYC_BUILD/tests/benchmarks/bench_health" 10s | grep -E 'Requests/sec|GET /api|WARNING' ;;
    audit) "$KYC_BUILD/tests/benchmarks/bench_audit" 100000 1000000 2>/dev/null ;;
    auth) "$KYC_BUILD/tests/benchmarks/bench_auth" 10s 2>/dev/null ;;
    load) "$KYC_BUILD/tests/benchmarks/bench_load" "${KYC_LOAD_SECONDS:-60}" "${KYC_LOAD_PAUSE:-60}" 2>/dev/null ;;
    screening) "$KYC_BUILD/tests/benchmarks/bench_screening" 2>/dev/null
               "$KYC_BUILD/tests/benchmarks/bench_screening_api" 2>/dev/null ;;
    *) echo "unknown benchmark: $b" >&2; exit 2 ;;
  esac
done
