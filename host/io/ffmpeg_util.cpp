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
