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

void launch_blur(const BlurJob& job, const BlurWeights& weights, void* stream);
void launch_brightness_contrast(const GeometryJob& job, float scale, float brightness, float contrast, void* stream);
void launch_fill(const GeometryJob& job, unsigned value, void* stream);

}  // namespace cuframe::kernels::detail
