#!/usr/bin/env bash
# The one list of Debian 12 packages vkgraph needs to build, test and run.
# Installs what is missing with apt-get when run as root; otherwise prints the exact
# command to run and exits 1. `--bench` adds what `make bench` needs: gnuplot for the charts,
# and Node.js with npm for bench/dawn (unless a node and npm are already on the PATH).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config      # toolchain
  clang clang-format libclang-rt-14-dev # fuzzing (libFuzzer) and sanitizer builds, formatting
  libvulkan-dev libvulkan-volk-dev      # Vulkan headers and loader, volk
  glslc spirv-tools                     # shader compiler and validator
  mesa-vulkan-drivers                   # lavapipe: the default device
  vulkan-validationlayers               # VK_LAYER_KHRONOS_validation
  chromium-common                       # SwiftShader: the second test device
  vulkan-tools                          # vulkaninfo, for diagnosing machines
  libjansson-dev                        # JSON graph files
  libpng-dev                            # demo output
  libglfw3-dev xvfb xauth               # demo window, and a display for it in tests
  libcmocka-dev                         # unit tests
  python3                               # scripts/check-architecture.py (a test)
)

if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(gnuplot-nox)
  command -v node >/dev/null || PACKAGES+=(nodejs)
  command -v npm >/dev/null || PACKAGES+=(npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "vkgraph needs these Debian packages: ${missing[*]}" >&2
  echo "run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
