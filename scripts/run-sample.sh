#!/usr/bin/env bash
# The main job on a bundled sample: installs dependencies, builds the `cuframe` program,
# shows what the machine offers (GPU, NVDEC, NVENC), probes the sample, decodes it to raw
# NV12 and to RGB and checks the NV12 against the ffmpeg program byte for byte, then
# transcodes it (resize + gray, audio copied) in stream and resident modes and has the
# ffmpeg program read the results.
# Usage: scripts/run-sample.sh [VIDEO]   (default: tests/data/samples/nasa_13013.mp4)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
input=${1:-tests/data/samples/nasa_13013.mp4}
scripts/setup.sh
preset=$(cuframe_pick_preset dev)
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(cuframe_jobs)" --target cuframe_cli
cuframe=build/$preset/host/cli/cuframe
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { echo; echo "\$ cuframe $*"; "$cuframe" "$@"; }
run --version
run devices --caps
run probe "$input"
run --verbose decode "$input" -o "$out/frames.yuv"
run decode "$input" -o "$out/frames.rgb" --pix-fmt rgb24
ls -l "$out"
native=$("$cuframe" probe --json --no-count "$input" | python3 -c '
import json, sys
v = json.load(sys.stdin)["video"]
wide = v["bit_depth"] > 8
print({"420": "p016le" if wide else "nv12", "444": "yuv444p16le" if wide else "yuv444p"}.get(v["chroma"], ""))')
if [ -n "$native" ]; then
  ffmpeg -v error -noautorotate -i "$input" -map 0:v:0 -fps_mode passthrough -f rawvideo -pix_fmt "$native" "$out/ffmpeg.yuv"
  if cmp -s "$out/frames.yuv" "$out/ffmpeg.yuv"; then
    echo; echo "decode: byte-identical to ffmpeg -pix_fmt $native ($(stat -c %s "$out/frames.yuv") bytes)"
  else
    echo; echo "decode: differs from ffmpeg -pix_fmt $native (see docs/cli.md for the two documented cases)"
  fi
fi
run transcode "$input" "$out/small.mp4" --ops resize=320x180,gray --stats-json "$out/stats.json" --trace "$out/trace.json"
run transcode "$input" "$out/small-resident.mkv" --ops resize=320x180,gray --mode resident
run probe "$out/small.mp4"
for f in "$out/small.mp4" "$out/small-resident.mkv"; do
  if [ -z "$(ffmpeg -nostdin -v error -i "$f" -f null - 2>&1)" ]; then
    echo "transcode: the ffmpeg program reads $(basename "$f") without a word"
  else
    echo "transcode: the ffmpeg program complains about $(basename "$f")"; exit 1
  fi
done
