#!/usr/bin/env bash
# Builds the minimal FFmpeg of the portable bundle from Debian's own source package (the
# same FFmpeg 5.1 the system build links, so results agree):
#   - libraries for the engine: demuxers/muxers mov/mp4, matroska/webm, mpegts, raw
#     h264/hevc/ivf; parsers and bitstream filters; software decoders for the fallback
#     (h264, hevc, vp8, vp9, mpeg1/2/4; AV1 via libdav1d); encoders libx264, libx265,
#     SVT-AV1, NVENC (loaded at run time); NVDEC/CUVID hwaccels for the peer;
#   - the `ffmpeg` and `ffprobe` programs: the peer for benchmarks and the oracle for tests,
#     with scale_cuda (compiled to PTX by clang) for the FFmpeg CUDA pipeline.
# Note [Portable FFmpeg]: the FFmpeg libraries are built as shared libraries and travel
# beside the binaries behind an $ORIGIN rpath, with the codec libraries they use
# (Debian's libx264, libx265, libnuma, libdav1d, libSvtAv1Enc) and the C++ runtime.
# Static FFmpeg archives would put one copy of every codec into libcuframe.so, another
# into ffmpeg and a third into ffprobe: x265 alone is 16 MB of code, and three copies do
# not fit the bundle's 64 MiB. (Debian's libx264.a is not position-independent, so it
# cannot go inside a shared libavcodec either.) Shared, each codec is there once; only
# glibc and the NVIDIA driver come from the node.
#
# Usage: scripts/build-ffmpeg-portable.sh [PREFIX]   (default: .cache/ffmpeg-portable)
# CUFRAME_FFMPEG_LGPL=1 builds it without --enable-gpl, libx264 and libx265 (LGPL-2.1+:
# binaries linked with it can be distributed under Apache-2.0; H.264/HEVC are then encoded
# by NVENC only, AV1 by SVT-AV1). See README.md, "License".
# A finished PREFIX is reused. About 4 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(realpath -m "${1:-.cache/ffmpeg-portable}")
if [ -x "$prefix/bin/ffmpeg" ] && [ -f "$prefix/lib/libavformat.so" ] && [ -f "$prefix/.complete" ]; then
  echo "portable FFmpeg already at $prefix"; exit 0
fi
scripts/setup.sh --portable

# `apt-get source` needs deb-src entries; add them beside the deb entries if missing.
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && $SUDO sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"
  done
  if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | $SUDO tee /etc/apt/sources.list.d/cuframe-deb-src.list >/dev/null
  fi
  $SUDO apt-get update -qq
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source --download-only -qq ffmpeg >/dev/null)
tar -C "$work" -xf "$work"/ffmpeg_*.orig.tar.xz
src=$(find "$work" -maxdepth 1 -type d -name 'ffmpeg-*' | head -1)
echo "building $(basename "$src") into $prefix"

gpl=(--enable-gpl --enable-libx264 --enable-libx265)
gpl_encoders=libx264,libx265,
if [ "${CUFRAME_FFMPEG_LGPL:-0}" = 1 ]; then
  gpl=()
  gpl_encoders=
  echo "LGPL build: no --enable-gpl, no libx264, no libx265"
fi
cd "$src"
./configure --prefix="$prefix" \
  --disable-everything --disable-doc --disable-network --disable-autodetect --disable-debug \
  --disable-static --enable-shared --enable-pic "${gpl[@]}" --disable-avdevice --disable-postproc \
  --enable-pthreads --enable-zlib --enable-libdav1d --enable-libsvtav1 \
  --enable-ffnvcodec --enable-nvdec --enable-cuvid --enable-nvenc --enable-cuda-llvm \
  --enable-demuxer=mov,matroska,mpegts,h264,hevc,ivf,avi,m4v,mpegvideo,yuv4mpegpipe,rawvideo,aac,mp3,wav,ogg,concat \
  --enable-muxer=mp4,mov,ipod,matroska,webm,mpegts,h264,hevc,ivf,avi,yuv4mpegpipe,rawvideo,null,framemd5,md5,adts \
  --enable-parser=h264,hevc,av1,vp8,vp9,mpeg4video,mpegvideo,aac,mpegaudio,opus,vorbis,ac3 \
  --enable-bsf=h264_mp4toannexb,hevc_mp4toannexb,extract_extradata,vp9_superframe_split,av1_frame_split,aac_adtstoasc,null,setts \
  --enable-decoder=h264,hevc,vp8,vp9,mpeg1video,mpeg2video,mpeg4,av1,libdav1d,rawvideo,aac,mp3,opus,vorbis \
  --enable-decoder=h264_cuvid,hevc_cuvid,vp8_cuvid,vp9_cuvid,av1_cuvid,mpeg2_cuvid,mpeg4_cuvid \
  --enable-hwaccel=h264_nvdec,hevc_nvdec,vp8_nvdec,vp9_nvdec,av1_nvdec,mpeg1_nvdec,mpeg2_nvdec,mpeg4_nvdec \
  --enable-encoder=${gpl_encoders}libsvtav1,h264_nvenc,hevc_nvenc,rawvideo,wrapped_avframe,aac,pcm_s16le \
  --enable-protocol=file,pipe \
  --enable-filter=scale,format,null,nullsink,copy,fps,crop,hflip,vflip,transpose,gblur,eq,setpts,trim,split \
  --enable-filter=hwupload,hwdownload,hwupload_cuda,hwmap,scale_cuda,psnr,ssim,aresample,anull \
  --enable-filter=testsrc,testsrc2,sine,settb,asettb \
  --enable-ffmpeg --enable-ffprobe >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log"; exit 1; }
make -j"$(nproc)" >"$work/make.log" 2>&1 || { grep -E "error" -m 20 "$work/make.log"; tail -20 "$work/make.log"; exit 1; }
make install >/dev/null
# Programs and libraries find each other (and dav1d/SVT-AV1 copied beside them) by $ORIGIN.
for f in "$prefix"/bin/ffmpeg "$prefix"/bin/ffprobe "$prefix"/lib/lib*.so.*[0-9]; do
  [ -L "$f" ] || patchelf --set-rpath '$ORIGIN:$ORIGIN/../lib' "$f"
done
touch "$prefix/.complete"
echo "portable FFmpeg installed at $prefix"
"$prefix/bin/ffmpeg" -hide_banner -version | head -1
