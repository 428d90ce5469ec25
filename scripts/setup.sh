#!/usr/bin/env bash
# Installs what cuframe needs on Debian 12 (idempotent: installs only what is missing).
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --portable also what the portable bundle's static FFmpeg needs
# The CUDA toolkit is not a Debian package here: nvcc is taken from /usr/local/cuda when
# present; without it the build falls back to the CPU-only configuration (and says so).
set -euo pipefail
portable=0
[ "${1:-}" = "--portable" ] && portable=1

pkgs=(build-essential cmake ninja-build pkg-config git clang libclang-rt-dev
      libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libffmpeg-nvenc-dev
      libgtest-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
      libhwy-dev              # Google Highway: the CPU executor's SIMD with run-time dispatch
      python3-matplotlib      # bench/plot.py: the plots of docs/BENCHMARKS.md
      libopencv-imgproc-dev   # OpenCV: oracle for resize in tests, CPU baseline in benchmarks
      python3-dev python3-venv  # the Python package (nanobind extension) and its test venv
      ffmpeg)   # ffmpeg/ffprobe: the oracle the tests compare against
if [ $portable = 1 ]; then
  pkgs+=(nasm dpkg-dev xz-utils libx264-dev libx265-dev libdav1d-dev libsvtav1enc-dev libnuma-dev zlib1g-dev patchelf file)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all Debian packages present"
fi

if [ -x /usr/local/cuda/bin/nvcc ] || command -v nvcc >/dev/null 2>&1; then
  nvcc_bin=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  echo "setup: CUDA toolkit: $("$nvcc_bin" --version | tail -2 | head -1)"
else
  echo "setup: no CUDA toolkit (nvcc) found: the CPU-only configuration will be built"
fi

# The Python environment of the build and the tests: .venv with nanobind (the extension's
# build), pytest, NumPy, OpenCV (the benchmark's peer) and Ray (cuframe.ray's tests), from
# PyPI. Reinstalled only when python/requirements-dev.txt changes.
here=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
venv=$here/.venv
stamp=$venv/.requirements-dev.sha256
want=$(sha256sum "$here/python/requirements-dev.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: Python environment $venv ($("$py" --version))"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip >/dev/null
  # Ray is the one optional piece: without a wheel for this platform its tests skip, saying so.
  grep -v '^ray' "$here/python/requirements-dev.txt" > "$venv/.requirements-core.txt"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$venv/.requirements-core.txt"
  if ! "$venv/bin/pip" install -q --disable-pip-version-check "$(grep '^ray' "$here/python/requirements-dev.txt")"; then
    echo "setup: Ray could not be installed: cuframe.ray's tests will skip"
  fi
  echo "$want" > "$stamp"
else
  echo "setup: Python environment $venv present"
fi
