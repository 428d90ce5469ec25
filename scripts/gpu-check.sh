#!/usr/bin/env bash
# What a GPU node says about cuframe, in at most 420 s (the CPU tests already ran in CI).
#
#   ./gpu-check.sh OUT                  on the GPU node, from the portable bundle
#   scripts/gpu-check.sh --virtual OUT  the same stages against a virtual-gpu build tree
#                                       (docs/VIRTUAL_GPU.md): CUFRAME_BUILD_DIR, default
#                                       build/virtual-gpu; 4x the node's limits, at most
#                                       20 min in all
#   scripts/gpu-check.sh --virtual --smoke OUT   CI's subset (ctest gpu_check_virtual_smoke),
#                                       at most 5 min
# CUFRAME_BUILD_DIR also points a run on a GPU at a build tree instead of the bundle;
# CUFRAME_CHECK_TOTAL_S lowers the run's total (the later stages then get what is left),
# CUFRAME_CHECK_SHARDS sets the number of test shards (default: half the cores, at most 8;
# 2 with --virtual).
#
# The stages, each with a time limit (node seconds: 380, and the optional last one 40), in
# this order; the run never passes 420 s (each stage gets at most what is left):
#   preflight      15  the driver, libnvcuvid.so.1 and the H.264/HEVC decode caps
#                      (cuframe_nvdec_trace preflight). A container without the driver's
#                      video capability has no libnvcuvid: the run stops here, saying why
#   caps           15  nvidia-smi, `cuframe devices --caps` (text and JSON)
#   trace          20  the NVDEC callback trace of the reference streams
#                      (data/nvdec_traces/STREAMS.tsv), compared with the virtual model's
#                      (data/nvdec_traces/NAME.jsonl): a difference is the model to correct
#   gpu-tests     150  the GPU tests with CUFRAME_REQUIRE_GPU=1, in shards
#   nvdec-nocache  30  the NVDEC tests again with CUFRAME_NVDEC_CACHE=0 (every session
#                      creates its own decoder: cache bugs apart from decode bugs)
#   nvdec-auto     60  the reader, resident, pipeline and example tests (Auto decodes with
#                      NVDEC wherever the caps allow)
#   bench          90  one repetition of a short benchmark set: NVDEC at 1, 7 and 14
#                      sessions against as many `ffmpeg -hwaccel cuda` processes, colour
#                      conversion and resize against a device-to-device copy and NPP, open to
#                      first frame with a reused decoder, one GPU transcode with its overlap;
#                      inputs from the bundle's bench-inputs/ (made when it was built)
#   sanitizer     (40) compute-sanitizer memcheck on the kernel tests, only when the node
#                      has it and the time is left
# Test shards run under `stdbuf -oL` with gtest's default output, so each test's name is in
# the shard's log as it starts: a shard killed by its limit still says where it was. Every
# result file is written into OUT as soon as it exists (OUT/stages.tsv gets a line as each
# stage ends); the summary table comes last (OUT/summary.txt). Exit 0 when every stage
# passed, 1 when one did not, 2 on a usage error or a missing program, 3 when the preflight
# stopped the run.
#
# --virtual: the virtual GPU's NVDEC, NVENC and device (never a measurement). It makes its
# own small benchmark inputs (320x240), runs each benchmark row once as a smoke test and
# prints `virtual (not a measurement)` for it, skips the ffmpeg peers (ffmpeg never sees the
# virtual driver) and the sanitizer, and writes nothing to docs/BENCHMARKS.md. The test
# stages honour tests/virtual_gpu_known_failures.txt as tests/virtual_gpu/run_suite.sh
# does (the model of CUFRAME_VIRTUAL_NVENC: h100, or nvenc when it is 1); a failure the
# list does not name fails the stage, a listed test that passes is reported.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
virtual=0 smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --virtual) virtual=1 ;;
    --smoke) smoke=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "gpu-check: unknown option $1 (usage: gpu-check.sh [--virtual [--smoke]] OUT)"; exit 2 ;;
    *) break ;;
  esac
  shift
done
[ $# -eq 1 ] || { echo "usage: gpu-check.sh [--virtual [--smoke]] OUT"; exit 2; }
[ $smoke = 0 ] || [ $virtual = 1 ] || { echo "gpu-check: --smoke goes with --virtual"; exit 2; }
mkdir -p "$1" || exit 2
out=$(cd "$1" && pwd)
exec > >(tee "$out/gpu-check.log") 2>&1
started=$(date +%s)
now() { date +%s; }

# ---------------------------------------------------------------- limits
if [ $virtual = 1 ]; then
  factor=4 total=1200
  [ $smoke = 0 ] || total=300
else
  factor=1 total=420
fi
total=${CUFRAME_CHECK_TOTAL_S:-$total}  # a shorter run: every stage's limit shrinks to what is left
deadline=$((started + total))
declare -A limit=([preflight]=15 [caps]=15 [trace]=20 [gpu-tests]=150 [nvdec-nocache]=30 [nvdec-auto]=60
                  [bench]=90 [sanitizer]=40)

# ---------------------------------------------------------------- programs and data
repo=$(cd "$here/.." && pwd)
build=${CUFRAME_BUILD_DIR:-}
[ $virtual = 0 ] || [ -n "$build" ] || build=$repo/build/virtual-gpu
if [ -n "$build" ]; then  # a build tree
  [ -d "$build" ] || { echo "gpu-check: no build tree $build (CUFRAME_BUILD_DIR)"; exit 2; }
  build=$(cd "$build" && pwd)
  cli=$build/host/cli/cuframe tests=$build/tests/cuframe_tests bench=$build/bench/cuframe_bench
  tracer=$build/tests/nvdec_trace/cuframe_nvdec_trace
  data=${CUFRAME_TEST_DATA:-$repo/tests/data}
  known=$repo/tests/virtual_gpu_known_failures.txt
  ffmpeg=${CUFRAME_FFMPEG:-$(command -v ffmpeg || true)}
  inputs=${CUFRAME_BENCH_INPUTS:-}
else  # the portable bundle: everything beside this script
  cli=$here/cuframe tests=$here/cuframe_tests bench=$here/cuframe_bench tracer=$here/cuframe_nvdec_trace
  data=${CUFRAME_TEST_DATA:-}
  for d in "$here/data" "$here/../tests/data" "$here/../../tests/data"; do  # CUFRAME_BUNDLE_DATA=0: the repo's
    if [ -z "$data" ] && [ -d "$d/samples" ]; then data=$(cd "$d" && pwd); fi
  done
  known=
  ffmpeg=${CUFRAME_FFMPEG:-$here/ffmpeg}
  inputs=${CUFRAME_BENCH_INPUTS:-$here/bench-inputs}
  export CUFRAME_CLI=$cli CUFRAME_FFPROBE=${CUFRAME_FFPROBE:-$here/ffprobe} CUFRAME_FFMPEG=$ffmpeg
  export CUFRAME_EXAMPLES_DIR=${CUFRAME_EXAMPLES_DIR:-$here}
  [ -n "${CUFRAME_NPP_DIR:-}" ] || [ ! -d "$here/npp/lib" ] || export CUFRAME_NPP_DIR=$here/npp  # BM_Npp* rows
fi
[ -n "$data" ] && [ -d "$data/samples" ] || { echo "gpu-check: no test data (set CUFRAME_TEST_DATA)"; exit 2; }
export CUFRAME_TEST_DATA=$data
for p in "$cli" "$tests" "$bench" "$tracer"; do
  [ -x "$p" ] || { echo "gpu-check: $p is missing (build it, or rebuild the bundle)"; exit 2; }
done
model=h100
[ "${CUFRAME_VIRTUAL_NVENC:-0}" != 1 ] || model=nvenc
cores=$(nproc 2>/dev/null || echo 4)
if [ $virtual = 1 ]; then shards=${CUFRAME_CHECK_SHARDS:-2}; else shards=${CUFRAME_CHECK_SHARDS:-$((cores / 2))}; fi
[ "$shards" -ge 1 ] || shards=1
[ "$shards" -le 8 ] || shards=8
linebuf=()
! command -v stdbuf >/dev/null || linebuf=(stdbuf -oL -eL)

# The test filters (gtest names; a parameterised test's name starts with its instance).
# gpu-tests: every test that reaches the GPU whatever Auto picks (kernels, events, the
# driver and caps queries, NVDEC against the CPU, the CLI's --device cuda, NVENC's probe)
# and, in a virtual-gpu build, the virtual GPU's own tests.
gpu_filter='Driver.*:CudaEvents.*:PatternKernel.*:*Gpu*:*NvdecVsCpu.*:DecodeBackend.*:DecodeCli.*:DecodeCliRgb.*'
gpu_filter+=':NvencCaps.*:NvencReason.*:EncoderChoice.*:CliDriver.*:Virtual*'
nocache_filter='*NvdecVsCpu.*:DecodeBackend.*'
# nvdec-auto: what decodes through Auto (a reader, a resident clip, a transcode, an example).
auto_filter='VideoReader.*:SeekApi.*:*/Seek.*:ResidentClip.*:Modes.*:Transcode*:Examples.*'
if [ $smoke = 1 ]; then  # CI: a few of each kind, every stage still runs
  gpu_filter='Driver.*:CudaEvents.*:PatternKernel.*:ColorGpu.*:GeometryGpu.*:*NvdecVsCpu.*/samples_testsrc2*:DecodeCli.*:VirtualNvdec.*'
  nocache_filter='*NvdecVsCpu.*/samples_bt*:DecodeBackend.*'
  auto_filter='VideoReader.*:ResidentClip.*:Examples.*'
fi

# ---------------------------------------------------------------- stage bookkeeping
declare -A result detail spent
order=()
stage_start=0 stage_end=0
begin() {  # begin NAME: prints the header, sets the stage's deadline; false when no time is left
  local name=$1 l=$((limit[$1] * factor)) left
  left=$((deadline - $(now) - 5))
  [ $l -le $left ] || l=$left
  order+=("$name")
  stage_start=$(now)
  stage_end=$((stage_start + l))
  if [ $l -lt 3 ]; then
    finish "$name" SKIP "no time left of the run's $total s"
    return 1
  fi
  echo "== $name (limit $l s)"
  return 0
}
left() { local l=$((stage_end - $(now))); [ $l -gt 1 ] && echo $l || echo 1; }
finish() {  # finish NAME pass|FAIL|SKIP DETAIL: records the stage in OUT/stages.tsv as it ends
  result[$1]=$2 detail[$1]=$3 spent[$1]=$(( $(now) - stage_start ))
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "${spent[$1]}" "$3" >> "$out/stages.tsv"
  echo "-- $1: $2 (${spent[$1]} s): $3"
}
limited() { timeout -k 5 "$(left)" "${linebuf[@]}" "$@"; }
: > "$out/stages.tsv"

# The summary table, last; it is also what a run killed early leaves behind in stages.tsv.
summary() {
  local failed=() name
  for name in "${order[@]}"; do [ "${result[$name]}" = pass ] || failed+=("$name"); done
  {
    echo
    echo "== summary ($(date -u +%Y-%m-%dT%H:%MZ), $(( $(now) - started )) s of $total s$([ $virtual = 1 ] && echo "; VIRTUAL GPU ($model model): not a measurement"))"
    printf '%-14s %-5s %5s  %s\n' stage result time detail
    for name in "${order[@]}"; do
      printf '%-14s %-5s %4ss  %s\n' "$name" "${result[$name]}" "${spent[$name]}" "${detail[$name]}"
    done
    if [ -s "$out/bench/rows.txt" ]; then
      echo "benchmark rows (OUT/bench/*.json):"
      sed 's/^/  /' "$out/bench/rows.txt"
    fi
    if [ ${#failed[@]} -eq 0 ]; then echo "gpu-check: every stage passed"; else echo "gpu-check: not passed: ${failed[*]}"; fi
  } | tee "$out/summary.txt"
  [ ${#failed[@]} -eq 0 ]
}

# ---------------------------------------------------------------- 1. preflight
echo "gpu-check: $([ $virtual = 1 ] && echo "virtual GPU ($model model), build $build" || echo "${build:-bundle $here}") -> $out"
if begin preflight; then
  {
    echo "date      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host      $(uname -srm)"
    if [ $virtual = 0 ]; then
      for lib in libcuda.so.1 libnvcuvid.so.1 libnvidia-encode.so.1 libnvidia-ml.so.1; do
        printf 'ldconfig  %-22s %s\n' "$lib" "$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l {print $NF; exit}')"
      done
    fi
  } > "$out/preflight.txt"
  limited "$tracer" preflight >> "$out/preflight.txt" 2>&1
  rc=$?
  cat "$out/preflight.txt"
  if [ $rc = 0 ]; then
    finish preflight pass "$(sed -n 's/^GPU 0 *//p' "$out/preflight.txt"); decode caps present"
  else
    why=$(grep -m1 'preflight: FAIL' "$out/preflight.txt" | sed 's/^preflight: FAIL: //')
    [ $rc != 124 ] || why="the driver did not answer within the limit"
    finish preflight FAIL "${why:-cuframe_nvdec_trace preflight exited $rc}"
    echo "gpu-check: stopped at the preflight: ${detail[preflight]}"
    summary
    exit 3
  fi
fi

# ---------------------------------------------------------------- 2. caps
if begin caps; then
  uname -a > "$out/uname.txt"
  if [ $virtual = 0 ] && command -v nvidia-smi >/dev/null; then
    limited nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,mig.mode.current --format=csv \
      > "$out/nvidia-smi.csv" 2>&1
    limited nvidia-smi -q > "$out/nvidia-smi-q.txt" 2>&1
  fi
  limited "$cli" --version > "$out/version.txt" 2>&1
  limited "$cli" devices --caps > "$out/devices.txt" 2>&1
  rc1=$?
  limited "$cli" devices --caps --json > "$out/devices.json" 2>&1
  rc2=$?
  cat "$out/devices.txt"
  if [ $rc1 = 0 ] && [ $rc2 = 0 ]; then
    finish caps pass "$(grep -m1 '^GPU 0' "$out/devices.txt"); $(grep -m1 'NVENC' "$out/devices.txt" | sed 's/^ *//')"
  else
    finish caps FAIL "cuframe devices --caps exited $rc1 (--json: $rc2)"
  fi
fi

# ---------------------------------------------------------------- 3. NVDEC trace
if begin trace; then
  mkdir -p "$out/trace"
  recorded=0 differ=() broken=()
  while IFS=$'\t' read -r name path; do
    [ -n "$name" ] || continue
    t=$out/trace/$name
    rm -f "$t.model.jsonl"
    if [ $virtual = 1 ]; then
      CUFRAME_VIRTUAL_TRACE=$t.model.jsonl limited "$tracer" record "$t.jsonl" "$data/$path" > "$t.log" 2>&1
    else
      limited "$tracer" record "$t.jsonl" "$data/$path" > "$t.log" 2>&1
    fi
    rc=$?
    [ $rc = 0 ] && recorded=$((recorded + 1)) || broken+=("$name (exit $rc)")
    limited "$tracer" compare "$data/nvdec_traces/$name.jsonl" "$t.jsonl" > "$t.compare.txt" 2>&1
    [ $? = 0 ] || differ+=("$name: $(tail -1 "$t.compare.txt" | sed 's/^trace: //')")
    echo "  $name: $(tail -1 "$t.compare.txt" | sed 's/^trace: //')"
  done < "$data/nvdec_traces/STREAMS.tsv"
  if [ ${#broken[@]} -eq 0 ] && [ ${#differ[@]} -eq 0 ]; then
    finish trace pass "$recorded streams recorded, each as the virtual model traces it"
  elif [ ${#broken[@]} -gt 0 ]; then
    finish trace FAIL "recording failed: ${broken[*]} (trace/*.log)"
  else
    finish trace FAIL "the virtual model differs (correct it: trace/*.compare.txt): ${differ[*]}"
  fi
fi

# ---------------------------------------------------------------- 4-6. tests
# Known failures of a pass: the list's lines for this model, with the pass's prefix
# ("" for the unprefixed ones), as ctest names them.
expected_failures() {
  local prefix=$1
  [ -n "$known" ] && [ -f "$known" ] || return 0
  grep -vE '^[[:space:]]*(#|$)' "$known" | awk -F'\t' -v m="$model" -v p="$prefix" '
    $4 == "" || $4 == "both" || $4 == m {
      name = $1
      if (p == "") { if (name !~ /^[a-z-]+:/) print name }
      else if (index(name, p) == 1) print substr(name, length(p) + 1)
    }' | sort -u
}
# test_pass NAME FILTER [VAR=VALUE...]: the filter in $shards shards; prints the verdict.
test_pass() {
  local name=$1 filter=$2 dir=$out/tests i pids=() rc
  shift 2
  mkdir -p "$dir"
  for i in $(seq 0 $((shards - 1))); do
    (env "$@" CUFRAME_REQUIRE_GPU=1 GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$i \
       timeout -k 5 "$(left)" "${linebuf[@]}" "$tests" --gtest_filter="$filter" \
       --gtest_output="json:$dir/$name-$i.json" > "$dir/$name-$i.log" 2>&1
     echo $? > "$dir/$name-$i.rc") &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  local passed=0 skipped=0 killed=() failed_file=$dir/$name-failed.txt
  : > "$failed_file"
  for i in $(seq 0 $((shards - 1))); do
    local log=$dir/$name-$i.log
    rc=$(cat "$dir/$name-$i.rc" 2>/dev/null || echo 125)
    passed=$((passed + $(grep -c '^\[       OK \] ' "$log")))
    skipped=$((skipped + $(grep -cE '^\[  SKIPPED \] .*\([0-9]+ ms\)$' "$log")))
    # "[  FAILED  ] Suite.Test/2, where GetParam() = "mp4" (12 ms)" -> ctest's name Suite.Test/"mp4"
    sed -nE 's/^\[  FAILED  \] (.*) \([0-9]+ ms\)$/\1/p' "$log" |
      sed -E 's#^(.*)/[0-9]+, where GetParam\(\) = (.*)$#\1/\2#; s/, where (GetParam|TypeParam)\(\) = .*$//' >> "$failed_file"
    if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then  # killed by its limit, or crashed: where it was
      local running
      running=$(awk '/^\[ RUN      \] / { t = $4 } /^\[ *(OK|FAILED|SKIPPED) *\] / { t = "" } END { print t }' "$log")
      killed+=("shard $i $([ "$rc" = 124 ] || [ "$rc" = 137 ] && echo "hit the limit" || echo "exited $rc") in ${running:-(between tests)}")
      [ -z "$running" ] || echo "$running" >> "$failed_file"
    fi
  done
  sort -u -o "$failed_file" "$failed_file"
  local nfail unexpected fixed prefix=
  nfail=$(wc -l < "$failed_file")
  if [ $virtual = 1 ]; then
    unexpected=$(comm -23 "$failed_file" <(expected_failures "$prefix"))
    # Listed tests of this pass that passed: the list is run_suite.sh's to correct.
    fixed=$(comm -13 "$failed_file" <(expected_failures "$prefix") |
            grep -xF -f <(cat "$dir/$name"-*.log | sed -nE 's/^\[       OK \] ([^ ]+).*/\1/p') || true)
  else
    unexpected=$(cat "$failed_file")
    fixed=
  fi
  printf '%s\n' "$unexpected" | sed '/^$/d' > "$dir/$name-unexpected.txt"
  local text="$passed passed, $nfail failed, $skipped skipped in $shards shards"
  [ $virtual = 0 ] || text+=" ($((nfail - $(wc -l < "$dir/$name-unexpected.txt"))) known)"
  [ ${#killed[@]} -eq 0 ] || text+=$(printf '; %s' "${killed[@]}")
  [ -z "$fixed" ] || text+="; listed but passed: $(echo $fixed | wc -w)"
  if [ $((passed + nfail)) -eq 0 ]; then
    finish "$name" FAIL "no test ran ($text)"
  elif [ -s "$dir/$name-unexpected.txt" ] || [ ${#killed[@]} -gt 0 ]; then
    finish "$name" FAIL "$text; $(wc -l < "$dir/$name-unexpected.txt") unexpected (tests/$name-unexpected.txt): $(head -3 "$dir/$name-unexpected.txt" | tr '\n' ' ')"
  else
    finish "$name" pass "$text"
  fi
}
if begin gpu-tests; then test_pass gpu-tests "$gpu_filter"; fi
if begin nvdec-nocache; then test_pass nvdec-nocache "$nocache_filter" CUFRAME_NVDEC_CACHE=0; fi
if begin nvdec-auto; then test_pass nvdec-auto "$auto_filter"; fi

# ---------------------------------------------------------------- 7. benchmarks
# One process a group (a killed group loses only its own rows), one repetition each.
kernels='^BM_(ColorGpu/fmt:[0-9]+|CopyD2D|ResizeGpu/nv12:[01]|NppNv12ToRgb|NppResizeRgb)/w:(1920/h:1080/batch:32|3840/h:2160/batch:1)/'
if [ $virtual = 1 ]; then
  groups=(nvdec '^BM_DecodeNvdec/(h264|hevc)/(1|7|14)/'
          open '^BM_(NvdecOpenToFirstFrame|OpenToFirstFrame)/'
          kernels "$kernels"
          transcode '^BM_TranscodeGpu/1/')
  [ $smoke = 0 ] || groups=(nvdec '^BM_DecodeNvdec/h264/(1|7)/' open '^BM_NvdecOpenToFirstFrame/'
                            kernels '^BM_(ColorGpu/fmt:[0-9]+|CopyD2D|ResizeGpu/nv12:[01])/w:1920/h:1080/batch:1/'
                            transcode '^BM_TranscodeGpu/1/')
  min_time=0.000001  # one iteration: a smoke test
else
  groups=(nvdec '^BM_(DecodeNvdec|PeerFfmpegNvdec)/(h264|hevc)/(1|7|14)/'
          open '^BM_(NvdecOpenToFirstFrame|OpenToFirstFrame)/'
          kernels "$kernels"
          blur '^BM_BlurGpu/w:1920/h:1080/sigma:(2|20)/'
          transcode '^BM_(TranscodeGpu|PeerFfmpegCudaTranscode)/1/')
  min_time=0.1
fi
if begin bench; then
  mkdir -p "$out/bench"
  : > "$out/bench/rows.txt"
  problem=
  if [ $virtual = 1 ] && [ -z "$inputs" ]; then  # small inputs of its own (the node's come with the bundle)
    inputs=$out/bench-inputs
    mkdir -p "$inputs"
    for c in h264:libx264 hevc:libx265; do
      [ -n "$ffmpeg" ] || { problem="no ffmpeg to make the benchmark inputs"; break; }
      X265_LOG=none limited "$ffmpeg" -v error -nostdin -y -filter_complex testsrc2=size=320x240:rate=30:duration=0.5 \
        -c:v "${c#*:}" -pix_fmt yuv420p "$inputs/${c%%:*}.mp4" > "$inputs/${c%%:*}.log" 2>&1 ||
        problem="ffmpeg could not make $inputs/${c%%:*}.mp4"
    done
  fi
  for c in h264 hevc; do
    [ -n "$problem" ] || [ -s "$inputs/$c.mp4" ] || problem="no benchmark input $inputs/$c.mp4 (the bundle makes them)"
  done
  if [ -n "$problem" ]; then
    finish bench FAIL "$problem"
  else
    errors=0 rows=0 lost=()
    for ((g = 0; g < ${#groups[@]}; g += 2)); do
      group=${groups[g]} filter=${groups[g + 1]}
      if [ $virtual = 1 ]; then
        echo "VIRTUAL GPU ($model model): not a measurement" > "$out/bench/$group.txt"
        CUFRAME_BENCH_INPUTS=$inputs limited "$bench" \
          --benchmark_filter="$filter" --benchmark_min_time=$min_time --benchmark_out="$out/bench/$group.json" \
          --benchmark_out_format=json >> "$out/bench/$group.txt" 2>&1
      else
        : > "$out/bench/$group.txt"
        CUFRAME_BENCH_INPUTS=$inputs limited "$bench" --benchmark_filter="$filter" --benchmark_min_time=$min_time \
          --benchmark_out="$out/bench/$group.json" --benchmark_out_format=json >> "$out/bench/$group.txt" 2>&1
      fi
      rc=$?
      [ $rc = 0 ] || lost+=("$group (exit $rc)")
      # Rows: name, then the counters (or the error); the virtual GPU's are no numbers at all.
      grep -E '^BM_' "$out/bench/$group.txt" | awk -v v=$virtual '
        { name = $1; line = $0; err = index(line, "ERROR OCCURRED: ")
          if (err) { print name "  ERROR: " substr(line, err + 16); next }
          if (v == 1) { print name "  virtual (not a measurement)"; next }
          c = ""; for (i = 2; i <= NF; i++) if (index($i, "=")) c = c " " $i
          print name " " $2 " " $3 c }' >> "$out/bench/rows.txt"
      rows=$(wc -l < "$out/bench/rows.txt")
      errors=$(grep -c '  ERROR: ' "$out/bench/rows.txt")
      echo "  $group: exit $rc, $(grep -cE '^BM_' "$out/bench/$group.txt") rows"
    done
    text="$rows rows, $errors with an error"
    [ $virtual = 0 ] || text+="; virtual (not a measurement)"
    if [ $rows -eq 0 ]; then
      finish bench FAIL "no benchmark row ran"
    elif [ $errors -gt 0 ] || [ ${#lost[@]} -gt 0 ]; then
      finish bench FAIL "$text${lost[*]:+; lost: ${lost[*]}}"
    else
      finish bench pass "$text"
    fi
  fi
fi

# ---------------------------------------------------------------- 8. compute-sanitizer (optional)
if [ $virtual = 0 ] && command -v compute-sanitizer >/dev/null && [ $((deadline - $(now))) -ge 30 ]; then
  if begin sanitizer; then
    limited compute-sanitizer --tool memcheck --error-exitcode 9 "$tests" \
      --gtest_filter='PatternKernel.*:ColorGpu.*:GeometryGpu.*:FilterGpu.*' > "$out/sanitizer-memcheck.log" 2>&1
    rc=$?
    if [ $rc = 0 ]; then finish sanitizer pass "memcheck: $(grep -m1 'ERROR SUMMARY' "$out/sanitizer-memcheck.log")"
    else finish sanitizer FAIL "memcheck exited $rc: $(grep -m1 'ERROR SUMMARY' "$out/sanitizer-memcheck.log")"; fi
  fi
fi

summary
