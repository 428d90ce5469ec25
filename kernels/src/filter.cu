// GPU executor for blur and brightness/contrast.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>

#include "cuda_check.hpp"
#include "frame_chunks.hpp"
#include "launch.hpp"
#include "cuframe/error.hpp"
#include "filter_impl.hpp"

namespace cuframe::kernels::detail {

namespace {

// Note [GPU blur tiles]: each pass stages, per block, the inputs its outputs read in
// shared memory, and every tap reads from there: an input sample is loaded from global
// memory once per tile (plus the halo the tile shares with its neighbours), not 2r + 1
// times per pass (GPU review item 18).
// - Horizontal: a block does h_pixels pixels of a row, looping over rows (grid y). It
//   loads the row's samples [lo, hi) * channels as contiguous T (consecutive threads,
//   consecutive bytes: coalesced, whatever the channel count), then each thread sums
//   output samples from the tile.
// - Vertical: a block does v_columns samples of a row (threadIdx.x) by v_rows rows,
//   looping over row tiles (grid y); it loads scratch rows [lo, hi) of its columns.
// Spans come from tile_span: a tile holds only positions inside the plane, so a plane
// narrower (or shorter) than the halo is loaded once. Tiles whose taps all lie inside the
// plane read at fixed offsets; the others clamp the tap to the span, which gives the
// plane's replicated edge (tile_span). The sums go through blur_taps (Note [Blur tap
// order]), so the bytes are the CPU executor's. plan_blur_tiles (filter.cpp) sizes the
// tiles to fit kBlurTileBytes of static shared memory for r up to kMaxBlurRadius, with a
// tile at least 4r long where it fits (then at most 1.5 loads an output sample; under 1.7
// for the vertical pass past r = 341; the planned loads are blur_global_loads, tested in
// tests/kernels/test_filter.cpp). 32 KiB static tiles cost occupancy at small radii
// (about 6 blocks of 256 threads an SM on sm_90); dynamic shared memory sized per launch
// would not, but the virtual GPU has none to run. r = 400 still costs 801 shared-memory
// taps an output: the tiles remove the global traffic, not the arithmetic.

template <typename T>
__device__ const T* row_in(const PlaneIn& p, int z, int y) {
  return reinterpret_cast<const T*>(p.base + static_cast<std::size_t>(z) * p.frame_stride + static_cast<std::size_t>(y) * p.pitch);
}

template <typename T>
__device__ T* row_out(const PlaneOutG& p, int z, int y) {
  return reinterpret_cast<T*>(p.base + static_cast<std::size_t>(z) * p.frame_stride + static_cast<std::size_t>(y) * p.pitch);
}

template <typename T>
__global__ void blur_h_kernel(BlurJob b, BlurWeights w, BlurTiles t) {
  __shared__ T tile[kBlurTileBytes / sizeof(T)];
  const int width = b.plane.in.width, ch = b.plane.kind.channels, r = w.radius;
  const int x0 = static_cast<int>(blockIdx.x) * t.h_pixels;
  const int count = t.h_pixels < width - x0 ? t.h_pixels : width - x0;
  const TileSpan s = tile_span(x0, count, r, width);
  const bool inside = s.lo == x0 - r && s.hi == x0 + count + r;  // no tap clamped
  const int loads = (s.hi - s.lo) * ch, outputs = count * ch, centre = (x0 - s.lo) * ch;
  const int z = static_cast<int>(blockIdx.z), tid = static_cast<int>(threadIdx.x), threads = static_cast<int>(blockDim.x);
  for (int y = static_cast<int>(blockIdx.y); y < b.plane.in.height; y += static_cast<int>(gridDim.y)) {
    const T* src = row_in<T>(b.plane.in, z, y) + s.lo * ch;
    for (int i = tid; i < loads; i += threads) tile[i] = src[i];
    __syncthreads();
    float* dst = row_out<float>(b.scratch_out, z, y) + x0 * ch;
    for (int i = tid; i < outputs; i += threads) {
      if (inside) {
        dst[i] = blur_taps(w, [&](int d) { return static_cast<float>(tile[centre + i + d * ch]); });
      } else {
        const int x = x0 + i / ch, c = i % ch;
        dst[i] = blur_taps(w, [&](int d) { return static_cast<float>(tile[(clampi(x + d, s.lo, s.hi - 1) - s.lo) * ch + c]); });
      }
    }
    __syncthreads();  // the tile is read before the next row overwrites it
  }
}

template <typename T>
__global__ void blur_v_kernel(BlurJob b, BlurWeights w, BlurTiles t) {
  __shared__ float tile[kBlurTileBytes / sizeof(float)];
  const int height = b.plane.in.height, r = w.radius, columns = t.v_columns;
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y), rows_step = static_cast<int>(blockDim.y);
  const int i = static_cast<int>(blockIdx.x) * columns + tx;  // the sample of a row this thread loads and outputs
  const bool active = i < b.plane.in.width * b.plane.kind.channels;
  const int z = static_cast<int>(blockIdx.z);
  for (int y0 = static_cast<int>(blockIdx.y) * t.v_rows; y0 < height; y0 += static_cast<int>(gridDim.y) * t.v_rows) {
    const int count = t.v_rows < height - y0 ? t.v_rows : height - y0;
    const TileSpan s = tile_span(y0, count, r, height);
    const bool inside = s.lo == y0 - r && s.hi == y0 + count + r;
    if (active)
      for (int y = s.lo + ty; y < s.hi; y += rows_step) tile[(y - s.lo) * columns + tx] = row_in<float>(b.scratch_in, z, y)[i];
    __syncthreads();
    if (active)
      for (int y = y0 + ty; y < y0 + count; y += rows_step) {
        const float v = inside ? blur_taps(w, [&](int d) { return tile[(y + d - s.lo) * columns + tx]; })
                               : blur_taps(w, [&](int d) { return tile[(clampi(y + d, s.lo, s.hi - 1) - s.lo) * columns + tx]; });
        row_out<T>(b.plane.out, z, y)[i] = to_sample<T>(v);
      }
    __syncthreads();  // the tile is read before the next row tile overwrites it
  }
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

constexpr int kMaxGridY = 65535;  // sm_90's grid y limit (grid z: frame_chunks.hpp)

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
  const int width = b.plane.in.width, height = b.plane.in.height, ch = b.plane.kind.channels;
  const BlurTiles t = plan_blur_tiles(width, height, ch, b.plane.kind.bytes_per_pixel / ch, w.radius);
  const auto up = [](int n, int d) { return static_cast<unsigned>((n + d - 1) / d); };
  const dim3 h_block(static_cast<unsigned>(t.h_threads)),
      h_grid(up(width, t.h_pixels), static_cast<unsigned>(std::min(height, kMaxGridY)), static_cast<unsigned>(b.plane.frames));
  const dim3 v_block(static_cast<unsigned>(t.v_columns), static_cast<unsigned>(t.v_threads_y)),
      v_grid(up(width * ch, t.v_columns), std::min(up(height, t.v_rows), static_cast<unsigned>(kMaxGridY)),
             static_cast<unsigned>(b.plane.frames));
  switch (b.plane.kind.type) {
    case SampleType::U8:
      CUFRAME_LAUNCH(h_grid, h_block, 0, s, blur_h_kernel<std::uint8_t>)(b, w, t);
      CUFRAME_LAUNCH(v_grid, v_block, 0, s, blur_v_kernel<std::uint8_t>)(b, w, t);
      break;
    case SampleType::U16:
      CUFRAME_LAUNCH(h_grid, h_block, 0, s, blur_h_kernel<std::uint16_t>)(b, w, t);
      CUFRAME_LAUNCH(v_grid, v_block, 0, s, blur_v_kernel<std::uint16_t>)(b, w, t);
      break;
    case SampleType::F32:
      CUFRAME_LAUNCH(h_grid, h_block, 0, s, blur_h_kernel<float>)(b, w, t);
      CUFRAME_LAUNCH(v_grid, v_block, 0, s, blur_v_kernel<float>)(b, w, t);
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
