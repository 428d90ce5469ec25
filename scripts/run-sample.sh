#!/usr/bin/env bash
# The main job on a bundled sample: installs dependencies, builds the `cuframe` program,
# then probes a sample video and shows what the machine offers (GPU, NVDEC, NVENC).
# Usage: scripts/run-sample.sh [VIDEO]   (default: tests/data/samples/nasa_13013.mp4)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
input=${1:-tests/data/samples/nasa_13013.mp4}
scripts/setup.sh
preset=$(cuframe_pick_preset dev)
cmake --preset "$preset" -DCUFRAME_BUILD_TESTS=OFF -DCUFRAME_BUILD_BENCH=OFF >/dev/null
cmake --build --preset "$preset" -j "$(cuframe_jobs)" --target cuframe_cli
cuframe=build/$preset/host/cli/cuframe
run() { echo; echo "\$ cuframe $*"; "$cuframe" "$@"; }
run --version
run devices --caps
run probe "$input"
run probe --json "$input"
