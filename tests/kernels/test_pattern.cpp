// The first GPU proof: a kernel built for this GPU runs on our own stream over a batch
// (blockIdx.z), and memory from the CUDA runtime is the driver API's too (one primary
// context, shared with NVDEC/NVENC).
#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/device.hpp"
#include "cuframe/frame.hpp"
#include "cuframe/error.hpp"
#include "cuframe/kernels/pattern.hpp"
#include "support/gpu.hpp"


namespace cuframe {

TEST(PatternKernel, SameBytesAsTheHostFunction) {
  CUFRAME_GPU_TEST();
  // A batch of 5 odd-width frames: the pitch padding must stay untouched.
  const FrameLayout layout = make_layout(PixelFormat::Gray8, 333, 37);
  constexpr int images = 5;
  FrameBatch dev(layout, images, MemoryKind::Device);
  const size_t bytes = dev.bytes();
  CudaStream stream;
  stream.fill_async(dev.data(), 0xA5, bytes);  // poison, padding included
  kernels::fill_pattern(dev.data(), layout.planes[0].pitch, 333, 37, layout.frame_stride, images, 1234u, stream);
  std::vector<uint8_t> host(bytes);
  stream.copy_async(host.data(), dev.data(), bytes);
  stream.synchronize();
  size_t wrong = 0, guard_touched = 0;
  for (size_t z = 0; z < images; ++z)
    for (size_t y = 0; y < 37; ++y)
      for (size_t x = 0; x < layout.planes[0].pitch; ++x) {
        const uint8_t got = host[z * layout.frame_stride + y * layout.planes[0].pitch + x];
        if (x < 333) {
          wrong += got != kernels::pattern_byte(uint32_t(x), uint32_t(y), uint32_t(z), 1234u);
        } else {
          guard_touched += got != 0xA5;
        }
      }
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(guard_touched, 0u) << "the kernel wrote into the pitch padding";
}

TEST(PatternKernel, RefusesTheDefaultStream) {
  CUFRAME_GPU_TEST();
  CudaStream stream;
  const CudaStream taken(std::move(stream));  // `stream` now holds no handle: the default stream
  EXPECT_THROW(kernels::fill_pattern(nullptr, 64, 64, 1, 64, 1, 0, stream), Error);
}

}  // namespace cuframe
