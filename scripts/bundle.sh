#!/usr/bin/env bash
# Builds the portable bundle: one folder (< 64 MiB) that runs on an air-gapped GPU node
# with nothing installed but the NVIDIA driver.
#
#   scripts/bundle.sh [OUTDIR]          (default: dist/cuframe-bundle)
#   CUFRAME_BUNDLE_DATA=0 scripts/bundle.sh   leave the test data out (use the repo's)
#   CUFRAME_BUNDLE_NPP=1 scripts/bundle.sh    add NPP (npp/, scripts/npp.sh) for the NPP
#       benchmark rows, and pack the whole folder as OUTDIR.tar.xz: the folder is then
#       over 64 MiB, the archive about 36 MB. On the node:
#       python3 -c "import tarfile; tarfile.open('dist/cuframe-bundle.tar.xz').extractall('dist')"
#
# Contents: cuframe, cuframe_tests, cuframe_bench, cuframe_nvdec_trace (gpu-check's preflight
# and NVDEC trace), the examples the tests run, libcuframe.so (static cudart, sm_90
# code only), the FFmpeg libraries built from Debian's source (x264/x265 inside
# libavcodec; Note [Portable FFmpeg]), the peer programs ffmpeg and ffprobe, the few
# shared libraries Debian has no static archive for (dav1d, SVT-AV1, Google Benchmark,
# Google Highway's libhwy.so.1 for the CPU executor's SIMD dispatch: ldd finds it below),
# all behind an $ORIGIN rpath; data/ with the samples and the virtual NVDEC's reference
# traces; bench-inputs/ with the benchmarks' 1080p H.264 and HEVC clips, made here by the
# bundle's own ffmpeg so that nothing is encoded on the node; gpu-check.sh. Our binaries link
# libstdc++ statically; from the node come glibc (>= 2.35, checked below) and, for x265
# and libhwy, a libstdc++.so.6 (they ask for GLIBCXX_3.4 and 3.4.21: GCC 5, 2015). Nothing
# links libcuda, libnvcuvid or libnvidia-encode: they are loaded at run time from the
# node's driver.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-dist/cuframe-bundle}")
with_data=${CUFRAME_BUNDLE_DATA:-1}
with_npp=${CUFRAME_BUNDLE_NPP:-0}
. scripts/common.sh

scripts/build-ffmpeg-portable.sh .cache/ffmpeg-portable
npp_dir=
[ "$with_npp" != 1 ] || npp_dir=$(scripts/npp.sh)
cmake --preset portable -DCUFRAME_NPP_DIR="$npp_dir" >/dev/null
examples=(example_gray_in_memory example_process_in_chunks example_live_stream example_parallel_decode)
cmake --build --preset portable -j "$(cuframe_jobs)" --target cuframe_cli cuframe_tests cuframe_bench cuframe_nvdec_trace \
  "${examples[@]}"

rm -rf "$out"
mkdir -p "$out"
b=build/portable
cp "$b/host/cli/cuframe" "$b/tests/cuframe_tests" "$b/bench/cuframe_bench" "$b/tests/nvdec_trace/cuframe_nvdec_trace" "$out/"
for e in "${examples[@]}"; do cp "$b/host/examples/$e" "$out/"; done  # run by the tests (CUFRAME_EXAMPLES_DIR)
# Shared libraries go in under their SONAME, dereferenced (no symlinks to carry).
copy_so() { local soname; soname=$(objdump -p "$1" | awk '/SONAME/{print $2}'); cp -L "$1" "$out/${soname:-$(basename "$1")}"; }
copy_so "$b/engine/libcuframe.so"
cp .cache/ffmpeg-portable/bin/ffmpeg .cache/ffmpeg-portable/bin/ffprobe "$out/"
for lib in avformat avcodec avutil swscale swresample avfilter; do
  copy_so ".cache/ffmpeg-portable/lib/lib$lib.so"
done
cp scripts/gpu-check.sh "$out/"
# Shared libraries that are neither glibc nor the driver's travel along.
for exe in "$out"/cuframe "$out"/cuframe_tests "$out"/cuframe_bench "$out"/cuframe_nvdec_trace "$out"/ffmpeg "$out"/ffprobe; do
  ldd "$exe" | awk '/=> \//{print $3}' | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*|libstdc++.so*|libgcc_s.so*) ;;
      libcuframe.so*|libav*.so*|libsw*.so*) ;;
      *) [ -e "$out/$(basename "$lib")" ] || cp -L "$lib" "$out/" ;;
    esac
  done
done
for f in "$out"/*; do
  if file -b "$f" | grep -q '^ELF'; then
    patchelf --set-rpath '$ORIGIN' "$f"
    strip --strip-unneeded "$f" 2>/dev/null || true
  fi
done
if [ "$with_data" = 1 ]; then
  mkdir -p "$out/data"
  cp -r tests/data/samples tests/data/h264 tests/data/streams tests/data/bad tests/data/fuzz_regressions \
    tests/data/nvdec_traces "$out/data/"
fi
# The benchmark inputs (bench::clip_1080p): testsrc2 1080p, 4 s at 30 fps, libx264 and libx265
# at their defaults, yuv420p; made with the bundle's ffmpeg (about 5.5 MB together).
mkdir -p "$out/bench-inputs"
for c in h264:libx264 hevc:libx265; do
  (cd / && env -i X265_LOG=none "$out/ffmpeg" -v error -nostdin -y \
     -filter_complex testsrc2=size=1920x1080:rate=30:duration=4 -c:v "${c#*:}" -pix_fmt yuv420p \
     "$out/bench-inputs/${c%%:*}.mp4")
done
if [ -n "$npp_dir" ]; then  # loaded at run time by cuframe_bench's BM_Npp* rows (gpu-check.sh sets CUFRAME_NPP_DIR)
  mkdir -p "$out/npp/lib"
  cp "$npp_dir"/lib/*.so.13 "$out/npp/lib/"
  cp "$npp_dir/License.txt" "$out/npp/"
fi
cat > "$out/README.txt" <<'TXT'
cuframe portable bundle. On the GPU node, from this folder:
  ./gpu-check.sh OUTDIR        at most 420 s: preflight (driver, libnvcuvid, decode caps),
                               the caps table, an NVDEC callback trace compared with the
                               virtual model's, the GPU tests with CUFRAME_REQUIRE_GPU=1,
                               a short benchmark set; results in OUTDIR, summary last
  ./cuframe devices --caps     what the driver and the codec engines offer
  ./cuframe probe FILE --json
TXT
size=$(du -sm "$out" | cut -f1)
echo "bundle: $out ($size MiB)"
ls -la "$out"
if [ -n "$npp_dir" ]; then
  tar -C "$(dirname "$out")" -cf - "$(basename "$out")" | xz -T"$(cuframe_jobs)" -9 > "$out.tar.xz"
  size=$(( $(stat -c %s "$out.tar.xz") / 1048576 + 1 ))
  echo "bundle: $out.tar.xz ($size MiB; carry it, not the folder)"
fi
[ "$size" -lt 64 ] || { echo "bundle is ${size} MiB: over the 64 MiB budget" >&2; exit 1; }

# Proof: the binaries start from another directory with a clean environment, and
# nothing is missing but the driver's own libraries (which nothing links).
missing=$(for f in "$out"/cuframe "$out"/cuframe_tests "$out"/cuframe_bench "$out"/cuframe_nvdec_trace "$out"/ffmpeg \
                   "$out"/ffprobe; do
  env -i ldd "$f" | grep "not found" || true; done)
[ -z "$missing" ] || { echo "unresolved libraries:"; echo "$missing"; exit 1; }
(cd / && env -i "$out/cuframe" --version && env -i "$out/ffmpeg" -hide_banner -version | head -1)
if [ "$with_data" = 1 ]; then
  (cd / && env -i "$out/cuframe" probe "$out/data/samples/nasa_13013_rotated.mp4")
fi
# The newest glibc symbol version anything here asks for: the node's glibc must have it.
need=$(for f in "$out"/* "$out"/npp/lib/*; do
  if [ -f "$f" ] && file -b "$f" | grep -q '^ELF'; then objdump -T "$f"; fi
done | grep -o 'GLIBC_2\.[0-9]*' | sort -V | tail -1)
echo "bundle: needs $need on the node"
[ "$(printf '%s\n' "$need" GLIBC_2.35 | sort -V | tail -1)" = GLIBC_2.35 ] || { echo "bundle needs $need (> GLIBC_2.35)" >&2; exit 1; }
echo "bundle: OK"
