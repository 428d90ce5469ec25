// Each user of a device's primary context holds one retain for its life and gives it back,
// also when its constructor throws (Note [Primary context], GPU review item 13: the NVDEC
// decoder retained the context, then threw from its caps check without releasing it — on
// every refusal that Auto falls back from). Observed through the virtual driver's count of
// the retains each primary context holds, cfvg_primary_ctx_retains (cuframe_vgpu/vgpu.h).
// Only in the virtual-gpu build.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cuframe/decoder.hpp"
#include "cuframe/demuxer.hpp"
#include "cuframe/error.hpp"
#include "cuframe/input.hpp"
#include "cuframe_vgpu/vgpu.h"
#include "support/gpu.hpp"
#include "support/helpers.hpp"
#include "support/test_env.hpp"

namespace cuframe::vgpu_test {
namespace {

constexpr int kTries = 20;

DecodeOptions nvdec_options() {
  DecodeOptions o;
  o.backend = Backend::Nvdec;
  return o;
}

// Streams the H100 model's caps refuse in the NVDEC decoder's constructor, after it has
// retained the primary context (tests/virtual_gpu/src/nvdec.cpp, caps_of).
class NvdecRefusedInTheConstructor : public testing::TestWithParam<std::string> {};

TEST_P(NvdecRefusedInTheConstructor, ReleasesThePrimaryContext) {
  CUFRAME_GPU_TEST();
  const Demuxer demux(InputSource::file(test::sample(GetParam()).string()));
  const int before = cfvg_primary_ctx_retains(0);
  ASSERT_GE(before, 0);
  int first_leak = 0;  // the first refusal that left a retain behind
  for (int i = 1; i <= kTries; ++i) {
    try {
      open_decoder(demux, nvdec_options());
      FAIL() << "NVDEC opened " << GetParam() << ", which the H100 model's caps refuse";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::Unsupported) << e.what();
      if (i == 1) std::printf("refused: %s\n", e.what());
    }
    if (!first_leak && cfvg_primary_ctx_retains(0) != before) first_leak = i;
  }
  EXPECT_EQ(cfvg_primary_ctx_retains(0), before)
      << "primary context retains after " << kTries << " NVDEC refusals of " << GetParam()
      << " (the first retain left behind by refusal " << first_leak << ")";
  // Auto falls back to libavcodec from the same refusal.
  const int before_auto = cfvg_primary_ctx_retains(0);
  for (int i = 0; i < kTries; ++i) {
    const std::unique_ptr<Decoder> d = open_decoder(demux);
    EXPECT_EQ(d->backend(), Backend::Cpu) << d->description();
  }
  EXPECT_EQ(cfvg_primary_ctx_retains(0), before_auto)
      << "primary context retains after " << kTries << " Auto fallbacks from NVDEC on " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(H100Model, NvdecRefusedInTheConstructor,
                         testing::Values("av1_video.mkv",                // no AV1 on H100
                                         "testsrc2_odd_width_444.mp4",   // H.264 4:4:4
                                         "h264_10bits.mp4"),             // H.264 10-bit
                         test::param_name);

// A decoder that opened (one retain while it lives) and failed later, at the first sequence
// header: the frame size over the limits.
TEST(NvdecRefusedAtTheSequenceHeader, ReleasesThePrimaryContext) {
  CUFRAME_GPU_TEST();
  const Demuxer demux(InputSource::file(test::sample("testsrc2.mp4").string()));  // 1280x720 H.264
  DecodeOptions o = nvdec_options();
  o.limits.max_width = 640;
  const int before = cfvg_primary_ctx_retains(0);
  ASSERT_GE(before, 0);
  for (int i = 0; i < kTries; ++i) {
    {
      const std::unique_ptr<Decoder> d = open_decoder(demux, o);
      ASSERT_EQ(d->backend(), Backend::Nvdec);
      ASSERT_EQ(cfvg_primary_ctx_retains(0), before + 1) << "an open NVDEC decoder holds one retain";
      Demuxer packets(InputSource::file(test::sample("testsrc2.mp4").string()));
      Packet p;
      ASSERT_TRUE(packets.read(p));
      try {
        d->send(&p);
        FAIL() << "a 1280x720 stream passed a 640-pixel width limit";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::LimitExceeded) << e.what();
        if (i == 0) std::printf("refused: %s\n", e.what());
      }
    }
    ASSERT_EQ(cfvg_primary_ctx_retains(0), before) << "primary context retains after " << i + 1 << " refusal(s)";
  }
}

}  // namespace
}  // namespace cuframe::vgpu_test
