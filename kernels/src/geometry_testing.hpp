// Internal, for tests: the bilinear row path's vertical step for 8-bit planes on its own
// (Note [CPU bilinear rows], SSE2 where the CPU has it), to test it on many more values
// than frames hold.
#pragma once

#include <cstdint>

namespace cuframe::kernels::detail {

/// out[i] = to_u8(bilinear vertical mix of top[i] and bot[i] with weight wy), i < n.
void bilinear_rows_u8_for_testing(const float* top, const float* bot, float wy, int n, std::uint8_t* out);

}  // namespace cuframe::kernels::detail
