// Internal: RGB -> NV12/P016 per-pixel code shared by both executors.
#pragma once

#include "cuframe/kernels/detail/color_math.hpp"

namespace cuframe::kernels::detail {

struct ToYuvArgs {
  PlaneRef rgb;
  PlaneOut y, uv;
  int width, height, cw, ch;
  int r_index;  // 0 for rgb24, 2 for bgr24
  bool wide;    // p016
  RgbToYuv t;
};

template <typename T>
CF_HD void store_sample(std::uint8_t* row, int index, float v, const RgbToYuv& t) {
  const int q = round_even(clampf(v, 0.0f, t.out_max));
  reinterpret_cast<T*>(row)[index] = static_cast<T>(q << t.shift);
}

/// Luma of pixel (x, y).
CF_HD void to_yuv_luma(const ToYuvArgs& a, int x, int y, int z) {
  float r, g, b;
  load_rgb(a.rgb, z, x, y, a.width, a.height, a.r_index, r, g, b);
  std::uint8_t* row = a.y.base + static_cast<std::size_t>(z) * a.y.frame_stride + static_cast<std::size_t>(y) * a.y.pitch;
  const float v = yuv_component(a.t, 0, r, g, b, a.t.y_offset);
  if (a.wide) store_sample<std::uint16_t>(row, x, v, a.t);
  else store_sample<std::uint8_t>(row, x, v, a.t);
}

/// Chroma sample (i, j): left siting, columns 2i-1, 2i, 2i+1 weighted 1/4, 1/2, 1/4,
/// rows 2j and 2j+1 averaged (all weights exact in float).
CF_HD void to_yuv_chroma(const ToYuvArgs& a, int i, int j, int z) {
  float sr = 0.0f, sg = 0.0f, sb = 0.0f;
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = -1; dx <= 1; ++dx) {
      float r, g, b;
      load_rgb(a.rgb, z, 2 * i + dx, 2 * j + dy, a.width, a.height, a.r_index, r, g, b);
      const float w = dx == 0 ? 0.25f : 0.125f;
      sr = fadd(sr, fmul(w, r));
      sg = fadd(sg, fmul(w, g));
      sb = fadd(sb, fmul(w, b));
    }
  std::uint8_t* row = a.uv.base + static_cast<std::size_t>(z) * a.uv.frame_stride + static_cast<std::size_t>(j) * a.uv.pitch;
  const float cb = yuv_component(a.t, 1, sr, sg, sb, a.t.c_offset), cr = yuv_component(a.t, 2, sr, sg, sb, a.t.c_offset);
  if (a.wide) {
    store_sample<std::uint16_t>(row, 2 * i, cb, a.t);
    store_sample<std::uint16_t>(row, 2 * i + 1, cr, a.t);
  } else {
    store_sample<std::uint8_t>(row, 2 * i, cb, a.t);
    store_sample<std::uint8_t>(row, 2 * i + 1, cr, a.t);
  }
}

void launch_to_yuv(const ToYuvArgs& args, int frames, void* stream);

}  // namespace cuframe::kernels::detail
