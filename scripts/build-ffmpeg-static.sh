#!/usr/bin/env bash
# Builds the minimal static FFmpeg of the portable bundle from Debian's own source
# package (the same FFmpeg 5.1 the system build links, so results agree):
#   - libraries for the engine: demuxers/muxers mov/mp4, matroska/webm, mpegts, raw
#     h264/hevc/ivf; parsers and bitstream filters; software decoders for the fallback
#     (h264, hevc, vp8, vp9, mpeg1/2/4; AV1 via libdav1d); encoders libx264, libx265,
#     SVT-AV1, NVENC (loaded at run time); NVDEC/CUVID hwaccels for the peer;
#   - the `ffmpeg` and `ffprobe` programs: the peer for benchmarks and the oracle for tests,
#     with scale_cuda (compiled to PTX by clang) for the FFmpeg CUDA pipeline.
# x264, x265 and libnuma are linked statically; libdav1d and libSvtAv1Enc have no static
# archive in Debian and travel as shared libraries beside the binaries.
#
# Usage: scripts/build-ffmpeg-static.sh [PREFIX]   (default: .cache/ffmpeg-static)
# A finished PREFIX is reused. About 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(realpath -m "${1:-.cache/ffmpeg-static}")
if [ -x "$prefix/bin/ffmpeg" ] && [ -f "$prefix/lib/libavformat.a" ] && [ -f "$prefix/.complete" ]; then
  echo "static FFmpeg already at $prefix"; exit 0
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

# Only static archives here, so that -lx264/-lx265/-lnuma resolve to .a files.
mkdir -p "$work/static"
for a in libx264.a libx265.a libnuma.a; do cp "/usr/lib/x86_64-linux-gnu/$a" "$work/static/"; done

cd "$src"
./configure --prefix="$prefix" --pkg-config-flags=--static \
  --extra-ldflags="-L$work/static" --extra-libs="-lstdc++ -lnuma -ldl" \
  --disable-everything --disable-doc --disable-network --disable-autodetect --disable-debug \
  --enable-static --disable-shared --enable-pic --enable-gpl \
  --enable-pthreads --enable-zlib --enable-libx264 --enable-libx265 --enable-libdav1d --enable-libsvtav1 \
  --enable-ffnvcodec --enable-nvdec --enable-cuvid --enable-nvenc --enable-cuda-llvm \
  --enable-demuxer=mov,matroska,mpegts,h264,hevc,ivf,avi,m4v,mpegvideo,yuv4mpegpipe,rawvideo,aac,mp3,wav,ogg,concat \
  --enable-muxer=mp4,mov,ipod,matroska,webm,mpegts,h264,hevc,ivf,avi,yuv4mpegpipe,rawvideo,null,framemd5,md5,adts \
  --enable-parser=h264,hevc,av1,vp8,vp9,mpeg4video,mpegvideo,aac,mpegaudio,opus,vorbis,ac3 \
  --enable-bsf=h264_mp4toannexb,hevc_mp4toannexb,extract_extradata,vp9_superframe_split,av1_frame_split,aac_adtstoasc,null,setts \
  --enable-decoder=h264,hevc,vp8,vp9,mpeg1video,mpeg2video,mpeg4,av1,libdav1d,rawvideo,aac,mp3,opus,vorbis \
  --enable-decoder=h264_cuvid,hevc_cuvid,vp8_cuvid,vp9_cuvid,av1_cuvid,mpeg2_cuvid,mpeg4_cuvid \
  --enable-hwaccel=h264_nvdec,hevc_nvdec,vp8_nvdec,vp9_nvdec,av1_nvdec,mpeg1_nvdec,mpeg2_nvdec,mpeg4_nvdec \
  --enable-encoder=libx264,libx265,libsvtav1,h264_nvenc,hevc_nvenc,rawvideo,wrapped_avframe,aac \
  --enable-protocol=file,pipe \
  --enable-filter=scale,format,null,nullsink,copy,fps,crop,hflip,vflip,transpose,gblur,eq,setpts,trim,split \
  --enable-filter=hwupload,hwdownload,hwupload_cuda,hwmap,scale_cuda,psnr,ssim,aresample,anull \
  --enable-indev=lavfi --enable-filter=testsrc,testsrc2,sine \
  --enable-ffmpeg --enable-ffprobe >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log"; exit 1; }
make -j"$(nproc)" >"$work/make.log" 2>&1 || { grep -E "error" -m 20 "$work/make.log"; tail -20 "$work/make.log"; exit 1; }
make install >/dev/null
# The .pc files name -lx264/-lx265/-lnuma: keep the archives beside FFmpeg's.
cp "$work"/static/*.a "$prefix/lib/"
touch "$prefix/.complete"
echo "static FFmpeg installed at $prefix"
"$prefix/bin/ffmpeg" -hide_banner -version | head -1
