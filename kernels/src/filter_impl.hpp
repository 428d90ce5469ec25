// Internal: blur / brightness-contrast jobs shared by filter.cpp and filter.cu.
#pragma once

#include "cuframe/kernels/detail/filter_math.hpp"
#include "geometry_impl.hpp"

namespace cuframe::kernels::detail {

struct BlurJob {
  GeometryJob plane;  // in = source plane, out = destination plane (same size)
  PlaneIn scratch_in;   // the float scratch plane, read by the vertical pass
  PlaneOutG scratch_out;  // the same plane, written by the horizontal pass
};

// The GPU blur's tiles (Note [GPU blur tiles] in filter.cu), planned on the host: each
// block of a pass stages the inputs its outputs read in a static shared-memory tile of
// kBlurTileBytes, so that no plan may need more.
constexpr int kBlurTileBytes = 32 * 1024;  // under sm_90's 48 KiB of static shared memory a block
constexpr int kBlurThreads = 256;          // threads a block, at most
constexpr int kBlurMinTileSamples = 1024;  // outputs a tile, at least, where the plane has them
static_assert((2 * kMaxBlurRadius + 1) * 4 * 4 < kBlurTileBytes, "a tile holds the halo of 4 float channels");

struct BlurTiles {
  int h_pixels;     // horizontal pass: output pixels of one row a block
  int h_threads;    // its blockDim.x
  int v_columns;    // vertical pass: samples of a row a block (its blockDim.x)
  int v_rows;       // output rows a block
  int v_threads_y;  // its blockDim.y
};

/// The positions [lo, hi) along a pass that the outputs [start, start + count) read with
/// radius r and replicated edges: start - r .. start + count + r, clamped to [0, size).
/// A tile stages exactly these (each once); a tap outside them is the nearest edge of the
/// plane, which is inside them.
struct TileSpan {
  int lo, hi;
};
CF_HD TileSpan tile_span(int start, int count, int r, int size) {
  return {start - r > 0 ? start - r : 0, start + count + r < size ? start + count + r : size};
}

/// The tiles of a plane of width x height pixels, `channels` samples of `sample_bytes`
/// each, blurred with `radius`. Every tile fits kBlurTileBytes.
BlurTiles plan_blur_tiles(int width, int height, int channels, int sample_bytes, int radius);

/// What a plan loads from global memory: the input samples each pass's tiles load (the
/// tile_span of every tile, the kernels' own loops counted on the host), per output sample.
/// The per-sample kernels these replaced loaded 2 * radius + 1.
struct BlurLoads {
  double h, v;
};
BlurLoads blur_global_loads(const BlurTiles& tiles, int width, int height, int radius);

void launch_blur(const BlurJob& job, const BlurWeights& weights, void* stream);
void launch_brightness_contrast(const GeometryJob& job, float scale, float brightness, float contrast, void* stream);
void launch_fill(const GeometryJob& job, unsigned value, void* stream);

}  // namespace cuframe::kernels::detail
