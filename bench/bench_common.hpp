#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

namespace cuframe::bench {

/// Milliseconds the device spends on the work `enqueue` queues on `stream`, from CUDA
/// events recorded around it (no host time, no launch latency of a synchronise).
template <typename F>
double gpu_ms(const CudaStream& stream, F&& enqueue) {
  static thread_local CudaEvent start(stream.device(), true), stop(stream.device(), true);
  start.record(stream);
  enqueue();
  stop.record(stream);
  stop.synchronize();
  return stop.elapsed_ms_since(start);
}

/// Runs the commands at once (one process each) and waits for all of them: the wall time
/// in seconds, or -1 with `error` set to the last stderr line of one that failed. For
/// peers of N parallel sessions.
inline double run_processes_at_once(const std::vector<std::vector<std::string>>& commands, std::string& error) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::mutex lock;
  bool ok = true;
  for (const auto& argv : commands)
    threads.emplace_back([&, argv] {
      const test::ProcessResult r = test::run_process(
          argv, {.stdin_file = {}, .stdin_data = {}, .close_stdin_early = false, .timeout_s = 600, .env = {}});
      if (r.exit_code != 0) {
        std::lock_guard<std::mutex> hold(lock);
        ok = false;
        error = r.last_err_line();
      }
    });
  for (auto& t : threads) t.join();
  return ok ? std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() : -1.0;
}

/// The peer program (CUFRAME_FFMPEG, else `ffmpeg` on PATH); empty when there is none.
inline std::string ffmpeg_path() { return test::tool_path("CUFRAME_FFMPEG", "ffmpeg"); }

/// A 1080p clip made once per machine by the peer itself: testsrc2 for 4 s at 30 fps
/// (120 frames), libx264 or libx265 at their defaults, yuv420p. Empty when it cannot be
/// made (no peer).
inline const std::string& clip_1080p(const std::string& codec) {
  static std::mutex lock;
  static std::map<std::string, std::string> made;
  std::lock_guard<std::mutex> hold(lock);
  auto it = made.find(codec);
  if (it != made.end()) return it->second;
  std::string path;
  const std::string ffmpeg = ffmpeg_path();
  if (!ffmpeg.empty()) {
    const std::filesystem::path out =
        std::filesystem::temp_directory_path() / ("cuframe-bench-1080p-" + codec + ".mp4");
    if (!std::filesystem::exists(out)) {
      const test::ProcessResult r = test::run_process(
          {ffmpeg, "-v", "error", "-y", "-filter_complex", "testsrc2=size=1920x1080:rate=30:duration=4", "-c:v",
           codec == "h264" ? "libx264" : "libx265", "-pix_fmt", "yuv420p", out.string()},
          {.stdin_file = {}, .stdin_data = {}, .close_stdin_early = false, .timeout_s = 600, .env = {"X265_LOG=none"}});
      if (r.exit_code == 0) path = out.string();
    } else {
      path = out.string();
    }
  }
  return made[codec] = path;
}

inline std::filesystem::path data_dir() {
  if (const char* e = std::getenv("CUFRAME_TEST_DATA")) return e;
  return CUFRAME_BENCH_DATA_DIR;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace cuframe::bench
