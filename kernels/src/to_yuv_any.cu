// GPU executor for RGBA / gray / planar RGB / planar float -> NV12/P016: one launch per
// batch, frame index in blockIdx.z (pieces of at most 65535 frames).
#include <cuda_runtime.h>

#include "cuda_check.hpp"
#include "cuframe/error.hpp"
#include "frame_chunks.hpp"
#include "launch.hpp"
#include "to_yuv_any_impl.hpp"

namespace cuframe::kernels::detail {

namespace {
template <YuvSrc S>
__global__ void to_yuv_any_kernel(ToYuvAnyArgs a) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  const int z = static_cast<int>(blockIdx.z);
  if (x < a.width && y < a.height) to_yuv_any_luma<S>(a, x, y, z);
  if (x < a.cw && y < a.ch) to_yuv_any_chroma<S>(a, x, y, z);
}
}  // namespace

void launch_to_yuv_any(YuvSrc s, const ToYuvAnyArgs& args, int frames, void* stream) {
  if (frames > kMaxGridZ) {
    for_each_frame_piece(frames, [&](int first, int n) {
      ToYuvAnyArgs p = args;
      p.p0 = from_frame(args.p0, first), p.p1 = from_frame(args.p1, first), p.p2 = from_frame(args.p2, first);
      p.y = from_frame(args.y, first), p.uv = from_frame(args.uv, first);
      launch_to_yuv_any(s, p, n, stream);
    });
    return;
  }
  const dim3 block(32, 8, 1);
  const dim3 grid(static_cast<unsigned>((args.width + 31) / 32), static_cast<unsigned>((args.height + 7) / 8),
                  static_cast<unsigned>(frames));
  dispatch_yuv_src(s, [&]<YuvSrc S>() {
    CUFRAME_LAUNCH(grid, block, 0, static_cast<cudaStream_t>(stream), to_yuv_any_kernel<S>)(args);
  });
  CUFRAME_CHECK(cudaGetLastError());
}

}  // namespace cuframe::kernels::detail
