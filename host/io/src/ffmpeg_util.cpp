#include "ffmpeg_util.hpp"

#include <cerrno>

namespace cuframe::detail {

std::string av_error_text(int averror) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(averror, buf, sizeof buf) < 0) return "FFmpeg error " + std::to_string(averror);
  return buf;
}

Errc av_error_category(int averror) noexcept {
  switch (averror) {
    case AVERROR(ENOENT): return Errc::NotFound;
    case AVERROR(ENOMEM): return Errc::OutOfMemory;
    case AVERROR(EINVAL): return Errc::InvalidArgument;
    case AVERROR(EIO):
    case AVERROR(EPIPE):
    case AVERROR(ENOSPC):
    case AVERROR(EACCES):
    case AVERROR(EPERM): return Errc::Io;
    case AVERROR_INVALIDDATA:
    case AVERROR_EOF: return Errc::InvalidData;
    case AVERROR_DECODER_NOT_FOUND:
    case AVERROR_DEMUXER_NOT_FOUND:
    case AVERROR_ENCODER_NOT_FOUND:
    case AVERROR_MUXER_NOT_FOUND:
    case AVERROR_PATCHWELCOME:
    case AVERROR(ENOSYS): return Errc::Unsupported;
    case AVERROR_EXIT: return Errc::Interrupted;
    default: return Errc::FFmpeg;
  }
}

void throw_av_error(int averror, const std::string& subject, const std::string& what) {
  throw Error(av_error_category(averror), subject, what + ": " + av_error_text(averror));
}

BsfPtr make_annexb_filter(const AVCodecParameters* par, AVRational time_base, const std::string& subject) {
  const char* filter = par->codec_id == AV_CODEC_ID_H264   ? "h264_mp4toannexb"
                       : par->codec_id == AV_CODEC_ID_HEVC ? "hevc_mp4toannexb"
                                                           : nullptr;
  if (!filter) return nullptr;
  const AVBitStreamFilter* f = av_bsf_get_by_name(filter);
  if (!f) throw Error(Errc::Unsupported, subject, std::string("this FFmpeg build lacks the ") + filter + " filter");
  AVBSFContext* ctx = nullptr;
  av_check(av_bsf_alloc(f, &ctx), subject, "allocating a bitstream filter");
  BsfPtr bsf(ctx);
  av_check(avcodec_parameters_copy(ctx->par_in, par), subject, "configuring a bitstream filter");
  ctx->time_base_in = time_base;
  av_check(av_bsf_init(ctx), subject, "initialising the Annex-B filter");
  return bsf;
}

FramePtr make_frame() {
  FramePtr f(av_frame_alloc());
  if (!f) throw Error(Errc::OutOfMemory, "av_frame_alloc", "cannot allocate a frame");
  return f;
}

PacketPtr make_packet() {
  PacketPtr p(av_packet_alloc());
  if (!p) throw Error(Errc::OutOfMemory, "av_packet_alloc", "cannot allocate a packet");
  return p;
}

}  // namespace cuframe::detail
