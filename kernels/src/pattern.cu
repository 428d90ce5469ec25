#include <cuda_runtime.h>

#include "cuframe/kernels/pattern.hpp"
#include "cuda_check.hpp"
#include "launch.hpp"
#include "cuframe/error.hpp"

namespace cuframe::kernels {

namespace {
__global__ void fill_pattern_kernel(std::uint8_t* base, std::size_t pitch, std::uint32_t width,
                                    std::uint32_t height, std::size_t image_stride, std::uint32_t seed) {
  const std::uint32_t x = blockIdx.x * blockDim.x + threadIdx.x;
  const std::uint32_t y = blockIdx.y * blockDim.y + threadIdx.y;
  const std::uint32_t z = blockIdx.z;
  if (x >= width || y >= height) return;
  base[z * image_stride + y * pitch + x] = pattern_byte(x, y, z, seed);
}
}  // namespace

void fill_pattern(void* device_ptr, std::size_t pitch, std::size_t width_bytes, std::size_t height,
                  std::size_t image_stride, std::size_t images, std::uint32_t seed, const CudaStream& stream) {
  if (!stream.get())
    throw Error(Errc::InvalidArgument, "fill_pattern", "needs a stream (a moved-from CudaStream is the default stream)");
  if (width_bytes == 0 || height == 0 || images == 0) return;
  if (width_bytes > pitch || width_bytes > UINT32_MAX || height > UINT32_MAX || images > 65535)
    throw Error(Errc::InvalidArgument, "fill_pattern", "batch geometry out of range");
  const dim3 block(32, 8, 1);
  const dim3 grid(static_cast<unsigned>((width_bytes + block.x - 1) / block.x),
                  static_cast<unsigned>((height + block.y - 1) / block.y), static_cast<unsigned>(images));
  CUFRAME_LAUNCH(grid, block, 0, static_cast<cudaStream_t>(stream.get()), fill_pattern_kernel)(
      static_cast<std::uint8_t*>(device_ptr), pitch, static_cast<std::uint32_t>(width_bytes),
      static_cast<std::uint32_t>(height), image_stride, seed);
  CUFRAME_CHECK(cudaGetLastError());
}

}  // namespace cuframe::kernels
