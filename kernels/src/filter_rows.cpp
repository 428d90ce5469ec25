// The Gaussian blur's SIMD row loops (Notes [CPU rows in Highway], [CPU blur rows]),
// compiled once per Highway target by foreach_target.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "filter_rows.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"

#include "cpu_rows.hpp"
#include "cpu_simd-inl.hpp"
#include "cuframe/kernels/detail/geometry_math.hpp"

HWY_BEFORE_NAMESPACE();
namespace cuframe::kernels::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace {

// Vectors a block keeps in flight: independent sums, so that the adds of one do not wait
// for the previous tap's add of the same sum.
constexpr int kVectors = 4;

template <typename T>
void BlurVerticalT(const float* HWY_RESTRICT mid, const float* const* taps, const float* w, int r, int n,
                   T* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  using V = hn::Vec<decltype(df)>;
  const int N = static_cast<int>(hn::Lanes(df));
  const V w0 = hn::Set(df, w[0]);
  int i = 0;
  for (; i + kVectors * N <= n; i += kVectors * N) {
    V a[kVectors];
    for (int q = 0; q < kVectors; ++q) a[q] = hn::Mul(w0, hn::LoadU(df, mid + i + q * N));
    for (int k = 1; k <= r; ++k) {
      const V wk = hn::Set(df, w[k]);
      const float* up = taps[2 * k - 1] + i;
      const float* down = taps[2 * k] + i;
      for (int q = 0; q < kVectors; ++q)
        a[q] = hn::Add(a[q], hn::Mul(wk, hn::Add(hn::LoadU(df, up + q * N), hn::LoadU(df, down + q * N))));
    }
    for (int q = 0; q < kVectors; ++q) StoreSamples<T>(df, a[q], out + i + q * N);
  }
  for (; i + N <= n; i += N) {
    V a = hn::Mul(w0, hn::LoadU(df, mid + i));
    for (int k = 1; k <= r; ++k)
      a = hn::Add(a, hn::Mul(hn::Set(df, w[k]), hn::Add(hn::LoadU(df, taps[2 * k - 1] + i), hn::LoadU(df, taps[2 * k] + i))));
    StoreSamples<T>(df, a, out + i);
  }
  for (; i < n; ++i) {
    float a = fmul(w[0], mid[i]);
    for (int k = 1; k <= r; ++k) a = fadd(a, fmul(w[k], fadd(taps[2 * k - 1][i], taps[2 * k][i])));
    out[i] = to_sample<T>(a);
  }
}

}  // namespace

void BlurHorizontal(const float* HWY_RESTRICT f, int begin, int end, int step, const float* w, int r,
                    float* HWY_RESTRICT acc) {
  const hn::ScalableTag<float> df;
  using V = hn::Vec<decltype(df)>;
  const int N = static_cast<int>(hn::Lanes(df));
  const V w0 = hn::Set(df, w[0]);
  int i = begin;
  for (; i + kVectors * N <= end; i += kVectors * N) {
    V a[kVectors];
    for (int q = 0; q < kVectors; ++q) a[q] = hn::Mul(w0, hn::LoadU(df, f + i + q * N));
    for (int k = 1; k <= r; ++k) {
      const V wk = hn::Set(df, w[k]);
      const float* l = f + i - k * step;
      const float* h = f + i + k * step;
      for (int q = 0; q < kVectors; ++q)
        a[q] = hn::Add(a[q], hn::Mul(wk, hn::Add(hn::LoadU(df, l + q * N), hn::LoadU(df, h + q * N))));
    }
    for (int q = 0; q < kVectors; ++q) hn::StoreU(a[q], df, acc + i + q * N);
  }
  for (; i + N <= end; i += N) {
    V a = hn::Mul(w0, hn::LoadU(df, f + i));
    for (int k = 1; k <= r; ++k)
      a = hn::Add(a, hn::Mul(hn::Set(df, w[k]), hn::Add(hn::LoadU(df, f + i - k * step), hn::LoadU(df, f + i + k * step))));
    hn::StoreU(a, df, acc + i);
  }
  for (; i < end; ++i) {
    float a = fmul(w[0], f[i]);
    for (int k = 1; k <= r; ++k) a = fadd(a, fmul(w[k], fadd(f[i - k * step], f[i + k * step])));
    acc[i] = a;
  }
}

void BlurVerticalU8(const float* mid, const float* const* taps, const float* w, int r, int n, std::uint8_t* out) {
  BlurVerticalT(mid, taps, w, r, n, out);
}
void BlurVerticalU16(const float* mid, const float* const* taps, const float* w, int r, int n, std::uint16_t* out) {
  BlurVerticalT(mid, taps, w, r, n, out);
}
void BlurVerticalF32(const float* mid, const float* const* taps, const float* w, int r, int n, float* out) {
  BlurVerticalT(mid, taps, w, r, n, out);
}

}  // namespace HWY_NAMESPACE
}  // namespace cuframe::kernels::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cuframe::kernels::detail {

HWY_EXPORT(BlurHorizontal);
HWY_EXPORT(BlurVerticalU8);
HWY_EXPORT(BlurVerticalU16);
HWY_EXPORT(BlurVerticalF32);

void blur_horizontal(const float* f, int begin, int end, int step, const float* w, int r, float* acc) {
  HWY_DYNAMIC_DISPATCH(BlurHorizontal)(f, begin, end, step, w, r, acc);
}
void blur_vertical(const float* mid, const float* const* taps, const float* w, int r, int n, std::uint8_t* out) {
  HWY_DYNAMIC_DISPATCH(BlurVerticalU8)(mid, taps, w, r, n, out);
}
void blur_vertical(const float* mid, const float* const* taps, const float* w, int r, int n, std::uint16_t* out) {
  HWY_DYNAMIC_DISPATCH(BlurVerticalU16)(mid, taps, w, r, n, out);
}
void blur_vertical(const float* mid, const float* const* taps, const float* w, int r, int n, float* out) {
  HWY_DYNAMIC_DISPATCH(BlurVerticalF32)(mid, taps, w, r, n, out);
}

}  // namespace cuframe::kernels::detail
#endif
