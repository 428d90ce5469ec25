#include "cuframe/error.hpp"

namespace cuframe {

const char* to_string(Errc code) noexcept {
  switch (code) {
    case Errc::InvalidArgument: return "invalid argument";
    case Errc::NotFound: return "not found";
    case Errc::InvalidData: return "invalid data";
    case Errc::Unsupported: return "unsupported";
    case Errc::LimitExceeded: return "limit exceeded";
    case Errc::OutOfMemory: return "out of memory";
    case Errc::DriverMissing: return "driver missing";
    case Errc::DriverTooOld: return "driver too old";
    case Errc::Cuda: return "cuda error";
    case Errc::Nvdec: return "nvdec error";
    case Errc::Nvenc: return "nvenc error";
    case Errc::FFmpeg: return "ffmpeg error";
    case Errc::Io: return "i/o error";
    case Errc::Interrupted: return "interrupted";
    case Errc::Internal: return "internal error";
  }
  return "unknown error";
}

static std::string join(const std::string& subject, const std::string& reason) {
  return subject.empty() ? reason : subject + ": " + reason;
}

Error::Error(Errc code, std::string subject, std::string reason)
    : std::runtime_error(join(subject, reason)),
      code_(code),
      subject_(std::move(subject)),
      reason_(std::move(reason)) {}

}  // namespace cuframe
