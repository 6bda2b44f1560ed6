#!/usr/bin/env bash
# `make fuzz`: runs each libFuzzer target (built with clang, ASan + UBSan, in BUILD_DIR) for
# SECONDS, starting from its seeds and its regressions, with a fresh working corpus in the
# build tree. A crash, a sanitizer report, a timeout or a leak stops the run: the input is
# left as BUILD_DIR/fuzz-TARGET/crash-* (copy it into fuzz/regressions/TARGET/ once fixed,
# and the replay test keeps it fixed). usage: fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for t in json api; do
    work=$build/fuzz-$t
    rm -rf "$work"
    mkdir -p "$work/corpus"
    case $t in
        json) seeds=$root/examples ;;
        api) seeds=$root/fuzz/corpus/api ;;
    esac
    echo "== fuzz_$t for ${seconds}s (seeds: $seeds)"
    if ! (cd "$work" && "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
            corpus "$seeds" "$root/fuzz/regressions/$t" 2>&1 | tail -25); then
        echo "fuzz_$t FAILED: see $work (crash-*, leak-*, timeout-* inputs)"
        status=1
    fi
done
exit $status
