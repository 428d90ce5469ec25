#!/usr/bin/env bash
# Run on a GPU node from the portable bundle (or from a build tree with CUFRAME_BIN=DIR):
#   ./gpu-check.sh OUTDIR
# Prints the GPU and driver and the NVDEC/NVENC capability table, runs every test with
# CUFRAME_REQUIRE_GPU=1 (GPU tests fail instead of skipping), runs compute-sanitizer on
# the GPU tests where the node has it, runs the GPU benchmarks with their peers (the
# ffmpeg program's CUDA paths) side by side, and writes logs and JSON into OUTDIR. The
# last lines are a short summary table.
#
# Sized for a lease of about 10 minutes of wall time on a 16-core node: the tests run in
# parallel shards, and each stage has a time limit (CUFRAME_CHECK_TESTS_S, ..._SAN_S,
# ..._BENCH_S). Stages never stop the script: the summary says what passed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${CUFRAME_BIN:-$here}
outdir=${1:?usage: gpu-check.sh OUTDIR}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
# Test data: the bundle's data/, else the repository's (a bundle built with
# CUFRAME_BUNDLE_DATA=0 sits in dist/cuframe-bundle; this script also runs from scripts/).
data=${CUFRAME_TEST_DATA:-}
for d in "$data" "$bin/data" "$here/../../tests/data" "$here/../tests/data"; do
  if [ -n "$d" ] && [ -d "$d/samples" ]; then data=$(cd "$d" && pwd); break; fi
done
[ -d "$data/samples" ] || { echo "gpu-check: no test data (set CUFRAME_TEST_DATA)"; exit 2; }
export CUFRAME_TEST_DATA=$data CUFRAME_CLI=$bin/cuframe CUFRAME_FFPROBE=$bin/ffprobe CUFRAME_FFMPEG=$bin/ffmpeg
export CUFRAME_EXAMPLES_DIR=${CUFRAME_EXAMPLES_DIR:-$bin}
# NPP for the BM_Npp* rows, where the bundle has it (CUFRAME_BUNDLE_NPP=1).
[ -n "${CUFRAME_NPP_DIR:-}" ] || [ ! -d "$bin/npp/lib" ] || export CUFRAME_NPP_DIR=$bin/npp
tests_s=${CUFRAME_CHECK_TESTS_S:-300}
san_s=${CUFRAME_CHECK_SAN_S:-90}
bench_s=${CUFRAME_CHECK_BENCH_S:-240}
cores=$(nproc 2>/dev/null || echo 4)
shards=$(( cores / 2 )); [ "$shards" -ge 1 ] || shards=1; [ "$shards" -le 8 ] || shards=8
summary=()
note() { summary+=("$(printf '%-30s %s' "$1" "$2")"); }
started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started )) s"; }

echo "== GPU and driver ($(date -u +%Y-%m-%dT%H:%MZ))"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,mig.mode.current --format=csv \
    | tee "$outdir/nvidia-smi.csv"
  nvidia-smi -q > "$outdir/nvidia-smi-q.txt" 2>&1
  note "driver" "$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)"
else
  echo "nvidia-smi not found"
fi
for lib in libcuda.so.1 libnvcuvid.so.1 libnvidia-encode.so.1 libnvidia-ml.so.1; do
  path=$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1==l {print $NF; exit}')
  printf '  %-24s %s\n' "$lib" "${path:-not found}"
  note "$lib" "${path:-not found}"
done
command -v compute-sanitizer >/dev/null && note "compute-sanitizer" "$(command -v compute-sanitizer)"
uname -a > "$outdir/uname.txt"
"$bin/cuframe" --version | tee "$outdir/version.txt"
"$bin/cuframe" devices --caps | tee "$outdir/devices.txt"
"$bin/cuframe" devices --caps --json > "$outdir/devices.json"
note "device" "$(grep -m1 '^GPU 0' "$outdir/devices.txt" || echo "no GPU")"
note "nvdec" "$(grep -m1 'NVDEC' "$outdir/devices.txt" | sed 's/^ *//')"
note "nvenc" "$(grep -m1 'NVENC' "$outdir/devices.txt" | sed 's/^ *//')"

echo "== tests (CUFRAME_REQUIRE_GPU=1, $shards shards, limit ${tests_s}s)"
pids=()
for i in $(seq 0 $((shards - 1))); do
  CUFRAME_REQUIRE_GPU=1 GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$i timeout "$tests_s" \
    "$bin/cuframe_tests" --gtest_output="json:$outdir/tests-$i.json" --gtest_brief=1 > "$outdir/tests-$i.log" 2>&1 &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
cat "$outdir"/tests-*.log > "$outdir/tests.log"
passed=$(grep -h '^\[  PASSED  \]' "$outdir"/tests-*.log | awk '{s += $4} END {print s + 0}')
grep -h '^\[  FAILED  \] [A-Za-z]' "$outdir"/tests-*.log | sort -u > "$outdir/tests-failed.txt"
grep -h '^\[  SKIPPED \] [A-Za-z]' "$outdir"/tests-*.log | sort -u > "$outdir/tests-skipped.txt"
head -40 "$outdir/tests-failed.txt"
note "tests" "$passed passed, $(wc -l < "$outdir/tests-failed.txt") failed, $(wc -l < "$outdir/tests-skipped.txt") skipped (exit $rc, $(elapsed))"

gpu_tests='Driver.*:CudaEvents.*:PatternKernel.*:*Gpu*:NvencGpu.*'
if command -v compute-sanitizer >/dev/null; then
  echo "== compute-sanitizer (memcheck, racecheck) on the GPU tests (limit ${san_s}s each)"
  for tool in memcheck racecheck; do
    timeout "$san_s" compute-sanitizer --tool $tool --error-exitcode 9 "$bin/cuframe_tests" \
      --gtest_filter="$gpu_tests" --gtest_brief=1 > "$outdir/sanitizer-$tool.log" 2>&1
    note "compute-sanitizer $tool" "exit $? ($(grep -c 'ERROR SUMMARY: 0 errors' "$outdir/sanitizer-$tool.log") clean summaries)"
  done
else
  note "compute-sanitizer" "not on this node"
fi

echo "== benchmarks (GPU rows and their peers, limit ${bench_s}s)"
bench_filter='BM_DecodeNvdec|BM_PeerFfmpegNvdec|BM_NvdecOpenToFirstFrame|BM_ColorGpu|BM_ResizeGpu|BM_BlurGpu|BM_CopyD2D'
bench_filter+='|BM_EncodeNvenc|BM_PeerFfmpegNvenc|BM_TranscodeGpu|BM_PeerFfmpegCudaTranscode|BM_Npp'
timeout "$bench_s" "$bin/cuframe_bench" --benchmark_filter="$bench_filter" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_min_time=0.2 \
  --benchmark_out="$outdir/bench.json" --benchmark_out_format=json > "$outdir/bench.txt" 2>&1
note "cuframe_bench" "exit $? ($(grep -c '_median' "$outdir/bench.txt") medians, $(elapsed))"
grep '_median' "$outdir/bench.txt" | head -60

echo "== peer: the ffmpeg program's decode of one sample"
sample=$data/samples/testsrc2.mp4
for accel in "-hwaccel cuda -hwaccel_output_format cuda" ""; do
  log=$(timeout 60 "$bin/ffmpeg" -hide_banner -benchmark $accel -i "$sample" -f null - 2>&1)
  fps=$(echo "$log" | grep -o 'fps=[ 0-9.]*' | tail -1 | tr -d ' ')
  rt=$(echo "$log" | grep -o 'rtime=[0-9.]*s' | tail -1)
  note "ffmpeg ${accel:-software} decode" "$fps $rt"
done

echo
echo "== summary ($(date -u +%Y-%m-%dT%H:%MZ), $(elapsed))"
printf '%s\n' "${summary[@]}" | tee "$outdir/summary.txt"
exit $rc
