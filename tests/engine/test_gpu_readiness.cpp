// The GPU path end to end, as a user runs it (issue "GPU readiness"): on a GPU node and on
// the virtual GPU alike. Each test skips without a GPU (fails with CUFRAME_REQUIRE_GPU=1).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "cuframe/cuframe.hpp"
#include "support/gpu.hpp"
#include "support/helpers.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

namespace cuframe {
namespace {

namespace fs = std::filesystem;

test::ProcessResult cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {test::cli_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run_process(argv);
}

std::string ffmpeg() { return test::tool_path("CUFRAME_FFMPEG", "ffmpeg"); }

// Why GPU 0's caps refuse `v` ("" when they accept it): the capability query decides.
std::string caps_refusal(const VideoStreamInfo& v) {
  const CodecCapsReport caps = query_codec_caps(0);
  if (!caps.decode_problem.empty()) return "no decode caps: " + caps.decode_problem;
  if (v.chroma != ChromaFormat::Yuv420 && v.chroma != ChromaFormat::Yuv444) return "no NVDEC output for its chroma";
  for (const DecodeCaps& c : caps.decode) {
    if (c.codec != v.codec || c.chroma != v.chroma || c.bit_depth != v.bit_depth) continue;
    if (!c.supported) return "not in the caps";
    const int unit = v.codec == Codec::HEVC || v.codec == Codec::VP9 || v.codec == Codec::AV1 ? 8 : 16;
    const int cw = (v.width + unit - 1) / unit * unit, ch = (v.height + unit - 1) / unit * unit;
    if (cw < c.min_width || ch < c.min_height || cw > c.max_width || ch > c.max_height) return "size outside the caps";
    return "";
  }
  return "no caps row";
}

// `decode --device cuda` runs NVDEC and writes the bytes of `--device cpu` on every sample
// the GPU decodes (the odd-sized VP9, MPEG-2 and HEVC 4:4:4 ones included), and refuses
// the others with an error naming the capability.
TEST(GpuReadiness, CliDecodeOnCudaWritesTheCpuBytesOnEverySample) {
  CUFRAME_GPU_TEST();
  int decoded = 0, refused = 0;
  for (const std::string& name : test::sample_names()) {
    if (name == "corrupted.mp4") continue;
    SCOPED_TRACE(name);
    const std::string f = test::sample(name).string();
    const std::string refusal = caps_refusal(Demuxer(InputSource::file(f)).video());
    const test::ProcessResult gpu = cli({"--verbose", "decode", f, "-o", "-", "--pix-fmt", "native", "--device", "cuda"});
    if (!refusal.empty()) {
      EXPECT_EQ(gpu.exit_code, 1) << "the caps refuse it (" << refusal << "): " << gpu.err;
      EXPECT_EQ(gpu.last_err_line().rfind("cuframe: error: " + f + ": ", 0), 0u) << gpu.err;
      ++refused;
      continue;
    }
    const test::ProcessResult cpu = cli({"decode", f, "-o", "-", "--pix-fmt", "native", "--device", "cpu"});
    ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
    ASSERT_EQ(gpu.exit_code, 0) << gpu.err;
    EXPECT_NE(gpu.err.find("decoding with NVDEC"), std::string::npos) << gpu.err;
    EXPECT_EQ(gpu.out.size(), cpu.out.size());
    EXPECT_TRUE(gpu.out == cpu.out) << "NVDEC's bytes differ from libavcodec's";
    ++decoded;
  }
  EXPECT_GE(decoded, 20);
  EXPECT_GE(refused, 1);
}

// Auto: what the GPU refuses at the first sequence header decodes on the CPU, and
// --verbose names the capability; H.264 4:2:0 8-bit decodes with NVDEC. On every command.
TEST(GpuReadiness, AutoFallsBackNamingTheCapability) {
  CUFRAME_GPU_TEST();
  struct Case {
    const char* sample;
    const char* says;  // part of the capability named
  };
  for (const Case& c : {Case{"h265_video.mp4", "coded sizes from"}, Case{"h264_10bits.mp4", "cannot decode"},
                        Case{"testsrc2_odd_width_444.mp4", "cannot decode"}}) {
    SCOPED_TRACE(c.sample);
    const std::string f = test::sample(c.sample).string();
    if (caps_refusal(Demuxer(InputSource::file(f)).video()).empty()) GTEST_SKIP() << "this GPU decodes " << c.sample;
    const test::ProcessResult d = cli({"--verbose", "decode", f, "-o", "/dev/null"});
    EXPECT_EQ(d.exit_code, 0) << d.err;
    EXPECT_NE(d.err.find("decoding with libavcodec"), std::string::npos) << d.err;
    EXPECT_NE(d.err.find("(auto: "), std::string::npos) << d.err;
    EXPECT_NE(d.err.find(c.says), std::string::npos) << d.err;
    EXPECT_EQ(d.err.find("decoding with NVDEC"), std::string::npos) << "the choice is said once, when it is final";
    const fs::path out = test::temp_dir() / "fallback.mkv";
    const test::ProcessResult t =
        cli({"--verbose", "transcode", f, out.string(), "--no-audio", "--ops", "resize=64x64", "--preset", "ultrafast"});
    EXPECT_EQ(t.exit_code, 0) << t.err;
    EXPECT_NE(t.err.find("decoding with libavcodec"), std::string::npos) << t.err;
    EXPECT_NE(t.err.find(c.says), std::string::npos) << t.err;
  }
  const test::ProcessResult ok = cli({"--verbose", "decode", test::sample("testsrc2.mp4").string(), "-o", "/dev/null"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.err.find("decoding with NVDEC h264"), std::string::npos) << ok.err;
}

// Decoded pictures of a lossless encode, frame by frame.
std::string decoded_bytes(const fs::path& file) {
  const test::ProcessResult r = cli({"decode", file.string(), "-o", "-", "--device", "cpu"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// `transcode --device cuda --ops ...` runs NVDEC, the GPU kernels and the staged encoder;
// with a lossless encode its frames equal --device cpu's (the kernels match the CPU
// executor byte for byte).
TEST(GpuReadiness, GpuTranscodeEqualsTheCpuOneLosslessly) {
  CUFRAME_GPU_TEST();
  const std::string in = test::sample("bt601_limited_range.mp4").string();
  const fs::path dir = test::temp_dir();
  auto run = [&](const std::string& device) {
    const fs::path out = dir / ("lossless_" + device + ".mkv");
    const fs::path stats = dir / ("stats_" + device + ".json");
    const test::ProcessResult r =
        cli({"transcode", in, out.string(), "--device", device, "--encoder", "cpu", "--codec", "h264", "--qp", "0",
             "--ops", "crop=8:8:300:220,resize=160x112,flip=h,brightness=0.1", "--no-audio", "--stats-json", stats.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::ifstream s(stats);
    return std::make_pair(out, nlohmann::json::parse(s));
  };
  const auto [gpu_out, gpu] = run("cuda");
  const auto [cpu_out, cpu] = run("cpu");
  EXPECT_EQ(gpu["decoder"].get<std::string>().rfind("NVDEC", 0), 0u) << gpu.dump();
  EXPECT_GT(gpu["peak_device_bytes"].get<int64_t>(), 0) << gpu.dump();
  EXPECT_EQ(cpu["decoder"].get<std::string>().rfind("libavcodec", 0), 0u) << cpu.dump();
  EXPECT_EQ(gpu["frames"], cpu["frames"]);
  const std::string a = decoded_bytes(gpu_out), b = decoded_bytes(cpu_out);
  EXPECT_EQ(a.size(), b.size());
  EXPECT_TRUE(a == b) << "the GPU path's frames differ from the CPU path's";
}

// Resident ops on a clip longer than a launch can take (65535 frames, GPU review item 12).
TEST(GpuReadiness, ResidentOpsOnSeventyThousandFrames) {
  CUFRAME_GPU_TEST();
  const fs::path in = test::temp_dir() / "long_70000.mp4";
  const test::ProcessResult make =
      test::run_process({ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=64x16:r=1000", "-frames:v",
                         "70000", "-c:v", "libx264", "-preset", "ultrafast", "-g", "5000", in.string()});
  ASSERT_EQ(make.exit_code, 0) << make.err;
  const fs::path out = test::temp_dir() / "long_gray.mkv";
  const fs::path stats = test::temp_dir() / "long_stats.json";
  const test::ProcessResult r = cli({"transcode", in.string(), out.string(), "--mode", "resident", "--device", "cuda",
                                     "--encoder", "cpu", "--ops", "gray", "--no-audio", "--preset", "ultrafast",
                                     "--stats-json", stats.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream s(stats);
  const nlohmann::json j = nlohmann::json::parse(s);
  EXPECT_EQ(j["frames"].get<int64_t>(), 70000);
  EXPECT_EQ(j["decoder"].get<std::string>().rfind("NVDEC", 0), 0u) << j.dump();
  EXPECT_EQ(probe(InputSource::file(out.string())).video.frames, 70000);
}

std::string one_thread_cpu_bytes(const fs::path& f) {
  ReaderOptions o;
  o.decode.backend = Backend::Cpu;
  o.decode.threads = 1;
  VideoReader r(InputSource::file(f.string()), o);
  FrameBatch b = r.make_batch();
  std::string out;
  while (r.read(b))
    for (int i = 0; i < b.size(); ++i) out += test::frame_bytes(b, i);
  return out;
}

// Damaged and hostile inputs through NVDEC end in a clean error or success, never a crash
// or a hang, and NVDEC is never more lenient than the CPU: where it succeeds, the CPU
// succeeds with the same bytes.
TEST(GpuReadiness, DamagedInputIsNeverMoreLenientOnNvdec) {
  CUFRAME_GPU_TEST();
  std::vector<fs::path> inputs = {test::sample("corrupted.mp4")};
  for (const auto& e : fs::directory_iterator(test::data_dir() / "bad")) inputs.push_back(e.path());
  std::mt19937 rng(1234);
  for (const char* name : {"testsrc2.mp4", "testsrc2_h265.mp4", "testsrc2_vp9.webm", "testsrc2_odd_width_mpeg2.mp4"}) {
    const std::string bytes = test::read_file(test::sample(name));
    for (int k = 0; k < 4; ++k) {
      std::string damaged = bytes;
      for (int n = 0; n < 6; ++n) damaged[bytes.size() / 8 + rng() % (bytes.size() * 7 / 8)] ^= static_cast<char>(1 + rng() % 255);
      if (k == 3) damaged.resize(damaged.size() * 2 / 3);  // truncated too
      const fs::path p = test::temp_dir() / ("damaged_" + std::to_string(k) + "_" + name);
      test::write_file(p, damaged);
      inputs.push_back(p);
    }
  }
  int nvdec_errors = 0;
  for (const fs::path& f : inputs) {
    SCOPED_TRACE(f.string());
    const test::ProcessResult gpu = cli({"decode", f.string(), "-o", "-", "--device", "cuda"});
    const test::ProcessResult cpu = cli({"decode", f.string(), "-o", "-", "--device", "cpu"});
    ASSERT_TRUE(gpu.exit_code == 0 || gpu.exit_code == 1) << "crash or hang: exit " << gpu.exit_code << ": " << gpu.err;
    ASSERT_TRUE(cpu.exit_code == 0 || cpu.exit_code == 1) << cpu.err;
    if (gpu.exit_code == 0) {
      EXPECT_EQ(cpu.exit_code, 0) << "NVDEC decoded what the CPU refuses: " << cpu.last_err_line();
      // Damage no decoder detects is concealed differently with frame threads: the bytes
      // are compared with a one-thread CPU decode.
      EXPECT_TRUE(gpu.out == one_thread_cpu_bytes(f)) << "NVDEC's bytes differ from the CPU's";
    } else {
      EXPECT_EQ(gpu.last_err_line().rfind("cuframe: error: ", 0), 0u) << gpu.err;
      EXPECT_TRUE(gpu.out.empty() || gpu.out.size() % 2 == 0);
      ++nvdec_errors;
    }
  }
  EXPECT_GE(nvdec_errors, 1);
}

// GPU review item 11: a damaged picture is an error on NVDEC as on the CPU, or counted
// when the caller conceals errors.
TEST(GpuReadiness, NvdecReportsDamagedPictures) {
  CUFRAME_GPU_TEST();
  const std::string f = test::sample("corrupted.mp4").string();
  ReaderOptions o;
  o.decode.backend = Backend::Nvdec;
  const auto e = test::error_of([&] {
    VideoReader r(InputSource::file(f), o);
    FrameBatch b = r.make_batch();
    while (r.read(b)) {
    }
  });
  ASSERT_TRUE(e.has_value()) << "NVDEC decoded a damaged stream without a word";
  EXPECT_EQ(e->code(), Errc::InvalidData) << e->what();
  EXPECT_NE(e->reason().find("damaged"), std::string::npos) << e->what();
  o.decode.conceal_errors = true;
  VideoReader r(InputSource::file(f), o);
  FrameBatch b = r.make_batch();
  while (r.read(b)) {
  }
  EXPECT_GE(r.decoder().errors(), 1) << "concealed damage must be counted";
  EXPECT_GT(r.frames_read(), 0);
}

}  // namespace
}  // namespace cuframe
