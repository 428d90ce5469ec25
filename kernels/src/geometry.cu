// GPU executor for resize/crop/flip/rotate: one launch per plane per batch, frame index
// in blockIdx.z.
#include <cuda_runtime.h>

#include "cuda_check.hpp"
#include "frame_chunks.hpp"
#include "launch.hpp"
#include "cuframe/error.hpp"
#include "geometry_impl.hpp"

namespace cuframe::kernels::detail {

namespace {

template <typename T, ResizeFilter I>
__global__ void resize_kernel(GeometryJob j) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  const int z = static_cast<int>(blockIdx.z);
  if (x >= j.out.width || y >= j.out.height) return;
  for (int c = 0; c < j.kind.channels; ++c)
    store<T>(j.out, z, x, y, c, j.kind.channels, resize_sample<T, I>(j.in, j.out, z, x, y, c, j.kind.channels));
}

template <Remap R>
__global__ void remap_kernel(GeometryJob j) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (x >= j.out.width || y >= j.out.height) return;
  remap_pixel<R>(j.in, j.out, static_cast<int>(blockIdx.z), x, y, j.kind.bytes_per_pixel, j.ox, j.oy);
}

dim3 grid_for(const GeometryJob& j, dim3 block) {
  return dim3(static_cast<unsigned>((j.out.width + block.x - 1) / block.x),
              static_cast<unsigned>((j.out.height + block.y - 1) / block.y), static_cast<unsigned>(j.frames));
}

template <ResizeFilter I>
void launch_typed(const GeometryJob& j, cudaStream_t s) {
  const dim3 block(32, 8, 1), grid = grid_for(j, block);
  switch (j.kind.type) {
    case SampleType::U8: CUFRAME_LAUNCH(grid, block, 0, s, resize_kernel<std::uint8_t, I>)(j); break;
    case SampleType::U16: CUFRAME_LAUNCH(grid, block, 0, s, resize_kernel<std::uint16_t, I>)(j); break;
    case SampleType::F32: CUFRAME_LAUNCH(grid, block, 0, s, resize_kernel<float, I>)(j); break;
  }
}

}  // namespace

void launch_resize(const GeometryJob& j, ResizeFilter interp, void* stream) {
  if (j.frames > kMaxGridZ) {
    for_each_frame_piece(j.frames, [&](int first, int n) { launch_resize(piece(j, first, n), interp, stream); });
    return;
  }
  const auto s = static_cast<cudaStream_t>(stream);
  switch (interp) {
    case ResizeFilter::Nearest: launch_typed<ResizeFilter::Nearest>(j, s); break;
    case ResizeFilter::Bilinear: launch_typed<ResizeFilter::Bilinear>(j, s); break;
    case ResizeFilter::Bicubic: launch_typed<ResizeFilter::Bicubic>(j, s); break;
    case ResizeFilter::Area: launch_typed<ResizeFilter::Area>(j, s); break;
  }
  CUFRAME_CHECK(cudaGetLastError());
}

void launch_remap(const GeometryJob& j, Remap remap, void* stream) {
  if (j.frames > kMaxGridZ) {
    for_each_frame_piece(j.frames, [&](int first, int n) { launch_remap(piece(j, first, n), remap, stream); });
    return;
  }
  const auto s = static_cast<cudaStream_t>(stream);
  const dim3 block(32, 8, 1), grid = grid_for(j, block);
  switch (remap) {
    case Remap::Crop: CUFRAME_LAUNCH(grid, block, 0, s, remap_kernel<Remap::Crop>)(j); break;
    case Remap::FlipH: CUFRAME_LAUNCH(grid, block, 0, s, remap_kernel<Remap::FlipH>)(j); break;
    case Remap::FlipV: CUFRAME_LAUNCH(grid, block, 0, s, remap_kernel<Remap::FlipV>)(j); break;
    case Remap::Rot90: CUFRAME_LAUNCH(grid, block, 0, s, remap_kernel<Remap::Rot90>)(j); break;
    case Remap::Rot180: CUFRAME_LAUNCH(grid, block, 0, s, remap_kernel<Remap::Rot180>)(j); break;
    case Remap::Rot270: CUFRAME_LAUNCH(grid, block, 0, s, remap_kernel<Remap::Rot270>)(j); break;
  }
  CUFRAME_CHECK(cudaGetLastError());
}

}  // namespace cuframe::kernels::detail
