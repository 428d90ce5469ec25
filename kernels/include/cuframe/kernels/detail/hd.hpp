// Shared per-pixel math (installed for the CPU == GPU promise; stable within a minor
// version, not a general API): __host__ __device__ spelling and IEEE-exact float helpers.
//
// Note [Shared per-pixel math]: per-pixel math is written once, here in kernels/detail,
// and called by both the GPU kernels and the CPU executor. The two must give the same
// integers, so the math never lets a compiler fuse a*b+c into an FMA on one side only:
// on the device it uses __fmul_rn/__fadd_rn (never contracted), on the host plain IEEE
// float operations compiled with -ffp-contract=off; rounding to integers is
// round-half-to-even on both (__float2int_rn / nearbyintf).
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define CF_HD __host__ __device__ __forceinline__
#else
#define CF_HD inline
#endif

namespace cuframe::kernels::detail {

CF_HD float fmul(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}

CF_HD float fadd(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}

CF_HD float fdiv(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}

/// floor, exactly; on the host without a libm call for the coordinates the kernels use
/// (|v| < 2^31: the truncation to int is exact, and a negative non-integer steps down).
CF_HD float ffloor(float v) {
#if defined(__CUDA_ARCH__)
  return floorf(v);
#else
  if (!(v > -2147483648.0f && v < 2147483648.0f)) return std::floor(v);
  const float t = static_cast<float>(static_cast<int>(v));
  return t > v ? t - 1.0f : t;
#endif
}

CF_HD float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

/// Round half to even, as the default FPU mode does on both sides.
CF_HD int round_even(float v) {
#if defined(__CUDA_ARCH__)
  return __float2int_rn(v);
#else
  // Below 2^22 in magnitude, adding and taking away 1.5 * 2^23 leaves v rounded to an
  // integer by the addition itself, half to even (the default rounding mode), with no
  // libm call: the same result as nearbyintf, several times faster in the CPU executor's
  // loops. (Exact under strict IEEE float, which the kernels are compiled with.)
  if (v > -4194304.0f && v < 4194304.0f) return static_cast<int>((v + 12582912.0f) - 12582912.0f);
  return static_cast<int>(std::nearbyintf(v));
#endif
}

/// round_even for v already in [-2^22, 2^22] (clamped sample values): no range test, so
/// that loops over samples vectorise on the host.
CF_HD int round_even_small(float v) {
#if defined(__CUDA_ARCH__)
  return __float2int_rn(v);
#else
  return static_cast<int>((v + 12582912.0f) - 12582912.0f);
#endif
}

/// Saturating float -> uint8 (round half to even, clamp to [0, 255]).
CF_HD std::uint8_t to_u8(float v) { return static_cast<std::uint8_t>(round_even_small(clampf(v, 0.0f, 255.0f))); }

/// float -> IEEE binary16 bits, round to nearest even (subnormals and overflow handled),
/// the same on host and device.
CF_HD std::uint16_t to_half_bits(float f) {
  std::uint32_t x;
#if defined(__CUDA_ARCH__)
  x = __float_as_uint(f);
#else
  static_assert(sizeof(float) == 4);
  __builtin_memcpy(&x, &f, 4);
#endif
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  std::uint32_t abs = x & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) return static_cast<std::uint16_t>(sign | (abs > 0x7F800000u ? 0x7E00u : 0x7C00u));
  if (abs >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // rounds to infinity
  if (abs < 0x38800000u) {                                                     // subnormal half (or zero)
    if (abs < 0x33000000u) return static_cast<std::uint16_t>(sign);            // below half of the smallest
    const std::uint32_t e = abs >> 23;
    const std::uint32_t m = (abs & 0x7FFFFFu) | 0x800000u;
    const std::uint32_t shift = 126u - e;                                      // 14..24
    std::uint32_t h = m >> shift;
    const std::uint32_t rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }
  std::uint32_t h = ((abs - 0x38000000u) >> 13);
  const std::uint32_t rem = abs & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<std::uint16_t>(sign | h);
}

}  // namespace cuframe::kernels::detail
