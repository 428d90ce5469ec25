// Encode, mux and the transcode pipeline, end to end, against FFmpeg as the oracle:
// round trips on every sample (frame count, size, timestamps, colour tags, PSNR >= 38
// dB computed here), outputs the `ffmpeg` program reads without a word, op chains
// matching the same chain run by ffmpeg, resident == stream, flat memory in stream
// mode, and clean failures (bad parameters, truncated input, closed pipes, Ctrl-C).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "cuframe/cuframe.hpp"
#include "support/helpers.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"
#include "support/video_compare.hpp"

extern char** environ;

namespace cuframe {
namespace {

namespace fs = std::filesystem;
using test::ProcessOptions;
using test::ProcessResult;

std::string ffmpeg() { return test::tool_path("CUFRAME_FFMPEG", "ffmpeg"); }

// Whether GPU 0 has an NVENC that encodes `codec`, from the capability query (what Auto
// picks depends on it: GPU review item 7).
bool nvenc_encodes(Codec codec) {
  const CodecCapsReport caps = query_codec_caps(0);
  if (!caps.encode_problem.empty()) return false;
  for (const EncodeCaps& c : caps.encode)
    if (c.codec == codec && c.supported) return true;
  return false;
}
std::string ffprobe() { return test::tool_path("CUFRAME_FFPROBE", "ffprobe"); }

ProcessResult cli(std::vector<std::string> args, ProcessOptions opt = {}) {
  args.insert(args.begin(), test::cli_path());
  if (opt.timeout_s == 120) opt.timeout_s = 300;
  return test::run_process(args, opt);
}

fs::path out_dir() {
  fs::path d = test::temp_dir() / "transcode";
  fs::create_directories(d);
  return d;
}

// `ffmpeg -v error -i FILE -f null -` must print nothing and succeed.
void expect_ffmpeg_clean(const fs::path& file) {
  const ProcessResult r = test::run_process({ffmpeg(), "-nostdin", "-v", "error", "-i", file.string(), "-f", "null", "-"});
  EXPECT_EQ(r.exit_code, 0) << file;
  EXPECT_EQ(r.err, "") << file << ": ffmpeg complained";
}

nlohmann::json ffprobe_json(const fs::path& file) {
  const ProcessResult r = test::run_process(
      {ffprobe(), "-v", "error", "-show_streams", "-show_format", "-of", "json", file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out.empty() ? "{}" : r.out);
}

ProbeOptions quick_probe() {
  ProbeOptions p;
  p.count_frames = false;
  return p;
}

struct SampleKind {
  bool decodable = true;   // corrupt samples are the hostile suite's business
  bool odd_420 = false;
  int depth = 8;
};

SampleKind kind_of(const std::string& name) {
  SampleKind k;
  if (name == "corrupted.mp4") k.decodable = false;
  const VideoStreamInfo v = probe(InputSource::file(test::sample(name).string()), quick_probe()).video;
  k.depth = v.bit_depth;
  k.odd_420 = v.chroma == ChromaFormat::Yuv420 && (v.width % 2 || v.height % 2);
  return k;
}

std::vector<std::string> video_samples() {
  std::vector<std::string> out;
  for (const std::string& n : test::sample_names())
    if (n != "corrupted.mp4") out.push_back(n);
  return out;
}

// ------------------------------------------------------------------- round trips

class RoundTrip : public testing::TestWithParam<std::string> {};

// Every sample through the default transcode (H.264 at crf 23; HEVC for 12-bit, which
// H.264 encoders cannot store) into MP4: same frame count, size, timestamps and colour
// tags, PSNR >= 38 dB against the decoded input.
TEST_P(RoundTrip, DefaultQualityKeepsFramesTimingColourAndQuality) {
  const std::string name = GetParam();
  const SampleKind k = kind_of(name);
  const fs::path in = test::sample(name);
  const fs::path out = out_dir() / (fs::path(name).stem().string() + ".rt.mp4");
  fs::remove(out);
  TranscodeOptions o;  // defaults: backend auto, crf 23 (x264) / 28 (x265)
  if (k.depth > 10) o.encode.codec = Codec::HEVC;
  if (k.odd_420) {
    // libx264/x265 refuse odd 4:2:0 sizes, as in the ffmpeg program: a clear error, no file.
    const auto e = test::error_of([&] { transcode(InputSource::file(in.string()), out.string(), o); });
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->code(), Errc::InvalidArgument);
    EXPECT_NE(std::string(e->what()).find("odd"), std::string::npos) << e->what();
    EXPECT_NE(std::string(e->what()).find("crop="), std::string::npos) << e->what();
    EXPECT_FALSE(fs::exists(out));
    const VideoStreamInfo v = probe(InputSource::file(in.string()), quick_probe()).video;
    o.ops = parse_ops("crop=0:0:" + std::to_string(v.width & ~1) + ":" + std::to_string(v.height & ~1));
  }
  const TranscodeStats s = transcode(InputSource::file(in.string()), out.string(), o);
  ASSERT_TRUE(fs::exists(out));
  if (s.encoder.rfind("libx26", 0) == 0) {
    EXPECT_FALSE(s.encoder_fallback.empty()) << "a fallback from NVENC must be reported";
  }
  expect_ffmpeg_clean(out);
  const MediaInfo a = probe(InputSource::file(in.string()));
  const MediaInfo b = probe(InputSource::file(out.string()));
  EXPECT_EQ(b.video.frames, a.video.frames);
  EXPECT_EQ(s.frames, a.video.frames);
  if (!k.odd_420) {
    EXPECT_EQ(b.video.width, a.video.width);
    EXPECT_EQ(b.video.height, a.video.height);
  }
  EXPECT_EQ(b.video.bit_depth, a.video.bit_depth);
  EXPECT_EQ(b.video.chroma, a.video.chroma);
  EXPECT_EQ(b.video.color.matrix, a.video.color.matrix);
  EXPECT_EQ(b.video.color.range, a.video.color.range);
  EXPECT_EQ(b.video.color.primaries, a.video.color.primaries);
  EXPECT_EQ(b.video.color.transfer, a.video.color.transfer);
  EXPECT_EQ(b.video.rotation, a.video.rotation);
  if (k.odd_420) return;  // pixels differ by the crop
  const test::VideoComparison c =
      test::compare_videos(InputSource::file(in.string()), InputSource::file(out.string()));
  EXPECT_EQ(c.frames_a, c.frames_b);
  const double frame_s = a.video.fps.value() > 0 ? 1.0 / a.video.fps.value() : 0.04;
  EXPECT_LT(c.max_pts_diff_s, frame_s / 2) << "timestamps moved";
  RecordProperty("psnr_db", std::to_string(c.psnr_db));
  if (c.psnr_db >= 38.0) return;
  // Below 38 dB: the encoder's default quality itself is the limit only if the ffmpeg
  // program, encoding the same frames with the same encoder defaults, does no better.
  const fs::path peer = out_dir() / (fs::path(name).stem().string() + ".peer.mp4");
  const ProcessResult r = test::run_process({ffmpeg(), "-nostdin", "-v", "error", "-y", "-i", in.string(), "-an", "-sn",
                                             "-c:v", k.depth > 10 ? "libx265" : "libx264", peer.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const test::VideoComparison p = test::compare_videos(InputSource::file(in.string()), InputSource::file(peer.string()));
  EXPECT_GE(c.psnr_db, p.psnr_db - 0.2) << name << ": ours " << c.psnr_db << " dB, the ffmpeg program's " << p.psnr_db;
  EXPECT_LT(p.psnr_db, 38.0) << name << ": the ffmpeg program reaches 38 dB, so must we (ours " << c.psnr_db << ")";
  RecordProperty("peer_psnr_db", std::to_string(p.psnr_db));
}

INSTANTIATE_TEST_SUITE_P(Samples, RoundTrip, testing::ValuesIn(video_samples()), test::param_name);

// The PSNR computed above agrees with ffmpeg's psnr filter (checked once; frames paired
// by index, with equal time bases, which the filter needs to pair them right).
TEST(RoundTripOracle, PsnrAgreesWithFfmpegPsnrFilter) {
  const fs::path in = test::sample("testsrc2_h265.mp4");
  const fs::path out = out_dir() / "psnr_check.mkv";
  TranscodeOptions o;
  o.encode.backend = EncoderBackend::Cpu;
  o.encode.rate_control = RateControl::Crf;
  o.encode.quality = 35;  // visibly lossy, so the number means something
  transcode(InputSource::file(in.string()), out.string(), o);
  const test::VideoComparison c = test::compare_videos(InputSource::file(in.string()), InputSource::file(out.string()));
  const ProcessResult r = test::run_process({ffmpeg(), "-nostdin", "-i", out.string(), "-i", in.string(), "-lavfi",
                                             "[0:v]settb=1/1000,setpts=N[a];[1:v]settb=1/1000,setpts=N[b];[a][b]psnr", "-f", "null", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto at = r.err.find("average:");
  ASSERT_NE(at, std::string::npos) << r.err;
  const double ffmpeg_psnr = std::stod(r.err.substr(at + 8));
  EXPECT_NEAR(c.psnr_db, ffmpeg_psnr, 0.05) << "ours " << c.psnr_db << ", ffmpeg " << ffmpeg_psnr;
  EXPECT_LT(c.psnr_db, 45.0);
}

// ------------------------------------------------------------- containers and pipes

class Containers : public testing::TestWithParam<std::string> {};

TEST_P(Containers, FfmpegReadsTheOutputWithoutAWord) {
  const std::string fmt = GetParam();
  const bool hevc = fmt == "hevc";
  const fs::path out = out_dir() / ("nasa." + fmt);
  fs::remove(out);
  const ProcessResult r = cli({"transcode", test::sample("nasa_13013.mp4").string(), out.string(), "--codec",
                               hevc ? "hevc" : "h264", "--ops", "resize=160x90"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_ffmpeg_clean(out);
  const nlohmann::json j = ffprobe_json(out);
  int video = 0, audio = 0;
  for (const auto& st : j["streams"]) {
    if (st["codec_type"] == "video") {
      ++video;
      EXPECT_EQ(st["codec_name"], hevc ? "hevc" : "h264");
      EXPECT_EQ(st["width"], 160);
      EXPECT_EQ(st["height"], 90);
    }
    audio += st["codec_type"] == "audio";
  }
  EXPECT_EQ(video, 1);
  // Audio is copied (two AAC streams in the sample) unless the container is raw video.
  if (fmt == "h264" || fmt == "hevc") {
    EXPECT_EQ(audio, 0);
    EXPECT_NE(r.err.find("dropped"), std::string::npos) << "dropping audio must be said: " << r.err;
  } else {
    EXPECT_EQ(audio, 2);
  }
  const bool nvenc = nvenc_encodes(fmt == "hevc" ? Codec::HEVC : Codec::H264);
  EXPECT_NE(r.err.find(nvenc ? "encoder NVENC" : "encoder libx26"), std::string::npos)
      << "the summary names the encoder Auto picks from the caps: " << r.err;
}

INSTANTIATE_TEST_SUITE_P(Formats, Containers, testing::Values("mp4", "mkv", "ts", "h264", "hevc"));

TEST(Mux, Mp4FileIsFaststart) {
  const fs::path out = out_dir() / "faststart.mp4";
  ASSERT_EQ(cli({"transcode", test::sample("testsrc2.mp4").string(), out.string(), "--ops", "resize=320x180"}).exit_code, 0);
  const std::string bytes = test::read_file(out);
  const auto moov = bytes.find("moov"), mdat = bytes.find("mdat");
  ASSERT_NE(moov, std::string::npos);
  ASSERT_NE(mdat, std::string::npos);
  EXPECT_LT(moov, mdat) << "the index must come first (faststart)";
}

TEST(Mux, Mp4ToStdoutIsFragmented) {
  const ProcessResult r = cli({"transcode", test::sample("testsrc2.mp4").string(), "-", "--format", "mp4", "--ops",
                               "resize=320x180"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_GT(r.out.size(), 1000u);
  EXPECT_NE(r.out.find("moof"), std::string::npos) << "MP4 to a pipe must be fragmented";
  const fs::path file = out_dir() / "stdout.mp4";
  test::write_file(file, r.out);
  expect_ffmpeg_clean(file);
  EXPECT_EQ(probe(InputSource::file(file.string())).video.frames, 60);
}

TEST(Mux, StdoutNeedsAFormat) {
  const ProcessResult r = cli({"transcode", test::sample("testsrc2.mp4").string(), "-"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.last_err_line().find("--format"), std::string::npos) << r.err;
}

TEST(Mux, MemoryOutputDecodes) {
  for (ContainerFormat f : {ContainerFormat::Mp4, ContainerFormat::Mkv, ContainerFormat::Ts}) {
    TranscodeOptions o;
    o.encode.backend = EncoderBackend::Cpu;
    o.mux.format = f;
    o.ops = parse_ops("resize=320x180");
    std::vector<std::byte> bytes;
    const TranscodeStats s = transcode_to_memory(InputSource::file(test::sample("testsrc2.mp4").string()), bytes, o);
    EXPECT_EQ(s.frames, 60);
    ASSERT_FALSE(bytes.empty());
    const MediaInfo m = probe(InputSource::memory(bytes, "memory." + std::string(to_string(f))));
    EXPECT_EQ(m.video.frames, 60) << to_string(f);
    EXPECT_EQ(m.video.width, 320);
  }
}

TEST(Mux, CarriesRotationHdrAndSampleAspect) {
  const fs::path rot = out_dir() / "rotated.mp4";
  ASSERT_EQ(cli({"transcode", test::sample("nasa_13013_rotated.mp4").string(), rot.string()}).exit_code, 0);
  EXPECT_EQ(probe(InputSource::file(rot.string())).video.rotation,
            probe(InputSource::file(test::sample("nasa_13013_rotated.mp4").string())).video.rotation);
  const MediaInfo src = probe(InputSource::file(test::sample("nasa_13013_hdr.mp4").string()));
  const fs::path hdr = out_dir() / "hdr.mkv";
  ASSERT_EQ(cli({"transcode", test::sample("nasa_13013_hdr.mp4").string(), hdr.string(), "--codec", "hevc"}).exit_code, 0);
  const MediaInfo out = probe(InputSource::file(hdr.string()));
  EXPECT_EQ(out.video.color.transfer, src.video.color.transfer);
  EXPECT_EQ(out.video.color.primaries, src.video.color.primaries);
  EXPECT_EQ(out.video.has_hdr_metadata, src.video.has_hdr_metadata);
  EXPECT_EQ(out.video.bit_depth, 10);
  EXPECT_EQ(out.video.sar, src.video.sar);
}

TEST(Mux, NoAudioDropsAudio) {
  const fs::path out = out_dir() / "noaudio.mkv";
  ASSERT_EQ(cli({"transcode", test::sample("nasa_13013.mp4").string(), out.string(), "--no-audio"}).exit_code, 0);
  EXPECT_TRUE(probe(InputSource::file(out.string())).audio.empty());
}

// ------------------------------------------------------------------ op chains vs ffmpeg

struct ChainCase {
  std::string ops;
  std::string vf;     // the same chain for the ffmpeg program
  double min_psnr;    // stated tolerance: interpolation and the lossy encode
};

// The ffmpeg filter that does what our "gray" does (luma kept, chroma neutral).
std::string ffmpeg_gray(const VideoStreamInfo& v) {
  const bool is444 = v.chroma == ChromaFormat::Yuv444;
  const std::string d = v.bit_depth > 8 ? std::to_string(v.bit_depth) + "le" : "";
  return "format=gray" + d + ",format=yuv" + std::string(is444 ? "444p" : "420p") + d;
}

// Ours through the CLI (H.264, or HEVC for 12-bit input, which H.264 cannot store), the
// reference through the ffmpeg program on the same (first) video stream, stored losslessly.
double chain_psnr(const fs::path& in, const ChainCase& c, const std::string& tag) {
  const fs::path ours = out_dir() / (tag + ".ours.mkv");
  const fs::path ref = out_dir() / (tag + ".ref.mkv");
  const bool twelve = probe(InputSource::file(in.string()), quick_probe()).video.bit_depth > 10;
  const ProcessResult r = cli({"transcode", in.string(), ours.string(), "--ops", c.ops, "--no-audio", "--codec",
                               twelve ? "hevc" : "h264"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const ProcessResult f = test::run_process({ffmpeg(), "-nostdin", "-v", "error", "-y", "-noautorotate", "-i", in.string(),
                                             "-map", "0:v:0", "-vf", c.vf, "-c:v", twelve ? "libx265" : "libx264",
                                             twelve ? "-x265-params" : "-qp", twelve ? "lossless=1:log-level=error" : "0",
                                             "-preset", "ultrafast", ref.string()});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  if (r.exit_code != 0 || f.exit_code != 0) return 0;
  const test::VideoComparison cmp = test::compare_videos(InputSource::file(ours.string()), InputSource::file(ref.string()));
  EXPECT_EQ(cmp.frames_a, cmp.frames_b);
  EXPECT_EQ(cmp.width_a, cmp.width_b);
  EXPECT_EQ(cmp.height_a, cmp.height_b);
  return cmp.psnr_db;
}

class OpsOnEverySample : public testing::TestWithParam<std::string> {};

// resize=640x360,gray on every sample, against `ffmpeg -vf scale=640:360,format=gray,...`.
// Tolerance: 30 dB (OpenCV-convention bilinear vs swscale's bilinear, plus crf 23).
TEST_P(OpsOnEverySample, ResizeGrayMatchesFfmpeg) {
  const std::string name = GetParam();
  const fs::path in = test::sample(name);
  const VideoStreamInfo v = probe(InputSource::file(in.string()), quick_probe()).video;
  const ChainCase c{"resize=640x360,gray", "scale=640:360:flags=bilinear," + ffmpeg_gray(v), 30.0};
  const double p = chain_psnr(in, c, fs::path(name).stem().string() + ".rg");
  EXPECT_GE(p, c.min_psnr) << name;
  RecordProperty("psnr_db", std::to_string(p));
}

INSTANTIATE_TEST_SUITE_P(Samples, OpsOnEverySample, testing::ValuesIn(video_samples()), test::param_name);

TEST(OpsChains, OtherChainsMatchFfmpeg) {
  const fs::path in = test::sample("testsrc2.mp4");
  const std::vector<ChainCase> cases = {
      {"crop=320:180:640:360,flip=h", "crop=640:360:320:180,hflip", 38.0},
      {"rotate=90,flip=v", "transpose=clock,vflip", 38.0},
      {"resize=640x360,rotate=270", "scale=640:360:flags=bilinear,transpose=cclock", 30.0},
      {"blur=2", "gblur=sigma=2:sigmaV=2:steps=1", 28.0},
  };
  int i = 0;
  for (const ChainCase& c : cases) {
    const double p = chain_psnr(in, c, "chain" + std::to_string(i++));
    EXPECT_GE(p, c.min_psnr) << c.ops << " vs " << c.vf;
  }
}

// ------------------------------------------------------------------------- modes

// The frames given to the encoder are compared: the encode is lossless (qp 0), since
// libx264's AVX-512 code makes lossy encodes of the same frames differ from run to run
// (Note [x264 determinism], engine/src/encode/libav_encoder.cpp).
TEST(Modes, ResidentAndStreamGiveTheSameFrames) {
  for (const char* name : {"testsrc2.mp4", "h265_10bits.mp4", "testsrc2_444_8bit_hevc.mp4"}) {
    const fs::path in = test::sample(name);
    TranscodeOptions o;
    o.encode.backend = EncoderBackend::Cpu;
    o.encode.rate_control = RateControl::ConstQp;
    o.encode.qp = 0;
    o.ops = parse_ops(std::string(name) == "testsrc2_444_8bit_hevc.mp4" ? "flip=h,gray" : "resize=320x180,gray,flip=v");
    o.chunk = 7;  // chunks that do not divide the frame count
    const fs::path stream = out_dir() / (std::string(name) + ".stream.mkv");
    const fs::path resident = out_dir() / (std::string(name) + ".resident.mkv");
    o.mode = PipelineMode::Stream;
    const TranscodeStats a = transcode(InputSource::file(in.string()), stream.string(), o);
    o.mode = PipelineMode::Resident;
    const TranscodeStats b = transcode(InputSource::file(in.string()), resident.string(), o);
    EXPECT_EQ(a.frames, b.frames);
    const test::VideoComparison c =
        test::compare_videos(InputSource::file(stream.string()), InputSource::file(resident.string()));
    EXPECT_TRUE(c.identical) << name << ": PSNR " << c.psnr_db;
    EXPECT_EQ(c.frames_a, a.frames);
  }
}

// Resident mode's throughput setting: keyframe-aligned segments decoded by several
// sessions at once (every NVDEC engine busy on a GPU) give the frames one session gives.
TEST(Modes, ResidentOnSeveralDecodeSessionsGivesTheSameFrames) {
  const fs::path in = test::data_dir() / "streams" / "h264_bframes_gop12.mp4";
  TranscodeOptions o;
  o.mode = PipelineMode::Resident;
  o.encode.backend = EncoderBackend::Cpu;
  o.encode.rate_control = RateControl::ConstQp;
  o.encode.qp = 0;  // Note [x264 determinism]
  o.ops = parse_ops("gray");
  o.decode_sessions = 1;
  const fs::path one = out_dir() / "one_session.mkv";
  const TranscodeStats a = transcode(InputSource::file(in.string()), one.string(), o);
  EXPECT_EQ(a.decode_sessions, 1);
  o.decode_sessions = 3;
  const fs::path three = out_dir() / "three_sessions.mkv";
  const TranscodeStats b = transcode(InputSource::file(in.string()), three.string(), o);
  EXPECT_EQ(b.decode_sessions, 3) << "the stream has a keyframe every 12 frames";
  EXPECT_EQ(a.frames, b.frames);
  const test::VideoComparison c = test::compare_videos(InputSource::file(one.string()), InputSource::file(three.string()));
  EXPECT_TRUE(c.identical) << "PSNR " << c.psnr_db;
  EXPECT_EQ(c.frames_a, a.frames);
}

// A 10x longer input (with its two audio streams): stream mode's engine buffers are
// exactly the same, and the process's peak RSS grows by less than a fifth.
TEST(Modes, StreamMemoryStaysFlatAsInputGrows10x) {
  const fs::path one = test::sample("nasa_13013.mp4");
  const fs::path ten = out_dir() / "nasa_x10.mp4";
  if (!fs::exists(ten)) {
    const ProcessResult r = test::run_process({ffmpeg(), "-nostdin", "-v", "error", "-y", "-stream_loop", "9", "-i",
                                               one.string(), "-map", "0:v:0", "-map", "0:a", "-c", "copy", ten.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto run = [&](const fs::path& in, const std::string& tag) {
    const fs::path stats = out_dir() / (tag + ".json");
    const ProcessResult r = cli({"transcode", in.string(), (out_dir() / (tag + ".mkv")).string(), "--ops",
                                 "resize=160x90,gray", "--preset", "veryfast", "--stats-json", stats.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::ifstream f(stats);
    return nlohmann::json::parse(f);
  };
  const nlohmann::json a = run(one, "flat1"), b = run(ten, "flat10");
  EXPECT_EQ(b["frames"].get<int64_t>(), 10 * a["frames"].get<int64_t>());
  EXPECT_GT(a["peak_host_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(a["peak_host_bytes"], b["peak_host_bytes"]) << "engine buffers must not grow with the input";
  const double rss1 = a["max_rss_kb"].get<double>(), rss10 = b["max_rss_kb"].get<double>();
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's quarantine keeps freed blocks (up to 256 MB) out of reuse, so the
  // RSS of an instrumented process grows with the bytes it ever allocated: the RSS bound
  // is checked in the normal build only; the engine's own buffers are checked above.
  (void)rss10;
#else
  EXPECT_LT(rss10, rss1 * 1.2) << "peak RSS " << rss1 << " kB -> " << rss10 << " kB";
#endif
  RecordProperty("rss_1x_kb", std::to_string(rss1));
  RecordProperty("rss_10x_kb", std::to_string(rss10));
}

// Note [Stream memory]: on the CPU executor stream mode's ring is 2 chunks of 8 frames by
// default; --verbose says so, --stats-json records it, and --chunk changes the frames.
TEST(Modes, CpuRingDefaultsAreReported) {
  const fs::path in = test::sample("nasa_13013.mp4");
  for (const std::string chunk : {"", "5"}) {
    const fs::path stats = out_dir() / ("ring" + chunk + ".json");
    std::vector<std::string> args = {"--verbose", "transcode", in.string(), (out_dir() / ("ring" + chunk + ".mkv")).string(),
                                     "--device", "cpu", "--preset", "ultrafast", "--no-audio", "--stats-json", stats.string()};
    if (!chunk.empty()) args.insert(args.end(), {"--chunk", chunk});
    const ProcessResult r = cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string frames = chunk.empty() ? "8" : chunk;
    EXPECT_NE(r.err.find("stream: a ring of 2 chunks of " + frames + " frames (host memory)"), std::string::npos) << r.err;
    std::ifstream f(stats);
    const nlohmann::json j = nlohmann::json::parse(f);
    EXPECT_EQ(j["ring"]["chunks"], 2);
    EXPECT_EQ(j["ring"]["chunk_frames"], std::stoi(frames));
  }
}

TEST(Modes, ResidentRefusesWhatDoesNotFit) {
  TranscodeOptions o;
  o.mode = PipelineMode::Resident;
  o.limits.memory_budget_bytes = 1 << 20;
  const fs::path out = out_dir() / "too_big.mkv";
  const auto e = test::error_of([&] { transcode(InputSource::file(test::sample("testsrc2.mp4").string()), out.string(), o); });
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code(), Errc::LimitExceeded) << e->what();
  EXPECT_FALSE(fs::exists(out));
}

// Note [Pipeline trace]: one span per chunk and stage, in causal order (a chunk is decoded,
// then its ops run, then it is encoded), and the stages of different chunks overlapping
// in time — the ring at work. (GPU spans come on the GPU path; see gpu-check.sh.)
TEST(Modes, TraceShowsEveryChunkAndTheStagesOverlapping) {
  const fs::path in = test::sample("testsrc2.mp4");  // 60 frames, 1280x720
  TranscodeOptions o;
  o.encode.backend = EncoderBackend::Cpu;
  o.decode.backend = Backend::Cpu;
  o.ops = parse_ops("resize=640x360,blur=1");
  o.chunk = 4;
  o.trace = true;
  const TranscodeStats st = transcode(InputSource::file(in.string()), (out_dir() / "trace.mkv").string(), o);
  ASSERT_EQ(st.frames, 60);
  std::map<std::string, std::map<int64_t, StageSpan>> by_stage;
  for (const StageSpan& sp : st.timeline) {
    EXPECT_LE(sp.start_s, sp.end_s) << sp.stage << " " << sp.chunk;
    EXPECT_TRUE(by_stage[sp.stage].emplace(sp.chunk, sp).second) << "two spans for " << sp.stage << " chunk " << sp.chunk;
  }
  ASSERT_EQ(by_stage.size(), 3u) << "decode, ops and encode on the CPU path";
  for (const char* stage : {"decode", "ops", "encode"}) ASSERT_EQ(by_stage[stage].size(), 15u) << stage;
  int frames = 0;
  int overlaps = 0;
  for (int64_t k = 0; k < 15; ++k) {
    const StageSpan& d = by_stage["decode"][k];
    const StageSpan& p = by_stage["ops"][k];
    const StageSpan& e = by_stage["encode"][k];
    frames += e.frames;
    EXPECT_LE(d.end_s, p.start_s) << "chunk " << k << ": ops before its decode finished";
    EXPECT_LE(p.end_s, e.start_s) << "chunk " << k << ": encode before its ops finished";
    for (int64_t j = k + 1; j < 15; ++j) {
      const StageSpan& later = by_stage["decode"][j];
      overlaps += later.start_s < e.end_s && e.start_s < later.end_s;
      const StageSpan& later_ops = by_stage["ops"][j];
      overlaps += later_ops.start_s < e.end_s && e.start_s < later_ops.end_s;
    }
  }
  EXPECT_EQ(frames, 60);
  EXPECT_GT(overlaps, 0) << "no decode or ops of a later chunk ran while an earlier one was encoded";
  RecordProperty("overlapping_span_pairs", overlaps);
}

TEST(Modes, TraceFileIsChromeTraceJson) {
  const fs::path trace = out_dir() / "trace.json";
  const ProcessResult r = cli({"transcode", test::sample("testsrc2.mp4").string(), (out_dir() / "t.mp4").string(),
                               "--ops", "gray", "--chunk", "16", "--trace", trace.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The summary line names the encoder, and the reason when Auto did not get NVENC.
  if (r.err.find("; encoder libx264") != std::string::npos)
    EXPECT_NE(r.err.find("(auto: NVENC not used: "), std::string::npos) << r.err;
  else
    EXPECT_NE(r.err.find("; encoder NVENC"), std::string::npos) << r.err;
  std::ifstream f(trace);
  const nlohmann::json j = nlohmann::json::parse(f);
  std::map<std::string, int> spans;
  for (const auto& e : j.at("traceEvents"))
    if (e.at("ph") == "X") {
      ++spans[e.at("cat").get<std::string>()];
      EXPECT_GE(e.at("dur").get<double>(), 0.0);
    }
  EXPECT_EQ(spans["decode"], 4);  // 60 frames in chunks of 16
  EXPECT_EQ(spans["ops"], 4);
  EXPECT_EQ(spans["encode"], 4);
  const ProcessResult m = cli({"transcode", "--manifest", trace.string(), "--trace", trace.string()});
  EXPECT_EQ(m.exit_code, 2) << "a usage error";
  EXPECT_NE(m.last_err_line().find("--trace"), std::string::npos) << m.err;
}

// Live: MPEG-TS through a pipe, frame by frame, zero-latency encoder, latency reported.
TEST(Modes, LiveFromAPipe) {
  const std::string ts = test::read_file(test::data_dir() / "streams" / "nasa_rotated.ts");
  ProcessOptions po;
  po.stdin_data = ts;
  const fs::path stats = out_dir() / "live.json";
  const ProcessResult r = cli({"transcode", "-", "-", "--mode", "live", "--format", "ts", "--ops", "resize=240x136",
                               "--stats-json", stats.string()},
                              po);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("live latency per frame"), std::string::npos) << r.err;
  const fs::path out = out_dir() / "live.ts";
  test::write_file(out, r.out);
  expect_ffmpeg_clean(out);
  std::ifstream f(stats);
  const nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_EQ(j["latency_ms"]["frames"].get<int64_t>(), j["frames"].get<int64_t>());
  EXPECT_GT(j["frames"].get<int64_t>(), 0);
  EXPECT_EQ(probe(InputSource::file(out.string())).video.frames, j["frames"].get<int64_t>());
  const nlohmann::json p = ffprobe_json(out);
  EXPECT_EQ(p["streams"][0]["has_b_frames"], 0) << "live output must have no B-frames";
}

TEST(Modes, ManifestRunsJobsInParallel) {
  const fs::path manifest = out_dir() / "jobs.tsv";
  const fs::path a = out_dir() / "job_a.mkv", b = out_dir() / "job_b.mp4", bad = out_dir() / "job_bad.mkv";
  for (const auto& p : {a, b, bad}) fs::remove(p);
  test::write_file(manifest, "# input\toutput\n" + test::sample("testsrc2.mp4").string() + "\t" + a.string() + "\n" +
                                 test::sample("h265_video.mp4").string() + "\t" + b.string() + "\n" +
                                 (out_dir() / "missing.mp4").string() + "\t" + bad.string() + "\n");
  const ProcessResult r = cli({"transcode", "--manifest", manifest.string(), "--jobs", "2", "--ops", "resize=320x180"});
  EXPECT_EQ(r.exit_code, 1) << "one job failed: " << r.err;
  EXPECT_NE(r.last_err_line().find("1 of 3 jobs failed"), std::string::npos) << r.err;
  expect_ffmpeg_clean(a);
  expect_ffmpeg_clean(b);
  EXPECT_FALSE(fs::exists(bad));
}

// -------------------------------------------------------------------- failures

TEST(TranscodeErrors, BadParametersFailBeforeAnyOutput) {
  const std::string in = test::sample("testsrc2.mp4").string();
  const fs::path out = out_dir() / "bad.mp4";
  struct Case {
    std::vector<std::string> args;
    int exit;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--qp", "60"}, 1, "qp 60 is outside 0..51"},
      {{"--bitrate", "0.1"}, 1, "outside 1 kbit/s"},
      {{"--bitrate", "50G"}, 1, "outside 1 kbit/s..2 Gbit/s"},
      {{"--bitrate", "fast"}, 2, "--bitrate must be a positive rate"},
      {{"--bitrate", "5M", "--maxrate", "1M"}, 1, "max bitrate"},
      {{"--codec", "vp9"}, 2, "codec"},
      {{"--ops", "resize=641x360"}, 1, "odd"},
      {{"--ops", "crop=0:0:4000:10"}, 1, "does not fit"},
      {{"--codec", "av1", "--ops", "resize=32x32"}, 1, "64x64"},
      {{"--encoder", "nvenc"}, 1, "NVENC cannot be used"},
      {{"--preset", "warp9"}, 1, "refused"},
      {{"--qp", "20", "--crf", "20"}, 2, "alternatives"},
      {{"--ops", "resize=60000x60000"}, 1, "over the limits"},
      {{"--device", "cuda:x"}, 2, "--device must be"},
  };
  for (const Case& c : cases) {
    if (c.args[1] == "nvenc" && nvenc_encodes(Codec::H264)) continue;  // it works where NVENC is
    fs::remove(out);
    std::vector<std::string> args = {"transcode", in, out.string()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const ProcessResult r = cli(args);
    EXPECT_EQ(r.exit_code, c.exit) << c.args[0] << " " << c.args[1] << ": " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args[0] << " " << c.args[1] << ": " << r.err;
    EXPECT_FALSE(fs::exists(out)) << "output left behind for " << c.args[0];
    // No temporary files either.
    for (const auto& e : fs::directory_iterator(out_dir()))
      EXPECT_EQ(e.path().filename().string().find(".bad.mp4.cuframe-"), std::string::npos) << e.path();
  }
}

// plan_transcode (Note [Stream memory]): what the ring or resident op buffers need is
// refused against the budget before the output is opened, with the numbers and what to do.
TEST(TranscodeErrors, MemoryBudgetIsCheckedBeforeAnyOutput) {
  const fs::path in = test::sample("testsrc2.mp4");  // 1280x720 nv12: 1.4 MB a frame
  const fs::path out = out_dir() / "budget.mkv";
  TranscodeOptions o;
  o.encode.backend = EncoderBackend::Cpu;
  o.chunk = 64;
  o.limits.memory_budget_bytes = 64 << 20;  // a ring of 3 x 64 frames needs ~270 MB
  auto e = test::error_of([&] { transcode(InputSource::file(in.string()), out.string(), o); });
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code(), Errc::LimitExceeded);
  EXPECT_NE(std::string(e->what()).find("use a smaller --chunk"), std::string::npos) << e->what();
  EXPECT_FALSE(fs::exists(out));
  o.chunk = 8;  // ~34 MB: fits
  EXPECT_EQ(transcode(InputSource::file(in.string()), out.string(), o).frames, 60);

  // Resident: the clip (60 frames, ~83 MB) fits a 100 MB budget, an upscale's buffers beside it do not.
  fs::remove(out);
  o.mode = PipelineMode::Resident;
  o.limits.memory_budget_bytes = 100 << 20;
  o.ops = parse_ops("resize=1920x1080");
  e = test::error_of([&] { transcode(InputSource::file(in.string()), out.string(), o); });
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code(), Errc::LimitExceeded);
  EXPECT_NE(std::string(e->what()).find("use --mode stream"), std::string::npos) << e->what();
  EXPECT_FALSE(fs::exists(out));
}

TEST(TranscodePlan, SizesAndRefusals) {
  const FrameLayout hd = make_layout(PixelFormat::NV12, 1920, 1080);
  TranscodeOptions o;
  o.ops = parse_ops("resize=1280x720,blur=1");
  const TranscodePlan p = plan_transcode(o, hd, 100, int64_t{1} << 40, MemoryKind::Device);
  EXPECT_EQ(p.output.width, 1280);
  EXPECT_EQ(p.output.height, 720);
  const int64_t chunk_in = static_cast<int64_t>(hd.frame_stride) * 32;
  const int64_t chain = static_cast<int64_t>(planned_chain_bytes(o.ops, hd, 32));
  EXPECT_EQ(p.frame_bytes, 3 * (chunk_in + chain)) << "ring of 3 slots: decoded chunk + op buffers";
  EXPECT_EQ(stream_memory_needed(o.ops, hd, 32, 3), p.frame_bytes);
  EXPECT_EQ(p.chunk, 32);
  EXPECT_EQ(p.ring, 3);
  // Note [Stream memory]: frames in host memory (the CPU executor) get chunks of 8 and a
  // ring of 2 by default; an explicit chunk or ring is kept on either executor.
  const TranscodePlan cpu = plan_transcode(o, hd, 100, int64_t{1} << 40, MemoryKind::Host);
  EXPECT_EQ(cpu.chunk, 8);
  EXPECT_EQ(cpu.ring, 2);
  EXPECT_EQ(cpu.frame_bytes, stream_memory_needed(o.ops, hd, 8, 2));
  o.chunk = 16;
  o.ring = 4;
  EXPECT_EQ(plan_transcode(o, hd, 100, int64_t{1} << 40, MemoryKind::Host).frame_bytes, stream_memory_needed(o.ops, hd, 16, 4));
  EXPECT_EQ(plan_transcode(o, hd, 100, int64_t{1} << 40, MemoryKind::Device).chunk, 16);
  o.chunk = o.ring = 0;
  const FrameLayout small = make_layout(PixelFormat::NV12, 1280, 720);
  EXPECT_GE(chain, static_cast<int64_t>(small.frame_stride) * 32 * 2) << "resize and blur outputs, plus the blur scratch";

  o.mode = PipelineMode::Live;
  EXPECT_EQ(plan_transcode(o, hd, 100, int64_t{1} << 40, MemoryKind::Device).frame_bytes, stream_memory_needed(o.ops, hd, 1, 3))
      << "live mode runs chunks of one frame";

  o.ops = parse_ops("resize=16384x16384");  // within max_width/height but over max_pixels
  auto e = test::error_of([&] { plan_transcode(o, hd, 100, int64_t{1} << 50, MemoryKind::Device); });
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code(), Errc::LimitExceeded);
  o.limits.max_pixels = int64_t{16384} * 16384;
  EXPECT_NO_THROW(plan_transcode(o, hd, 100, int64_t{1} << 50, MemoryKind::Device)) << "limits can be raised";

  o.ops = {};
  o.chunk = -1;  // 0 is the executor's default
  e = test::error_of([&] { plan_transcode(o, hd, 100, int64_t{1} << 40, MemoryKind::Device); });
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code(), Errc::InvalidArgument);
}

TEST(TranscodeErrors, TruncatedInputLeavesNothing) {
  const std::string bytes = test::read_file(test::sample("nasa_13013.mp4"));
  const fs::path cut = out_dir() / "cut.mp4";
  test::write_file(cut, bytes.substr(0, bytes.size() / 2));
  const fs::path out = out_dir() / "from_cut.mp4";
  fs::remove(out);
  const ProcessResult r = cli({"transcode", cut.string(), out.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.last_err_line().rfind("cuframe: error: " + cut.string() + ": ", 0), 0u) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST(TranscodeErrors, InputPipeClosedHalfWay) {
  const std::string ts = test::read_file(test::data_dir() / "streams" / "nasa_rotated.ts");
  ProcessOptions po;
  po.stdin_data = ts;
  po.close_stdin_early = true;
  const fs::path out = out_dir() / "from_closed_pipe.mkv";
  fs::remove(out);
  const ProcessResult r = cli({"transcode", "-", out.string()}, po);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.signal, 0);
  // MPEG-TS has no length to check against: a stream cut at a packet boundary is a
  // shorter stream. Either a clean error and no file, or a complete, valid file.
  if (r.exit_code == 0) {
    expect_ffmpeg_clean(out);
  } else {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_FALSE(fs::exists(out));
  }
}

TEST(TranscodeErrors, OutputToADeviceIsNeverRemoved) {
  const ProcessResult r = cli({"transcode", test::sample("nasa_13013.mp4").string() + ".missing", "/dev/null", "--format", "mkv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(fs::exists("/dev/null"));
  const ProcessResult ok = cli({"transcode", test::sample("h265_video.mp4").string(), "/dev/null", "--format", "mkv"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(fs::exists("/dev/null"));
}

// Ctrl-C half way: exit 130 and a complete, shorter file.
TEST(TranscodeErrors, InterruptFinishesTheContainer) {
  const fs::path ten = out_dir() / "testsrc2_x10.mp4";
  if (!fs::exists(ten)) {
    ASSERT_EQ(test::run_process({ffmpeg(), "-nostdin", "-v", "error", "-y", "-stream_loop", "9", "-i",
                                 test::sample("testsrc2.mp4").string(), "-c", "copy", ten.string()})
                  .exit_code,
              0);
  }
  const fs::path out = out_dir() / "interrupted.mp4";
  fs::remove(out);
  const std::string cli_path = test::cli_path();
  std::vector<std::string> args = {cli_path, "transcode", ten.string(), out.string(), "--preset", "slow", "--threads", "1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const std::string err_path = (out_dir() / "interrupted.err").string();
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, cli_path.c_str(), &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  const std::string err = test::read_file(err_path);
  ASSERT_TRUE(WIFEXITED(status)) << err;
  EXPECT_EQ(WEXITSTATUS(status), 130) << err;
  ASSERT_TRUE(fs::exists(out)) << err;
  expect_ffmpeg_clean(out);
  const int64_t frames = probe(InputSource::file(out.string())).video.frames;
  EXPECT_GT(frames, 0);
  EXPECT_LT(frames, 600) << "should have stopped early";
  EXPECT_NE(err.find("interrupted"), std::string::npos) << err;
}

}  // namespace
}  // namespace cuframe
