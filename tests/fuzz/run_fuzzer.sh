#!/usr/bin/env bash
# One bounded libFuzzer run, as a ctest: builds the target's seed corpus from ../shared/data, then fuzzes for
# KYC_FUZZ_SECONDS (default 60) with ASan/UBSan. Any crash, leak, timeout or out-of-memory fails the test; the
# input is kept under WORK/artifacts/ (turn it into a regression test: tests/fuzz/regressions/README.md).
# usage: run_fuzzer.sh FUZZER_BINARY TARGET SHARED_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
binary=$1 target=$2 shared=$3 source=$4 work=$5
seconds=${KYC_FUZZ_SECONDS:-60}
if [ ! -x "$binary" ]; then
  echo "$binary is missing: the fuzz build (target kyc_fuzzers) did not produce it" >&2
  exit 1
fi
rm -rf "$work/seeds"
mkdir -p "$work/corpus" "$work/artifacts"
python3 "$source/tests/fuzz/seeds.py" "$target" "$shared" "$source" "$work/seeds"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
[ -x /usr/lib/llvm-16/bin/llvm-symbolizer ] && export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-16/bin/llvm-symbolizer
export QT_QPA_PLATFORM=offscreen QT_LOGGING_RULES='*.warning=false'
# -rss_limit_mb: the limits let a list file reach 200 MB; the fuzzer's inputs stay far below (-max_len).
exec "$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -max_len=65536 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" "$work/seeds"
