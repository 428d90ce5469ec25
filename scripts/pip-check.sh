#!/usr/bin/env bash
# The packaging test: `python3 -m venv v && v/bin/pip install .` from this checkout (the
# CPU-only configuration unless CUFRAME_CUDA says otherwise), then the README's Python
# example, run from an empty folder with that environment's python only. Exit 1 on any
# failure.
#   scripts/pip-check.sh [WORK_DIR]     (default: a temporary folder, removed afterwards)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
[ -n "${1:-}" ] || trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
t0=$(date +%s)
"$py" -m venv "$work/v"
export CUFRAME_CUDA=${CUFRAME_CUDA:-OFF} CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
# A build folder of its own: the checkout's build/pip-* (scikit-build-core's build-dir) is
# for incremental developer installs.
"$work/v/bin/pip" install -q --disable-pip-version-check --config-settings=build-dir="$work/build" "$src" numpy
echo "pip-check: pip install . took $(( $(date +%s) - t0 )) s"
# The README's example, extracted from README.md so the two cannot drift apart.
awk '/^```python$/ { on = 1; next } on && /^```$/ { exit } on' "$src/README.md" > "$work/example.py"
mkdir -p "$work/run/tests/data/samples"
cp "$src/tests/data/samples/nasa_13013.mp4" "$work/run/tests/data/samples/"
(cd "$work/run" && "$work/v/bin/python" "$work/example.py")
test -s "$work/run/gray.mp4"
"$work/v/bin/cuframe" --version | head -1
echo "pip-check: ok in $(( $(date +%s) - t0 )) s"
