#include "cuframe/version.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
}

#include <string>

namespace cuframe {

const char* version() noexcept { return CUFRAME_VERSION_STRING; }

const char* build_info() noexcept {
  static const std::string info = [] {
    std::string s = "FFmpeg ";
    s += av_version_info();
    s += " (libavformat " + std::to_string(LIBAVFORMAT_VERSION_MAJOR) + "." +
         std::to_string(LIBAVFORMAT_VERSION_MINOR) + ", libavcodec " + std::to_string(LIBAVCODEC_VERSION_MAJOR) +
         "." + std::to_string(LIBAVCODEC_VERSION_MINOR) + ")";
#ifdef CUFRAME_CUDA_RUNTIME_VERSION
    s += "; CUDA runtime " + std::to_string(CUFRAME_CUDA_RUNTIME_VERSION / 1000) + "." +
         std::to_string(CUFRAME_CUDA_RUNTIME_VERSION % 1000 / 10) + " (static)";
#else
    s += "; CPU-only build";
#endif
    return s;
  }();
  return info.c_str();
}

}  // namespace cuframe
