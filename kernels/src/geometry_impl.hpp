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

// GPU launches (geometry.cu; CPU-only builds throw).
void launch_resize(const GeometryJob& job, ResizeFilter interp, void* stream);
void launch_remap(const GeometryJob& job, Remap remap, void* stream);

}  // namespace cuframe::kernels::detail
