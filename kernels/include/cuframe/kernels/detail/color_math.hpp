// Internal: YUV <-> RGB per-pixel math shared by the GPU kernels and the CPU executor
// (Note [Shared per-pixel math]).
//
// Samples are read on a common scale: 8-bit formats as 0..255, 16-bit (MSB-aligned)
// formats as 0..65535. A YuvToRgb holds, for that scale, the offsets to subtract and the
// 3x3 matrix (range scaling and the output scale folded in), all computed once on the
// host in double precision and passed to kernels by value — never in __constant__
// memory that another stream could rewrite.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cuframe/kernels/detail/hd.hpp"

namespace cuframe::kernels::detail {

struct YuvToRgb {
  float y_offset;   ///< black level on the sample scale
  float c_offset;   ///< chroma zero on the sample scale
  float m[9];       ///< row-major: (R,G,B) = m * (Y - y_offset, Cb - c_offset, Cr - c_offset)
  float y_gain;     ///< for gray: full-range output per unit of (Y - y_offset)
};

/// Where the 4:2:0 chroma sample sits, as offsets (in chroma samples) subtracted from the
/// luma position / 2: left (0, .25), center (.25, .25), topleft (0, 0), top (.25, 0),
/// bottomleft (0, .5), bottom (.25, .5).
struct ChromaSiting {
  float dx;
  float dy;
};

/// Pointer arithmetic for one plane of a batch (Note [Frame batch layout]).
struct PlaneRef {
  const std::uint8_t* base;
  std::size_t frame_stride;
  std::size_t pitch;
};

struct PlaneOut {
  std::uint8_t* base;
  std::size_t frame_stride;
  std::size_t pitch;
};

template <typename T>
CF_HD float load(const PlaneRef& p, int z, int y, int x_elem) {
  const auto* row = reinterpret_cast<const T*>(p.base + static_cast<std::size_t>(z) * p.frame_stride +
                                               static_cast<std::size_t>(y) * p.pitch);
  return static_cast<float>(row[x_elem]);
}

template <typename T>
CF_HD T* out_row(const PlaneOut& p, int z, int y) {
  return reinterpret_cast<T*>(p.base + static_cast<std::size_t>(z) * p.frame_stride +
                              static_cast<std::size_t>(y) * p.pitch);
}

CF_HD int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

/// Bilinear 4:2:0 chroma at luma position (x, y), edges replicated. `interleaved`: NV12 /
/// P016 (U at 2i, V at 2i+1) rather than separate planes. Weights are multiples of 1/4,
/// so every product and sum is exact in float: no rounding differences anywhere.
template <typename T>
CF_HD void chroma420(const PlaneRef& uv, int z, int x, int y, int cw, int ch, ChromaSiting s, float& u, float& v) {
  const float cx = fadd(fmul(static_cast<float>(x), 0.5f), -s.dx);
  const float cy = fadd(fmul(static_cast<float>(y), 0.5f), -s.dy);
  const float fx0 = floorf(cx), fy0 = floorf(cy);
  const float wx = fadd(cx, -fx0), wy = fadd(cy, -fy0);
  const int x0 = clampi(static_cast<int>(fx0), 0, cw - 1), x1 = clampi(static_cast<int>(fx0) + 1, 0, cw - 1);
  const int y0 = clampi(static_cast<int>(fy0), 0, ch - 1), y1 = clampi(static_cast<int>(fy0) + 1, 0, ch - 1);
  const float u00 = load<T>(uv, z, y0, 2 * x0), u01 = load<T>(uv, z, y0, 2 * x1);
  const float u10 = load<T>(uv, z, y1, 2 * x0), u11 = load<T>(uv, z, y1, 2 * x1);
  const float v00 = load<T>(uv, z, y0, 2 * x0 + 1), v01 = load<T>(uv, z, y0, 2 * x1 + 1);
  const float v10 = load<T>(uv, z, y1, 2 * x0 + 1), v11 = load<T>(uv, z, y1, 2 * x1 + 1);
  const float ix = fadd(1.0f, -wx), iy = fadd(1.0f, -wy);
  u = fadd(fmul(iy, fadd(fmul(ix, u00), fmul(wx, u01))), fmul(wy, fadd(fmul(ix, u10), fmul(wx, u11))));
  v = fadd(fmul(iy, fadd(fmul(ix, v00), fmul(wx, v01))), fmul(wy, fadd(fmul(ix, v10), fmul(wx, v11))));
}

/// (R, G, B) on the output scale the transform was built for (0..255 or 0..1), unclamped.
CF_HD void yuv_to_rgb(const YuvToRgb& t, float y, float u, float v, float& r, float& g, float& b) {
  const float yy = fadd(y, -t.y_offset), uu = fadd(u, -t.c_offset), vv = fadd(v, -t.c_offset);
  r = fadd(fadd(fmul(t.m[0], yy), fmul(t.m[1], uu)), fmul(t.m[2], vv));
  g = fadd(fadd(fmul(t.m[3], yy), fmul(t.m[4], uu)), fmul(t.m[5], vv));
  b = fadd(fadd(fmul(t.m[6], yy), fmul(t.m[7], uu)), fmul(t.m[8], vv));
}

/// Luma expanded to full range on the output scale, unclamped.
CF_HD float luma_full(const YuvToRgb& t, float y) { return fmul(t.y_gain, fadd(y, -t.y_offset)); }

/// RGB -> Y'CbCr on the output sample scale (the inverse transform of YuvToRgb).
struct RgbToYuv {
  float m[9];        ///< row-major: (Y, Cb, Cr) = m * (R, G, B) + offsets, R,G,B on the input scale
  float y_offset;    ///< added to Y (black level)
  float c_offset;    ///< added to Cb, Cr (chroma zero)
  float out_max;     ///< 255 or 65535
  int shift;         ///< 16-bit outputs: values are d-bit, stored << shift (MSB-aligned)
};

/// RGB (3 samples per pixel, `bpp` bytes per sample 1) at (x, y) of frame z, edges replicated.
CF_HD void load_rgb(const PlaneRef& p, int z, int x, int y, int w, int h, int r_index, float& r, float& g, float& b) {
  x = clampi(x, 0, w - 1);
  y = clampi(y, 0, h - 1);
  const std::uint8_t* px = p.base + static_cast<std::size_t>(z) * p.frame_stride + static_cast<std::size_t>(y) * p.pitch +
                           static_cast<std::size_t>(x) * 3;
  r = static_cast<float>(px[r_index]);
  g = static_cast<float>(px[1]);
  b = static_cast<float>(px[2 - r_index]);
}

CF_HD float yuv_component(const RgbToYuv& t, int row, float r, float g, float b, float offset) {
  return fadd(fadd(fadd(fmul(t.m[3 * row], r), fmul(t.m[3 * row + 1], g)), fmul(t.m[3 * row + 2], b)), offset);
}

}  // namespace cuframe::kernels::detail
