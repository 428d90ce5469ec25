// The engine's log; it also sets FFmpeg's log level alongside its own.
#include "cuframe/log.hpp"

extern "C" {
#include <libavutil/log.h>
}

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace cuframe {

namespace {
std::atomic<Verbosity> g_verbosity{Verbosity::Errors};
}

void set_verbosity(Verbosity v) noexcept {
  g_verbosity = v;
  switch (v) {
    case Verbosity::Quiet:
    case Verbosity::Errors: av_log_set_level(AV_LOG_QUIET); break;
    case Verbosity::Info: av_log_set_level(AV_LOG_WARNING); break;
    case Verbosity::Debug: av_log_set_level(AV_LOG_VERBOSE); break;
  }
}

Verbosity verbosity() noexcept { return g_verbosity; }

void log(Verbosity level, const char* fmt, ...) noexcept {
  if (level == Verbosity::Quiet || static_cast<int>(level) > static_cast<int>(g_verbosity.load())) return;
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "cuframe: %s\n", buf);
}

}  // namespace cuframe
