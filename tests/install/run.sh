#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, then builds tests/install/main.c outside the
# tree against it both ways: with CMake (find_package, shared and static) and with
# pkg-config (shared, and static with --static). Every program must run and pass.
# usage: run.sh BUILD_DIR SCRATCH_DIR
set -euo pipefail
build=$1
scratch=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$scratch"
mkdir -p "$scratch"
prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" >"$scratch/install.log"
test -x "$prefix/bin/vkgraph"
"$prefix/bin/vkgraph" version
echo "== the simulated-families layer, found by the installed tool beside it"
test -f "$prefix/share/vulkan/explicit_layer.d/VkLayer_vkgraph_simulate_families.json"
devices=$(env -u VK_ADD_LAYER_PATH VKG_SIMULATE_FAMILIES=gct:1,t:1 "$prefix/bin/vkgraph" devices)
[[ $devices == *SIMULATED* && $devices == *"1: transfer "* ]] ||
    { echo "$devices"; echo "the installed layer did not simulate gct:1,t:1"; exit 1; }
libdir=$(dirname "$(find "$prefix" -name vkgraph.pc)")/..
export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

echo "== CMake: find_package(vkgraph)"
cmake -S "$here" -B "$scratch/cmake" -DCMAKE_PREFIX_PATH="$prefix" >"$scratch/cmake.log"
cmake --build "$scratch/cmake" >>"$scratch/cmake.log"
"$scratch/cmake/consumer_shared"
"$scratch/cmake/consumer_static"
# (ldd's output is captured first: grep -q closing the pipe early would fail it under pipefail)
deps_shared=$(ldd "$scratch/cmake/consumer_shared")
deps_static=$(ldd "$scratch/cmake/consumer_static")
[[ $deps_shared == *libvkgraph.so* ]] || { echo "consumer_shared does not use libvkgraph.so"; exit 1; }
[[ $deps_static != *libvkgraph.so* ]] || { echo "consumer_static uses libvkgraph.so"; exit 1; }

echo "== pkg-config vkgraph"
export PKG_CONFIG_PATH=$libdir/pkgconfig
cc=${CC:-cc}
# shellcheck disable=SC2046
$cc -std=c11 -o "$scratch/pc_shared" "$here/main.c" $(pkg-config --cflags --libs vkgraph)
"$scratch/pc_shared"
# shellcheck disable=SC2046
$cc -std=c11 -o "$scratch/pc_static" "$here/main.c" $(pkg-config --cflags vkgraph) \
    "$libdir/libvkgraph.a" $(pkg-config --static --libs-only-other --libs-only-l vkgraph | sed 's/-lvkgraph//')
"$scratch/pc_static"
echo "install: ok"
