// The colour conversion's SIMD row loops (Notes [CPU rows in Highway], [CPU chroma rows]),
// compiled once per Highway target by foreach_target.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "color_rows.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"

#include "cpu_rows.hpp"
#include "cpu_simd-inl.hpp"
#include "cuframe/kernels/detail/color_math.hpp"

HWY_BEFORE_NAMESPACE();
namespace cuframe::kernels::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace {

// yuv_to_rgb's constants as vectors, made once per row (stores through bytes could alias
// the transform, so the compiler would load them again for every vector).
template <class DF>
struct MatrixV {
  using V = hn::Vec<DF>;
  V yo, co, m[9];
  MatrixV(DF df, const YuvToRgb& t) : yo(hn::Set(df, t.y_offset)), co(hn::Set(df, t.c_offset)) {
    for (int k = 0; k < 9; ++k) m[k] = hn::Set(df, t.m[k]);
  }
};

// yuv_to_rgb on vectors: the same operations in the same order, lane by lane. With
// kNoZeroTerms (m[1] and m[8] are 0, and m[0], m[3] and m[6] the same luma gain, as every
// matrix of make_yuv_to_rgb has them), R and B skip their zero products: (a + 0 * u) + c
// is a + c exactly, up to the sign of a zero, which bytes do not keep (to_u8 makes both
// 0); and the luma product, the same in all three, is made once.
template <bool kNoZeroTerms, class DF, class V = hn::Vec<DF>>
HWY_INLINE void YuvToRgbV(const MatrixV<DF>& mv, V y, V u, V v, V& r, V& g, V& b) {
  const V yy = hn::Sub(y, mv.yo), uu = hn::Sub(u, mv.co), vv = hn::Sub(v, mv.co);
  const V* m = mv.m;
  if constexpr (kNoZeroTerms) {
    const V luma = hn::Mul(m[0], yy);
    r = hn::Add(luma, hn::Mul(m[2], vv));
    b = hn::Add(luma, hn::Mul(m[7], uu));
    g = hn::Add(hn::Add(luma, hn::Mul(m[4], uu)), hn::Mul(m[5], vv));
    return;
  } else {
    r = hn::Add(hn::Add(hn::Mul(m[0], yy), hn::Mul(m[1], uu)), hn::Mul(m[2], vv));
    b = hn::Add(hn::Add(hn::Mul(m[6], yy), hn::Mul(m[7], uu)), hn::Mul(m[8], vv));
  }
  g = hn::Add(hn::Add(hn::Mul(m[3], yy), hn::Mul(m[4], uu)), hn::Mul(m[5], vv));
}

void RgbPixelScalar(const YuvToRgb& t, float y, float u, float v, std::uint8_t& R, std::uint8_t& G, std::uint8_t& B) {
  float r, g, b;
  yuv_to_rgb(t, y, u, v, r, g, b);
  R = to_u8(r);
  G = to_u8(g);
  B = to_u8(b);
}

// (4 - w4) * a + w4 * b on 16-bit lanes (exact: at most 16 * 255).
template <class D16, class V = hn::Vec<D16>>
HWY_INLINE V Mix4(D16 d16, V a, V b, int w4) {
  return hn::Add(hn::Mul(hn::Set(d16, static_cast<std::uint16_t>(4 - w4)), a), hn::Mul(hn::Set(d16, static_cast<std::uint16_t>(w4)), b));
}

template <RgbStore S, bool kNoZeroTerms>
void Nv12RgbRowT(const YuvToRgb& t, const std::uint8_t* HWY_RESTRICT luma, const std::uint16_t* HWY_RESTRICT hu0,
                 const std::uint16_t* HWY_RESTRICT hv0, const std::uint16_t* HWY_RESTRICT hu1,
                 const std::uint16_t* HWY_RESTRICT hv1, int wy4, int n, std::uint8_t* HWY_RESTRICT o0,
                 std::uint8_t* HWY_RESTRICT o1, std::uint8_t* HWY_RESTRICT o2) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<std::uint16_t, decltype(df)> d16;
  const hn::Rebind<std::int32_t, decltype(df)> di;
  const hn::Rebind<std::uint8_t, decltype(df)> d8;
  const int N = static_cast<int>(hn::Lanes(df));
  const auto sixteenth = hn::Set(df, 0.0625f);
  const auto w_top = hn::Set(d16, static_cast<std::uint16_t>(4 - wy4)), w_bot = hn::Set(d16, static_cast<std::uint16_t>(wy4));
  auto chroma = [&](const std::uint16_t* a, const std::uint16_t* b, int x) {  // the exact chroma_mix, as a float
    const auto mixed = hn::Add(hn::Mul(w_top, hn::LoadU(d16, a + x)), hn::Mul(w_bot, hn::LoadU(d16, b + x)));
    return hn::Mul(hn::ConvertTo(df, hn::PromoteTo(di, mixed)), sixteenth);
  };
  const MatrixV<decltype(df)> mv(df, t);
  int x = 0;
#if HWY_TARGET != HWY_SCALAR  // one lane: the loop below does it
  for (; x + N <= n; x += N) {
    const auto y = hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(d8, luma + x)));
    hn::Vec<decltype(df)> r, g, b;
    YuvToRgbV<kNoZeroTerms>(mv, y, chroma(hu0, hu1, x), chroma(hv0, hv1, x), r, g, b);
    const auto R = ToU8(df, r), G = ToU8(df, g), B = ToU8(df, b);
    if constexpr (S == RgbStore::Rgb24) {
      hn::StoreInterleaved3(R, G, B, d8, o0 + 3 * x);
    } else if constexpr (S == RgbStore::Bgr24) {
      hn::StoreInterleaved3(B, G, R, d8, o0 + 3 * x);
    } else if constexpr (S == RgbStore::Rgba) {
      hn::StoreInterleaved4(R, G, B, hn::Set(d8, std::uint8_t{255}), d8, o0 + 4 * x);
    } else {
      hn::StoreU(R, d8, o0 + x);
      hn::StoreU(G, d8, o1 + x);
      hn::StoreU(B, d8, o2 + x);
    }
  }
#else
  (void)N, (void)chroma, (void)d8, (void)mv;
#endif
  for (; x < n; ++x) {
    const int su = (4 - wy4) * hu0[x] + wy4 * hu1[x], sv = (4 - wy4) * hv0[x] + wy4 * hv1[x];
    std::uint8_t R, G, B;
    RgbPixelScalar(t, static_cast<float>(luma[x]), static_cast<float>(su) * 0.0625f, static_cast<float>(sv) * 0.0625f, R, G,
                   B);
    if constexpr (S == RgbStore::Planar) {
      o0[x] = R, o1[x] = G, o2[x] = B;
    } else {
      constexpr int kStep = S == RgbStore::Rgba ? 4 : 3;
      std::uint8_t* o = o0 + kStep * x;
      o[0] = S == RgbStore::Bgr24 ? B : R;
      o[1] = G;
      o[2] = S == RgbStore::Bgr24 ? R : B;
      if constexpr (S == RgbStore::Rgba) o[3] = 255;
    }
  }
}

}  // namespace

void RgbBytesRow(const YuvToRgb& t, const float* HWY_RESTRICT Y, const float* HWY_RESTRICT U,
                 const float* HWY_RESTRICT V, int n, std::uint8_t* HWY_RESTRICT R, std::uint8_t* HWY_RESTRICT G,
                 std::uint8_t* HWY_RESTRICT B) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<std::uint8_t, decltype(df)> d8;
  const int N = static_cast<int>(hn::Lanes(df));
  const MatrixV<decltype(df)> mv(df, t);
  int x = 0;
  for (; x + N <= n; x += N) {
    hn::Vec<decltype(df)> r, g, b;
    YuvToRgbV<false>(mv, hn::LoadU(df, Y + x), hn::LoadU(df, U + x), hn::LoadU(df, V + x), r, g, b);
    hn::StoreU(ToU8(df, r), d8, R + x);
    hn::StoreU(ToU8(df, g), d8, G + x);
    hn::StoreU(ToU8(df, b), d8, B + x);
  }
  for (; x < n; ++x) RgbPixelScalar(t, Y[x], U[x], V[x], R[x], G[x], B[x]);
}

void Nv12ChromaRow(const std::uint8_t* HWY_RESTRICT padded, int cw, ChromaPattern p, std::uint16_t* HWY_RESTRICT hu,
                   std::uint16_t* HWY_RESTRICT hv) {
  // The interleaved row read as 16-bit lanes: U in the low byte, V in the high one.
  const hn::ScalableTag<std::uint16_t> d16;
  const int N = static_cast<int>(hn::Lanes(d16));
  const auto* pairs = padded + 2;  // pairs[2k], pairs[2k + 1]: U and V of chroma column k (k = -1 .. cw)
  int k = 0;
#if HWY_TARGET != HWY_SCALAR  // one lane: the loop below does it
  auto load = [&](int c) {  // the pairs of columns c .. c + N - 1
    return hn::BitCast(d16, hn::LoadU(hn::Repartition<std::uint8_t, decltype(d16)>(), pairs + 2 * c));
  };
  const auto low = hn::Set(d16, std::uint16_t{0xFF});
  for (; k + N <= cw; k += N) {
    hn::Vec<decltype(d16)> u[2], v[2];
    for (int par = 0; par < 2; ++par) {
      const auto a = load(k + p.j0[par]), b = load(k + p.j0[par] + 1);
      u[par] = Mix4(d16, hn::And(a, low), hn::And(b, low), p.w4[par]);
      v[par] = Mix4(d16, hn::ShiftRight<8>(a), hn::ShiftRight<8>(b), p.w4[par]);
    }
    hn::StoreInterleaved2(u[0], u[1], d16, hu + 2 * k);
    hn::StoreInterleaved2(v[0], v[1], d16, hv + 2 * k);
  }
#else
  (void)N;
#endif
  for (; k < cw; ++k)
    for (int par = 0; par < 2; ++par) {
      const int a = 2 * (k + p.j0[par]), b = a + 2;
      hu[2 * k + par] = static_cast<std::uint16_t>((4 - p.w4[par]) * pairs[a] + p.w4[par] * pairs[b]);
      hv[2 * k + par] = static_cast<std::uint16_t>((4 - p.w4[par]) * pairs[a + 1] + p.w4[par] * pairs[b + 1]);
    }
}

void Nv12RgbRow(const YuvToRgb& t, const std::uint8_t* luma, const std::uint16_t* hu0, const std::uint16_t* hv0,
                const std::uint16_t* hu1, const std::uint16_t* hv1, int wy4, int n, RgbStore store, std::uint8_t* o0,
                std::uint8_t* o1, std::uint8_t* o2) {
  const bool zero_terms = t.m[1] == 0.0f && t.m[8] == 0.0f && t.m[3] == t.m[0] && t.m[6] == t.m[0];
  auto run = [&]<RgbStore S>() {
    if (zero_terms) Nv12RgbRowT<S, true>(t, luma, hu0, hv0, hu1, hv1, wy4, n, o0, o1, o2);
    else Nv12RgbRowT<S, false>(t, luma, hu0, hv0, hu1, hv1, wy4, n, o0, o1, o2);
  };
  switch (store) {
    case RgbStore::Rgb24: run.template operator()<RgbStore::Rgb24>(); break;
    case RgbStore::Bgr24: run.template operator()<RgbStore::Bgr24>(); break;
    case RgbStore::Rgba: run.template operator()<RgbStore::Rgba>(); break;
    case RgbStore::Planar: run.template operator()<RgbStore::Planar>(); break;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace cuframe::kernels::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cuframe::kernels::detail {

HWY_EXPORT(RgbBytesRow);
HWY_EXPORT(Nv12ChromaRow);
HWY_EXPORT(Nv12RgbRow);

void rgb_bytes_row(const YuvToRgb& t, const float* Y, const float* U, const float* V, int n, std::uint8_t* R,
                   std::uint8_t* G, std::uint8_t* B) {
  HWY_DYNAMIC_DISPATCH(RgbBytesRow)(t, Y, U, V, n, R, G, B);
}

void nv12_chroma_row(const std::uint8_t* padded, int cw, ChromaPattern pattern, std::uint16_t* hu, std::uint16_t* hv) {
  HWY_DYNAMIC_DISPATCH(Nv12ChromaRow)(padded, cw, pattern, hu, hv);
}

void nv12_rgb_row(const YuvToRgb& t, const std::uint8_t* luma, const std::uint16_t* hu0, const std::uint16_t* hv0,
                  const std::uint16_t* hu1, const std::uint16_t* hv1, int wy4, int n, RgbStore store, std::uint8_t* out0,
                  std::uint8_t* out1, std::uint8_t* out2) {
  HWY_DYNAMIC_DISPATCH(Nv12RgbRow)(t, luma, hu0, hv0, hu1, hv1, wy4, n, store, out0, out1, out2);
}

}  // namespace cuframe::kernels::detail
#endif
