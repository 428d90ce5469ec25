// Internal: the fused crop + resize + convert + normalise per-pixel code.
#pragma once

#include "color_impl.hpp"

namespace cuframe::kernels::detail {

struct FusedArgs {
  ConvertArgs c;                  // source planes, transform (out scale 1), siting; o0..o2 = dst planes
  int dst_width, dst_height;
  int rx, ry, rw, rh;             // crop rectangle in luma pixels
  float mean[3], inv_std[3];
  bool half_out;                  // float16 output
};

/// Bilinear sample of a one-channel plane at (fx, fy), clamped to [x0, x1] x [y0, y1].
template <typename T>
CF_HD float bilinear_in(const PlaneRef& p, int z, float fx, float fy, int x0, int x1, int y0, int y1, int step, int offset) {
  const float fx0 = ffloor(fx), fy0 = ffloor(fy);
  const float wx = fadd(fx, -fx0), wy = fadd(fy, -fy0);
  const int ix0 = clampi(static_cast<int>(fx0), x0, x1), ix1 = clampi(static_cast<int>(fx0) + 1, x0, x1);
  const int iy0 = clampi(static_cast<int>(fy0), y0, y1), iy1 = clampi(static_cast<int>(fy0) + 1, y0, y1);
  const float a = load<T>(p, z, iy0, step * ix0 + offset), b = load<T>(p, z, iy0, step * ix1 + offset);
  const float c = load<T>(p, z, iy1, step * ix0 + offset), d = load<T>(p, z, iy1, step * ix1 + offset);
  const float top = fadd(a, fmul(wx, fadd(b, -a))), bot = fadd(c, fmul(wx, fadd(d, -c)));
  return fadd(top, fmul(wy, fadd(bot, -top)));
}

template <Src S>
CF_HD void fused_pixel(const FusedArgs& a, int X, int Y, int z) {
  using T = std::conditional_t<S == Src::P016 || S == Src::YUV444P16, std::uint16_t, std::uint8_t>;
  const float sx = static_cast<float>(a.rw) / static_cast<float>(a.dst_width);
  const float sy = static_cast<float>(a.rh) / static_cast<float>(a.dst_height);
  // Luma position (full-resolution pixels) of this output pixel's centre.
  const float fx = fadd(fadd(fmul(fadd(static_cast<float>(X), 0.5f), sx), -0.5f), static_cast<float>(a.rx));
  const float fy = fadd(fadd(fmul(fadd(static_cast<float>(Y), 0.5f), sy), -0.5f), static_cast<float>(a.ry));
  const int x1 = a.rx + a.rw - 1, y1 = a.ry + a.rh - 1;
  const float Yv = bilinear_in<T>(a.c.y, z, fx, fy, a.rx, x1, a.ry, y1, 1, 0);
  float U, V;
  if constexpr (S == Src::NV12 || S == Src::P016) {
    const float cx = fadd(fmul(fx, 0.5f), -a.c.siting.dx), cy = fadd(fmul(fy, 0.5f), -a.c.siting.dy);
    const int cx0 = a.rx / 2, cy0 = a.ry / 2, cx1 = (x1) / 2, cy1 = (y1) / 2;
    U = bilinear_in<T>(a.c.u, z, cx, cy, cx0, cx1, cy0, cy1, 2, 0);
    V = bilinear_in<T>(a.c.u, z, cx, cy, cx0, cx1, cy0, cy1, 2, 1);
  } else {
    U = bilinear_in<T>(a.c.u, z, fx, fy, a.rx, x1, a.ry, y1, 1, 0);
    V = bilinear_in<T>(a.c.v, z, fx, fy, a.rx, x1, a.ry, y1, 1, 0);
  }
  float rgb[3];
  yuv_to_rgb(a.c.t, Yv, U, V, rgb[0], rgb[1], rgb[2]);
  const PlaneOut* outs[3] = {&a.c.o0, &a.c.o1, &a.c.o2};
  for (int k = 0; k < 3; ++k) {
    const float v = fmul(fadd(clampf(rgb[k], 0.0f, 1.0f), -a.mean[k]), a.inv_std[k]);
    if (a.half_out) out_row<std::uint16_t>(*outs[k], z, Y)[X] = to_half_bits(v);
    else out_row<float>(*outs[k], z, Y)[X] = v;
  }
}

void launch_fused(Src s, const FusedArgs& args, int frames, void* stream);

}  // namespace cuframe::kernels::detail
