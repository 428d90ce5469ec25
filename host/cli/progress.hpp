// Progress line on a terminal (frames, fps, ETA), silent when stderr is not a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <unistd.h>

namespace cuframe::cli {

class Progress {
 public:
  /// `total` frames expected (0 if unknown).
  Progress(const char* what, int64_t total) : what_(what), total_(total), enabled_(isatty(STDERR_FILENO) != 0) {}
  ~Progress() { finish(); }

  void set_total(int64_t total) { total_ = total; }

  void update(int64_t frames) {
    if (!enabled_) return;
    const auto now = clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double fps = secs > 0 ? static_cast<double>(frames) / secs : 0.0;
    if (total_ > 0 && fps > 0 && frames <= total_) {
      std::fprintf(stderr, "\r%s: %lld/%lld frames, %.1f fps, ETA %.0f s   ", what_, static_cast<long long>(frames),
                   static_cast<long long>(total_), fps, static_cast<double>(total_ - frames) / fps);
    } else {
      std::fprintf(stderr, "\r%s: %lld frames, %.1f fps   ", what_, static_cast<long long>(frames), fps);
    }
    shown_ = true;
  }

  void finish() {
    if (shown_) std::fprintf(stderr, "\n");
    shown_ = false;
  }

 private:
  using clock = std::chrono::steady_clock;
  const char* what_;
  int64_t total_;
  bool enabled_;
  bool shown_ = false;
  clock::time_point start_ = clock::now();
  clock::time_point last_{};
};

}  // namespace cuframe::cli
