#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite with ctest.
# This is the README's test command and exactly what .ci/run calls.
# Without a GPU, GPU tests skip with a reason; with CUFRAME_REQUIRE_GPU=1 they fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
start=$(date +%s)
scripts/setup.sh
preset=$(cuframe_pick_preset ci)
echo "test: configure + build (preset $preset, $(cuframe_jobs) jobs)"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(cuframe_jobs)"
echo "test: build done after $(( $(date +%s) - start )) s"
ctest --preset "$preset" -j "$(cuframe_jobs)"
echo "test: $preset suite done after $(( $(date +%s) - start )) s"
# The Python package as a user installs it: `pip install .` into a fresh virtual
# environment (the CPU-only configuration, built from scratch by scikit-build-core with
# nanobind and scikit-build-core from PyPI), then the README's Python example with it,
# away from the source tree. The pytest suite itself ran above (ctest python_tests, against
# the build's extension). Budget, with the module's build and python_tests: 8 minutes.
if [ "${CUFRAME_SKIP_PIP:-0}" != 1 ]; then
  echo "test: pip install . stage"
  scripts/pip-check.sh
  echo "test: pip install . stage done after $(( $(date +%s) - start )) s"
fi
# The virtual GPU (docs/VIRTUAL_GPU.md): every GPU path on this CPU-only machine — the whole
# suite with CUFRAME_REQUIRE_GPU=1 in the H100 model, and again with the virtual NVENC (every
# test that can encode; run_suite.sh leaves out the decode- and kernel-only suites), each
# compared with its lines of tests/virtual_gpu_known_failures.txt (CUFRAME_SKIP_VIRTUAL_GPU=1
# skips this stage). Budget, build included: 12 minutes.
if [ "${CUFRAME_SKIP_VIRTUAL_GPU:-0}" != 1 ]; then
  echo "test: virtual-gpu stage"
  cmake --preset virtual-gpu >/dev/null
  cmake --build --preset virtual-gpu -j "$(cuframe_jobs)"
  status=0
  tests/virtual_gpu/run_suite.sh build/virtual-gpu h100 -j "$(cuframe_jobs)" || status=1
  tests/virtual_gpu/run_suite.sh build/virtual-gpu nvenc -j "$(cuframe_jobs)" || status=1
  [ $status = 0 ] || { echo "test: virtual-gpu stage failed"; exit 1; }
  echo "test: virtual-gpu stage done after $(( $(date +%s) - start )) s"
fi
# The CPU-only engine under AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer:
# every test again, the hostile-input ones included (CUFRAME_SKIP_ASAN=1 skips this stage).
if [ "${CUFRAME_SKIP_ASAN:-0}" != 1 ]; then
  echo "test: asan stage"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$(cuframe_jobs)"
  ctest --preset asan -j "$(cuframe_jobs)"
fi
# Each fuzz target for a short time on the seed corpus (CUFRAME_SKIP_FUZZ=1 skips this).
if [ "${CUFRAME_SKIP_FUZZ:-0}" != 1 ]; then
  echo "test: fuzz stage"
  scripts/fuzz.sh 30
fi
echo "test: all done in $(( $(date +%s) - start )) s"
