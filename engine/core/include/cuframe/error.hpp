// cuframe/error.hpp — the one exception type of the library.
//
// Every failure the engine reports is a cuframe::Error. It carries
//   - code():    a machine-readable category (Errc),
//   - subject(): what failed — a file name ("in.mp4", "-" for stdin), or the failing
//                call with its source location ("cuvidCreateDecoder (nvdec.cpp:120)"),
//   - reason():  a human sentence saying why, and what to do where that is known.
// what() is "subject: reason", which is the shape the CLI prints as
// "cuframe: error: <subject>: <reason>".
//
// Errors never cross a C callback: code called from FFmpeg or NVDEC callbacks stores a
// std::exception_ptr and the caller rethrows once the C function has returned.
#pragma once

#include <stdexcept>
#include <string>

namespace cuframe {

/// Category of an Error. Stable: host applications may switch on it.
enum class Errc {
  InvalidArgument,  ///< A parameter or option is out of its domain (usage error).
  NotFound,         ///< A file, stream or device does not exist.
  InvalidData,      ///< Input is corrupt, truncated or not what it claims to be.
  Unsupported,      ///< Valid input the engine (or this GPU) cannot handle.
  LimitExceeded,    ///< A protective limit (pixels, memory budget, frames) would be crossed.
  OutOfMemory,      ///< An allocation failed.
  DriverMissing,    ///< The NVIDIA driver or one of its libraries cannot be loaded.
  DriverTooOld,     ///< The driver is older than this build needs.
  Cuda,             ///< A CUDA runtime or driver call failed.
  Nvdec,            ///< An NVDEC (cuvid) call failed.
  Nvenc,            ///< An NVENC call failed.
  FFmpeg,           ///< An FFmpeg library call failed for a reason not covered above.
  Io,               ///< Reading or writing failed (disk full, closed pipe, ...).
  Interrupted,      ///< The user interrupted the work (SIGINT).
  Internal,         ///< A bug in cuframe.
};

/// Short stable name of a category, e.g. "invalid data".
const char* to_string(Errc code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(Errc code, std::string subject, std::string reason);

  Errc code() const noexcept { return code_; }
  const std::string& subject() const noexcept { return subject_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  Errc code_;
  std::string subject_;
  std::string reason_;
};

}  // namespace cuframe
