// Internal, for tests: the CPU executor's colour conversion evaluated pixel by pixel with
// convert_pixel (the GPU kernel's function), bypassing Note [CPU chroma rows], so that
// tests can prove the fast row path gives the same bytes.
#pragma once

#include "cuframe/kernels/color.hpp"

namespace cuframe::kernels::detail {

void convert_color_per_pixel(const FrameBatch& src, FrameBatch& dst, const ColorSettings& settings = {});

}  // namespace cuframe::kernels::detail
