// Internal, for tests: the bilinear and bicubic row paths' vertical steps for 8-bit
// planes on their own (Notes [CPU bilinear rows], [CPU bicubic rows]; on the SIMD target
// the dispatch chooses), to test them on many more values than frames hold.
#pragma once

#include <cstdint>

namespace cuframe::kernels::detail {

/// out[i] = to_u8(bilinear vertical mix of top[i] and bot[i] with weight wy), i < n.
void bilinear_rows_u8_for_testing(const float* top, const float* bot, float wy, int n, std::uint8_t* out);

/// out[i] = to_u8(sum over k of w[k] * rows[k][i], from 0 in order k = 0..3), i < n.
void bicubic_rows_u8_for_testing(const float* const rows[4], const float w[4], int n, std::uint8_t* out);

}  // namespace cuframe::kernels::detail
