// Internal: the CPU executor's SSE2 spelling of to_u8 (Note [CPU to_u8 in SSE2]).
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>

namespace cuframe::kernels::detail {

// Note [CPU to_u8 in SSE2]: to_u8 (hd.hpp) on 16 floats at once, bit for bit: clamp to
// [0, 255] (min/max differ from clampf only for NaN, which finite samples and weights
// never make), then cvtps2dq, which rounds half to even in the default rounding mode
// exactly as round_even_small does, then packs that cannot saturate values in [0, 255].
// SSE2 is on every x86-64 CPU; elsewhere the callers' scalar loops run.
inline __m128i to_u8_x16(__m128 a, __m128 b, __m128 c, __m128 d) {
  const __m128 lo = _mm_setzero_ps(), hi = _mm_set1_ps(255.0f);
  auto round = [&](__m128 v) { return _mm_cvtps_epi32(_mm_min_ps(_mm_max_ps(v, lo), hi)); };
  return _mm_packus_epi16(_mm_packs_epi32(round(a), round(b)), _mm_packs_epi32(round(c), round(d)));
}

}  // namespace cuframe::kernels::detail

#endif
