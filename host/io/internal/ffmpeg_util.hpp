// Internal helpers around FFmpeg: RAII handles and error mapping. Not a public header.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
}

#include <memory>
#include <string>

#include "cuframe/error.hpp"

namespace cuframe::detail {

/// AVERROR code as text ("Invalid data found when processing input").
std::string av_error_text(int averror);

/// Maps an AVERROR to a cuframe::Error category.
Errc av_error_category(int averror) noexcept;

/// Throws cuframe::Error for a failed FFmpeg call: subject is the input or output name,
/// `what` says what was being done ("reading a packet"), the reason adds FFmpeg's text.
[[noreturn]] void throw_av_error(int averror, const std::string& subject, const std::string& what);

/// Checks an FFmpeg return value (negative = error) and returns it otherwise.
inline int av_check(int ret, const std::string& subject, const char* what) {
  if (ret < 0) throw_av_error(ret, subject, what);
  return ret;
}

struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const noexcept { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const noexcept { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const noexcept { av_packet_free(&p); }
};
struct BsfDeleter {
  void operator()(AVBSFContext* b) const noexcept { av_bsf_free(&b); }
};
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using BsfPtr = std::unique_ptr<AVBSFContext, BsfDeleter>;

/// The mp4-to-Annex-B filter for H.264/HEVC parameters (length-prefixed NAL units and
/// avcC/hvcC extradata -> start codes, parameter sets in band), initialised; null for
/// codecs that need none. The filter's par_out holds the Annex-B extradata.
BsfPtr make_annexb_filter(const AVCodecParameters* par, AVRational time_base, const std::string& subject);

/// Allocators that throw instead of returning null.
FramePtr make_frame();
PacketPtr make_packet();

}  // namespace cuframe::detail
