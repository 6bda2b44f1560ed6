#!/bin/sh
# On a machine with a GPU: the device tests, `vkgraph run --verify --validate` on every example,
# the demo under --validate and the device benchmarks, all on that GPU; writes
# gpu-check-summary.txt and gpu-check-logs.tar.gz (scripts/gpu-check.py says how; docs/testing.md).
# usage: scripts/gpu-check.sh [BUILD_DIR]
exec python3 "$(dirname "$0")/gpu-check.py" "$@"
