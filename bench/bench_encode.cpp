// Encode throughput per backend at 1080p, against the ffmpeg program doing the same encode
// in the same run. Both sides encode the same 30 decoded frames of the peer-made 1080p
// clip at the default quality (libx264 medium crf 23, libx265 medium crf 28, SVT-AV1
// preset 10 crf 35; NVENC p4 cq 23/28) and write no container.
//
//   BM_EncodeCpu/{h264,hevc,av1}        cuframe's libavcodec encoder from host NV12 frames
//   BM_PeerFfmpegEncode/{h264,hevc,av1} `ffmpeg -f rawvideo -pix_fmt nv12 ... -c:v lib... -f null -`
//   BM_EncodeNvenc/{h264,hevc}          NVENC from device frames (skips, saying why, where
//                                       the GPU has no NVENC: H100, H200)
//   BM_PeerFfmpegNvenc/{h264,hevc}      `ffmpeg ... -c:v h264_nvenc|hevc_nvenc -f null -`
// Rates are frames/s; compare rows of one run only.
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "bench_common.hpp"
#include "cuframe/cuda_stream.hpp"
#include "cuframe/decoder.hpp"
#include "cuframe/encoder.hpp"

namespace {

using namespace cuframe;
namespace fs = std::filesystem;

constexpr int kFrames = 30;

// The first kFrames frames of the 1080p H.264 clip, decoded once, in host memory; and
// the same frames as a raw NV12 file for the peer.
struct Source {
  std::optional<FrameBatch> frames;
  EncodeParams params;
  std::string raw_path;
  std::string problem;
};

const Source& source() {
  static const Source s = [] {
    Source r;
    const std::string& clip = bench::clip_1080p("h264");
    if (clip.empty()) {
      r.problem = bench::clip_problem("h264");
      return r;
    }
    ReaderOptions o;
    o.decode.backend = Backend::Cpu;
    o.batch_frames = kFrames;
    VideoReader reader(InputSource::file(clip), o);
    FrameBatch b = reader.make_batch();
    if (!reader.read(b) || b.size() != kFrames) {
      r.problem = "the 1080p clip has fewer than 30 frames";
      return r;
    }
    const VideoStreamInfo& v = reader.info().video;
    r.params.width = b.layout().width;
    r.params.height = b.layout().height;
    r.params.format = b.layout().format;
    r.params.bit_depth = 8;
    r.params.color = v.color;
    r.params.time_base = b.time_base;
    r.params.frame_rate = v.fps;
    r.params.global_header = false;  // like -f null: headers in band
    const fs::path raw = fs::temp_directory_path() / "cuframe-bench-1080p-30.nv12";
    std::ofstream f(raw, std::ios::binary);
    const FrameLayout& l = b.layout();
    for (int i = 0; i < b.size(); ++i)
      for (int p = 0; p < l.plane_count; ++p)
        for (int y = 0; y < l.planes[p].rows; ++y)
          f.write(reinterpret_cast<const char*>(b.plane(i, p) + static_cast<size_t>(y) * l.planes[p].pitch),
                  static_cast<std::streamsize>(l.planes[p].row_bytes));
    if (!f) {
      r.problem = "cannot write the raw frames for the peer";
      return r;
    }
    r.raw_path = raw.string();
    r.frames.emplace(std::move(b));
    return r;
  }();
  return s;
}

Codec codec_of(const std::string& name) {
  return name == "hevc" ? Codec::HEVC : name == "av1" ? Codec::AV1 : Codec::H264;
}

int64_t encode_all(Encoder& enc, const FrameBatch& frames, const CudaStream* stream) {
  Packet pkt;
  int64_t packets = 0;
  enc.send(frames, stream);
  while (enc.receive(pkt)) ++packets;
  enc.flush();
  while (enc.receive(pkt)) ++packets;
  return packets;
}

void BM_EncodeCpu(benchmark::State& state, const std::string& codec) {
  bench::reporting_errors(state, [&] {
    const Source& s = source();
    if (!s.problem.empty()) return state.SkipWithError(s.problem.c_str());
    EncodeOptions o;
    o.codec = codec_of(codec);
    o.backend = EncoderBackend::Cpu;
    int64_t frames = 0;
    std::string description;
    for (auto _ : state) {
      std::unique_ptr<Encoder> enc = open_encoder(s.params, o);  // opening is part of the work, as for the peer
      if (encode_all(*enc, *s.frames, nullptr) != kFrames) return state.SkipWithError("packets lost");
      frames += kFrames;
      description = enc->description();
    }
    state.counters["fps"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
    state.SetLabel(description);
  });
}

void peer_encode(benchmark::State& state, const std::vector<std::string>& codec_args) {
  const Source& s = source();
  const std::string ffmpeg = bench::ffmpeg_path();
  if (!s.problem.empty()) return state.SkipWithError(s.problem.c_str());
  if (ffmpeg.empty()) return state.SkipWithError("no peer ffmpeg");
  const std::string size = std::to_string(s.params.width) + "x" + std::to_string(s.params.height);
  std::vector<std::string> args = {ffmpeg, "-v", "error", "-nostdin", "-f", "rawvideo", "-pix_fmt", "nv12", "-s",
                                   size, "-r", "30", "-i", s.raw_path};
  args.insert(args.end(), codec_args.begin(), codec_args.end());
  args.insert(args.end(), {"-f", "null", "-"});
  int64_t frames = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const test::ProcessResult r = test::run_process(args, {.stdin_file = {}, .stdin_data = {}, .close_stdin_early = false,
                                                           .timeout_s = 600, .env = {"X265_LOG=none", "SVT_LOG=1"},
                                                           .unset_env = {}});
    const auto t1 = std::chrono::steady_clock::now();
    if (r.exit_code != 0) return state.SkipWithError(("ffmpeg failed: " + r.last_err_line()).c_str());
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    frames += kFrames;
  }
  state.counters["fps"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}

void BM_PeerFfmpegEncode(benchmark::State& state, const std::string& codec) {
  const char* lib = codec == "hevc" ? "libx265" : codec == "av1" ? "libsvtav1" : "libx264";
  bench::reporting_errors(state, [&] { peer_encode(state, {"-c:v", lib}); });
}

void BM_EncodeNvenc(benchmark::State& state, const std::string& codec) {
  bench::reporting_errors(state, [&] {
    const Source& s = source();
    if (!s.problem.empty()) return state.SkipWithError(s.problem.c_str());
    EncodeOptions o;
    o.codec = codec_of(codec);
    o.backend = EncoderBackend::Nvenc;
    if (const std::string why = nvenc_unavailable_reason(s.params, o); !why.empty())
      return state.SkipWithError(("no NVENC: " + why).c_str());
    CudaStream stream(0);
    FrameBatch device(s.frames->layout(), kFrames, MemoryKind::Device);
    device.resize(kFrames);
    stream.copy_async(device.data(), s.frames->data(), s.frames->layout().frame_stride * kFrames);
    for (int i = 0; i < kFrames; ++i) device.info(i) = s.frames->info(i);
    stream.synchronize();
    int64_t frames = 0;
    for (auto _ : state) {
      std::unique_ptr<Encoder> enc = open_encoder(s.params, o);
      if (encode_all(*enc, device, &stream) != kFrames) return state.SkipWithError("packets lost");
      frames += kFrames;
    }
    state.counters["fps"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  });
}

void BM_PeerFfmpegNvenc(benchmark::State& state, const std::string& codec) {
  bench::reporting_errors(state, [&] {
    EncodeParams p = source().params;
    EncodeOptions o;
    o.codec = codec_of(codec);
    if (const std::string why = nvenc_unavailable_reason(p, o); !why.empty())
      return state.SkipWithError(("no NVENC: " + why).c_str());
    peer_encode(state, {"-c:v", codec == "hevc" ? "hevc_nvenc" : "h264_nvenc"});
  });
}

#define CUFRAME_ENCODE_ROWS(codec)                                                                             \
  BENCHMARK_CAPTURE(BM_EncodeCpu, codec, std::string(#codec))->Unit(benchmark::kMillisecond)->UseRealTime();      \
  BENCHMARK_CAPTURE(BM_PeerFfmpegEncode, codec, std::string(#codec))->Unit(benchmark::kMillisecond)->UseManualTime();
CUFRAME_ENCODE_ROWS(h264)
CUFRAME_ENCODE_ROWS(hevc)
CUFRAME_ENCODE_ROWS(av1)
#undef CUFRAME_ENCODE_ROWS
BENCHMARK_CAPTURE(BM_EncodeNvenc, h264, std::string("h264"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PeerFfmpegNvenc, h264, std::string("h264"))->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(BM_EncodeNvenc, hevc, std::string("hevc"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PeerFfmpegNvenc, hevc, std::string("hevc"))->Unit(benchmark::kMillisecond)->UseManualTime();

}  // namespace
