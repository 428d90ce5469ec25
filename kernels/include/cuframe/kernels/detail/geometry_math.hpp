// Shared per-pixel math (installed for the CPU == GPU promise; stable within a minor
// version, not a general API): per-sample geometry math (resize, crop, flip, rotate) shared by the GPU
// kernels and the CPU executor (Note [Shared per-pixel math]).
//
// Every op works on one PLANE at a time: `channels` interleaved samples of type T per
// pixel (NV12's UV plane is a 2-channel plane at half size, RGB24 a 3-channel plane, RGBP
// three 1-channel planes). Coordinates follow OpenCV's cv::resize so that results can be
// compared with it: pixel centres at +0.5 (src = (dst + 0.5) * scale - 0.5) for bilinear
// and bicubic (Keys, a = -0.75), src = floor(dst * scale) for nearest, box averages with
// fractional coverage for area; edges replicated.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cuframe/kernels/detail/color_math.hpp"
#include "cuframe/kernels/geometry_types.hpp"

namespace cuframe::kernels::detail {

struct PlaneIn {
  const std::uint8_t* base;
  std::size_t frame_stride;
  std::size_t pitch;
  int width, height;  // in pixels of this plane
};

struct PlaneOutG {
  std::uint8_t* base;
  std::size_t frame_stride;
  std::size_t pitch;
  int width, height;
};

template <typename T>
CF_HD float sample(const PlaneIn& p, int z, int x, int y, int c, int channels) {
  x = clampi(x, 0, p.width - 1);
  y = clampi(y, 0, p.height - 1);
  const auto* row = reinterpret_cast<const T*>(p.base + static_cast<std::size_t>(z) * p.frame_stride +
                                               static_cast<std::size_t>(y) * p.pitch);
  return static_cast<float>(row[x * channels + c]);
}

/// A float sample to the type of plane samples: round half to even and saturate for
/// integers (Note [Shared per-pixel math]), as is for float.
template <typename T>
CF_HD T to_sample(float v) {
  if constexpr (sizeof(T) == 1) {
    return to_u8(v);
  } else if constexpr (sizeof(T) == 2) {
    return static_cast<T>(round_even_small(clampf(v, 0.0f, 65535.0f)));
  } else {
    return v;
  }
}

template <typename T>
CF_HD void store(const PlaneOutG& p, int z, int x, int y, int c, int channels, float v) {
  auto* row = reinterpret_cast<T*>(p.base + static_cast<std::size_t>(z) * p.frame_stride +
                                   static_cast<std::size_t>(y) * p.pitch);
  row[x * channels + c] = to_sample<T>(v);
}

/// Keys cubic weight with a = -0.75 (OpenCV's INTER_CUBIC).
CF_HD float cubic_w(float x) {
  const float a = -0.75f;
  x = x < 0 ? -x : x;
  if (x <= 1.0f) return fadd(fmul(fmul(fadd(fmul(fadd(a, 2.0f), x), -fadd(a, 3.0f)), x), x), 1.0f);
  if (x < 2.0f) return fadd(fmul(fadd(fmul(fadd(fmul(a, x), fmul(-5.0f, a)), x), fmul(8.0f, a)), x), fmul(-4.0f, a));
  return 0.0f;
}

/// The bicubic taps of destination index `d` along one axis (pixel centres as bilinear):
/// source indices i0 .. i0 + 3, not clamped (sample() clamps), and their weights.
struct CubicTaps {
  int i0;
  float w[4];
};

CF_HD CubicTaps cubic_taps(int d, float scale) {
  const float f = fadd(fmul(fadd(static_cast<float>(d), 0.5f), scale), -0.5f);
  const float f0 = ffloor(f);
  const float t = fadd(f, -f0);
  CubicTaps c{};
  c.i0 = static_cast<int>(f0) - 1;
  for (int k = 0; k < 4; ++k) c.w[k] = cubic_w(fadd(t, -static_cast<float>(k - 1)));
  return c;
}

/// The bilinear taps of destination index `d` along one axis (OpenCV's pixel-centre
/// convention): the two source indices, clamped to [0, size), and the weight of the
/// second. resize_sample and the CPU executor's row loops both use it.
struct LinearTap {
  int i0, i1;
  float w;
};

CF_HD LinearTap linear_tap(int d, float scale, int size) {
  const float f = fadd(fmul(fadd(static_cast<float>(d), 0.5f), scale), -0.5f);
  const float f0 = ffloor(f);
  const int i = static_cast<int>(f0);
  return {clampi(i, 0, size - 1), clampi(i + 1, 0, size - 1), fadd(f, -f0)};
}

/// The bilinear mix of the four neighbours a (top left), b (top right), d (bottom left)
/// and e (bottom right).
CF_HD float bilinear_mix(float a, float b, float d, float e, float wx, float wy) {
  const float top = fadd(a, fmul(wx, fadd(b, -a))), bot = fadd(d, fmul(wx, fadd(e, -d)));
  return fadd(top, fmul(wy, fadd(bot, -top)));
}

/// The span [a0, a1) of source pixels that output pixel d covers, for the area filter.
struct AreaSpan {
  float a0, a1;
};

CF_HD AreaSpan area_span(int d, float scale) {
  return {fmul(static_cast<float>(d), scale), fmul(static_cast<float>(d + 1), scale)};
}

/// How much of source pixel i the span covers (<= 0: none of it).
CF_HD float area_cover(AreaSpan s, int i) {
  return fadd(fminf(s.a1, static_cast<float>(i + 1)), -fmaxf(s.a0, static_cast<float>(i)));
}

/// One output sample of a resize of plane `in` to `out` (sizes inside the structs).
template <typename T, ResizeFilter I>
CF_HD float resize_sample(const PlaneIn& in, const PlaneOutG& out, int z, int x, int y, int c, int channels) {
  const float sx = static_cast<float>(in.width) / static_cast<float>(out.width);
  const float sy = static_cast<float>(in.height) / static_cast<float>(out.height);
  if constexpr (I == ResizeFilter::Nearest) {
    const int ix = static_cast<int>(ffloor(fmul(static_cast<float>(x), sx)));
    const int iy = static_cast<int>(ffloor(fmul(static_cast<float>(y), sy)));
    return sample<T>(in, z, ix, iy, c, channels);
  } else if constexpr (I == ResizeFilter::Bilinear) {
    const LinearTap tx = linear_tap(x, sx, in.width), ty = linear_tap(y, sy, in.height);
    const float a = sample<T>(in, z, tx.i0, ty.i0, c, channels), b = sample<T>(in, z, tx.i1, ty.i0, c, channels);
    const float d = sample<T>(in, z, tx.i0, ty.i1, c, channels), e = sample<T>(in, z, tx.i1, ty.i1, c, channels);
    return bilinear_mix(a, b, d, e, tx.w, ty.w);
  } else if constexpr (I == ResizeFilter::Bicubic) {
    const CubicTaps tx = cubic_taps(x, sx), ty = cubic_taps(y, sy);
    float acc = 0.0f;
    for (int j = 0; j < 4; ++j) {
      float row = 0.0f;
      for (int i = 0; i < 4; ++i) row = fadd(row, fmul(tx.w[i], sample<T>(in, z, tx.i0 + i, ty.i0 + j, c, channels)));
      acc = fadd(acc, fmul(ty.w[j], row));
    }
    return acc;
  } else {
    // Area (box filter with fractional coverage); meant for downscaling.
    const AreaSpan spx = area_span(x, sx), spy = area_span(y, sy);
    float acc = 0.0f, area = 0.0f;
    for (int j = static_cast<int>(ffloor(spy.a0)); static_cast<float>(j) < spy.a1; ++j) {
      const float hy = area_cover(spy, j);
      if (hy <= 0.0f) continue;
      for (int i = static_cast<int>(ffloor(spx.a0)); static_cast<float>(i) < spx.a1; ++i) {
        const float wx = area_cover(spx, i);
        if (wx <= 0.0f) continue;
        const float w = fmul(wx, hy);
        acc = fadd(acc, fmul(w, sample<T>(in, z, i, j, c, channels)));
        area = fadd(area, w);
      }
    }
    return area > 0.0f ? fdiv(acc, area) : 0.0f;
  }
}

enum class Remap : int { Crop, FlipH, FlipV, Rot90, Rot180, Rot270 };

/// Source pixel of destination pixel (x, y) for a remap of a plane of size (sw, sh);
/// (ox, oy) is the crop origin in this plane's pixels.
template <Remap R>
CF_HD void remap_source(int x, int y, int sw, int sh, int ox, int oy, int& sx, int& sy) {
  if constexpr (R == Remap::Crop) { sx = x + ox; sy = y + oy; }
  else if constexpr (R == Remap::FlipH) { sx = sw - 1 - x; sy = y; }
  else if constexpr (R == Remap::FlipV) { sx = x; sy = sh - 1 - y; }
  else if constexpr (R == Remap::Rot90) { sx = y; sy = sh - 1 - x; }       // clockwise
  else if constexpr (R == Remap::Rot180) { sx = sw - 1 - x; sy = sh - 1 - y; }
  else { sx = sw - 1 - y; sy = x; }                                        // 270 clockwise
}

/// Copies one pixel (all channels, exact bytes) of a remap.
template <Remap R>
CF_HD void remap_pixel(const PlaneIn& in, const PlaneOutG& out, int z, int x, int y, int bytes_per_pixel, int ox, int oy) {
  int sx, sy;
  remap_source<R>(x, y, in.width, in.height, ox, oy, sx, sy);
  const std::uint8_t* s = in.base + static_cast<std::size_t>(z) * in.frame_stride + static_cast<std::size_t>(sy) * in.pitch +
                          static_cast<std::size_t>(sx) * bytes_per_pixel;
  std::uint8_t* d = out.base + static_cast<std::size_t>(z) * out.frame_stride + static_cast<std::size_t>(y) * out.pitch +
                    static_cast<std::size_t>(x) * bytes_per_pixel;
  for (int b = 0; b < bytes_per_pixel; ++b) d[b] = s[b];
}

}  // namespace cuframe::kernels::detail
