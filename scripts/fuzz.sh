#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz preset: clang, CPU-only, ASan+UBSan) and runs each on
# the seed corpus (tests/data) for SECONDS (default 600). Exits non-zero on any finding;
# the crashing input is left in build/fuzz/findings/. CI runs it with a short time.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_decode fuzz_probe fuzz_ops fuzz_options)
command -v clang++ >/dev/null || { echo "fuzz: clang++ is needed (apt-get install clang)"; exit 1; }
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "${targets[@]}"
work=build/fuzz/corpus
mkdir -p "$work/media" "$work/ops" "$work/options" build/fuzz/findings
cp -n tests/data/samples/*.mp4 tests/data/samples/*.mkv tests/data/samples/*.webm tests/data/h264/*.264 \
      tests/data/bad/* tests/data/streams/* "$work/media/" 2>/dev/null || true
for s in "resize=640x360,gray" "crop=0:0:100:100,flip=h" "rotate=90,blur=1.5" "brightness=0.1,contrast=1.2,resize=8x8:area"; do
  printf '%s' "$s" > "$work/ops/$(printf '%s' "$s" | md5sum | cut -c1-8)"
done
# fuzz_options: 8 bytes of decoded frame (width, height as 17-bit little-endian, format,
# depth), then a transcode command line.
frame_1080p='\x80\x07\x00\x38\x04\x00\x00\x00'
frame_4k_p016='\x00\x0f\x00\x70\x08\x00\x01\x00'
for s in "in.mp4 out.mp4" "in.mp4 out.mkv --ops resize=640x360,gray --chunk 8" \
         "in.mp4 out.mp4 --codec hevc --bitrate 5M --maxrate 8M --device cuda:0 --mode resident" \
         "- - --format ts --mode live --qp 20 --bframes 0 --gop 30 --encoder nvenc --preset p4 --tune ll" \
         "in.mp4 out.mp4 --ops crop=0:0:1280:720,blur=2,rotate=90 --crf 30 --threads 4 --chunk 4096" \
         "--manifest jobs.txt --jobs 4 --device auto --codec av1 --no-audio"; do
  for f in "$frame_1080p" "$frame_4k_p016"; do
    printf "$f%s" "$s" > "$work/options/$(printf '%s%s' "$f" "$s" | md5sum | cut -c1-8)"
  done
done
for t in "${targets[@]}"; do
  corpus=$work/media; max_len=1048576
  [ "$t" = fuzz_ops ] && { corpus=$work/ops; max_len=256; }
  [ "$t" = fuzz_options ] && { corpus=$work/options; max_len=512; }
  echo "fuzz: $t for ${seconds}s"
  rc=0
  build/fuzz/tests/$t "$corpus" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -max_len=$max_len \
    -artifact_prefix=build/fuzz/findings/ -print_final_stats=1 > "build/fuzz/$t.log" 2>&1 || rc=$?
  grep -E "^#[0-9]+ +DONE|^stat::number_of_executed_units|SUMMARY" "build/fuzz/$t.log" || true
  if [ "$rc" -ne 0 ]; then
    tail -40 "build/fuzz/$t.log"
    echo "fuzz: $t found a problem (exit $rc): the input is in build/fuzz/findings/"
    exit 1
  fi
done
echo "fuzz: no findings"
