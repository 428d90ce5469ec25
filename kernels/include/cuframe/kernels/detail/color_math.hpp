// Shared per-pixel math (installed for the CPU == GPU promise; stable within a minor
// version, not a general API): YUV <-> RGB per-pixel math shared by the GPU kernels and the CPU executor
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

/// One axis of the 4:2:0 chroma interpolation: luma position `pos`, the siting offset
/// (ChromaSiting::dx or dy) and the chroma plane's size give the two chroma samples
/// (clamped: edges replicated) and the weight of the second.
struct ChromaTap {
  int i0, i1;
  float w;
};

CF_HD ChromaTap chroma_tap(int pos, float offset, int size) {
  const float c = fadd(fmul(static_cast<float>(pos), 0.5f), -offset);
  const float f0 = ffloor(c);
  const int i = static_cast<int>(f0);
  return {clampi(i, 0, size - 1), clampi(i + 1, 0, size - 1), fadd(c, -f0)};
}

/// The bilinear mix of four chroma samples (row 0: s00, s01; row 1: s10, s11).
CF_HD float chroma_mix(float s00, float s01, float s10, float s11, float wx, float wy) {
  const float ix = fadd(1.0f, -wx), iy = fadd(1.0f, -wy);
  return fadd(fmul(iy, fadd(fmul(ix, s00), fmul(wx, s01))), fmul(wy, fadd(fmul(ix, s10), fmul(wx, s11))));
}

/// Bilinear 4:2:0 chroma at luma position (x, y), edges replicated, from an interleaved
/// plane (NV12 / P016: U at 2i, V at 2i+1). Weights are multiples of 1/4, so every
/// product and sum is exact in float: no rounding differences anywhere.
template <typename T>
CF_HD void chroma420(const PlaneRef& uv, int z, int x, int y, int cw, int ch, ChromaSiting s, float& u, float& v) {
  const ChromaTap tx = chroma_tap(x, s.dx, cw), ty = chroma_tap(y, s.dy, ch);
  u = chroma_mix(load<T>(uv, z, ty.i0, 2 * tx.i0), load<T>(uv, z, ty.i0, 2 * tx.i1), load<T>(uv, z, ty.i1, 2 * tx.i0),
                 load<T>(uv, z, ty.i1, 2 * tx.i1), tx.w, ty.w);
  v = chroma_mix(load<T>(uv, z, ty.i0, 2 * tx.i0 + 1), load<T>(uv, z, ty.i0, 2 * tx.i1 + 1),
                 load<T>(uv, z, ty.i1, 2 * tx.i0 + 1), load<T>(uv, z, ty.i1, 2 * tx.i1 + 1), tx.w, ty.w);
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
