#!/usr/bin/env bash
# `make bench`: runs every benchmark, then bench/report.mjs turns the figures into
# bench/out/results.json (figure name -> number), bench/out/figures.json (each figure with its
# program, device, driver, machine and date), bench/out/table.md and PNG charts (gnuplot).
#
# Devices: lavapipe is the default device; SwiftShader runs the device benchmarks again
# (figures suffixed _swiftshader) and bench/dawn, because Dawn refuses lavapipe. The npm
# package for Dawn (bench/dawn/package-lock.json) is installed on first use.
# VKG_BENCH_SHORT=1 runs everything at tiny sizes (CTest's bench.all.short does, into the
# build tree): the figures are then meaningless, but every step has run.
# usage: bench/run.sh BUILD_DIR [OUT_DIR (default bench/out)]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$root/bench/out}
mkdir -p "$out"
rm -f "$out/figures.jsonl"
export VKG_BENCH_OUT=$out/figures.jsonl
lavapipe=$(ls /usr/share/vulkan/icd.d/lvp_icd.*.json | head -1)
swiftshader=/usr/lib/chromium/vk_swiftshader_icd.json

run() { # run NAME [ENV...]: one benchmark program, its output kept in bench/out/NAME.log
    local name=$1 log=$out/$1${VKG_BENCH_TAG:-}.log
    shift
    echo "== bench_$name ${VKG_BENCH_TAG:-}"
    env "$@" "$build/bench/bench_$name" | tee "$log"
}

for b in alloc compile graphs; do run "$b"; done
for b in execute completions upload resources bindless; do
    run "$b" VK_DRIVER_FILES="$lavapipe"
done
if [ -f "$swiftshader" ]; then
    export VKG_BENCH_TAG=_swiftshader
    for b in execute resources bindless; do run "$b" VK_DRIVER_FILES="$swiftshader"; done
    unset VKG_BENCH_TAG
    echo "== bench/dawn (WebGPU through Dawn, on SwiftShader)"
    if command -v node >/dev/null && command -v npm >/dev/null; then
        if [ -d "$root/bench/dawn/node_modules/webgpu" ] ||
           (cd "$root/bench/dawn" && npm ci --no-audit --no-fund); then
            (cd "$root/bench/dawn" && VK_DRIVER_FILES="$swiftshader" node bench.mjs > "$out/dawn.log" 2>&1) ||
                { grep -v XDG_RUNTIME_DIR "$out/dawn.log" || true; echo "bench/dawn failed"; exit 1; }
            grep -v XDG_RUNTIME_DIR "$out/dawn.log"
        else
            echo "npm could not install bench/dawn's packages (offline?): no Dawn figures"
        fi
    else
        echo "node and npm are missing (scripts/install-deps.sh installs them): no Dawn figures"
    fi
else
    echo "SwiftShader is missing ($swiftshader): no SwiftShader or Dawn figures"
fi
node "$root/bench/report.mjs" "$out"
