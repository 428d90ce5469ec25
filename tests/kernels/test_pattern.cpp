// The first GPU proof: a kernel built for this GPU runs on our own stream over a batch
// (blockIdx.z), and memory from the CUDA runtime is the driver API's too (one primary
// context, shared with NVDEC/NVENC).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "cuframe/device.hpp"
#include "cuframe/error.hpp"
#include "cuframe/kernels/pattern.hpp"
#include "support/gpu.hpp"

#ifdef CUFRAME_TEST_CUDA
#include <cuda_runtime_api.h>
#endif

namespace cuframe {

TEST(PatternKernel, SameBytesAsTheHostFunction) {
  CUFRAME_GPU_TEST();
#ifdef CUFRAME_TEST_CUDA
  constexpr size_t width = 333, height = 37, pitch = 384, images = 5;
  const size_t stride = pitch * height + 128;  // images not contiguous: exercises image_stride
  const size_t bytes = stride * images;
  void* dev = nullptr;
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&dev, bytes), cudaSuccess);
  ASSERT_EQ(cudaMemsetAsync(dev, 0xA5, bytes, stream), cudaSuccess);  // poison, incl. gaps
  kernels::fill_pattern(dev, pitch, width, height, stride, images, 1234u, stream);
  std::vector<uint8_t> host(bytes);
  ASSERT_EQ(cudaMemcpyAsync(host.data(), dev, bytes, cudaMemcpyDeviceToHost, stream), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  size_t wrong = 0, guard_touched = 0;
  for (size_t z = 0; z < images; ++z)
    for (size_t y = 0; y < height; ++y)
      for (size_t x = 0; x < pitch; ++x) {
        const uint8_t got = host[z * stride + y * pitch + x];
        if (x < width) {
          wrong += got != kernels::pattern_byte(uint32_t(x), uint32_t(y), uint32_t(z), 1234u);
        } else {
          guard_touched += got != 0xA5;
        }
      }
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(guard_touched, 0u) << "the kernel wrote into the pitch padding";
  EXPECT_EQ(cudaFree(dev), cudaSuccess);
  EXPECT_EQ(cudaStreamDestroy(stream), cudaSuccess);
#else
  FAIL() << "CUDA build without CUFRAME_TEST_CUDA";
#endif
}

TEST(PatternKernel, RefusesTheDefaultStream) {
  if (!cuda_built()) GTEST_SKIP() << "CPU-only build: no kernels";
  EXPECT_THROW(kernels::fill_pattern(nullptr, 64, 64, 1, 64, 1, 0, nullptr), Error);
}

}  // namespace cuframe
