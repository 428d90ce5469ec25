// The resize's SIMD row loops (Notes [CPU rows in Highway], [CPU bilinear rows], [CPU
// bicubic rows], [CPU area rows]), compiled once per Highway target by foreach_target.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "geometry_rows.cpp"
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

template <typename T>
void BilinearVerticalT(const float* HWY_RESTRICT top, const float* HWY_RESTRICT bot, float wy, int n, T* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  const int N = static_cast<int>(hn::Lanes(df));
  const auto w = hn::Set(df, wy);
  int i = 0;
  // b - a is b + (-a) exactly
  for (; i + N <= n; i += N) {
    const auto t = hn::LoadU(df, top + i), b = hn::LoadU(df, bot + i);
    StoreSamples<T>(df, hn::Add(t, hn::Mul(w, hn::Sub(b, t))), out + i);
  }
  for (; i < n; ++i) out[i] = to_sample<T>(fadd(top[i], fmul(wy, fadd(bot[i], -top[i]))));
}

template <typename T>
void BicubicVerticalT(const float* const h[4], const float w[4], int n, T* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  const int N = static_cast<int>(hn::Lanes(df));
  const auto w0 = hn::Set(df, w[0]), w1 = hn::Set(df, w[1]), w2 = hn::Set(df, w[2]), w3 = hn::Set(df, w[3]);
  const float *h0 = h[0], *h1 = h[1], *h2 = h[2], *h3 = h[3];
  int i = 0;
  for (; i + N <= n; i += N) {
    auto acc = hn::Add(hn::Zero(df), hn::Mul(w0, hn::LoadU(df, h0 + i)));
    acc = hn::Add(acc, hn::Mul(w1, hn::LoadU(df, h1 + i)));
    acc = hn::Add(acc, hn::Mul(w2, hn::LoadU(df, h2 + i)));
    acc = hn::Add(acc, hn::Mul(w3, hn::LoadU(df, h3 + i)));
    StoreSamples<T>(df, acc, out + i);
  }
  for (; i < n; ++i) {
    float acc = 0.0f;
    for (int k = 0; k < 4; ++k) acc = fadd(acc, fmul(w[k], h[k][i]));
    out[i] = to_sample<T>(acc);
  }
}

template <typename T>
void AreaQuotientT(const float* HWY_RESTRICT acc, const float* HWY_RESTRICT area, int n, T* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  const int N = static_cast<int>(hn::Lanes(df));
  int i = 0;
  for (; i + N <= n; i += N) {
    const auto a = hn::LoadU(df, area + i);
    // Div rounds as the scalar division does; lanes whose area is not > 0 are 0
    // (the division there may give anything, it is not kept).
    const auto q = hn::Div(hn::LoadU(df, acc + i), hn::IfThenElse(hn::Gt(a, hn::Zero(df)), a, hn::Set(df, 1.0f)));
    StoreSamples<T>(df, hn::IfThenElseZero(hn::Gt(a, hn::Zero(df)), q), out + i);
  }
  for (; i < n; ++i) out[i] = to_sample<T>(area[i] > 0.0f ? fdiv(acc[i], area[i]) : 0.0f);
}

}  // namespace

void BilinearVerticalU8(const float* top, const float* bot, float wy, int n, std::uint8_t* out) {
  BilinearVerticalT(top, bot, wy, n, out);
}
void BilinearVerticalU16(const float* top, const float* bot, float wy, int n, std::uint16_t* out) {
  BilinearVerticalT(top, bot, wy, n, out);
}
void BilinearVerticalF32(const float* top, const float* bot, float wy, int n, float* out) {
  BilinearVerticalT(top, bot, wy, n, out);
}
void BicubicVerticalU8(const float* const h[4], const float w[4], int n, std::uint8_t* out) { BicubicVerticalT(h, w, n, out); }
void BicubicVerticalU16(const float* const h[4], const float w[4], int n, std::uint16_t* out) { BicubicVerticalT(h, w, n, out); }
void BicubicVerticalF32(const float* const h[4], const float w[4], int n, float* out) { BicubicVerticalT(h, w, n, out); }
void AreaQuotientU8(const float* acc, const float* area, int n, std::uint8_t* out) { AreaQuotientT(acc, area, n, out); }
void AreaQuotientU16(const float* acc, const float* area, int n, std::uint16_t* out) { AreaQuotientT(acc, area, n, out); }
void AreaQuotientF32(const float* acc, const float* area, int n, float* out) { AreaQuotientT(acc, area, n, out); }
void RowToFloatU8(const std::uint8_t* in, int n, float* out) { RowToFloat(in, n, out); }
void RowToFloatU16(const std::uint16_t* in, int n, float* out) { RowToFloat(in, n, out); }

void BilinearHorizontal(const float* HWY_RESTRICT wide, const std::int32_t* HWY_RESTRICT i0,
                        const std::int32_t* HWY_RESTRICT i1, const float* HWY_RESTRICT w, int n, float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const int N = static_cast<int>(hn::Lanes(df));
  int i = 0;
  for (; i + N <= n; i += N) {
    const auto a = hn::GatherIndex(df, wide, hn::LoadU(di, i0 + i));
    const auto b = hn::GatherIndex(df, wide, hn::LoadU(di, i1 + i));
    hn::StoreU(hn::Add(a, hn::Mul(hn::LoadU(df, w + i), hn::Sub(b, a))), df, out + i);
  }
  for (; i < n; ++i) {
    const float a = wide[i0[i]], b = wide[i1[i]];
    out[i] = fadd(a, fmul(w[i], fadd(b, -a)));
  }
}

bool BilinearHorizontalBlocks(const float* HWY_RESTRICT wide, const std::int32_t* HWY_RESTRICT base,
                              const std::int32_t* HWY_RESTRICT i0, const std::int32_t* HWY_RESTRICT i1,
                              const float* HWY_RESTRICT w, int blocks, int per_block, int lanes, float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  const int N = static_cast<int>(hn::Lanes(df));
  if (N != lanes) return false;
  for (int b = 0; b < blocks; ++b) {
    const auto window = hn::LoadU(df, wide + base[b]);
    const auto a = hn::TableLookupLanes(window, hn::SetTableIndices(df, i0 + b * N));
    const auto c = hn::TableLookupLanes(window, hn::SetTableIndices(df, i1 + b * N));
    hn::StoreU(hn::Add(a, hn::Mul(hn::LoadU(df, w + b * N), hn::Sub(c, a))), df, out + b * per_block);
  }
  return true;
}

int FloatLanes() { return static_cast<int>(hn::Lanes(hn::ScalableTag<float>())); }

}  // namespace HWY_NAMESPACE
}  // namespace cuframe::kernels::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cstring>

namespace cuframe::kernels::detail {

HWY_EXPORT(BilinearVerticalU8);
HWY_EXPORT(BilinearVerticalU16);
HWY_EXPORT(BilinearVerticalF32);
HWY_EXPORT(BicubicVerticalU8);
HWY_EXPORT(BicubicVerticalU16);
HWY_EXPORT(BicubicVerticalF32);
HWY_EXPORT(AreaQuotientU8);
HWY_EXPORT(AreaQuotientU16);
HWY_EXPORT(AreaQuotientF32);
HWY_EXPORT(RowToFloatU8);
HWY_EXPORT(RowToFloatU16);
HWY_EXPORT(BilinearHorizontal);
HWY_EXPORT(BilinearHorizontalBlocks);
HWY_EXPORT(FloatLanes);

bool bilinear_horizontal_blocks(const float* wide, const std::int32_t* base, const std::int32_t* i0,
                                const std::int32_t* i1, const float* w, int blocks, int per_block, int lanes, float* out) {
  return HWY_DYNAMIC_DISPATCH(BilinearHorizontalBlocks)(wide, base, i0, i1, w, blocks, per_block, lanes, out);
}
int simd_float_lanes() { return HWY_DYNAMIC_DISPATCH(FloatLanes)(); }

void bilinear_vertical(const float* top, const float* bot, float wy, int n, std::uint8_t* out) {
  HWY_DYNAMIC_DISPATCH(BilinearVerticalU8)(top, bot, wy, n, out);
}
void bilinear_vertical(const float* top, const float* bot, float wy, int n, std::uint16_t* out) {
  HWY_DYNAMIC_DISPATCH(BilinearVerticalU16)(top, bot, wy, n, out);
}
void bilinear_vertical(const float* top, const float* bot, float wy, int n, float* out) {
  HWY_DYNAMIC_DISPATCH(BilinearVerticalF32)(top, bot, wy, n, out);
}
void bilinear_horizontal(const float* wide, const std::int32_t* i0, const std::int32_t* i1, const float* w, int n,
                         float* out) {
  HWY_DYNAMIC_DISPATCH(BilinearHorizontal)(wide, i0, i1, w, n, out);
}
void bicubic_vertical(const float* const h[4], const float w[4], int n, std::uint8_t* out) {
  HWY_DYNAMIC_DISPATCH(BicubicVerticalU8)(h, w, n, out);
}
void bicubic_vertical(const float* const h[4], const float w[4], int n, std::uint16_t* out) {
  HWY_DYNAMIC_DISPATCH(BicubicVerticalU16)(h, w, n, out);
}
void bicubic_vertical(const float* const h[4], const float w[4], int n, float* out) {
  HWY_DYNAMIC_DISPATCH(BicubicVerticalF32)(h, w, n, out);
}
void area_quotient(const float* acc, const float* area, int n, std::uint8_t* out) {
  HWY_DYNAMIC_DISPATCH(AreaQuotientU8)(acc, area, n, out);
}
void area_quotient(const float* acc, const float* area, int n, std::uint16_t* out) {
  HWY_DYNAMIC_DISPATCH(AreaQuotientU16)(acc, area, n, out);
}
void area_quotient(const float* acc, const float* area, int n, float* out) {
  HWY_DYNAMIC_DISPATCH(AreaQuotientF32)(acc, area, n, out);
}
void row_to_float(const std::uint8_t* in, int n, float* out) { HWY_DYNAMIC_DISPATCH(RowToFloatU8)(in, n, out); }
void row_to_float(const std::uint16_t* in, int n, float* out) { HWY_DYNAMIC_DISPATCH(RowToFloatU16)(in, n, out); }
void row_to_float(const float* in, int n, float* out) { std::memcpy(out, in, static_cast<std::size_t>(n) * sizeof(float)); }

}  // namespace cuframe::kernels::detail
#endif
