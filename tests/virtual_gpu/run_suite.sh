#!/usr/bin/env bash
# The virtual-GPU stage of CI: the whole suite of a virtual-gpu build with
# CUFRAME_REQUIRE_GPU=1 (a test that lacks a GPU fails instead of skipping; the CPU tests
# run too), compared with tests/virtual_gpu_known_failures.txt.
#   tests/virtual_gpu/run_suite.sh BUILD_DIR MODEL [ctest options...]
# MODEL is h100 (the default H100 model: 7 NVDEC engines, no NVENC) or nvenc (the same with
# the L4-class NVENC of CUFRAME_VIRTUAL_NVENC=1: Auto then picks NVENC in every transcode;
# the suites that never encode are left out, see below).
# The list has one line per test
# that today's GPU code fails on the device:
#   TEST<TAB>REVIEW-ITEM<TAB>WHAT THE DEVICE REPORTED<TAB>MODEL
# (TEST as `ctest -N` names it; REVIEW-ITEM the item of ../shared/reviews/gpu-review.md, or
# `-`; MODEL h100, nvenc or both — empty means both). The stage fails on a failure the
# list does not name for this model, and on a listed test that passes: the list says
# exactly what the device shows.
set -uo pipefail
build=$1 model=$2
shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)
list=$src/tests/virtual_gpu_known_failures.txt
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The nvenc model reruns only what an NVENC can change: the suites below never encode
# (decode against ffmpeg and the CPU, seeking, probing, demuxing, kernels, parsing), so
# they are the same code in both models and run once, in the h100 model. That halves the
# stage (595 tests -> 285), which keeps .ci/run inside its 45 minutes.
decode_only='^(AllStreams/(DecodeVsFfmpeg|NvdecVsCpu|Seek)\.|AllInputs/ProbeVsFfprobe\.|AllCombinations/ColorVsReference\.|DecodeConformance\.|Demuxer|ColorCpuRows\.|ResizeCpuRows\.|ColorGpu\.|GeometryGpu\.|FilterGpu\.|PatternKernel\.|OpsParser\.|CliOptions\.|ProbeColor\.|ProbeJson\.|ColorSiting\.|ColorRealSamples\.|ColorPacked\.|Remap\.|Blur\.|CpuSimd\.|MediaInfo\.|SeekApi\.|CorruptStream\.|DecoderLimits\.|DecodeBackend\.|VirtualNvdec\.|NvdecRefusedAtTheSequenceHeader\.|nvdec_trace)'
case "$model" in
  h100) nvenc=0 select=() ;;
  nvenc) nvenc=1 select=(-E "$decode_only") ;;
  *) echo "run_suite.sh: MODEL must be h100 or nvenc"; exit 2 ;;
esac
CUFRAME_REQUIRE_GPU=1 CUFRAME_VIRTUAL_NVENC=$nvenc ctest --test-dir "$build" --output-on-failure "${select[@]}" "$@" 2>&1 |
  tee "$log" >/dev/null
summary=$(grep -E '^[0-9]+% tests passed' "$log" || true)
# "  12 - Suite.Name/param  # GetParam() = ... (Failed)"
failed=$(sed -n '/^The following tests FAILED:/,/^Errors while running CTest/p' "$log" |
         sed -nE 's/^[[:space:]]*[0-9]+ - ([^ ]+).*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception|Child aborted|OTHER_FAULT|ILLEGAL|BUS_ERROR|Subprocess killed|[A-Za-z_ ]+)\)$/\1/p' | sort -u)
expected=$(grep -vE '^[[:space:]]*(#|$)' "$list" 2>/dev/null |
           awk -F'\t' -v m="$model" '$4 == "" || $4 == "both" || $4 == m { print $1 }' | sort -u)
unexpected=$(comm -23 <(printf '%s\n' "$failed" | sed '/^$/d') <(printf '%s\n' "$expected" | sed '/^$/d'))
fixed=$(comm -13 <(printf '%s\n' "$failed" | sed '/^$/d') <(printf '%s\n' "$expected" | sed '/^$/d'))

nfail=$(printf '%s\n' "$failed" | sed '/^$/d' | wc -l)
nexp=$(printf '%s\n' "$expected" | sed '/^$/d' | wc -l)
echo "virtual-gpu ($model): ctest: ${summary:-no summary}"
echo "virtual-gpu ($model): $nfail failed, $nexp listed in tests/virtual_gpu_known_failures.txt"
status=0
if [ -n "$unexpected" ]; then
  echo "virtual-gpu ($model): FAIL: failures the known-failures list does not name:"
  printf '  %s\n' $unexpected
  # Their output, so the stage says what the device reported.
  for t in $unexpected; do
    awk -v t="$t" 'index($0, "Test #") && index($0, " " t " ") { p = 1 } p { print "    | " $0 } /^ *Start / && p && !index($0, t) { p = 0 }' "$log" | head -40
  done
  status=1
fi
if [ -n "$fixed" ]; then
  echo "virtual-gpu ($model): FAIL: listed as failing but passed (remove them from the list):"
  printf '  %s\n' $fixed
  status=1
fi
if ! grep -qE '^[0-9]+% tests passed' "$log"; then
  echo "virtual-gpu ($model): FAIL: ctest ran no test"
  status=1
fi
[ $status = 0 ] && echo "virtual-gpu ($model): ok — every failure is a known one"
exit $status
