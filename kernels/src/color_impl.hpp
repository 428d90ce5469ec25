// Internal: the per-pixel conversion both executors call (Note [Shared per-pixel math]).
#pragma once

#include "cuframe/kernels/detail/color_math.hpp"

namespace cuframe::kernels::detail {

enum class Src : int { NV12, P016, YUV444P, YUV444P16 };
enum class Dst : int { RGB24, BGR24, RGBA, RGBP, Gray8, F32, F16 };

struct ConvertArgs {
  PlaneRef y, u, v;   // 4:2:0: u is the interleaved chroma plane, v unused
  PlaneOut o0, o1, o2;
  int width, height, cw, ch;
  YuvToRgb t;
  ChromaSiting siting;
};

/// Writes pixel (x, y) of frame z of the destination from its Y'CbCr samples (U and V are
/// ignored for gray).
template <Dst D>
CF_HD void store_pixel(const ConvertArgs& a, int x, int y, int z, float Y, float U, float V) {
  if constexpr (D == Dst::Gray8) {
    out_row<std::uint8_t>(a.o0, z, y)[x] = to_u8(luma_full(a.t, Y));
  } else {
    float r, g, b;
    yuv_to_rgb(a.t, Y, U, V, r, g, b);
    if constexpr (D == Dst::RGB24 || D == Dst::BGR24) {
      std::uint8_t* o = out_row<std::uint8_t>(a.o0, z, y) + 3 * x;
      o[D == Dst::RGB24 ? 0 : 2] = to_u8(r);
      o[1] = to_u8(g);
      o[D == Dst::RGB24 ? 2 : 0] = to_u8(b);
    } else if constexpr (D == Dst::RGBA) {
      std::uint8_t* o = out_row<std::uint8_t>(a.o0, z, y) + 4 * x;
      o[0] = to_u8(r);
      o[1] = to_u8(g);
      o[2] = to_u8(b);
      o[3] = 255;
    } else if constexpr (D == Dst::RGBP) {
      out_row<std::uint8_t>(a.o0, z, y)[x] = to_u8(r);
      out_row<std::uint8_t>(a.o1, z, y)[x] = to_u8(g);
      out_row<std::uint8_t>(a.o2, z, y)[x] = to_u8(b);
    } else if constexpr (D == Dst::F32) {
      out_row<float>(a.o0, z, y)[x] = clampf(r, 0.0f, 1.0f);
      out_row<float>(a.o1, z, y)[x] = clampf(g, 0.0f, 1.0f);
      out_row<float>(a.o2, z, y)[x] = clampf(b, 0.0f, 1.0f);
    } else {
      out_row<std::uint16_t>(a.o0, z, y)[x] = to_half_bits(clampf(r, 0.0f, 1.0f));
      out_row<std::uint16_t>(a.o1, z, y)[x] = to_half_bits(clampf(g, 0.0f, 1.0f));
      out_row<std::uint16_t>(a.o2, z, y)[x] = to_half_bits(clampf(b, 0.0f, 1.0f));
    }
  }
}

template <Src S>
using SampleOf = std::conditional_t<S == Src::P016 || S == Src::YUV444P16, std::uint16_t, std::uint8_t>;

template <Src S, Dst D>
CF_HD void convert_pixel(const ConvertArgs& a, int x, int y, int z) {
  using T = SampleOf<S>;
  const float Y = load<T>(a.y, z, y, x);
  float U = 0.0f, V = 0.0f;
  if constexpr (D == Dst::Gray8) {
  } else if constexpr (S == Src::NV12 || S == Src::P016) {
    chroma420<T>(a.u, z, x, y, a.cw, a.ch, a.siting, U, V);
  } else {
    U = load<T>(a.u, z, y, x);
    V = load<T>(a.v, z, y, x);
  }
  store_pixel<D>(a, x, y, z, Y, U, V);
}

/// Calls fn.template operator()<S, D>() for the runtime pair: the one place that maps
/// formats to template instantiations (4 sources x 7 destinations).
template <typename Fn>
void dispatch(Src s, Dst d, Fn&& fn) {
  auto with_dst = [&]<Src SS>() {
    switch (d) {
      case Dst::RGB24: fn.template operator()<SS, Dst::RGB24>(); break;
      case Dst::BGR24: fn.template operator()<SS, Dst::BGR24>(); break;
      case Dst::RGBA: fn.template operator()<SS, Dst::RGBA>(); break;
      case Dst::RGBP: fn.template operator()<SS, Dst::RGBP>(); break;
      case Dst::Gray8: fn.template operator()<SS, Dst::Gray8>(); break;
      case Dst::F32: fn.template operator()<SS, Dst::F32>(); break;
      case Dst::F16: fn.template operator()<SS, Dst::F16>(); break;
    }
  };
  switch (s) {
    case Src::NV12: with_dst.template operator()<Src::NV12>(); break;
    case Src::P016: with_dst.template operator()<Src::P016>(); break;
    case Src::YUV444P: with_dst.template operator()<Src::YUV444P>(); break;
    case Src::YUV444P16: with_dst.template operator()<Src::YUV444P16>(); break;
  }
}

}  // namespace cuframe::kernels::detail
