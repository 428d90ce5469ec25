// The encoder API on its own: parameter checks, the backend choice and its report, and
// synthetic frames through each libavcodec encoder and container into memory and back.
#include <gtest/gtest.h>

#include <cmath>

#include "cuframe/cuframe.hpp"
#include "support/helpers.hpp"

namespace cuframe {
namespace {

// A moving gradient with some texture: frame t of a w x h 4:2:0 video.
FrameBatch synthetic(PixelFormat format, int w, int h, int frames, int depth) {
  FrameBatch b(make_layout(format, w, h, depth), frames, MemoryKind::Host);
  b.resize(frames);
  const int shift = format == PixelFormat::P016 ? 16 - depth : 0;
  const int maxv = (1 << depth) - 1;
  for (int t = 0; t < frames; ++t) {
    const FrameLayout& l = b.layout();
    for (int p = 0; p < 2; ++p)
      for (int y = 0; y < l.planes[p].rows; ++y)
        for (int x = 0; x < (p == 0 ? w : w); ++x) {
          const double v = p == 0 ? 0.5 + 0.35 * std::sin((x + 3 * t) * 0.05) * std::cos((y - 2 * t) * 0.04)
                                  : 0.5 + 0.2 * std::sin((x + y + t) * 0.03);
          const int s = std::clamp(static_cast<int>(v * maxv + 0.5), 0, maxv);
          std::byte* row = b.plane(t, p) + static_cast<size_t>(y) * l.planes[p].pitch;
          if (format == PixelFormat::NV12) row[x] = static_cast<std::byte>(s);
          else reinterpret_cast<uint16_t*>(row)[x] = static_cast<uint16_t>(s << shift);
        }
    b.info(t).pts = 1000 + 40 * t;  // time base 1/1000, 25 fps, not starting at 0
    b.info(t).index = t;
  }
  b.time_base = {1, 1000};
  return b;
}

EncodeParams params_for(const FrameBatch& b) {
  EncodeParams p;
  p.width = b.layout().width;
  p.height = b.layout().height;
  p.format = b.layout().format;
  p.bit_depth = b.layout().bit_depth;
  p.time_base = {1, 1000};
  p.frame_rate = {25, 1};
  p.color.matrix = ColorMatrix::BT709;
  p.color.matrix_tag = "bt709";
  p.color.primaries = "bt709";
  p.color.transfer = "bt709";
  p.color.range_tag = "tv";
  return p;
}

double psnr(const FrameBatch& a, int fa, const FrameBatch& b, int fb, int depth) {
  const FrameLayout& l = a.layout();
  const bool wide = l.format == PixelFormat::P016;
  double sse = 0, n = 0;
  for (int p = 0; p < l.plane_count; ++p)
    for (int y = 0; y < l.planes[p].rows; ++y) {
      const std::byte* ra = a.plane(fa, p) + y * l.planes[p].pitch;
      const std::byte* rb = b.plane(fb, p) + y * b.layout().planes[p].pitch;
      const size_t count = wide ? l.planes[p].row_bytes / 2 : l.planes[p].row_bytes;
      for (size_t x = 0; x < count; ++x) {
        const double d = wide ? (reinterpret_cast<const uint16_t*>(ra)[x] >> (16 - depth)) -
                                    (reinterpret_cast<const uint16_t*>(rb)[x] >> (16 - depth))
                              : static_cast<double>(static_cast<uint8_t>(ra[x])) - static_cast<uint8_t>(rb[x]);
        sse += d * d;
        n += 1;
      }
    }
  const double peak = (1 << depth) - 1;
  return sse == 0 ? 99 : 10 * std::log10(peak * peak * n / sse);
}

struct EncodeCase {
  Codec codec;
  ContainerFormat format;
  PixelFormat pix;
  int depth;
};

class EncodeToMemory : public testing::TestWithParam<EncodeCase> {};

TEST_P(EncodeToMemory, FramesComeBackWithTimestampsAndQuality) {
  const EncodeCase c = GetParam();
  const FrameBatch src = synthetic(c.pix, 256, 144, 20, c.depth);
  EncodeParams p = params_for(src);
  p.global_header = wants_global_header(c.format);
  EncodeOptions o;
  o.codec = c.codec;
  o.backend = EncoderBackend::Cpu;
  std::unique_ptr<Encoder> enc = open_encoder(p, o);
  EXPECT_EQ(enc->backend(), EncoderBackend::Cpu);
  Muxer mux = Muxer::memory(MuxOptions{c.format});
  mux.add_video({c.codec, p, enc->extradata()});
  mux.begin();
  Packet pkt;
  int packets = 0;
  for (int i = 0; i < src.size(); i += 7) {  // batches of 7, 7 and 6
    FrameBatch part = src.view(i, std::min(7, src.size() - i));
    enc->send(part);
    while (enc->receive(pkt)) {
      mux.write_video(pkt);
      ++packets;
    }
  }
  enc->flush();
  while (enc->receive(pkt)) {
    mux.write_video(pkt);
    ++packets;
  }
  EXPECT_EQ(packets, 20);
  EXPECT_THROW(enc->send(src), Error) << "send() after flush() must be refused";
  mux.finish();
  const std::vector<std::byte> bytes = mux.take_bytes();
  ASSERT_GT(bytes.size(), 100u);

  ReaderOptions ro;
  ro.decode.backend = Backend::Cpu;
  ro.batch_frames = 32;
  VideoReader reader(InputSource::memory(bytes, std::string("enc.") + to_string(c.format)), ro);
  FrameBatch back = reader.make_batch();
  ASSERT_TRUE(reader.read(back));
  ASSERT_EQ(back.size(), 20);
  EXPECT_EQ(back.layout().format, c.pix);
  EXPECT_EQ(back.layout().width, 256);
  EXPECT_EQ(reader.info().video.bit_depth, c.depth);
  EXPECT_EQ(reader.info().video.color.primaries, "bt709");
  const bool timestamps = c.format != ContainerFormat::H264 && c.format != ContainerFormat::Hevc;
  for (int i = 0; i < 20; ++i) {
    if (timestamps) {
      const double t = static_cast<double>(back.info(i).pts) * back.time_base.num / back.time_base.den;
      EXPECT_NEAR(t, 1.0 + 0.04 * i, 1e-3) << "frame " << i;
    }
    EXPECT_GE(psnr(src, i, back, i, c.depth), 38.0) << "frame " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, EncodeToMemory,
    testing::Values(EncodeCase{Codec::H264, ContainerFormat::Mp4, PixelFormat::NV12, 8},
                    EncodeCase{Codec::H264, ContainerFormat::Ts, PixelFormat::NV12, 8},
                    EncodeCase{Codec::H264, ContainerFormat::H264, PixelFormat::NV12, 8},
                    EncodeCase{Codec::H264, ContainerFormat::Mkv, PixelFormat::P016, 10},
                    EncodeCase{Codec::HEVC, ContainerFormat::Mkv, PixelFormat::NV12, 8},
                    EncodeCase{Codec::HEVC, ContainerFormat::Mp4, PixelFormat::P016, 10},
                    EncodeCase{Codec::HEVC, ContainerFormat::Hevc, PixelFormat::NV12, 8},
                    EncodeCase{Codec::AV1, ContainerFormat::Mkv, PixelFormat::NV12, 8},
                    EncodeCase{Codec::AV1, ContainerFormat::Mp4, PixelFormat::P016, 10}),
    [](const testing::TestParamInfo<EncodeCase>& i) {
      return std::string(to_string(i.param.codec)) + "_" + to_string(i.param.format) + "_" +
             std::to_string(i.param.depth) + "bit";
    });

// Note [SVT-AV1 close] (engine/src/encode/libav_encoder.cpp): closing an AV1 encoder before its end of
// stream, or flushing one that had no frame, used to hang in SVT-AV1 for ever.
TEST(EncoderLifecycle, Av1ClosesAtAnyPoint) {
  const FrameBatch src = synthetic(PixelFormat::NV12, 128, 72, 3, 8);
  EncodeOptions o;
  o.backend = EncoderBackend::Cpu;
  o.codec = Codec::AV1;
  const EncodeParams p = params_for(src);
  { auto enc = open_encoder(p, o); }  // no frame, no flush
  {
    auto enc = open_encoder(p, o);
    enc->send(src);  // frames, then closed without flush (an error half way)
  }
  {
    auto enc = open_encoder(p, o);
    enc->flush();  // an empty stream: no packets
    Packet pkt;
    EXPECT_FALSE(enc->receive(pkt));
  }
  auto enc = open_encoder(p, o);
  enc->send(src);
  enc->flush();
  Packet pkt;
  int packets = 0;
  while (enc->receive(pkt)) ++packets;
  EXPECT_EQ(packets, 3);
}

TEST(EncoderChoice, AutoFallsBackAndSaysWhy) {
  const FrameBatch src = synthetic(PixelFormat::NV12, 128, 72, 1, 8);
  const EncodeParams p = params_for(src);
  std::unique_ptr<Encoder> enc = open_encoder(p, EncodeOptions{});
  if (enc->backend() == EncoderBackend::Nvenc) GTEST_SKIP() << "this machine has NVENC: " << enc->description();
  EXPECT_FALSE(enc->fallback_reason().empty());
  EXPECT_NE(enc->fallback_reason().find("NVENC"), std::string::npos) << enc->fallback_reason();
  EXPECT_EQ(enc->description(), "libx264 (preset medium, crf 23)");
  // Asking for NVENC where there is none is an error, not a fallback.
  EncodeOptions nv;
  nv.backend = EncoderBackend::Nvenc;
  const auto e = test::error_of([&] { open_encoder(p, nv); });
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code(), Errc::Unsupported);
  EXPECT_NE(std::string(e->what()).find("NVENC cannot be used"), std::string::npos) << e->what();
}

TEST(EncoderChoice, DefaultsFollowTheFfmpegProgram) {
  const EncodeParams p = params_for(synthetic(PixelFormat::NV12, 128, 72, 1, 8));
  EncodeOptions o;
  o.backend = EncoderBackend::Cpu;
  o.codec = Codec::HEVC;
  EXPECT_EQ(open_encoder(p, o)->description(), "libx265 (preset medium, crf 28)");
  o.codec = Codec::AV1;
  EXPECT_EQ(open_encoder(p, o)->description(), "libsvtav1 (crf 35)");
  o.codec = Codec::H264;
  o.rate_control = RateControl::Vbr;
  o.bitrate = 2'000'000;
  o.max_bitrate = 3'000'000;
  EXPECT_EQ(open_encoder(p, o)->description(), "libx264 (preset medium, vbr 2000 kbit/s)");
  o.rate_control = RateControl::ConstQp;
  o.qp = 30;
  o.preset = "veryfast";
  EXPECT_EQ(open_encoder(p, o)->description(), "libx264 (preset veryfast, qp 30)");
}

TEST(EncoderErrors, ParametersAreCheckedFirst) {
  const EncodeParams good = params_for(synthetic(PixelFormat::NV12, 128, 72, 1, 8));
  struct Case {
    std::function<void(EncodeParams&, EncodeOptions&)> change;
    std::string says;
  };
  const std::vector<Case> cases = {
      {[](EncodeParams& p, EncodeOptions&) { p.width = 127; }, "odd"},
      {[](EncodeParams& p, EncodeOptions&) { p.width = 0; }, "outside 1..16384"},
      {[](EncodeParams& p, EncodeOptions&) { p.height = 100000; }, "outside 1..16384"},
      {[](EncodeParams&, EncodeOptions& o) { o.codec = Codec::VP9; }, "cannot encode vp9"},
      {[](EncodeParams&, EncodeOptions& o) { o.rate_control = RateControl::ConstQp; o.qp = 52; }, "qp 52"},
      {[](EncodeParams&, EncodeOptions& o) { o.rate_control = RateControl::Crf; o.quality = -3; }, "quality"},
      {[](EncodeParams&, EncodeOptions& o) { o.rate_control = RateControl::Cbr; }, "bitrate 0"},
      {[](EncodeParams&, EncodeOptions& o) { o.rate_control = RateControl::Vbr; o.bitrate = 5'000'000; o.max_bitrate = 1; }, "max bitrate"},
      {[](EncodeParams& p, EncodeOptions&) { p.format = PixelFormat::RGB24; }, "encoders take"},
      {[](EncodeParams& p, EncodeOptions&) { p.bit_depth = 10; }, "bit depth 10"},
      {[](EncodeParams&, EncodeOptions& o) { o.b_frames = 99; }, "b-frames"},
      {[](EncodeParams& p, EncodeOptions& o) { o.codec = Codec::AV1; p.width = 32; p.height = 32; }, "64x64"},
      {[](EncodeParams& p, EncodeOptions&) { p.time_base = {0, 1}; }, "time base"},
      {[](EncodeParams&, EncodeOptions& o) { o.input_buffers = -2; }, "input buffers -2"},
  };
  for (const Case& c : cases) {
    EncodeParams p = good;
    EncodeOptions o;
    o.backend = EncoderBackend::Cpu;
    c.change(p, o);
    EXPECT_NE(validate_encode_options(p, o).find(c.says), std::string::npos) << c.says << ": " << validate_encode_options(p, o);
    const auto e = test::error_of([&] { open_encoder(p, o); });
    ASSERT_TRUE(e.has_value()) << c.says;
    EXPECT_EQ(e->code(), Errc::InvalidArgument) << e->what();
  }
  EncodeOptions o;
  o.backend = EncoderBackend::Cpu;
  o.preset = "ludicrous";
  const auto e = test::error_of([&] { open_encoder(good, o); });
  ASSERT_TRUE(e.has_value());
  EXPECT_NE(std::string(e->what()).find("refused"), std::string::npos) << e->what();
}

TEST(EncoderErrors, WrongBatchIsRefused) {
  const FrameBatch src = synthetic(PixelFormat::NV12, 128, 72, 2, 8);
  EncodeOptions o;
  o.backend = EncoderBackend::Cpu;
  std::unique_ptr<Encoder> enc = open_encoder(params_for(src), o);
  const FrameBatch other = synthetic(PixelFormat::NV12, 64, 72, 1, 8);
  const auto e = test::error_of([&] { enc->send(other); });
  ASSERT_TRUE(e.has_value());
  EXPECT_NE(std::string(e->what()).find("opened for nv12 128x72"), std::string::npos) << e->what();
}

}  // namespace
}  // namespace cuframe
