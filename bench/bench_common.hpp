#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/probe.hpp"
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
      std::string why;
      try {
        const test::ProcessResult r = test::run_process(
            argv, {.stdin_file = {}, .stdin_data = {}, .close_stdin_early = false, .timeout_s = 600, .env = {}, .unset_env = {}});
        if (r.exit_code != 0) why = r.last_err_line().empty() ? "exit " + std::to_string(r.exit_code) : r.last_err_line();
      } catch (const std::exception& e) {
        why = e.what();
      }
      if (!why.empty()) {
        std::lock_guard<std::mutex> hold(lock);
        ok = false;
        error = why;
      }
    });
  for (auto& t : threads) t.join();
  return ok ? std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() : -1.0;
}

/// The peer program (CUFRAME_FFMPEG, else `ffmpeg` on PATH); empty when there is none.
inline std::string ffmpeg_path() { return test::tool_path("CUFRAME_FFMPEG", "ffmpeg"); }

/// The 1080p clip of `codec` ("h264" or "hevc") that the decode, encode and transcode rows
/// read. With CUFRAME_BENCH_INPUTS set: that folder's `<codec>.mp4`, made beforehand (the
/// portable bundle's bench-inputs/, made when the bundle is built, so that nothing is
/// encoded on the GPU node; `gpu-check.sh --virtual` makes small ones). Without it: made
/// once per machine by the peer itself, testsrc2 for 4 s at 30 fps (120 frames), libx264
/// or libx265 at their defaults, yuv420p. Empty when there is none (clip_problem says why).
inline const std::string& clip_1080p(const std::string& codec) {
  static std::mutex lock;
  static std::map<std::string, std::string> made;
  std::lock_guard<std::mutex> hold(lock);
  auto it = made.find(codec);
  if (it != made.end()) return it->second;
  std::string path;
  if (const char* dir = std::getenv("CUFRAME_BENCH_INPUTS"); dir && *dir) {
    const std::filesystem::path given = std::filesystem::path(dir) / (codec + ".mp4");
    if (std::filesystem::exists(given)) path = given.string();
    return made[codec] = path;
  }
  const std::string ffmpeg = ffmpeg_path();
  if (!ffmpeg.empty()) {
    const std::filesystem::path out =
        std::filesystem::temp_directory_path() / ("cuframe-bench-1080p-" + codec + ".mp4");
    if (!std::filesystem::exists(out)) {
      const test::ProcessResult r = test::run_process(
          {ffmpeg, "-v", "error", "-y", "-filter_complex", "testsrc2=size=1920x1080:rate=30:duration=4", "-c:v",
           codec == "h264" ? "libx264" : "libx265", "-pix_fmt", "yuv420p", out.string()},
          {.stdin_file = {}, .stdin_data = {}, .close_stdin_early = false, .timeout_s = 600, .env = {"X265_LOG=none"},
           .unset_env = {}});
      if (r.exit_code == 0) path = out.string();
    } else {
      path = out.string();
    }
  }
  return made[codec] = path;
}

/// Why clip_1080p(codec) is empty.
inline std::string clip_problem(const std::string& codec) {
  if (const char* dir = std::getenv("CUFRAME_BENCH_INPUTS"); dir && *dir)
    return std::string("no ") + codec + ".mp4 in CUFRAME_BENCH_INPUTS=" + dir;
  return "no peer ffmpeg to make the 1080p clip (set CUFRAME_FFMPEG, or CUFRAME_BENCH_INPUTS)";
}

/// Frames in a clip (a counting decode, once per file): what a peer process decodes.
inline int64_t clip_frames(const std::string& path) {
  static std::mutex lock;
  static std::map<std::string, int64_t> counted;
  std::lock_guard<std::mutex> hold(lock);
  auto it = counted.find(path);
  if (it != counted.end()) return it->second;
  return counted[path] = probe(InputSource::file(path)).video.frames;
}

/// Runs a row's body: an exception it throws ends the row with its message (SkipWithError,
/// which also stops a running timer) instead of the program and every row after it.
template <typename Body>
void reporting_errors(benchmark::State& state, Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  } catch (...) {
    state.SkipWithError("an exception that is not a std::exception");
  }
}

/// The first error of the threads of one benchmark iteration: each worker catches what it
/// throws and keeps it here, and the row reports it with SkipWithError (a worker that let
/// it escape would end the program, and every row after it).
class FirstError {
 public:
  void keep(const std::exception& e) { keep(e.what()); }
  void keep(const std::string& what) {
    std::lock_guard<std::mutex> hold(lock_);
    if (what_.empty()) what_ = what.empty() ? "an error without a message" : what;
  }
  bool any() const {
    std::lock_guard<std::mutex> hold(lock_);
    return !what_.empty();
  }
  std::string what() const {
    std::lock_guard<std::mutex> hold(lock_);
    return what_;
  }

 private:
  mutable std::mutex lock_;
  std::string what_;
};

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
