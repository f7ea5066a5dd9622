#!/usr/bin/env bash
# Runs the benchmarks in tests/benchmarks/ (not part of ctest) and prints their figures next to
# the targets. Usage: scripts/bench.sh [health|audit]...
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
    screening) "$KYC_BUILD/tests/benchmarks/bench_screening" 2>/dev/null
               "$KYC_BUILD/tests/benchmarks/bench_screening_api" 2>/dev/null ;;
    *) echo "unknown benchmark: $b" >&2; exit 2 ;;
  esac
done
