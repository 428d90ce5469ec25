// Driver loading and device queries. Without a driver everything must answer (no
// crash, no exception) and say why; with a GPU, the answers must be real.
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/device.hpp"
#include "cuframe/error.hpp"
#include "cuframe/frame.hpp"
#include "support/gpu.hpp"

namespace cuframe {

TEST(Driver, StatusNeverThrowsAndExplainsItself) {
  const DriverStatus st = driver_status();
  if (!st.libcuda) {
    EXPECT_FALSE(st.usable());
    EXPECT_NE(st.problem.find("libcuda.so.1"), std::string::npos) << st.problem;
    EXPECT_TRUE(devices().empty());
    const CodecCapsReport caps = query_codec_caps(0);
    EXPECT_FALSE(caps.decode_problem.empty());
    EXPECT_FALSE(caps.encode_problem.empty());
    EXPECT_TRUE(caps.decode.empty());
  } else {
    EXPECT_EQ(st.usable(), st.problem.empty() && st.device_count > 0);
  }
}

TEST(Driver, BuildKnowsWhatItNeeds) {
  if (cuda_built()) {
    EXPECT_GE(required_driver_version(), 12000);
  } else {
    EXPECT_EQ(required_driver_version(), 0);
  }
}

TEST(Driver, GpuIsUsableAndNewEnough) {
  CUFRAME_GPU_TEST();
  const DriverStatus st = driver_status();
  EXPECT_TRUE(st.libcuda);
  EXPECT_GE(st.driver_api_version, required_driver_version());
  EXPECT_GT(st.device_count, 0);
  const auto gpus = devices();
  ASSERT_FALSE(gpus.empty());
  EXPECT_FALSE(gpus[0].name.empty());
  EXPECT_GE(gpus[0].cc_major, 7);
  EXPECT_GT(gpus[0].total_memory, int64_t{1} << 30);
}

TEST(Driver, NvdecCapsListH264) {
  CUFRAME_GPU_TEST();
  const CodecCapsReport caps = query_codec_caps(0);
  ASSERT_TRUE(caps.decode_problem.empty()) << caps.decode_problem;
  bool h264 = false;
  for (const DecodeCaps& d : caps.decode)
    if (d.codec == Codec::H264 && d.chroma == ChromaFormat::Yuv420 && d.bit_depth == 8 && d.supported) {
      h264 = true;
      EXPECT_GE(d.max_width, 4096);
      EXPECT_GE(d.engines, 1);
    }
  EXPECT_TRUE(h264) << "every NVDEC generation decodes 8-bit 4:2:0 H.264";
  EXPECT_GE(caps.nvdec_engines, 1);
  // NVENC may be absent (H100/H200): then the report must say so rather than list codecs.
  if (!caps.encode_problem.empty()) {
    EXPECT_TRUE(caps.encode.empty());
  }
}

TEST(Driver, QueryOfAMissingGpuIsAnAnswerNotACrash) {
  const CodecCapsReport caps = query_codec_caps(4096);
  EXPECT_FALSE(caps.decode_problem.empty());
  EXPECT_TRUE(caps.decode.empty());
}

// An event hands work from one stream to another without the host waiting: a fill on
// stream A, then (on B, after B waits for A's event) a copy of what A wrote. The copy
// sees the fill whatever the streams' timing. Timing events measure forward time.
TEST(CudaEvents, HandOffBetweenStreamsAndTime) {
  CUFRAME_GPU_TEST();
  CudaStream a(0), b(0);
  const std::size_t n = 64u << 20;  // large enough that the fill is still running when B is queued
  FrameBatch src(make_layout(PixelFormat::Gray8, 8192, 8192), 1, MemoryKind::Device);
  FrameBatch dst(src.layout(), 1, MemoryKind::Device);
  std::vector<std::byte> host(n);
  CudaEvent start(0, true), filled(0, true);
  start.record(a);
  a.fill_async(src.data(), 0x5a, n);
  filled.record(a);
  filled.wait_on(b);
  b.copy_async(dst.data(), src.data(), n);
  b.copy_async(host.data(), dst.data(), n);
  b.synchronize();
  EXPECT_TRUE(filled.done());
  std::size_t wrong = 0;
  for (std::byte v : host) wrong += v != std::byte{0x5a};
  EXPECT_EQ(wrong, 0u);
  EXPECT_GE(filled.elapsed_ms_since(start), 0.0f);
}

TEST(CudaEvents, CpuOnlyOrNoGpuIsAClearError) {
  std::string why;
  if (test::gpu_usable(&why)) GTEST_SKIP() << "a GPU is usable: CudaEvents.HandOffBetweenStreamsAndTime covers it";
  try {
    CudaEvent e(0);
    FAIL() << "an event was created without a usable GPU";
  } catch (const Error& e) {
    EXPECT_FALSE(std::string(e.what()).empty());
  }
}

}  // namespace cuframe
