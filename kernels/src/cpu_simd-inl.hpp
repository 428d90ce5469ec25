// Internal, per SIMD target (Google Highway's "-inl" convention: included once for each
// target by the row files, color_rows.cpp, geometry_rows.cpp and filter_rows.cpp): the
// vector spellings of the shared per-sample functions of kernels/detail (hd.hpp,
// geometry_math.hpp) that the CPU executor's row loops need.
//
// Note [CPU to_u8 in SIMD]: to_u8 (hd.hpp) on a vector of floats, bit for bit. to_u8
// clamps to [0, 255], rounds half to even and narrows. Where the instruction rounds half
// to even in the default mode (x86's cvtps2dq, Arm's fcvtns), the clamp below 0 is left
// to the narrowing: rounding and clamping commute at the integer 0, and NearestInt
// saturates -huge to INT32_MIN, which the signed-to-unsigned saturating narrowing makes 0.
// The clamp above stays (Min with 255): Highway's AVX-512 narrowing to bytes goes through
// 16 bits and masks bit 15, so 32768 would come out as 0. Highway's emulated targets (EMU128, SCALAR) round with a
// bias and a fix-up that misses values just below a half (0.49999997f + 0.5f rounds up
// to 1.0f in float), so there the vector clamps (Min/Max differ from clampf only for NaN,
// which finite samples and weights never make) and rounds as round_even_small does:
// adding and taking away 1.5 * 2^23 rounds to an integer in the addition itself, half to
// even, and the truncation that follows is exact. to_sample for 16-bit samples is the
// same with 65535. For bytes (ToU8) every target clamps to [0, 255] and adds 2^23, which
// rounds half to even in the addition (the floats in [2^23, 2^24) are the integers), and
// takes the low byte of the sum's bits: one operation fewer than NearestInt with its
// overflow fix-up.
#if defined(CUFRAME_KERNELS_CPU_SIMD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CUFRAME_KERNELS_CPU_SIMD_INL_H_
#undef CUFRAME_KERNELS_CPU_SIMD_INL_H_
#else
#define CUFRAME_KERNELS_CPU_SIMD_INL_H_
#endif

#include <cstdint>
#include <type_traits>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace cuframe::kernels::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// to_sample<T> of floats as integers of T's range, rounded half to even (Note [CPU
/// to_u8 in SIMD]); DemoteTo then narrows them to T exactly.
template <typename T, class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> RoundToSampleRange(DF df, hn::Vec<DF> v) {
#if HWY_TARGET == HWY_EMU128 || HWY_TARGET == HWY_SCALAR
  constexpr float kMax = sizeof(T) == 1 ? 255.0f : 65535.0f;
  v = hn::Min(hn::Max(v, hn::Zero(df)), hn::Set(df, kMax));
  const auto magic = hn::Set(df, 12582912.0f);
  return hn::ConvertTo(hn::RebindToSigned<DF>(), hn::Sub(hn::Add(v, magic), magic));
#else
  return hn::NearestInt(hn::Min(v, hn::Set(df, sizeof(T) == 1 ? 255.0f : 65535.0f)));
#endif
}

/// to_u8 of Lanes(df) floats as a vector of bytes: clamped to [0, 255], then 2^23 added,
/// which rounds half to even in the addition itself (floats in [2^23, 2^24) are the
/// integers), so that the low byte of the sum's bits is the rounded value (Note [CPU
/// to_u8 in SIMD]). The same on every target, and cheaper than NearestInt's overflow fix.
template <class DF>
HWY_INLINE hn::Vec<hn::Rebind<std::uint8_t, DF>> ToU8(DF df, hn::Vec<DF> v) {
  const hn::RebindToSigned<DF> di;
  v = hn::Min(hn::Max(v, hn::Zero(df)), hn::Set(df, 255.0f));
  const auto bits = hn::BitCast(di, hn::Add(v, hn::Set(df, 8388608.0f)));
  return hn::DemoteTo(hn::Rebind<std::uint8_t, DF>(), hn::And(bits, hn::Set(di, 0xFF)));
}

/// to_sample<T> of Lanes(df) floats, stored at out (T: uint8_t, uint16_t or float).
template <typename T, class DF>
HWY_INLINE void StoreSamples(DF df, hn::Vec<DF> v, T* HWY_RESTRICT out) {
  if constexpr (std::is_same_v<T, float>) {
    hn::StoreU(v, df, out);
  } else if constexpr (sizeof(T) == 1) {
    hn::StoreU(ToU8(df, v), hn::Rebind<T, DF>(), out);
  } else {
    const hn::Rebind<T, DF> dt;
    hn::StoreU(hn::DemoteTo(dt, RoundToSampleRange<T>(df, v)), dt, out);
  }
}

/// Lanes(df) samples of type T from `in`, as floats (exact: integers of at most 16 bits).
template <typename T, class DF>
HWY_INLINE hn::Vec<DF> LoadSamples(DF df, const T* HWY_RESTRICT in) {
  if constexpr (std::is_same_v<T, float>) {
    return hn::LoadU(df, in);
  } else {
    const hn::RebindToSigned<DF> di;
    const hn::Rebind<T, DF> dt;
    return hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(dt, in)));
  }
}

/// The samples of a row as floats: out[i] = float(in[i]), i < n.
template <typename T>
HWY_INLINE void RowToFloat(const T* HWY_RESTRICT in, int n, float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  const int N = static_cast<int>(hn::Lanes(df));
  int i = 0;
  for (; i + N <= n; i += N) hn::StoreU(LoadSamples<T>(df, in + i), df, out + i);
  for (; i < n; ++i) out[i] = static_cast<float>(in[i]);
}

}  // namespace HWY_NAMESPACE
}  // namespace cuframe::kernels::detail
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
