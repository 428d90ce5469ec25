#!/usr/bin/env bash
# Run on a GPU node from the portable bundle (or from a build tree with CUFRAME_BIN=DIR):
#   ./gpu-check.sh OUTDIR
# Prints the GPU and driver and the NVDEC/NVENC capability table, runs every test with
# CUFRAME_REQUIRE_GPU=1 (GPU tests fail instead of skipping), runs the benchmarks with
# the FFmpeg CUDA peer side by side, runs compute-sanitizer where the node has it, and
# writes full JSON into OUTDIR. The last lines are a short summary table.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${CUFRAME_BIN:-$here}
outdir=${1:?usage: gpu-check.sh OUTDIR}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
data=${CUFRAME_TEST_DATA:-$bin/data}
[ -d "$data/samples" ] || data=$here/../tests/data
export CUFRAME_TEST_DATA=$data CUFRAME_CLI=$bin/cuframe CUFRAME_FFPROBE=$bin/ffprobe CUFRAME_FFMPEG=$bin/ffmpeg
summary=()
note() { summary+=("$(printf '%-28s %s' "$1" "$2")"); }

echo "== GPU and driver"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv | tee "$outdir/nvidia-smi.csv"
else
  echo "nvidia-smi not found"
fi
for lib in libcuda.so.1 libnvcuvid.so.1 libnvidia-encode.so.1 libnvidia-ml.so.1; do
  path=$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1==l {print $NF; exit}')
  printf '  %-24s %s\n' "$lib" "${path:-not found}"
  note "$lib" "${path:-not found}"
done
"$bin/cuframe" devices --caps | tee "$outdir/devices.txt"
"$bin/cuframe" devices --caps --json > "$outdir/devices.json"
gpu=$(grep -m1 '^GPU 0' "$outdir/devices.txt" || echo "no GPU")
note "device" "$gpu"
note "nvdec" "$(grep -m1 'NVDEC:' "$outdir/devices.txt" | sed 's/^ *//')"
note "nvenc" "$(grep -m1 'NVENC:' "$outdir/devices.txt" | sed 's/^ *//')"

echo "== tests (CUFRAME_REQUIRE_GPU=1)"
CUFRAME_REQUIRE_GPU=1 "$bin/cuframe_tests" --gtest_output="json:$outdir/tests.json" --gtest_brief=1 \
  > "$outdir/tests.log" 2>&1
rc=$?
tail -5 "$outdir/tests.log"
note "tests" "$(grep -E '^\[  (PASSED|FAILED) ' "$outdir/tests.log" | tr '\n' ' ') (exit $rc)"

if command -v compute-sanitizer >/dev/null; then
  echo "== compute-sanitizer (memcheck, racecheck) on the GPU tests"
  for tool in memcheck racecheck; do
    compute-sanitizer --tool $tool --error-exitcode 9 "$bin/cuframe_tests" --gtest_filter='PatternKernel.*:Driver.*' \
      > "$outdir/sanitizer-$tool.log" 2>&1
    note "compute-sanitizer $tool" "exit $?"
  done
else
  note "compute-sanitizer" "not on this node"
fi

echo "== benchmarks"
"$bin/cuframe_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$outdir/bench.json" --benchmark_out_format=json > "$outdir/bench.txt" 2>&1
note "cuframe_bench" "exit $? ($(grep -c '_median' "$outdir/bench.txt") medians)"

echo "== peer: the ffmpeg program's CUDA decode"
sample=$data/samples/testsrc2.mp4
for accel in "-hwaccel cuda -hwaccel_output_format cuda" ""; do
  log=$("$bin/ffmpeg" -hide_banner -benchmark $accel -i "$sample" -f null - 2>&1)
  fps=$(echo "$log" | grep -o 'fps=[ 0-9.]*' | tail -1 | tr -d ' ')
  rt=$(echo "$log" | grep -o 'rtime=[0-9.]*s' | tail -1)
  note "ffmpeg ${accel:-software} decode" "$fps $rt"
done

echo
echo "== summary ($(date -u +%Y-%m-%dT%H:%MZ))"
printf '%s\n' "${summary[@]}" | tee "$outdir/summary.txt"
exit $rc
