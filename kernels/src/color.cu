// GPU executor for colour conversion: one launch per batch, frame index in blockIdx.z.
#include <cuda_runtime.h>

#include "color_impl.hpp"
#include "color_to_yuv_impl.hpp"
#include "fused_impl.hpp"
#include "cuda_check.hpp"
#include "frame_chunks.hpp"
#include "launch.hpp"
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
  if (frames > kMaxGridZ) {
    for_each_frame_piece(frames, [&](int first, int n) {
      ConvertArgs p = args;
      p.y = from_frame(args.y, first), p.u = from_frame(args.u, first), p.v = from_frame(args.v, first);
      p.o0 = from_frame(args.o0, first), p.o1 = from_frame(args.o1, first), p.o2 = from_frame(args.o2, first);
      launch_convert(s, d, p, n, stream);
    });
    return;
  }
  const dim3 block(32, 8, 1);
  const dim3 grid(static_cast<unsigned>((args.width + 31) / 32), static_cast<unsigned>((args.height + 7) / 8),
                  static_cast<unsigned>(frames));
  dispatch(s, d, [&]<Src S, Dst D>() {
    CUFRAME_LAUNCH(grid, block, 0, static_cast<cudaStream_t>(stream), convert_kernel<S, D>)(args);
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

namespace {
template <Src S>
__global__ void fused_kernel(FusedArgs a) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (x >= a.dst_width || y >= a.dst_height) return;
  fused_pixel<S>(a, x, y, static_cast<int>(blockIdx.z));
}
}  // namespace

void launch_fused(Src s, const FusedArgs& args, int frames, void* stream) {
  if (frames > kMaxGridZ) {
    for_each_frame_piece(frames, [&](int first, int n) {
      FusedArgs p = args;
      p.c.y = from_frame(args.c.y, first), p.c.u = from_frame(args.c.u, first), p.c.v = from_frame(args.c.v, first);
      p.c.o0 = from_frame(args.c.o0, first), p.c.o1 = from_frame(args.c.o1, first), p.c.o2 = from_frame(args.c.o2, first);
      launch_fused(s, p, n, stream);
    });
    return;
  }
  const dim3 block(32, 8, 1);
  const dim3 grid(static_cast<unsigned>((args.dst_width + 31) / 32), static_cast<unsigned>((args.dst_height + 7) / 8),
                  static_cast<unsigned>(frames));
  const auto st = static_cast<cudaStream_t>(stream);
  switch (s) {
    case Src::NV12: CUFRAME_LAUNCH(grid, block, 0, st, fused_kernel<Src::NV12>)(args); break;
    case Src::P016: CUFRAME_LAUNCH(grid, block, 0, st, fused_kernel<Src::P016>)(args); break;
    case Src::YUV444P: CUFRAME_LAUNCH(grid, block, 0, st, fused_kernel<Src::YUV444P>)(args); break;
    case Src::YUV444P16: CUFRAME_LAUNCH(grid, block, 0, st, fused_kernel<Src::YUV444P16>)(args); break;
  }
  CUFRAME_CHECK(cudaGetLastError());
}

void launch_to_yuv(const ToYuvArgs& args, int frames, void* stream) {
  if (frames > kMaxGridZ) {
    for_each_frame_piece(frames, [&](int first, int n) {
      ToYuvArgs p = args;
      p.rgb = from_frame(args.rgb, first), p.y = from_frame(args.y, first), p.uv = from_frame(args.uv, first);
      launch_to_yuv(p, n, stream);
    });
    return;
  }
  const dim3 block(32, 8, 1);
  const dim3 grid(static_cast<unsigned>((args.width + 31) / 32), static_cast<unsigned>((args.height + 7) / 8),
                  static_cast<unsigned>(frames));
  CUFRAME_LAUNCH(grid, block, 0, static_cast<cudaStream_t>(stream), to_yuv_kernel)(args);
  CUFRAME_CHECK(cudaGetLastError());
}

}  // namespace cuframe::kernels::detail
