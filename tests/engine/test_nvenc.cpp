// NVENC without hardware: the session plan (defaults, rate control, colour, refusals) and
// the reason NVENC cannot be used. With a GPU: the reason agrees with the capability query.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>

#include "cuframe/device.hpp"
#include "cuframe/encoder.hpp"
#include "cuframe/error.hpp"
#include "encode/nvenc_plan.hpp"  // white box: internal (engine/src)
#include "support/gpu.hpp"

namespace cuframe {
namespace {

EncodeParams hd(PixelFormat format = PixelFormat::NV12, int depth = 8) {
  EncodeParams p;
  p.width = 1920;
  p.height = 1080;
  p.format = format;
  p.bit_depth = depth;
  p.color.matrix = ColorMatrix::BT709;
  p.color.range = ColorRange::Limited;
  p.color.primaries = "bt709";
  p.color.transfer = "bt709";
  p.time_base = {1, 25};
  p.frame_rate = {25, 1};
  return p;
}

EncodeOptions with_codec(Codec codec) {
  EncodeOptions o;
  o.codec = codec;
  return o;
}

std::optional<Error> error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(NvencPlan, H264DefaultsFollowFfmpegAtP4WithConstantQuality) {
  const NvencPlan plan = plan_nvenc(hd(), with_codec(Codec::H264));
  EXPECT_EQ(plan.codec, "h264");
  EXPECT_EQ(plan.preset, "p4");
  EXPECT_EQ(plan.tuning, "hq");
  EXPECT_EQ(plan.rate_control, "vbr");
  EXPECT_EQ(plan.cq, 23);
  EXPECT_EQ(plan.qp, -1);
  EXPECT_EQ(plan.average_bitrate, 0);
  EXPECT_EQ(plan.max_bitrate, 0);
  EXPECT_EQ(plan.gop, 250);
  EXPECT_EQ(plan.b_frames, 3);
  EXPECT_EQ(plan.lookahead, -1);
  EXPECT_FALSE(plan.zero_reorder_delay);
  EXPECT_EQ(plan.profile, "high");
  EXPECT_EQ(plan.input_format, "nv12");
  EXPECT_FALSE(plan.repeat_headers);
  EXPECT_EQ(to_string(plan), "h264 p4 hq vbr cq 23 gop 250 b 3 high nv12");
}

TEST(NvencPlan, HevcDefaults) {
  const NvencPlan plan = plan_nvenc(hd(), with_codec(Codec::HEVC));
  EXPECT_EQ(plan.codec, "hevc");
  EXPECT_EQ(plan.preset, "p4");
  EXPECT_EQ(plan.tuning, "hq");
  EXPECT_EQ(plan.rate_control, "vbr");
  EXPECT_EQ(plan.cq, 28);
  EXPECT_EQ(plan.gop, 250);
  EXPECT_EQ(plan.b_frames, 3);
  EXPECT_EQ(plan.profile, "main");
  EXPECT_EQ(plan.input_format, "nv12");
  EXPECT_EQ(to_string(plan), "hevc p4 hq vbr cq 28 gop 250 b 3 main nv12");
}

TEST(NvencPlan, TenBitHevcIsMain10FromP016) {
  const NvencPlan plan = plan_nvenc(hd(PixelFormat::P016, 10), with_codec(Codec::HEVC));
  EXPECT_EQ(plan.profile, "main10");
  EXPECT_EQ(plan.input_format, "p010");
  EXPECT_TRUE(contains(to_string(plan), "main10 p010"));
}

TEST(NvencPlan, TenBitH264IsUnsupported) {
  const auto e = error_of([] { plan_nvenc(hd(PixelFormat::P016, 10), with_codec(Codec::H264)); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), Errc::Unsupported);
  EXPECT_TRUE(contains(e->reason(), "10-bit")) << e->reason();
  EXPECT_TRUE(contains(e->reason(), "High 10")) << e->reason();
}

TEST(NvencPlan, Av1GoesToSvtAv1) {
  const auto e = error_of([] { plan_nvenc(hd(), with_codec(Codec::AV1)); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), Errc::Unsupported);
  EXPECT_TRUE(contains(e->reason(), "SVT-AV1")) << e->reason();
  EXPECT_TRUE(contains(e->reason(), "SDK 12")) << e->reason();
}

TEST(NvencPlan, OtherCodecsTwelveBitAnd444AreUnsupported) {
  for (Codec c : {Codec::VP9, Codec::MPEG2}) {
    const auto e = error_of([&] { plan_nvenc(hd(), with_codec(c)); });
    ASSERT_TRUE(e) << to_string(c);
    EXPECT_EQ(e->code(), Errc::Unsupported);
  }
  const auto twelve = error_of([] { plan_nvenc(hd(PixelFormat::P016, 12), with_codec(Codec::HEVC)); });
  ASSERT_TRUE(twelve);
  EXPECT_EQ(twelve->code(), Errc::Unsupported);
  EXPECT_TRUE(contains(twelve->reason(), "12-bit")) << twelve->reason();
  for (PixelFormat f : {PixelFormat::YUV444P, PixelFormat::YUV444P16}) {
    const auto e = error_of([&] { plan_nvenc(hd(f, f == PixelFormat::YUV444P ? 8 : 10), with_codec(Codec::HEVC)); });
    ASSERT_TRUE(e) << to_string(f);
    EXPECT_EQ(e->code(), Errc::Unsupported);
    EXPECT_TRUE(contains(e->reason(), "4:4:4")) << e->reason();
  }
}

TEST(NvencPlan, RateControlMapping) {
  EncodeOptions o = with_codec(Codec::H264);
  o.rate_control = RateControl::ConstQp;
  o.qp = 22;
  NvencPlan plan = plan_nvenc(hd(), o);
  EXPECT_EQ(plan.rate_control, "constqp");
  EXPECT_EQ(plan.qp, 22);
  EXPECT_EQ(plan.average_bitrate, 0);
  EXPECT_TRUE(contains(to_string(plan), "constqp qp 22")) << to_string(plan);

  o = with_codec(Codec::HEVC);
  o.rate_control = RateControl::Crf;
  o.quality = 30;
  plan = plan_nvenc(hd(), o);
  EXPECT_EQ(plan.rate_control, "vbr");
  EXPECT_EQ(plan.cq, 30);
  EXPECT_EQ(plan.average_bitrate, 0);

  o = with_codec(Codec::H264);
  o.max_bitrate = 10'000'000;  // constant quality with a cap
  plan = plan_nvenc(hd(), o);
  EXPECT_EQ(plan.rate_control, "vbr");
  EXPECT_EQ(plan.cq, 23);
  EXPECT_EQ(plan.max_bitrate, 10'000'000);

  o = with_codec(Codec::H264);
  o.rate_control = RateControl::Vbr;
  o.bitrate = 5'000'000;
  o.max_bitrate = 8'000'000;
  plan = plan_nvenc(hd(), o);
  EXPECT_EQ(plan.rate_control, "vbr");
  EXPECT_EQ(plan.cq, 0);
  EXPECT_EQ(plan.average_bitrate, 5'000'000);
  EXPECT_EQ(plan.max_bitrate, 8'000'000);
  EXPECT_TRUE(contains(to_string(plan), "vbr 5000000 bit/s max 8000000 bit/s")) << to_string(plan);

  o.max_bitrate = 0;  // no cap: NVENC chooses
  EXPECT_EQ(plan_nvenc(hd(), o).max_bitrate, 0);

  o = with_codec(Codec::HEVC);
  o.rate_control = RateControl::Cbr;
  o.bitrate = 4'000'000;
  plan = plan_nvenc(hd(), o);
  EXPECT_EQ(plan.rate_control, "cbr");
  EXPECT_EQ(plan.average_bitrate, 4'000'000);
  EXPECT_EQ(plan.max_bitrate, 4'000'000);
  EXPECT_EQ(plan.cq, 0);
}

TEST(NvencPlan, LowLatencyHasNoReorderingNoLookahead) {
  EncodeOptions o = with_codec(Codec::H264);
  o.low_latency = true;
  NvencPlan plan = plan_nvenc(hd(), o);
  EXPECT_EQ(plan.tuning, "ull");
  EXPECT_EQ(plan.b_frames, 0);
  EXPECT_EQ(plan.lookahead, 0);
  EXPECT_TRUE(plan.zero_reorder_delay);
  EXPECT_EQ(plan.rate_control, "vbr");
  EXPECT_TRUE(contains(to_string(plan), "b 0 no-lookahead zero-latency")) << to_string(plan);

  o.tune = "ll";  // an explicit low-latency tuning is kept
  plan = plan_nvenc(hd(), o);
  EXPECT_EQ(plan.tuning, "ll");
  EXPECT_EQ(plan.b_frames, 0);

  o.b_frames = 2;
  const auto e = error_of([&] { plan_nvenc(hd(), o); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), Errc::InvalidArgument);
  EXPECT_TRUE(contains(e->reason(), "b_frames")) << e->reason();
}

TEST(NvencPlan, ExplicitSettingsOverrideDefaults) {
  EncodeOptions o = with_codec(Codec::HEVC);
  o.preset = "p7";
  o.tune = "hq";
  o.gop = 60;
  o.b_frames = 0;
  NvencPlan plan = plan_nvenc(hd(), o);
  EXPECT_EQ(plan.preset, "p7");
  EXPECT_EQ(plan.gop, 60);
  EXPECT_EQ(plan.b_frames, 0);
  o.b_frames = 4;
  EXPECT_EQ(plan_nvenc(hd(), o).b_frames, 4);
  o.gop = 0;  // intra only
  plan = plan_nvenc(hd(), o);
  EXPECT_EQ(plan.gop, 1);
  EXPECT_EQ(plan.b_frames, 0);
  o.gop = 1;
  EXPECT_EQ(plan_nvenc(hd(), o).b_frames, 0);
}

TEST(NvencPlan, LosslessTuningIsConstQpZero) {
  EncodeOptions o = with_codec(Codec::H264);
  o.tune = "lossless";
  NvencPlan plan = plan_nvenc(hd(), o);
  EXPECT_EQ(plan.rate_control, "constqp");
  EXPECT_EQ(plan.qp, 0);
  EXPECT_EQ(plan.profile, "high444p");  // NVENC's lossless H.264 profile
  o.codec = Codec::HEVC;
  EXPECT_EQ(plan_nvenc(hd(), o).profile, "main");
  o.rate_control = RateControl::Cbr;
  o.bitrate = 1'000'000;
  const auto e = error_of([&] { plan_nvenc(hd(), o); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), Errc::InvalidArgument);
}

TEST(NvencPlan, HeadersRepeatWithoutGlobalHeader) {
  EncodeParams p = hd();
  EXPECT_FALSE(plan_nvenc(p, with_codec(Codec::H264)).repeat_headers);
  p.global_header = false;  // TS, Annex-B: SPS/PPS with every IDR
  EXPECT_TRUE(plan_nvenc(p, with_codec(Codec::H264)).repeat_headers);
}

TEST(NvencPlan, ColourBt709Limited) {
  const NvencPlan plan = plan_nvenc(hd(), with_codec(Codec::H264));
  EXPECT_EQ(plan.color_primaries, 1);
  EXPECT_EQ(plan.transfer, 1);
  EXPECT_EQ(plan.matrix, 1);
  EXPECT_FALSE(plan.full_range);
  EXPECT_EQ(plan.chroma_sample_location, 0);
}

TEST(NvencPlan, ColourBt2020PqAndHlg) {
  EncodeParams p = hd(PixelFormat::P016, 10);
  p.color.matrix = ColorMatrix::BT2020;
  p.color.matrix_tag = "bt2020nc";
  p.color.primaries = "bt2020";
  p.color.transfer = "smpte2084";
  p.color.chroma_location = ChromaLocation::TopLeft;
  NvencPlan plan = plan_nvenc(p, with_codec(Codec::HEVC));
  EXPECT_EQ(plan.color_primaries, 9);
  EXPECT_EQ(plan.transfer, 16);
  EXPECT_EQ(plan.matrix, 9);
  EXPECT_FALSE(plan.full_range);
  EXPECT_EQ(plan.chroma_sample_location, 2);
  p.color.transfer = "arib-std-b67";
  EXPECT_EQ(plan_nvenc(p, with_codec(Codec::HEVC)).transfer, 18);
}

TEST(NvencPlan, ColourBt601FullAndUntagged) {
  EncodeParams p = hd();
  p.color.matrix = ColorMatrix::BT601;
  p.color.range = ColorRange::Full;
  p.color.primaries = "unknown";
  p.color.transfer = "unknown";
  p.color.matrix_tag = "unknown";
  NvencPlan plan = plan_nvenc(p, with_codec(Codec::H264));
  EXPECT_EQ(plan.matrix, 6);  // smpte170m: the frames were made with BT.601
  EXPECT_EQ(plan.color_primaries, 2);
  EXPECT_EQ(plan.transfer, 2);
  EXPECT_TRUE(plan.full_range);

  p.color.matrix_tag = "bt470bg";  // the same matrix under its PAL name stays as tagged
  p.color.primaries = "bt470bg";
  p.color.transfer = "smpte170m";
  plan = plan_nvenc(p, with_codec(Codec::H264));
  EXPECT_EQ(plan.matrix, 5);
  EXPECT_EQ(plan.color_primaries, 5);
  EXPECT_EQ(plan.transfer, 6);

  p.color.matrix = ColorMatrix::BT709;  // the frames' matrix wins over a stale tag
  EXPECT_EQ(plan_nvenc(p, with_codec(Codec::H264)).matrix, 1);

  p.color.matrix = ColorMatrix::Other;
  p.color.matrix_tag = "smpte240m";
  EXPECT_EQ(plan_nvenc(p, with_codec(Codec::H264)).matrix, 7);
  p.color.matrix_tag = "something-new";
  EXPECT_EQ(plan_nvenc(p, with_codec(Codec::H264)).matrix, 2);
  p.color.primaries = "not-a-name";
  EXPECT_EQ(plan_nvenc(p, with_codec(Codec::H264)).color_primaries, 2);
}

TEST(NvencPlan, InvalidValuesNameTheParameter) {
  struct Case {
    const char* what;
    std::function<void(EncodeParams&, EncodeOptions&)> change;
    const char* named;
  };
  const Case cases[] = {
      {"qp 60", [](EncodeParams&, EncodeOptions& o) { o.rate_control = RateControl::ConstQp; o.qp = 60; }, "qp 60"},
      {"qp missing", [](EncodeParams&, EncodeOptions& o) { o.rate_control = RateControl::ConstQp; }, "qp"},
      {"cq 60", [](EncodeParams&, EncodeOptions& o) { o.rate_control = RateControl::Crf; o.quality = 60; }, "cq"},
      {"cbr without bitrate", [](EncodeParams&, EncodeOptions& o) { o.rate_control = RateControl::Cbr; }, "bitrate"},
      {"vbr without bitrate", [](EncodeParams&, EncodeOptions& o) { o.rate_control = RateControl::Vbr; }, "bitrate"},
      {"negative bitrate",
       [](EncodeParams&, EncodeOptions& o) {
         o.rate_control = RateControl::Vbr;
         o.bitrate = -5;
       },
       "bitrate"},
      {"max below average",
       [](EncodeParams&, EncodeOptions& o) {
         o.rate_control = RateControl::Vbr;
         o.bitrate = 5'000'000;
         o.max_bitrate = 1'000'000;
       },
       "max_bitrate"},
      {"odd width", [](EncodeParams& p, EncodeOptions&) { p.width = 1921; }, "even"},
      {"odd height", [](EncodeParams& p, EncodeOptions&) { p.height = 1081; }, "even"},
      {"tiny h264", [](EncodeParams& p, EncodeOptions&) { p.width = 144; p.height = 48; }, "145x49"},
      {"tiny hevc",
       [](EncodeParams& p, EncodeOptions& o) {
         o.codec = Codec::HEVC;
         p.width = 128;
         p.height = 64;
       },
       "129x33"},
      {"gop -2", [](EncodeParams&, EncodeOptions& o) { o.gop = -2; }, "gop"},
      {"b_frames 5", [](EncodeParams&, EncodeOptions& o) { o.b_frames = 5; }, "b_frames"},
      {"preset medium", [](EncodeParams&, EncodeOptions& o) { o.preset = "medium"; }, "preset"},
      {"tune film", [](EncodeParams&, EncodeOptions& o) { o.tune = "film"; }, "tune"},
  };
  for (const Case& c : cases) {
    EncodeParams p = hd();
    EncodeOptions o = with_codec(Codec::H264);
    c.change(p, o);
    const auto e = error_of([&] { plan_nvenc(p, o); });
    ASSERT_TRUE(e) << c.what << ": accepted";
    EXPECT_EQ(e->code(), Errc::InvalidArgument) << c.what << ": " << e->what();
    EXPECT_TRUE(contains(e->reason(), c.named)) << c.what << ": " << e->reason();
  }
}

TEST(NvencPlan, SmallestAcceptedSizes) {
  EncodeParams p = hd();
  p.width = 146;
  p.height = 50;
  EXPECT_NO_THROW(plan_nvenc(p, with_codec(Codec::H264)));
  p.width = 130;
  p.height = 34;
  EXPECT_NO_THROW(plan_nvenc(p, with_codec(Codec::HEVC)));
  EXPECT_THROW(plan_nvenc(p, with_codec(Codec::H264)), Error);
}

// Caps handling without hardware: made-up capability answers of the kinds real GPUs give
// (an A100-class part without NVENC codecs, a Pascal card without HEVC B-frames, a
// consumer card) decide the same way the session will on the GPU.
NvencCodecCaps turing_h264() {
  NvencCodecCaps c;
  c.supported = true;
  c.max_width = 4096;
  c.max_height = 4096;
  c.min_width = 145;
  c.min_height = 49;
  c.ten_bit = false;
  c.lossless = true;
  c.max_b_frames = 4;
  c.bframe_ref_mode = 2;
  return c;
}

TEST(NvencCaps, AGpuThatCanSaysNothing) {
  const NvencPlan plan = plan_nvenc(hd(), with_codec(Codec::H264));
  EXPECT_EQ(nvenc_caps_problem(plan, hd(), with_codec(Codec::H264), turing_h264(), "GPU X"), "");
  EXPECT_EQ(nvenc_b_frames(plan, with_codec(Codec::H264), turing_h264()), 3);
}

TEST(NvencCaps, EachMissingCapabilityIsNamed) {
  const EncodeOptions h264 = with_codec(Codec::H264);
  const NvencPlan plan = plan_nvenc(hd(), h264);
  NvencCodecCaps none;  // the codec's GUID is not offered
  EXPECT_EQ(nvenc_caps_problem(plan, hd(), h264, none, "NVIDIA A100"), "the NVENC of NVIDIA A100 does not encode h264");

  NvencCodecCaps small = turing_h264();
  small.max_width = 1280;
  small.max_height = 720;
  EXPECT_EQ(nvenc_caps_problem(plan, hd(), h264, small, "G"), "the NVENC of G encodes h264 up to 1280x720, not 1920x1080");

  NvencCodecCaps big_min = turing_h264();
  big_min.min_width = 2048;
  EXPECT_NE(nvenc_caps_problem(plan, hd(), h264, big_min, "G").find("from 2048x49"), std::string::npos);

  const EncodeOptions hevc = with_codec(Codec::HEVC);
  const NvencPlan main10 = plan_nvenc(hd(PixelFormat::P016, 10), hevc);
  NvencCodecCaps eight_only = turing_h264();
  EXPECT_EQ(nvenc_caps_problem(main10, hd(PixelFormat::P016, 10), hevc, eight_only, "G"),
            "the NVENC of G has no 10-bit hevc encoding");

  EncodeOptions lossless = h264;
  lossless.tune = "lossless";
  NvencCodecCaps lossy_only = turing_h264();
  lossy_only.lossless = false;
  EXPECT_EQ(nvenc_caps_problem(plan_nvenc(hd(), lossless), hd(), lossless, lossy_only, "G"),
            "the NVENC of G has no lossless h264 encoding");
}

TEST(NvencCaps, BFramesDefaultToWhatTheGpuHasButAnExplicitCountIsChecked) {
  NvencCodecCaps pascal_hevc = turing_h264();
  pascal_hevc.max_b_frames = 0;  // HEVC B-frames need Turing or newer
  const EncodeOptions hevc = with_codec(Codec::HEVC);
  const NvencPlan plan = plan_nvenc(hd(), hevc);
  EXPECT_EQ(nvenc_caps_problem(plan, hd(), hevc, pascal_hevc, "P"), "") << "a defaulted count is capped, not refused";
  EXPECT_EQ(nvenc_b_frames(plan, hevc, pascal_hevc), 0);
  EncodeOptions two = hevc;
  two.b_frames = 2;
  EXPECT_EQ(nvenc_caps_problem(plan_nvenc(hd(), two), hd(), two, pascal_hevc, "P"),
            "the NVENC of P encodes hevc with at most 0 B-frames, not 2");
  EXPECT_EQ(nvenc_b_frames(plan_nvenc(hd(), two), two, turing_h264()), 2);
}

TEST(NvencReason, WithoutADriverItNamesWhatIsMissing) {
  const DriverStatus st = driver_status();
  if (st.libcuda) GTEST_SKIP() << "a driver is present: NvencGpu.ReasonAgreesWithTheCapabilityQuery covers it";
  const std::string why = nvenc_unavailable_reason(hd(), with_codec(Codec::H264));
  ASSERT_FALSE(why.empty());
  if (cuda_built()) {
    EXPECT_TRUE(contains(why, "libcuda.so.1")) << why;
  } else {
    EXPECT_TRUE(contains(why, "CPU-only")) << why;
  }
}

TEST(NvencReason, NeverThrowsAndAlwaysExplains) {
  EncodeParams bad = hd();
  bad.width = 0;
  EncodeOptions far = with_codec(Codec::H264);
  far.device = 4096;
  const std::pair<EncodeParams, EncodeOptions> requests[] = {
      {hd(), with_codec(Codec::AV1)},
      {hd(PixelFormat::P016, 10), with_codec(Codec::H264)},
      {bad, with_codec(Codec::HEVC)},
      {hd(), far},
  };
  for (const auto& [p, o] : requests) {
    std::string why;
    EXPECT_NO_THROW(why = nvenc_unavailable_reason(p, o));
    EXPECT_FALSE(why.empty());
  }
  if (cuda_built()) {  // the plan's refusal is the reason (a CPU-only build names the build instead)
    EXPECT_TRUE(contains(nvenc_unavailable_reason(hd(), with_codec(Codec::AV1)), "SVT-AV1"));
  }
}

TEST(NvencGpu, ReasonAgreesWithTheCapabilityQuery) {
  CUFRAME_GPU_TEST();
  const std::string why = nvenc_unavailable_reason(hd(), with_codec(Codec::H264));
  const CodecCapsReport caps = query_codec_caps(0);
  if (!caps.encode_problem.empty()) {
    // H100/H200 and other GPUs without NVENC: the reason must say so, not be empty.
    EXPECT_FALSE(why.empty()) << "query_codec_caps says: " << caps.encode_problem;
  }
  if (why.empty()) GTEST_SKIP() << "NVENC can encode here: covered by the encode round-trip tests";
  EXPECT_TRUE(contains(why, "NVENC")) << why;
  // Asking again gives the same answer (the probe is cached per device).
  EXPECT_EQ(nvenc_unavailable_reason(hd(), with_codec(Codec::H264)), why);
}

}  // namespace
}  // namespace cuframe
