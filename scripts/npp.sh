#!/usr/bin/env bash
# Fetches NPP for the NPP benchmark rows (bench/bench_npp.cpp, DESIGN.md's "faster than
# NPP for the same op"): the `nvidia-npp` wheel from PyPI, pinned to the CUDA 13.0
# release the build uses, of which only the headers and the three libraries the rows load
# are kept (libnppc, libnppig, libnppicc: 37 MB of the wheel's 149 MB).
#
#   scripts/npp.sh [DIR]      (default .cache/npp; prints DIR)
#   cmake --preset ci -DCUFRAME_NPP_DIR=DIR     builds the rows into cuframe_bench
#
# Not part of the test command: CI has no GPU to run the rows on.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(realpath -m "${1:-.cache/npp}")
version=13.0.0.50
libs=(nppc nppig nppicc)
if [ ! -f "$dir/include/nppi_geometry_transforms.h" ] || [ ! -f "$dir/lib/libnppig.so.13" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "npp: fetching nvidia-npp $version from PyPI" >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: "nvidia-npp==$version" -d "$tmp" >&2
  python3 -m zipfile -e "$tmp"/nvidia_npp-*.whl "$tmp/wheel"
  rm -rf "$dir"
  mkdir -p "$dir/lib" "$dir/include"
  cp "$tmp/wheel/nvidia/cu13/include/"*.h "$dir/include/"
  for l in "${libs[@]}"; do cp "$tmp/wheel/nvidia/cu13/lib/lib$l.so.13" "$dir/lib/"; done
  cp "$tmp/wheel/nvidia_npp-$version.dist-info/licenses/License.txt" "$dir/"  # NVIDIA's terms travel with it
fi
echo "$dir"
