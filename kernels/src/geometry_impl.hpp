// Internal: plane descriptions of each format and the per-op launch interface shared by
// the CPU executor (geometry.cpp) and the GPU kernels (geometry.cu).
#pragma once

#include "cuframe/frame.hpp"
#include "cuframe/kernels/detail/geometry_math.hpp"

namespace cuframe::kernels::detail {

enum class SampleType : int { U8, U16, F32 };

struct PlaneKind {
  int channels;
  SampleType type;
  int bytes_per_pixel;
  bool half;  // 4:2:0 chroma: (w+1)/2 x (h+1)/2
};

/// The kind of plane p of `format`; throws Unsupported for formats geometry ops refuse.
PlaneKind plane_kind(PixelFormat format, int p);

struct GeometryJob {
  PlaneIn in;
  PlaneOutG out;
  int frames;
  PlaneKind kind;
  int ox = 0, oy = 0;  // crop origin in plane pixels
};

/// Frames [first, first + count) of `j` (kernels/src/frame_chunks.hpp).
inline GeometryJob piece(const GeometryJob& j, int first, int count) {
  GeometryJob p = j;
  p.in.base = j.in.base ? j.in.base + static_cast<std::size_t>(first) * j.in.frame_stride : nullptr;
  p.out.base = j.out.base ? j.out.base + static_cast<std::size_t>(first) * j.out.frame_stride : nullptr;
  p.frames = count;
  return p;
}

// GPU launches (geometry.cu; CPU-only builds throw). Batches of any size: over 65535 frames
// they launch in pieces (frame_chunks.hpp).
void launch_resize(const GeometryJob& job, ResizeFilter interp, void* stream);
void launch_remap(const GeometryJob& job, Remap remap, void* stream);

}  // namespace cuframe::kernels::detail
