// Internal: RGBA, gray, planar RGB and planar float RGB -> NV12/P016, per-pixel code
// shared by both executors (Note [Shared per-pixel math]). rgb24/bgr24 keep their own
// path (color_to_yuv_impl.hpp); the arithmetic here is the same: luma per pixel, 4:2:0
// chroma at the left siting ([1 2 1]/4 across columns around even x, two rows averaged),
// edges replicated.
#pragma once

#include <cstring>

#include "cuframe/kernels/detail/color_math.hpp"

namespace cuframe::kernels::detail {

enum class YuvSrc { Rgba, Gray, Rgbp, RgbpF32, RgbpF16 };

struct ToYuvAnyArgs {
  PlaneRef p0, p1, p2;  // packed formats use p0; planar ones R, G, B
  PlaneOut y, uv;
  int width, height, cw, ch;
  bool wide;      // p016
  RgbToYuv t;     // on the input scale: 0..255 (8-bit) or 0..1 (float)
  float gray_gain;  // gray: Y = y_offset + gray_gain * gray (full-range luma back to the output range)
};

/// IEEE binary16 bits -> float (exact), the same on host and device.
CF_HD float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
  std::uint32_t bits;
  if (e == 0) {
    const float f = static_cast<float>(m) * 5.9604644775390625e-8f;  // m * 2^-24, exact
    return sign ? -f : f;
  }
  if (e == 31) bits = sign | 0x7F800000u | (m << 13);
  else bits = sign | ((e + 112u) << 23) | (m << 13);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// [0, 1], NaN to 0.
CF_HD float unit_clamp(float v) { return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f; }

template <YuvSrc S>
CF_HD void load_any(const ToYuvAnyArgs& a, int z, int x, int y, float& r, float& g, float& b) {
  x = clampi(x, 0, a.width - 1);
  y = clampi(y, 0, a.height - 1);
  if constexpr (S == YuvSrc::Rgba) {
    const std::uint8_t* px = a.p0.base + static_cast<std::size_t>(z) * a.p0.frame_stride +
                             static_cast<std::size_t>(y) * a.p0.pitch + static_cast<std::size_t>(x) * 4;
    r = static_cast<float>(px[0]);
    g = static_cast<float>(px[1]);
    b = static_cast<float>(px[2]);
  } else if constexpr (S == YuvSrc::Gray) {
    r = g = b = load<std::uint8_t>(a.p0, z, y, x);
  } else if constexpr (S == YuvSrc::Rgbp) {
    r = load<std::uint8_t>(a.p0, z, y, x);
    g = load<std::uint8_t>(a.p1, z, y, x);
    b = load<std::uint8_t>(a.p2, z, y, x);
  } else if constexpr (S == YuvSrc::RgbpF32) {
    r = unit_clamp(load<float>(a.p0, z, y, x));
    g = unit_clamp(load<float>(a.p1, z, y, x));
    b = unit_clamp(load<float>(a.p2, z, y, x));
  } else {
    auto h = [&](const PlaneRef& p) {
      const auto* row = reinterpret_cast<const std::uint16_t*>(p.base + static_cast<std::size_t>(z) * p.frame_stride +
                                                               static_cast<std::size_t>(y) * p.pitch);
      return unit_clamp(half_to_float(row[x]));
    };
    r = h(a.p0);
    g = h(a.p1);
    b = h(a.p2);
  }
}

template <typename T>
CF_HD void store_any(std::uint8_t* row, int index, float v, const RgbToYuv& t) {
  const int q = round_even(clampf(v, 0.0f, t.out_max));
  reinterpret_cast<T*>(row)[index] = static_cast<T>(q << t.shift);
}

template <YuvSrc S>
CF_HD void to_yuv_any_luma(const ToYuvAnyArgs& a, int x, int y, int z) {
  float r, g, b;
  load_any<S>(a, z, x, y, r, g, b);
  std::uint8_t* row = a.y.base + static_cast<std::size_t>(z) * a.y.frame_stride + static_cast<std::size_t>(y) * a.y.pitch;
  float v;
  if constexpr (S == YuvSrc::Gray) v = fadd(fmul(a.gray_gain, g), a.t.y_offset);
  else v = yuv_component(a.t, 0, r, g, b, a.t.y_offset);
  if (a.wide) store_any<std::uint16_t>(row, x, v, a.t);
  else store_any<std::uint8_t>(row, x, v, a.t);
}

template <YuvSrc S>
CF_HD void to_yuv_any_chroma(const ToYuvAnyArgs& a, int i, int j, int z) {
  float cb = a.t.c_offset, cr = a.t.c_offset;  // gray: neutral
  if constexpr (S != YuvSrc::Gray) {
    float sr = 0.0f, sg = 0.0f, sb = 0.0f;
    for (int dy = 0; dy < 2; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        float r, g, b;
        load_any<S>(a, z, 2 * i + dx, 2 * j + dy, r, g, b);
        const float w = dx == 0 ? 0.25f : 0.125f;
        sr = fadd(sr, fmul(w, r));
        sg = fadd(sg, fmul(w, g));
        sb = fadd(sb, fmul(w, b));
      }
    cb = yuv_component(a.t, 1, sr, sg, sb, a.t.c_offset);
    cr = yuv_component(a.t, 2, sr, sg, sb, a.t.c_offset);
  }
  std::uint8_t* row = a.uv.base + static_cast<std::size_t>(z) * a.uv.frame_stride + static_cast<std::size_t>(j) * a.uv.pitch;
  if (a.wide) {
    store_any<std::uint16_t>(row, 2 * i, cb, a.t);
    store_any<std::uint16_t>(row, 2 * i + 1, cr, a.t);
  } else {
    store_any<std::uint8_t>(row, 2 * i, cb, a.t);
    store_any<std::uint8_t>(row, 2 * i + 1, cr, a.t);
  }
}

/// Runs `f.template operator()<S>()` for the runtime source kind.
template <typename F>
void dispatch_yuv_src(YuvSrc s, F&& f) {
  switch (s) {
    case YuvSrc::Rgba: f.template operator()<YuvSrc::Rgba>(); break;
    case YuvSrc::Gray: f.template operator()<YuvSrc::Gray>(); break;
    case YuvSrc::Rgbp: f.template operator()<YuvSrc::Rgbp>(); break;
    case YuvSrc::RgbpF32: f.template operator()<YuvSrc::RgbpF32>(); break;
    case YuvSrc::RgbpF16: f.template operator()<YuvSrc::RgbpF16>(); break;
  }
}

/// GPU executor (to_yuv_any.cu): one launch for `frames` frames on `stream`.
void launch_to_yuv_any(YuvSrc s, const ToYuvAnyArgs& args, int frames, void* stream);

}  // namespace cuframe::kernels::detail
