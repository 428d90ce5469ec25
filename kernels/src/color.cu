// GPU executor for colour conversion: one launch per batch, frame index in blockIdx.z.
#include <cuda_runtime.h>

#include "color_impl.hpp"
#include "color_to_yuv_impl.hpp"
#include "cuda_check.hpp"
#include "cuframe/error.hpp"

namespace cuframe::kernels::detail {

namespace {
template <Src S, Dst D>
__global__ void convert_kernel(ConvertArgs a) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (x >= a.width || y >= a.height) return;
  convert_pixel<S, D>(a, x, y, static_cast<int>(blockIdx.z));
}
}  // namespace

void launch_convert(Src s, Dst d, const ConvertArgs& args, int frames, void* stream) {
  if (frames > 65535) throw Error(Errc::InvalidArgument, "colour conversion", "more than 65535 frames in one batch");
  const dim3 block(32, 8, 1);
  const dim3 grid(static_cast<unsigned>((args.width + 31) / 32), static_cast<unsigned>((args.height + 7) / 8),
                  static_cast<unsigned>(frames));
  dispatch(s, d, [&]<Src S, Dst D>() {
    convert_kernel<S, D><<<grid, block, 0, static_cast<cudaStream_t>(stream)>>>(args);
  });
  CUFRAME_CHECK(cudaGetLastError());
}

namespace {
__global__ void to_yuv_kernel(ToYuvArgs a) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  const int z = static_cast<int>(blockIdx.z);
  if (x < a.width && y < a.height) to_yuv_luma(a, x, y, z);
  if (x < a.cw && y < a.ch) to_yuv_chroma(a, x, y, z);
}
}  // namespace

void launch_to_yuv(const ToYuvArgs& args, int frames, void* stream) {
  if (frames > 65535) throw Error(Errc::InvalidArgument, "colour conversion", "more than 65535 frames in one batch");
  const dim3 block(32, 8, 1);
  const dim3 grid(static_cast<unsigned>((args.width + 31) / 32), static_cast<unsigned>((args.height + 7) / 8),
                  static_cast<unsigned>(frames));
  to_yuv_kernel<<<grid, block, 0, static_cast<cudaStream_t>(stream)>>>(args);
  CUFRAME_CHECK(cudaGetLastError());
}

}  // namespace cuframe::kernels::detail
