// VideoWriter (cuframe/video_writer.hpp): every input format to a finished file, read back
// with the ffmpeg program; device frames; memory output; complete-or-absent errors.
#include <gtest/gtest.h>

#include <csignal>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "cuframe/cuframe.hpp"
#include "cuframe/kernels/color.hpp"
#include "cuframe/kernels/geometry.hpp"
#include "support/gpu.hpp"
#include "support/helpers.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

namespace cuframe {
namespace {

namespace fs = std::filesystem;

constexpr int kW = 320, kH = 180, kFrames = 30;

// The first 30 frames of testsrc2.mp4 (1280x720) as one NV12 host batch, resized to 320x180.
const FrameBatch& source_frames() {
  static const FrameBatch frames = [] {
    ReaderOptions ro;
    ro.decode.backend = Backend::Cpu;
    VideoReader reader(InputSource::file(test::sample("testsrc2.mp4").string()), ro);
    FrameBatch b = reader.make_batch();
    std::optional<FrameBatch> all;
    int n = 0;
    while (n < kFrames && reader.read(b)) {
      if (!all) all.emplace(b.layout(), kFrames, MemoryKind::Host);
      for (int f = 0; f < b.size() && n < kFrames; ++f, ++n) {
        all->resize(n + 1);
        copy_frame(b, f, *all, n);
      }
      all->color = b.color;
      all->time_base = b.time_base;
    }
    FrameBatch small(kernels::resized_layout(all->layout(), kW, kH), kFrames, MemoryKind::Host);
    kernels::resize(*all, small, ResizeFilter::Bilinear);
    return small;
  }();
  return frames;
}

FrameBatch in_format(PixelFormat fmt) {
  const FrameBatch& src = source_frames();
  if (fmt == src.layout().format) {
    FrameBatch copy(src.layout(), src.size(), MemoryKind::Host);
    for (int i = 0; i < src.size(); ++i) copy.resize(i + 1), copy_frame(src, i, copy, i);
    copy.color = src.color;
    return copy;
  }
  FrameBatch out(kernels::converted_layout(src.layout(), fmt), src.size(), MemoryKind::Host);
  kernels::convert_color(src, out);
  return out;
}

struct Decoded {
  int frames = 0;
  std::vector<std::string> luma;  // per frame, w*h bytes
};

// The file decoded by the ffmpeg program to raw yuv420p.
Decoded ffmpeg_decode(const fs::path& file, int w, int h) {
  const std::string ffmpeg = test::tool_path("CUFRAME_FFMPEG", "ffmpeg");
  EXPECT_FALSE(ffmpeg.empty()) << "no ffmpeg program";
  const test::ProcessResult r = test::run_process(
      {ffmpeg, "-v", "error", "-i", file.string(), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Decoded d;
  const size_t frame = static_cast<size_t>(w) * h * 3 / 2;
  EXPECT_EQ(r.out.size() % frame, 0u);
  d.frames = static_cast<int>(r.out.size() / frame);
  for (int i = 0; i < d.frames; ++i) d.luma.push_back(r.out.substr(i * frame, static_cast<size_t>(w) * h));
  return d;
}

// Luma PSNR of the decoded file against the reference conversion of `batch` (what the writer gave the encoder).
double luma_psnr(const Decoded& d, const FrameBatch& batch, const EncodeParams& p) {
  FrameBatch ref(make_layout(PixelFormat::NV12, kW, kH), batch.size(), MemoryKind::Host);
  if (batch.layout().format == PixelFormat::NV12) {
    for (int i = 0; i < batch.size(); ++i) ref.resize(i + 1), copy_frame(batch, i, ref, i);
  } else {
    kernels::convert_to_yuv(batch, ref, p.color.matrix, p.color.range);
  }
  double sse = 0, n = 0;
  for (int f = 0; f < std::min(d.frames, batch.size()); ++f)
    for (int y = 0; y < kH; ++y)
      for (int x = 0; x < kW; ++x) {
        const double a = static_cast<uint8_t>(ref.plane(f, 0)[y * ref.layout().planes[0].pitch + x]);
        const double b = static_cast<uint8_t>(d.luma[f][y * kW + x]);
        sse += (a - b) * (a - b), n += 1;
      }
  return sse == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 * n / sse);
}

class WriterFormats : public testing::TestWithParam<PixelFormat> {};

// The acceptance test: the same 30 frames from each format, read back by the ffmpeg program.
TEST_P(WriterFormats, RoundTripsThroughTheFfmpegProgram) {
  const FrameBatch batch = in_format(GetParam());
  const fs::path out = test::temp_dir() / (std::string("writer_") + to_string(GetParam()) + ".mp4");
  WriterSettings s;
  s.frame_rate = {30, 1};
  VideoWriter w(out.string(), s);
  w.write(batch);
  EXPECT_FALSE(fs::exists(out)) << "visible before close()";
  w.close();
  EXPECT_EQ(w.frames_written(), kFrames);
  // NVENC (host frames uploaded once per batch) or libx264, never silently.
  const bool nvenc = w.description().find("NVENC") != std::string::npos;
  EXPECT_TRUE(nvenc || w.description().find("libx264") != std::string::npos) << w.description();
  EXPECT_EQ(nvenc, w.fallback_reason().empty()) << w.fallback_reason();
  // RGB: height < 720 is BT.601 limited; nv12 keeps its own description (BT.709: a 720p source's).
  const bool yuv = GetParam() == PixelFormat::NV12;
  EXPECT_EQ(w.params().color.matrix, yuv ? batch.color.matrix : ColorMatrix::BT601);
  EXPECT_EQ(w.params().color.range, ColorRange::Limited);
  const MediaInfo m = probe(InputSource::file(out.string()));
  EXPECT_EQ(m.video.width, kW);
  EXPECT_EQ(m.video.height, kH);
  EXPECT_EQ(m.video.fps, (Rational{30, 1}));
  EXPECT_EQ(m.video.color.matrix_tag, yuv ? "bt709" : "smpte170m");
  const Decoded d = ffmpeg_decode(out, kW, kH);
  EXPECT_EQ(d.frames, kFrames);
  EXPECT_GE(luma_psnr(d, batch, w.params()), 40.0) << to_string(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Writer, WriterFormats,
                         testing::Values(PixelFormat::RGB24, PixelFormat::RGBA, PixelFormat::Gray8, PixelFormat::RGBP,
                                         PixelFormat::RGBPF32, PixelFormat::RGBPF16, PixelFormat::BGR24,
                                         PixelFormat::NV12),
                         [](const testing::TestParamInfo<PixelFormat>& p) { return std::string(to_string(p.param)); });

// Batches in pieces, views of a larger batch, and a memory output.
TEST(Writer, ViewsToMemory) {
  const FrameBatch batch = in_format(PixelFormat::RGB24);
  VideoWriter w = VideoWriter::memory();
  w.write(batch.view(0, 7));
  w.write(batch.view(7, kFrames - 7));
  w.close();
  const std::vector<std::byte> bytes = w.take_bytes();
  ASSERT_FALSE(bytes.empty());
  const MediaInfo m = probe(InputSource::memory(bytes));
  EXPECT_EQ(m.video.frames, kFrames);
  EXPECT_EQ(m.video.width, kW);
}

// like(): timing and colour tags of the source carried over.
TEST(Writer, LikeTheSource) {
  const fs::path out = test::temp_dir() / "writer_like.mp4";
  const std::string in = test::sample("bt709_full_range.mp4").string();
  ReaderOptions ro;
  ro.decode.backend = Backend::Cpu;
  VideoReader reader(InputSource::file(in), ro);
  FrameBatch b = reader.make_batch();
  ASSERT_TRUE(reader.read(b));
  FrameBatch rgb(kernels::converted_layout(b.layout(), PixelFormat::RGB24), b.size(), MemoryKind::Host);
  kernels::convert_color(b, rgb);
  VideoWriter w(out.string(), WriterSettings::like(InputSource::file(in)));
  w.write(rgb);
  w.close();
  const MediaInfo src = probe(InputSource::file(in)), m = probe(InputSource::file(out.string()));
  EXPECT_EQ(m.video.fps, src.video.fps);
  EXPECT_EQ(m.video.color.matrix, src.video.color.matrix);
  EXPECT_EQ(m.video.color.range, src.video.color.range);
  EXPECT_EQ(m.video.color.primaries, src.video.color.primaries);
  EXPECT_EQ(m.video.frames, b.size());
}

TEST(WriterErrors, OddSizeNamesTheCrop) {
  const fs::path out = test::temp_dir() / "writer_odd.mp4";
  FrameBatch odd(make_layout(PixelFormat::RGB24, 33, 17), 2, MemoryKind::Host);
  std::memset(odd.data(), 100, odd.bytes());
  odd.resize(2);
  {
    VideoWriter w(out.string());
    const std::optional<Error> e = test::error_of([&] { w.write(odd); });
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), Errc::InvalidArgument);
    EXPECT_NE(std::string(e->what()).find("crop=0:0:32:16"), std::string::npos) << e->what();
    EXPECT_FALSE(w.is_open());
    EXPECT_THROW(w.close(), Error);
  }
  EXPECT_FALSE(fs::exists(out));
  WriterSettings s;
  s.crop_to_even = true;
  VideoWriter w(out.string(), s);
  w.write(odd);
  w.close();
  const MediaInfo m = probe(InputSource::file(out.string()));
  EXPECT_EQ(m.video.width, 32);
  EXPECT_EQ(m.video.height, 16);
}

TEST(WriterErrors, ClosedWriterAndSizeChange) {
  const FrameBatch batch = in_format(PixelFormat::Gray8);
  VideoWriter w = VideoWriter::memory();
  w.write(batch.view(0, 2));
  FrameBatch other(make_layout(PixelFormat::Gray8, 64, 64), 1, MemoryKind::Host);
  other.resize(1);
  const std::optional<Error> e = test::error_of([&] { w.write(other); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), Errc::InvalidArgument);
  VideoWriter w2 = VideoWriter::memory();
  w2.write(batch.view(0, 2));
  w2.close();
  w2.close();  // a second close() does nothing
  const std::optional<Error> closed = test::error_of([&] { w2.write(batch.view(0, 1)); });
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->code(), Errc::InvalidArgument);
  EXPECT_NE(std::string(closed->what()).find("closed"), std::string::npos);
  VideoWriter none = VideoWriter::memory();
  EXPECT_THROW(none.close(), Error);  // no frames: no stream to write
}

TEST(WriterErrors, DestroyedWithoutCloseLeavesNothing) {
  const fs::path out = test::temp_dir() / "writer_abandoned.mp4";
  {
    VideoWriter w(out.string());
    w.write(in_format(PixelFormat::RGB24));
  }
  EXPECT_FALSE(fs::exists(out));
  for (const auto& entry : fs::directory_iterator(test::temp_dir()))
    EXPECT_EQ(entry.path().string().find("writer_abandoned"), std::string::npos) << entry.path();
}

// A reader that goes away early: the pipe fills no more, writes fail with Errc::Io.
TEST(WriterErrors, PipeClosedEarly) {
  std::signal(SIGPIPE, SIG_IGN);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  WriterSettings s;
  s.container = ContainerFormat::Ts;
  const FrameBatch batch = in_format(PixelFormat::RGB24);
  std::optional<Error> e = test::error_of([&] {
    VideoWriter w("/dev/fd/" + std::to_string(fds[1]), s);
    w.write(batch);
    w.close();
  });
  close(fds[1]);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), Errc::Io) << e->what();
}

// Device frames: converted on the GPU, staged through pinned memory for libx264 (the virtual
// H100 has no NVENC); lossless, so the decoded frames equal the host-written ones.
TEST(WriterGpu, DeviceFramesEqualHostFrames) {
  CUFRAME_GPU_TEST();
  WriterSettings s;
  s.encode.rate_control = RateControl::ConstQp;
  s.encode.qp = 0;
  for (PixelFormat fmt : {PixelFormat::RGB24, PixelFormat::RGBA, PixelFormat::Gray8, PixelFormat::RGBP,
                          PixelFormat::RGBPF32, PixelFormat::NV12}) {
    const FrameBatch host = in_format(fmt);
    CudaStream stream;
    FrameBatch dev(host.layout(), host.size(), MemoryKind::Device);
    stream.copy_async(dev.data(), host.data(), host.bytes());
    dev.resize(host.size());
    dev.color = host.color;
    const fs::path a = test::temp_dir() / "writer_host.mp4", b = test::temp_dir() / "writer_dev.mp4";
    {
      VideoWriter w(a.string(), s);
      w.write(host);
      w.close();
    }
    VideoWriter w(b.string(), s);
    w.write(dev, &stream);
    w.write(dev.view(0, 3));  // the writer's own stream
    w.close();
    if (w.description().find("NVENC") == std::string::npos) {
      EXPECT_FALSE(w.fallback_reason().empty()) << "a fallback is never silent";
    }
    const Decoded da = ffmpeg_decode(a, kW, kH), db = ffmpeg_decode(b, kW, kH);
    ASSERT_EQ(db.frames, kFrames + 3);
    ASSERT_EQ(da.frames, kFrames);
    for (int f = 0; f < kFrames; ++f) EXPECT_EQ(da.luma[f], db.luma[f]) << to_string(fmt) << " frame " << f;
    EXPECT_EQ(da.luma[1], db.luma[kFrames + 1]);
  }
}

}  // namespace
}  // namespace cuframe
