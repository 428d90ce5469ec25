// GPU executor for blur and brightness/contrast.
#include <cuda_runtime.h>

#include "cuda_check.hpp"
#include "frame_chunks.hpp"
#include "launch.hpp"
#include "cuframe/error.hpp"
#include "filter_impl.hpp"

namespace cuframe::kernels::detail {

namespace {

template <typename T>
__global__ void blur_h_kernel(BlurJob b, BlurWeights w) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  const int z = static_cast<int>(blockIdx.z);
  if (x >= b.plane.in.width || y >= b.plane.in.height) return;
  const int ch = b.plane.kind.channels;
  for (int c = 0; c < ch; ++c) store<float>(b.scratch_out, z, x, y, c, ch, blur_h<T>(b.plane.in, z, x, y, c, ch, w));
}

template <typename T>
__global__ void blur_v_kernel(BlurJob b, BlurWeights w) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  const int z = static_cast<int>(blockIdx.z);
  if (x >= b.plane.in.width || y >= b.plane.in.height) return;
  const int ch = b.plane.kind.channels;
  for (int c = 0; c < ch; ++c) store<T>(b.plane.out, z, x, y, c, ch, blur_v(b.scratch_in, z, x, y, c, ch, w));
}

template <typename T>
__global__ void bc_kernel(GeometryJob j, float scale, float brightness, float contrast) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  const int z = static_cast<int>(blockIdx.z);
  if (x >= j.out.width || y >= j.out.height) return;
  for (int c = 0; c < j.kind.channels; ++c)
    store<T>(j.out, z, x, y, c, j.kind.channels,
             brightness_contrast(sample<T>(j.in, z, x, y, c, j.kind.channels), scale, brightness, contrast));
}

template <typename T>
__global__ void fill_kernel(GeometryJob j, T value) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  const int z = static_cast<int>(blockIdx.z);
  if (x >= j.out.width || y >= j.out.height) return;
  for (int c = 0; c < j.kind.channels; ++c) store<T>(j.out, z, x, y, c, j.kind.channels, value);
}

dim3 grid_of(int w, int h, int frames, dim3 block) {
  return dim3(static_cast<unsigned>((w + block.x - 1) / block.x), static_cast<unsigned>((h + block.y - 1) / block.y),
              static_cast<unsigned>(frames));
}

}  // namespace

void launch_blur(const BlurJob& b, const BlurWeights& w, void* stream) {
  if (b.plane.frames > kMaxGridZ) {
    for_each_frame_piece(b.plane.frames, [&](int first, int n) {
      BlurJob p = b;
      p.plane = piece(b.plane, first, n);
      p.scratch_in = from_frame(b.scratch_in, first);
      p.scratch_out = from_frame(b.scratch_out, first);
      launch_blur(p, w, stream);
    });
    return;
  }
  const auto s = static_cast<cudaStream_t>(stream);
  const dim3 block(32, 8, 1), grid = grid_of(b.plane.in.width, b.plane.in.height, b.plane.frames, block);
  switch (b.plane.kind.type) {
    case SampleType::U8:
      CUFRAME_LAUNCH(grid, block, 0, s, blur_h_kernel<std::uint8_t>)(b, w);
      CUFRAME_LAUNCH(grid, block, 0, s, blur_v_kernel<std::uint8_t>)(b, w);
      break;
    case SampleType::U16:
      CUFRAME_LAUNCH(grid, block, 0, s, blur_h_kernel<std::uint16_t>)(b, w);
      CUFRAME_LAUNCH(grid, block, 0, s, blur_v_kernel<std::uint16_t>)(b, w);
      break;
    case SampleType::F32:
      CUFRAME_LAUNCH(grid, block, 0, s, blur_h_kernel<float>)(b, w);
      CUFRAME_LAUNCH(grid, block, 0, s, blur_v_kernel<float>)(b, w);
      break;
  }
  CUFRAME_CHECK(cudaGetLastError());
}

void launch_brightness_contrast(const GeometryJob& j, float scale, float brightness, float contrast, void* stream) {
  if (j.frames > kMaxGridZ) {
    for_each_frame_piece(j.frames, [&](int first, int n) {
      launch_brightness_contrast(piece(j, first, n), scale, brightness, contrast, stream);
    });
    return;
  }
  const auto s = static_cast<cudaStream_t>(stream);
  const dim3 block(32, 8, 1), grid = grid_of(j.out.width, j.out.height, j.frames, block);
  switch (j.kind.type) {
    case SampleType::U8: CUFRAME_LAUNCH(grid, block, 0, s, bc_kernel<std::uint8_t>)(j, scale, brightness, contrast); break;
    case SampleType::U16: CUFRAME_LAUNCH(grid, block, 0, s, bc_kernel<std::uint16_t>)(j, scale, brightness, contrast); break;
    case SampleType::F32: CUFRAME_LAUNCH(grid, block, 0, s, bc_kernel<float>)(j, scale, brightness, contrast); break;
  }
  CUFRAME_CHECK(cudaGetLastError());
}

void launch_fill(const GeometryJob& j, unsigned value, void* stream) {
  if (j.frames > kMaxGridZ) {
    for_each_frame_piece(j.frames, [&](int first, int n) { launch_fill(piece(j, first, n), value, stream); });
    return;
  }
  const auto s = static_cast<cudaStream_t>(stream);
  const dim3 block(32, 8, 1), grid = grid_of(j.out.width, j.out.height, j.frames, block);
  switch (j.kind.type) {
    case SampleType::U8: CUFRAME_LAUNCH(grid, block, 0, s, fill_kernel<std::uint8_t>)(j, static_cast<std::uint8_t>(value)); break;
    case SampleType::U16: CUFRAME_LAUNCH(grid, block, 0, s, fill_kernel<std::uint16_t>)(j, static_cast<std::uint16_t>(value)); break;
    case SampleType::F32: CUFRAME_LAUNCH(grid, block, 0, s, fill_kernel<float>)(j, static_cast<float>(value)); break;
  }
  CUFRAME_CHECK(cudaGetLastError());
}

}  // namespace cuframe::kernels::detail
