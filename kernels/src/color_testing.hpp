// Internal, for tests: the CPU executor's colour conversion evaluated pixel by pixel with
// convert_pixel (the GPU kernel's function), bypassing Note [CPU chroma rows], so that
// tests can prove the fast row path gives the same bytes; and the row path's YUV -> 8-bit
// RGB step on its own, to test it on many more values than frames hold.
#pragma once

#include <cstdint>

#include "cuframe/kernels/color.hpp"
#include "cuframe/kernels/detail/color_math.hpp"

namespace cuframe::kernels::detail {

void convert_color_per_pixel(const FrameBatch& src, FrameBatch& dst, const ColorSettings& settings = {});

/// R, G, B bytes of n pixels from float Y, U, V as the CPU row path computes them.
void rgb_bytes_for_testing(const YuvToRgb& t, const float* Y, const float* U, const float* V, int n, std::uint8_t* R,
                           std::uint8_t* G, std::uint8_t* B);

/// Interleaved R,G,B bytes of n pixels of 8-bit NV12 as the integer chroma path of Note
/// [CPU chroma rows] makes them: luma bytes, the 16-bit horizontally mixed chroma rows
/// above (hu0, hv0) and below (hu1, hv1), and the vertical weight in quarters.
void nv12_rgb24_for_testing(const YuvToRgb& t, const std::uint8_t* luma, const std::uint16_t* hu0, const std::uint16_t* hv0,
                            const std::uint16_t* hu1, const std::uint16_t* hv1, int wy4, int n, std::uint8_t* rgb);

}  // namespace cuframe::kernels::detail
