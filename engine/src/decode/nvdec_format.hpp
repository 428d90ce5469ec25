// Internal: the NVDEC parser's handle, the side table's entry, and what NVDEC's backend maps between cuframe's and the SDK's names, and the
// crop libavcodec applies (nvdec_decoder.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "cuframe/demuxer.hpp"
#include "cuframe/media_info.hpp"
#include "nv/api.hpp"

namespace cuframe::detail {

inline cudaVideoCodec nv_codec(Codec c) {
  switch (c) {
    case Codec::H264: return cudaVideoCodec_H264;
    case Codec::HEVC: return cudaVideoCodec_HEVC;
    case Codec::VP8: return cudaVideoCodec_VP8;
    case Codec::VP9: return cudaVideoCodec_VP9;
    case Codec::AV1: return cudaVideoCodec_AV1;
    case Codec::MPEG2: return cudaVideoCodec_MPEG2;
    case Codec::MPEG4: return cudaVideoCodec_MPEG4;
    case Codec::Other: break;
  }
  return cudaVideoCodec_NumCodecs;
}

inline const char* chroma_name(cudaVideoChromaFormat c) {
  switch (c) {
    case cudaVideoChromaFormat_Monochrome: return "4:0:0";
    case cudaVideoChromaFormat_420: return "4:2:0";
    case cudaVideoChromaFormat_422: return "4:2:2";
    case cudaVideoChromaFormat_444: return "4:4:4";
  }
  return "unknown chroma";
}

inline std::string size_text(unsigned w, unsigned h) { return std::to_string(w) + "x" + std::to_string(h); }

// The left edge libavcodec crops to (av_frame_apply_cropping without
// AV_FRAME_CROP_UNALIGNED): it crops less on the left to keep every plane's start
// aligned to 32 bytes, so the frames the CPU path outputs (and this path must equal) can
// be wider than the stream's cropping says (CVFC1: 326 columns, not 300). Picture rows
// are aligned, so only the left edge moves.
inline int libav_crop_left(int left, cudaVideoChromaFormat chroma, int bytes_per_sample) {
  if (left <= 0) return 0;
  const int chroma_left = chroma == cudaVideoChromaFormat_444 ? left : left >> 1;
  int min_align = __builtin_ctz(static_cast<unsigned>(left * bytes_per_sample));
  if (chroma_left > 0) min_align = std::min(min_align, __builtin_ctz(static_cast<unsigned>(chroma_left * bytes_per_sample)));
  const int crop_align = __builtin_ctz(static_cast<unsigned>(left));
  if (min_align < 5) left &= ~((1 << (5 + crop_align - min_align)) - 1);
  return left;
}

struct ParserDeleter {
  void operator()(void* p) const noexcept { nv_api().cuvid->cuvidDestroyVideoParser(static_cast<CUvideoparser>(p)); }
};
using ParserPtr = std::unique_ptr<std::remove_pointer_t<CUvideoparser>, ParserDeleter>;

// What a synthetic timestamp stands for.
struct SideEntry {
  int64_t pts = kNoTimestamp;
  int64_t duration = 0;
  bool keyframe = false;
  bool discard = false;
};

}  // namespace cuframe::detail
