// CPU decode backend: bit-exact against the ffmpeg program on every sample and
// conformance stream, batch-size independent, no steady-state allocation, clean errors.
//
// Oracles:
//  1. ffmpeg's own decoded planes (-pix_fmt = the stream's pix_fmt: no conversion at
//     all), packed into the native layout by the plain code below (interleave chroma,
//     shift to the top of 16 bits) — exact for every stream;
//  2. ffmpeg's -pix_fmt nv12/p016le/yuv444p/yuv444p16le (swscale) — exact except one
//     pinned case: for odd widths swscale leaves the last chroma column of P010/P016
//     output at zero; there we check that it is the only difference;
//  3. the conformance streams' reference MD5s (raw yuv420p of all frames).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cuframe/decoder.hpp"
#include "cuframe/device.hpp"
#include "cuframe/error.hpp"
#include "cuframe/probe.hpp"
#include "support/gpu.hpp"
#include "support/process.hpp"
#include "support/helpers.hpp"
#include "support/test_env.hpp"

namespace cuframe {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;

std::string ffmpeg_path() { return test::tool_path("CUFRAME_FFMPEG", "ffmpeg"); }

ProcessResult cuframe_cli(std::vector<std::string> args, double timeout = 120) {
  args.insert(args.begin(), test::cli_path());
  test::ProcessOptions o;
  o.timeout_s = timeout;
  return test::run_process(args, o);
}

std::string ffmpeg_raw(const std::string& file, const std::string& pix_fmt, bool keep_full_range = false) {
  std::vector<std::string> argv = {ffmpeg_path(), "-v", "error", "-noautorotate", "-i", file, "-map", "0:v:0",
                                   "-fps_mode", "passthrough"};
  // swscale turns JPEG-range (yuvj*) input into limited range for plain YUV outputs
  // unless told to keep it; the engine never changes values when it keeps the format.
  if (keep_full_range) argv.insert(argv.end(), {"-vf", "scale=in_range=pc:out_range=pc"});
  argv.insert(argv.end(), {"-f", "rawvideo", "-pix_fmt", pix_fmt, "-"});
  const ProcessResult r = test::run_process(argv);
  if (r.exit_code != 0) throw std::runtime_error("ffmpeg failed on " + file + ": " + r.err);
  return r.out;
}

// Independent packer: planar 8/16-bit YUV (FFmpeg layout) -> native layout bytes.
std::string pack_native(const std::string& planar, int w, int h, int depth, bool is444) {
  const bool wide = depth > 8;
  const int bps = wide ? 2 : 1, shift = wide ? 16 - depth : 0;
  const int cw = is444 ? w : (w + 1) / 2, ch = is444 ? h : (h + 1) / 2;
  const size_t frame = static_cast<size_t>(w) * h * bps + 2 * static_cast<size_t>(cw) * ch * bps;
  std::string out;
  out.reserve(planar.size());
  auto sample = [&](const char* p, size_t i) -> unsigned {
    return wide ? static_cast<unsigned>(static_cast<uint8_t>(p[2 * i]) | (static_cast<uint8_t>(p[2 * i + 1]) << 8))
                : static_cast<uint8_t>(p[i]);
  };
  auto put = [&](unsigned v) {
    if (wide) {
      v <<= shift;
      out.push_back(static_cast<char>(v & 255));
      out.push_back(static_cast<char>(v >> 8));
    } else {
      out.push_back(static_cast<char>(v));
    }
  };
  for (size_t f = 0; f + frame <= planar.size(); f += frame) {
    const char* y = planar.data() + f;
    const char* u = y + static_cast<size_t>(w) * h * bps;
    const char* v = u + static_cast<size_t>(cw) * ch * bps;
    for (size_t i = 0; i < static_cast<size_t>(w) * h; ++i) put(sample(y, i));
    if (is444) {
      for (size_t i = 0; i < static_cast<size_t>(cw) * ch; ++i) put(sample(u, i));
      for (size_t i = 0; i < static_cast<size_t>(cw) * ch; ++i) put(sample(v, i));
    } else {
      for (size_t i = 0; i < static_cast<size_t>(cw) * ch; ++i) {
        put(sample(u, i));
        put(sample(v, i));
      }
    }
  }
  return out;
}

// Every sample and conformance stream the CPU path decodes to a native format.
std::vector<std::string> decodable() {
  std::vector<std::string> files;
  for (const auto& n : test::sample_names()) {
    if (n == "corrupted.mp4") continue;  // damaged on purpose: see CorruptStream tests
    files.push_back("samples/" + n);
  }
  for (const auto& e : fs::directory_iterator(test::data_dir() / "h264")) {
    const auto ext = e.path().extension().string();
    if (ext == ".264" || ext == ".h264" || ext == ".jsv") files.push_back("h264/" + e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class DecodeVsFfmpeg : public testing::TestWithParam<std::string> {};

TEST_P(DecodeVsFfmpeg, NativeOutputIsBitExact) {
  if (ffmpeg_path().empty()) GTEST_SKIP() << "ffmpeg not found (set CUFRAME_FFMPEG)";
  const std::string file = (test::data_dir() / GetParam()).string();
  ProbeOptions po;
  po.count_frames = false;
  const MediaInfo info = probe(InputSource::file(file), po);
  const VideoStreamInfo& v = info.video;
  const bool is444 = v.chroma == ChromaFormat::Yuv444;
  if (v.chroma != ChromaFormat::Yuv420 && !is444) GTEST_SKIP() << v.pix_fmt << " has no native format yet";

  const ProcessResult ours = cuframe_cli({"decode", file, "-o", "-", "--pix-fmt", "native"});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  ASSERT_FALSE(ours.out.empty());

  // Oracle 1: libavcodec's planes through the independent packer.
  // The coded pictures can be larger than the container says (CVFC1: 326 vs 300 wide).
  VideoReader sizes(InputSource::file(file));
  const FrameLayout& fl = sizes.decoder().layout();
  const std::string reference = pack_native(ffmpeg_raw(file, v.pix_fmt), fl.width, fl.height, v.bit_depth, is444);
  ASSERT_EQ(ours.out.size(), reference.size()) << "frame count or frame size differs";
  EXPECT_TRUE(ours.out == reference) << "pixels differ from libavcodec's";

  // Oracle 2: the ffmpeg program's own conversion to the same format name.
  const std::string name = is444 ? (v.bit_depth > 8 ? "yuv444p16le" : "yuv444p") : (v.bit_depth > 8 ? "p016le" : "nv12");
  const std::string swscale = ffmpeg_raw(file, name, v.pix_fmt.rfind("yuvj", 0) == 0);
  ASSERT_EQ(swscale.size(), ours.out.size());
  if (name == "p016le" && fl.width % 2 == 1) {
    // Pinned: swscale zeroes the last chroma pair of each row for odd widths.
    const size_t w = static_cast<size_t>(fl.width), h = static_cast<size_t>(fl.height);
    const size_t cw = (w + 1) / 2, ch = (h + 1) / 2, luma = w * h * 2, frame = luma + cw * ch * 4;
    size_t other = 0, pinned = 0;
    for (size_t i = 0; i < ours.out.size(); ++i) {
      if (ours.out[i] == swscale[i]) continue;
      const size_t in_frame = i % frame;
      const bool last_pair = in_frame >= luma && (in_frame - luma) % (cw * 4) >= (cw - 1) * 4;
      if (last_pair && swscale[i] == 0) ++pinned;
      else ++other;
    }
    EXPECT_EQ(other, 0u) << "differences beyond swscale's odd-width chroma column";
    EXPECT_GT(pinned, 0u) << "swscale no longer zeroes the last chroma column: unpin this case";
  } else {
    EXPECT_TRUE(ours.out == swscale) << "differs from ffmpeg -pix_fmt " << name;
  }
}

INSTANTIATE_TEST_SUITE_P(AllStreams, DecodeVsFfmpeg, testing::ValuesIn(decodable()),
                         test::param_name);

// Oracle 3: the conformance suite's reference MD5s, from our NV12 turned back into yuv420p.
TEST(DecodeConformance, MatchesReferenceMd5) {
  const std::string md5sum = test::tool_path("CUFRAME_MD5SUM", "md5sum");
  if (md5sum.empty()) GTEST_SKIP() << "md5sum not found";
  std::ifstream manifest(test::data_dir() / "h264" / "MANIFEST.tsv");
  std::string line;
  std::getline(manifest, line);  // header
  int checked = 0;
  while (std::getline(manifest, line)) {
    std::istringstream ss(line);
    std::string file, w, h, frames, pix, profile, md5;
    std::getline(ss, file, '\t');
    std::getline(ss, w, '\t');
    std::getline(ss, h, '\t');
    std::getline(ss, frames, '\t');
    std::getline(ss, pix, '\t');
    std::getline(ss, profile, '\t');
    std::getline(ss, md5, '\t');
    const std::string path = (test::data_dir() / "h264" / file).string();
    ReaderOptions cpu;
    cpu.decode.backend = Backend::Cpu;  // libavcodec; NvdecVsCpu holds NVDEC to the same bytes
    VideoReader reader(InputSource::file(path), cpu);
    FrameBatch batch = reader.make_batch();
    const FrameLayout& l = batch.layout();
    const fs::path out = test::temp_dir() / (file + ".yuv");
    std::ofstream yuv(out, std::ios::binary);
    while (reader.read(batch)) {
      for (int i = 0; i < batch.size(); ++i) {
        for (int y = 0; y < l.height; ++y)
          yuv.write(reinterpret_cast<const char*>(batch.plane(i, 0) + y * l.planes[0].pitch), l.width);
        for (int c = 0; c < 2; ++c)
          for (int y = 0; y < l.planes[1].rows; ++y) {
            const auto* row = batch.plane(i, 1) + y * l.planes[1].pitch;
            for (size_t x = static_cast<size_t>(c); x < l.planes[1].row_bytes; x += 2) yuv.put(static_cast<char>(row[x]));
          }
      }
    }
    yuv.close();
    EXPECT_EQ(reader.frames_read(), std::stoll(frames)) << file;
    (void)w;
    (void)h;
    const ProcessResult r = test::run_process({md5sum, out.string()});
    EXPECT_EQ(r.out.substr(0, 32), md5) << file;
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

std::string all_frames(const std::string& file, int batch_frames, int64_t* frames, std::vector<int64_t>* pts) {
  ReaderOptions o;
  o.batch_frames = batch_frames;
  VideoReader reader(InputSource::file(file), o);
  FrameBatch batch = reader.make_batch();
  std::string bytes;
  int64_t expect_index = 0;
  while (reader.read(batch)) {
    EXPECT_LE(batch.size(), batch_frames);
    for (int i = 0; i < batch.size(); ++i) {
      EXPECT_EQ(batch.info(i).index, expect_index++);
      if (pts) pts->push_back(batch.info(i).pts);
      bytes += test::frame_bytes(batch, i);
    }
  }
  EXPECT_TRUE(batch.empty());
  *frames = reader.frames_read();
  return bytes;
}

TEST(VideoReader, BatchSizeDoesNotChangeTheFrames) {
  const std::string file = test::sample("nasa_13013.mp4").string();
  int64_t n1 = 0, n7 = 0, n32 = 0;
  std::vector<int64_t> pts;
  const std::string a = all_frames(file, 1, &n1, &pts);
  const std::string b = all_frames(file, 7, &n7, nullptr);
  const std::string c = all_frames(file, 32, &n32, nullptr);
  EXPECT_EQ(n1, 325);
  EXPECT_EQ(n7, n1);
  EXPECT_EQ(n32, n1);
  EXPECT_TRUE(a == b);
  EXPECT_TRUE(a == c);
  for (size_t i = 1; i < pts.size(); ++i) EXPECT_GT(pts[i], pts[i - 1]) << "presentation order at frame " << i;
}

TEST(VideoReader, FrameCountMatchesProbeOnEditLists) {
  const std::string file = test::sample("discard_first_keyframe.mp4").string();
  int64_t n = 0;
  all_frames(file, 4, &n, nullptr);
  EXPECT_EQ(n, probe(InputSource::file(file)).video.frames);
  EXPECT_EQ(n, 25);
}

TEST(VideoReader, NoAllocationPerFrameInSteadyState) {
  ReaderOptions o;
  o.batch_frames = 8;
  VideoReader reader(InputSource::file(test::sample("testsrc2.mp4").string()), o);
  FrameBatch batch = reader.make_batch();
  ASSERT_TRUE(reader.read(batch));  // warm-up
  const AllocationStats before = allocation_stats();
  int64_t frames = 0;
  while (reader.read(batch)) frames += batch.size();
  const AllocationStats after = allocation_stats();
  EXPECT_GT(frames, 40);
  EXPECT_EQ(after.host_allocations, before.host_allocations);
  EXPECT_EQ(after.device_allocations, before.device_allocations);
}

TEST(VideoReader, MemoryInputDecodesLikeTheFile) {
  const std::string path = test::sample("testsrc2_vp9.webm").string();
  const std::string bytes = test::read_file(path);
  VideoReader mem(InputSource::memory(std::as_bytes(std::span(bytes.data(), bytes.size())), "vp9"));
  int64_t n = 0;
  const std::string from_file = all_frames(path, 5, &n, nullptr);
  FrameBatch batch = mem.make_batch();
  std::string from_mem;
  while (mem.read(batch))
    for (int i = 0; i < batch.size(); ++i) from_mem += test::frame_bytes(batch, i);
  EXPECT_EQ(mem.frames_read(), n);
  EXPECT_TRUE(from_mem == from_file);
}

TEST(CorruptStream, IsAnErrorByDefault) {
  try {
    VideoReader reader(InputSource::file(test::sample("corrupted.mp4").string()));
    FrameBatch batch = reader.make_batch();
    while (reader.read(batch)) {
    }
    FAIL() << "a damaged stream decoded without error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::InvalidData);
    EXPECT_NE(e.reason().find("damaged"), std::string::npos) << e.what();
  }
}

TEST(CorruptStream, ConcealedLikeTheFfmpegProgram) {
  ReaderOptions o;
  o.decode.conceal_errors = true;
  o.decode.backend = Backend::Cpu;  // libavcodec's concealment (NVDEC's: GpuReadiness.NvdecReportsDamagedPictures)
  VideoReader reader(InputSource::file(test::sample("corrupted.mp4").string()), o);
  FrameBatch batch = reader.make_batch();
  while (reader.read(batch)) {
  }
  EXPECT_EQ(reader.frames_read(), 49);  // what ffprobe -count_frames reports
  EXPECT_GE(reader.decoder().errors(), 1);
}

TEST(DecodeBackend, ChoiceIsReported) {
  VideoReader reader(InputSource::file(test::sample("h265_video.mp4").string()));
  EXPECT_EQ(reader.decoder().backend(), Backend::Cpu);
  EXPECT_NE(reader.decoder().description().find("libavcodec hevc"), std::string::npos);
  EXPECT_NE(reader.decoder().description().find("auto"), std::string::npos) << "the fallback reason is missing";
  ReaderOptions o;
  o.decode.backend = Backend::Nvdec;
  EXPECT_THROW(VideoReader(InputSource::file(test::sample("h265_video.mp4").string()), o), Error);
}

TEST(DecodeCli, StartAndCount) {
  const std::string f = test::sample("testsrc2.mp4").string();
  const ProcessResult all = cuframe_cli({"decode", f, "-o", "-"});
  const ProcessResult part = cuframe_cli({"decode", f, "-o", "-", "--start", "10", "--count", "5"});
  ASSERT_EQ(all.exit_code, 0);
  ASSERT_EQ(part.exit_code, 0) << part.err;
  const size_t frame = 1280 * 720 * 3 / 2;
  ASSERT_EQ(all.out.size(), 60 * frame);
  ASSERT_EQ(part.out.size(), 5 * frame);
  EXPECT_TRUE(part.out == all.out.substr(10 * frame, 5 * frame));
}

TEST(DecodeCli, OutputFileIsCompleteOrAbsent) {
  const fs::path dir = test::temp_dir();
  const fs::path ok = dir / "ok.nv12";
  ProcessResult r = cuframe_cli({"decode", test::sample("h265_video.mp4").string(), "-o", ok.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fs::file_size(ok), 10u * 128 * 128 * 3 / 2);

  const fs::path bad = dir / "bad.nv12";
  r = cuframe_cli({"decode", test::sample("corrupted.mp4").string(), "-o", bad.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.last_err_line().find("damaged"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(bad)) << "an incomplete output was left behind";
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".cuframe-"), std::string::npos) << "temporary file left: " << e.path();

  // An existing file keeps its old content when the new run fails.
  test::write_file(bad, "previous");
  r = cuframe_cli({"decode", test::sample("corrupted.mp4").string(), "-o", bad.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(test::read_file(bad), "previous");
}

TEST(DecodeCli, DevNullIsNeverRemoved) {
  const ProcessResult r = cuframe_cli({"decode", test::sample("corrupted.mp4").string(), "-o", "/dev/null"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(fs::exists("/dev/null"));
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
}

TEST(DecodeCli, CleanErrors) {
  const std::string f = test::sample("testsrc2.mp4").string();
  const fs::path dir = test::temp_dir();
  ProcessResult r = cuframe_cli({"decode", f, "-o", (dir / "p016.raw").string(), "--pix-fmt", "p016"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.last_err_line().rfind("cuframe: error: " + f + ": ", 0), 0u) << r.err;
  EXPECT_FALSE(fs::exists(dir / "p016.raw"));
  r = cuframe_cli({"decode", f, "-o", "/no/such/dir/out.raw"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.last_err_line().find("/no/such/dir/out.raw"), std::string::npos) << r.err;
  // --device cuda is an error naming NVDEC only where there is no GPU; with one it
  // writes the bytes of --device cpu (GPU review item 7).
  r = cuframe_cli({"decode", f, "-o", "-", "--device", "cuda"});
  if (driver_status().usable() && cuda_built()) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out == cuframe_cli({"decode", f, "-o", "-", "--device", "cpu"}).out) << "NVDEC's bytes differ";
  } else {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.last_err_line().find("NVDEC"), std::string::npos) << r.err;
  }
  r = cuframe_cli({"decode", f, "-o", "-", "--device", "cuda:7"});
  EXPECT_EQ(r.exit_code, 1) << "there is no eighth GPU";
  EXPECT_EQ(r.last_err_line().rfind("cuframe: error: ", 0), 0u) << r.err;
  EXPECT_EQ(cuframe_cli({"decode", f, "-o", "-", "--device", "gpu7"}).exit_code, 2);
  EXPECT_EQ(cuframe_cli({"decode", f, "-o", "-", "--pix-fmt", "yuv411p"}).exit_code, 2);
}

}  // namespace
}  // namespace cuframe

namespace cuframe {
namespace {

TEST(DecodeCliRgb, FormatsAgreeWithEachOther) {
  const std::string f = test::sample("bt601_limited_range.mp4").string();
  const size_t px = 320 * 240;
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"decode", f, "-o", "-", "--count", "3"};
    args.insert(args.end(), extra.begin(), extra.end());
    const ProcessResult r = cuframe_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  const std::string rgb = run({"--pix-fmt", "rgb24"}), bgr = run({"--pix-fmt", "bgr24"}), rgba = run({"--pix-fmt", "rgba"}),
                    rgbp = run({"--pix-fmt", "rgbp"}), gray = run({"--pix-fmt", "gray"});
  ASSERT_EQ(rgb.size(), 3 * px * 3);
  ASSERT_EQ(bgr.size(), rgb.size());
  ASSERT_EQ(rgba.size(), 3 * px * 4);
  ASSERT_EQ(rgbp.size(), rgb.size());
  ASSERT_EQ(gray.size(), 3 * px);
  size_t mismatches = 0;
  for (size_t fr = 0; fr < 3; ++fr)
    for (size_t i = 0; i < px; ++i)
      for (size_t k = 0; k < 3; ++k) {
        const char c = rgb[fr * px * 3 + 3 * i + k];
        mismatches += bgr[fr * px * 3 + 3 * i + (2 - k)] != c;
        mismatches += rgba[fr * px * 4 + 4 * i + k] != c;
        mismatches += rgbp[fr * px * 3 + k * px + i] != c;  // R plane, G plane, B plane
      }
  EXPECT_EQ(mismatches, 0u);
  // A different matrix gives different colours; the same matrix as the tag changes nothing.
  EXPECT_TRUE(run({"--pix-fmt", "rgb24", "--matrix", "bt601"}) == rgb);
  EXPECT_FALSE(run({"--pix-fmt", "rgb24", "--matrix", "bt709"}) == rgb);
  EXPECT_FALSE(run({"--pix-fmt", "rgb24", "--range", "full"}) == rgb);
}

TEST(DecodeCliRgb, TenBitToRgb) {
  const std::string f = test::sample("bt2020_10bit.mp4").string();
  const ProcessResult r = cuframe_cli({"decode", f, "-o", "-", "--pix-fmt", "rgb24", "--count", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), 2u * 320 * 240 * 3);
  const ProcessResult p = cuframe_cli({"decode", f, "-o", "-", "--pix-fmt", "nv12"});
  EXPECT_EQ(p.exit_code, 1) << "bit-depth changes are refused, not silently done";
}

}  // namespace
}  // namespace cuframe

namespace cuframe {
namespace {

// NVDEC must output exactly the CPU backend's frames (which are libavcodec's, checked
// above). Which streams the GPU refuses is the capability query's to say, not a list's:
// a stream the caps refuse (codec, chroma, depth or size) must be refused by NVDEC with
// Errc::Unsupported and decode in Auto through the CPU, with the reason; any other
// refusal fails.
std::string caps_refusal(const VideoStreamInfo& v) {
  const CodecCapsReport caps = query_codec_caps(0);
  if (!caps.decode_problem.empty()) return "no decode caps: " + caps.decode_problem;
  for (const DecodeCaps& c : caps.decode) {
    if (c.codec != v.codec || c.chroma != v.chroma || c.bit_depth != v.bit_depth) continue;
    if (!c.supported) return "the caps do not list it";
    // The coded size is the display size rounded up to the codec's blocks (8 or 16).
    const int unit = v.codec == Codec::HEVC || v.codec == Codec::VP9 || v.codec == Codec::AV1 ? 8 : 16;
    const int cw = (v.width + unit - 1) / unit * unit, ch = (v.height + unit - 1) / unit * unit;
    if (cw < c.min_width || ch < c.min_height || cw > c.max_width || ch > c.max_height)
      return "the coded size is outside the caps' " + std::to_string(c.min_width) + "x" + std::to_string(c.min_height) +
             ".." + std::to_string(c.max_width) + "x" + std::to_string(c.max_height);
    return "";
  }
  if (v.chroma != ChromaFormat::Yuv420 && v.chroma != ChromaFormat::Yuv444) return "its chroma has no NVDEC output";
  return "the caps have no row for it";
}

std::vector<uint8_t> host_frames(VideoReader& reader, std::vector<int64_t>* pts) {
  FrameBatch b = reader.make_batch();
  std::vector<uint8_t> out;
  FrameBatch host;
  while (reader.read(b)) {
    if (host.capacity() < b.capacity()) host = FrameBatch(b.layout(), b.capacity(), MemoryKind::Host);
    for (int i = 0; i < b.size(); ++i) {
      pts->push_back(b.info(i).pts);
      copy_frame(b, i, host, i);
      const FrameLayout& l = b.layout();
      for (int p = 0; p < l.plane_count; ++p)
        for (int y = 0; y < l.planes[p].rows; ++y) {
          const auto* row = reinterpret_cast<const uint8_t*>(host.plane(i, p)) + y * l.planes[p].pitch;
          out.insert(out.end(), row, row + l.planes[p].row_bytes);
        }
    }
  }
  return out;
}

class NvdecVsCpu : public testing::TestWithParam<std::string> {};

TEST_P(NvdecVsCpu, SameFramesBitExact) {
  CUFRAME_GPU_TEST();
  const std::string file = (test::data_dir() / GetParam()).string();
  const std::string refusal = caps_refusal(Demuxer(InputSource::file(file)).video());
  ReaderOptions gpu;
  gpu.decode.backend = Backend::Nvdec;
  std::unique_ptr<VideoReader> nvdec;
  try {
    nvdec = std::make_unique<VideoReader>(InputSource::file(file), gpu);
  } catch (const Error& e) {
    if (refusal.empty()) FAIL() << "NVDEC refused a stream the caps accept: " << e.what();
    EXPECT_EQ(e.code(), Errc::Unsupported) << e.what();
    // Auto decodes it on the CPU and says why.
    VideoReader auto_reader(InputSource::file(file));
    EXPECT_EQ(auto_reader.decoder().backend(), Backend::Cpu);
    EXPECT_NE(auto_reader.decoder().description().find("auto: "), std::string::npos)
        << auto_reader.decoder().description();
    return;
  }
  EXPECT_EQ(refusal, "") << "NVDEC decoded a stream the caps refuse";
  EXPECT_EQ(nvdec->decoder().backend(), Backend::Nvdec);
  ReaderOptions cpu;
  cpu.decode.backend = Backend::Cpu;
  VideoReader reference(InputSource::file(file), cpu);
  std::vector<int64_t> pts_a, pts_b;
  const std::vector<uint8_t> a = host_frames(*nvdec, &pts_a), b = host_frames(reference, &pts_b);
  EXPECT_EQ(nvdec->frames_read(), reference.frames_read()) << "NVDEC outputs a different set of frames";
  EXPECT_TRUE(a == b) << "NVDEC pixels differ from libavcodec's";
  // Timestamps too, streams without pts included (GPU review item 10).
  EXPECT_EQ(pts_a, pts_b) << "NVDEC's timestamps differ from libavcodec's";
}

INSTANTIATE_TEST_SUITE_P(AllStreams, NvdecVsCpu, testing::ValuesIn(decodable()),
                         test::param_name);

}  // namespace
}  // namespace cuframe
