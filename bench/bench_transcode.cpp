// End-to-end transcode of the 1080p H.264 clip (bench::clip_1080p, 120 frames) into H.264 MP4,
// cuframe against the ffmpeg program doing the same work in the same run.
//
//   BM_TranscodeCpu/{copy,resize,bicubic,area}  cuframe, CPU path: libavcodec decode,
//                                           CPU executor ops, libx264 (medium, crf 23)
//   BM_PeerFfmpegTranscode/{copy,resize,resize_2tap,bicubic,area}
//                                           `ffmpeg -i clip [-vf scale=1280:720:flags=F] -c:v libx264 out.mp4`
//   BM_TranscodeGpu/resize/N                N cuframe transcodes at once on the GPU (NVDEC,
//                                           CUDA kernels, NVENC or libx264 when the GPU has
//                                           no NVENC)
//   BM_PeerFfmpegCudaTranscode/resize/N     N `ffmpeg -hwaccel cuda -hwaccel_output_format cuda
//                                           -vf scale_cuda=1280:720 ...` processes at once
// "resize" is resize=1280x720 (bilinear: two taps, OpenCV's INTER_LINEAR). swscale's
// "bilinear" widens its filter when it downscales (an anti-aliased, smoother picture that
// libx264 codes in fewer bits and less time); its 2-tap filter is fast_bilinear
// (resize_2tap), the same work as cuframe's; "bicubic" (swscale's default filter, also
// widened when it downscales) and "area" (the box filter) name the same filter on both
// sides.
// `out_kb` is the output's size: the encoder's work follows it. Counters: fps
// (aggregate); for cuframe also
// `overlap`, the slowest stage's busy time over the wall time (1.0 = the pipeline runs
// as fast as its slowest stage alone; DESIGN target >= 0.9 on a GPU), and each stage's
// busy time per frame.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "cuframe/cuda_stream.hpp"
#include "cuframe/encoder.hpp"
#include "cuframe/op_chain.hpp"
#include "cuframe/pipeline.hpp"

namespace {

using namespace cuframe;
namespace fs = std::filesystem;

fs::path out_path(const std::string& tag) { return fs::temp_directory_path() / ("cuframe-bench-" + tag + ".mp4"); }

void report_stages(benchmark::State& state, const std::vector<TranscodeStats>& runs) {
  if (runs.empty()) return;
  double wall = 0, slowest = 0;
  std::map<std::string, double> busy;
  int64_t frames = 0;
  for (const TranscodeStats& s : runs) {
    wall += s.seconds;
    frames += s.frames;
    double m = 0;
    for (const StageStats& st : s.stages) {
      busy[st.name] += st.busy_s;
      m = std::max(m, st.busy_s);
    }
    slowest += m;
  }
  state.counters["overlap"] = wall > 0 ? slowest / wall : 0;
  for (const auto& [name, s] : busy) state.counters[name + "_ms_per_frame"] = frames ? 1000 * s / frames : 0;
}

void BM_TranscodeCpu(benchmark::State& state, const std::string& ops) {
  const std::string& clip = bench::clip_1080p("h264");
  if (clip.empty()) return state.SkipWithError(bench::clip_problem("h264").c_str());
  bench::reporting_errors(state, [&] {
    TranscodeOptions o;
    o.decode.backend = Backend::Cpu;
    o.encode.backend = EncoderBackend::Cpu;
    o.ops = parse_ops(ops);
    const fs::path out = out_path("cpu");
    int64_t frames = 0;
    std::vector<TranscodeStats> runs;
    for (auto _ : state) {
      runs.push_back(transcode(InputSource::file(clip), out.string(), o));
      frames += runs.back().frames;
    }
    state.counters["out_kb"] = fs::exists(out) ? static_cast<double>(fs::file_size(out)) / 1024 : 0;
    fs::remove(out);
    state.counters["fps"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
    report_stages(state, runs);
  });
}

void BM_PeerFfmpegTranscode(benchmark::State& state, const std::string& vf) {
  const std::string& clip = bench::clip_1080p("h264");
  const std::string ffmpeg = bench::ffmpeg_path();
  if (clip.empty()) return state.SkipWithError(bench::clip_problem("h264").c_str());
  if (ffmpeg.empty()) return state.SkipWithError("no peer ffmpeg");
  bench::reporting_errors(state, [&] {
    const fs::path out = out_path("peer");
    std::vector<std::string> args = {ffmpeg, "-v", "error", "-nostdin", "-y", "-i", clip};
    if (!vf.empty()) args.insert(args.end(), {"-vf", vf});
    args.insert(args.end(), {"-c:v", "libx264", out.string()});
    const int64_t clip_frames = bench::clip_frames(clip);
    int64_t frames = 0;
    for (auto _ : state) {
      const auto t0 = std::chrono::steady_clock::now();
      const test::ProcessResult r = test::run_process(
          args, {.stdin_file = {}, .stdin_data = {}, .close_stdin_early = false, .timeout_s = 600, .env = {}, .unset_env = {}});
      const auto t1 = std::chrono::steady_clock::now();
      if (r.exit_code != 0) return state.SkipWithError(("ffmpeg failed: " + r.last_err_line()).c_str());
      state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
      frames += clip_frames;
    }
    state.counters["out_kb"] = fs::exists(out) ? static_cast<double>(fs::file_size(out)) / 1024 : 0;
    fs::remove(out);
    state.counters["fps"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  });
}

BENCHMARK_CAPTURE(BM_TranscodeCpu, copy, std::string(""))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PeerFfmpegTranscode, copy, std::string(""))->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(BM_TranscodeCpu, resize, std::string("resize=1280x720"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PeerFfmpegTranscode, resize, std::string("scale=1280:720:flags=bilinear"))
    ->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(BM_PeerFfmpegTranscode, resize_2tap, std::string("scale=1280:720:flags=fast_bilinear"))
    ->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(BM_TranscodeCpu, bicubic, std::string("resize=1280x720:bicubic"))
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PeerFfmpegTranscode, bicubic, std::string("scale=1280:720:flags=bicubic"))
    ->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(BM_TranscodeCpu, area, std::string("resize=1280x720:area"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PeerFfmpegTranscode, area, std::string("scale=1280:720:flags=area"))
    ->Unit(benchmark::kMillisecond)->UseManualTime();

bool have_gpu() { return cuda_device_count() > 0; }

// N transcodes at once, one thread each; each thread keeps its error and the row reports
// the first one with its message.
void BM_TranscodeGpu(benchmark::State& state) {
  if (!have_gpu()) return state.SkipWithError("no GPU");
  const std::string& clip = bench::clip_1080p("h264");
  if (clip.empty()) return state.SkipWithError(bench::clip_problem("h264").c_str());
  const int sessions = static_cast<int>(state.range(0));
  TranscodeOptions o;
  o.decode.backend = Backend::Nvdec;
  o.ops = parse_ops("resize=1280x720");
  int64_t frames = 0;
  std::vector<TranscodeStats> runs;
  std::string encoder;
  for (auto _ : state) {
    std::vector<std::thread> threads;
    std::mutex lock;
    bench::FirstError error;
    for (int s = 0; s < sessions; ++s)
      threads.emplace_back([&, s] {
        try {
          TranscodeStats st = transcode(InputSource::file(clip), out_path("gpu" + std::to_string(s)).string(), o);
          std::lock_guard<std::mutex> hold(lock);
          frames += st.frames;
          encoder = st.encoder;
          runs.push_back(std::move(st));
        } catch (const std::exception& e) {
          error.keep(e);
        } catch (...) {
          error.keep("an exception that is not a std::exception");
        }
      });
    for (auto& t : threads) t.join();
    if (error.any()) {
      for (int s = 0; s < sessions; ++s) fs::remove(out_path("gpu" + std::to_string(s)));
      return state.SkipWithError(("a GPU transcode failed: " + error.what()).c_str());
    }
  }
  for (int s = 0; s < sessions; ++s) fs::remove(out_path("gpu" + std::to_string(s)));
  state.counters["fps"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  report_stages(state, runs);
  state.SetLabel(encoder);
}

// The ffmpeg program's CUDA pipeline: NVDEC into device frames, scale_cuda, then NVENC
// where the GPU has it, else download and libx264 (what that program can do on an H100).
void peer_cuda_transcode(benchmark::State& state, const std::string& clip, const std::string& ffmpeg) {
  EncodeParams p;
  p.width = 1280;
  p.height = 720;
  const bool nvenc = nvenc_unavailable_reason(p, EncodeOptions{}).empty();
  const int64_t clip_frames = bench::clip_frames(clip);
  const int procs = static_cast<int>(state.range(0));
  int64_t frames = 0;
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < procs; ++i) {
    std::vector<std::string> args = {ffmpeg, "-v", "error", "-nostdin", "-y", "-hwaccel", "cuda",
                                     "-hwaccel_output_format", "cuda", "-i", clip, "-vf"};
    if (nvenc) {
      args.insert(args.end(), {"scale_cuda=1280:720", "-c:v", "h264_nvenc"});
    } else {
      args.insert(args.end(), {"scale_cuda=1280:720,hwdownload,format=nv12", "-c:v", "libx264"});
    }
    args.push_back(out_path("peer-cuda" + std::to_string(i)).string());
    commands.push_back(std::move(args));
  }
  for (auto _ : state) {
    std::string error;
    const double seconds = bench::run_processes_at_once(commands, error);
    if (seconds < 0) return state.SkipWithError(("ffmpeg's CUDA pipeline failed: " + error).c_str());
    state.SetIterationTime(seconds);
    frames += clip_frames * procs;
  }
  for (int i = 0; i < procs; ++i) fs::remove(out_path("peer-cuda" + std::to_string(i)));
  state.counters["fps"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  state.SetLabel(nvenc ? "h264_nvenc" : "libx264 (no NVENC)");
}

void BM_PeerFfmpegCudaTranscode(benchmark::State& state) {
  if (!have_gpu()) return state.SkipWithError("no GPU");
  const std::string& clip = bench::clip_1080p("h264");
  const std::string ffmpeg = bench::ffmpeg_path();
  if (clip.empty()) return state.SkipWithError(bench::clip_problem("h264").c_str());
  if (ffmpeg.empty()) return state.SkipWithError("no peer ffmpeg");
  bench::reporting_errors(state, [&] { peer_cuda_transcode(state, clip, ffmpeg); });
}

BENCHMARK(BM_TranscodeGpu)->Arg(1)->Arg(4)->Arg(7)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PeerFfmpegCudaTranscode)->Arg(1)->Arg(4)->Arg(7)->Unit(benchmark::kMillisecond)->UseManualTime();

}  // namespace
