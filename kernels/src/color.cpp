// Colour conversion: transform construction, argument checks, the CPU executor, and the
// hand-off to the GPU kernels (color.cu).
#include "cuframe/kernels/color.hpp"

#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "color_impl.hpp"
#include "color_testing.hpp"
#include "color_to_yuv_impl.hpp"
#include "to_yuv_any.hpp"
#include "fused_impl.hpp"
#include "cpu_pool.hpp"
#include "cpu_rows.hpp"
#include "cuframe/error.hpp"

namespace cuframe::kernels {

namespace detail {
// color.cu (CUDA builds) or color_nocuda.cpp.
void launch_convert(Src s, Dst d, const ConvertArgs& args, int frames, void* stream);
}  // namespace detail

using detail::ConvertArgs;
using detail::Dst;
using detail::Src;

namespace {

void coefficients(ColorMatrix m, double& kr, double& kb) {
  switch (m) {
    case ColorMatrix::BT601: kr = 0.299; kb = 0.114; return;
    case ColorMatrix::BT709: kr = 0.2126; kb = 0.0722; return;
    case ColorMatrix::BT2020: kr = 0.2627; kb = 0.0593; return;
    case ColorMatrix::Identity:
      throw Error(Errc::Unsupported, "colour conversion", "GBR-coded (identity matrix) video is not converted yet");
    case ColorMatrix::Other:
      throw Error(Errc::Unsupported, "colour conversion",
                  "the stream's colour matrix is not supported (BT.601, BT.709 and BT.2020-NCL are); "
                  "override it with --matrix if the tag is wrong");
  }
}

Src source_kind(PixelFormat f) {
  switch (f) {
    case PixelFormat::NV12: return Src::NV12;
    case PixelFormat::P016: return Src::P016;
    case PixelFormat::YUV444P: return Src::YUV444P;
    case PixelFormat::YUV444P16: return Src::YUV444P16;
    default:
      throw Error(Errc::Unsupported, "colour conversion",
                  std::string("cannot convert from ") + to_string(f) + " (sources are nv12, p016, yuv444p, yuv444p16)");
  }
}

Dst dest_kind(PixelFormat f) {
  switch (f) {
    case PixelFormat::RGB24: return Dst::RGB24;
    case PixelFormat::BGR24: return Dst::BGR24;
    case PixelFormat::RGBA: return Dst::RGBA;
    case PixelFormat::RGBP: return Dst::RGBP;
    case PixelFormat::Gray8: return Dst::Gray8;
    case PixelFormat::RGBPF32: return Dst::F32;
    case PixelFormat::RGBPF16: return Dst::F16;
    default:
      throw Error(Errc::Unsupported, "colour conversion", std::string("cannot convert to ") + to_string(f));
  }
}

}  // namespace

detail::YuvToRgb make_yuv_to_rgb(ColorMatrix matrix, ColorRange range, int bit_depth, bool sixteen_bit_samples,
                                 double out_scale) {
  double kr = 0, kb = 0;
  coefficients(matrix, kr, kb);
  const double kg = 1.0 - kr - kb;
  // Levels on the sample scale (H.273: limited Y in [16, 235] and C in [16, 240] times
  // 2^(d-8); full range uses 2^d - 1 for both). MSB-aligned 16-bit samples are the
  // d-bit values times 2^(16-d).
  const int d = sixteen_bit_samples ? bit_depth : 8;
  const double up = sixteen_bit_samples ? static_cast<double>(1 << (16 - d)) : 1.0;
  double y_off, y_range, c_off, c_range;
  if (range == ColorRange::Limited) {
    y_off = 16.0 * (1 << (d - 8)) * up;
    y_range = 219.0 * (1 << (d - 8)) * up;
    c_range = 224.0 * (1 << (d - 8)) * up;
  } else {
    y_off = 0.0;
    y_range = ((1 << d) - 1) * up;
    c_range = y_range;
  }
  c_off = static_cast<double>(1 << (d - 1)) * up;
  detail::YuvToRgb t{};
  t.y_offset = static_cast<float>(y_off);
  t.c_offset = static_cast<float>(c_off);
  const double m[9] = {1 / y_range, 0.0,
                       2 * (1 - kr) / c_range, 1 / y_range,
                       -2 * kb * (1 - kb) / (kg * c_range), -2 * kr * (1 - kr) / (kg * c_range),
                       1 / y_range, 2 * (1 - kb) / c_range,
                       0.0};
  for (int i = 0; i < 9; ++i) t.m[i] = static_cast<float>(m[i] * out_scale);
  t.y_gain = static_cast<float>(out_scale / y_range);
  return t;
}

detail::ChromaSiting siting_of(ChromaLocation l) noexcept {
  switch (l) {
    case ChromaLocation::Left: return {0.0f, 0.25f};
    case ChromaLocation::Center: return {0.25f, 0.25f};
    case ChromaLocation::TopLeft: return {0.0f, 0.0f};
    case ChromaLocation::Top: return {0.25f, 0.0f};
    case ChromaLocation::BottomLeft: return {0.0f, 0.5f};
    case ChromaLocation::Bottom: return {0.25f, 0.5f};
  }
  return {0.0f, 0.25f};
}

FrameLayout converted_layout(const FrameLayout& src, PixelFormat format) {
  source_kind(src.format);
  dest_kind(format);
  return make_layout(format, src.width, src.height, 8);
}

namespace {
void convert_color_impl(const FrameBatch& src, FrameBatch& dst, const ColorSettings& settings, const CudaStream* stream,
                        bool rows_fast_path);
}  // namespace

void convert_color(const FrameBatch& src, FrameBatch& dst, const ColorSettings& settings, const CudaStream* stream) {
  convert_color_impl(src, dst, settings, stream, /*rows_fast_path=*/true);
}

namespace detail {
void convert_color_per_pixel(const FrameBatch& src, FrameBatch& dst, const ColorSettings& settings) {
  convert_color_impl(src, dst, settings, nullptr, /*rows_fast_path=*/false);
}

void rgb_bytes_for_testing(const YuvToRgb& t, const float* Y, const float* U, const float* V, int n, std::uint8_t* R,
                           std::uint8_t* G, std::uint8_t* B) {
  detail::rgb_bytes_row(t, Y, U, V, n, R, G, B);
}

void nv12_rgb24_for_testing(const YuvToRgb& t, const std::uint8_t* luma, const std::uint16_t* hu0, const std::uint16_t* hv0,
                            const std::uint16_t* hu1, const std::uint16_t* hv1, int wy4, int n, std::uint8_t* rgb) {
  nv12_rgb_row(t, luma, hu0, hv0, hu1, hv1, wy4, n, RgbStore::Rgb24, rgb, nullptr, nullptr);
}
}  // namespace detail

namespace {
// One chroma row of an interleaved 4:2:0 plane mixed horizontally at every luma column:
// the inner half of chroma_mix (ix * s0 + wx * s1), U into u and V into v.
template <typename T>
void mix_chroma_row(const T* c, const detail::ChromaTap* cols, int width, float* u, float* v) {
  for (int x = 0; x < width; ++x) {
    const detail::ChromaTap tx = cols[x];
    const float ix = detail::fadd(1.0f, -tx.w);
    const int a0 = 2 * tx.i0, a1 = 2 * tx.i1;
    u[x] = detail::fadd(detail::fmul(ix, static_cast<float>(c[a0])), detail::fmul(tx.w, static_cast<float>(c[a1])));
    v[x] = detail::fadd(detail::fmul(ix, static_cast<float>(c[a0 + 1])), detail::fmul(tx.w, static_cast<float>(c[a1 + 1])));
  }
}

// Note [CPU chroma rows] for 8-bit NV12: the pattern of the chroma taps along a row,
// from the taps of every luma column (cols), when nv12_chroma_row's integer mix gives
// them exactly: for x = 2k + p, taps k + j0[p] and k + j0[p] + 1 (clamped to the plane
// as the padded row clamps them, one column beyond each edge at most) and a weight that
// is a multiple of 1/4. False when a column does not follow it (then the float path runs).
bool nv12_chroma_pattern(const detail::ChromaTap* cols, int width, int cw, float dx, detail::ChromaPattern& p) {
  for (int par = 0; par < 2; ++par) {
    constexpr int kFar = 1 << 20;  // a column far from both edges: the tap unclamped
    const detail::ChromaTap t = detail::chroma_tap(2 * kFar + par, dx, 2 * kFar + 2);
    p.j0[par] = t.i0 - kFar;
    const float w4 = detail::fmul(t.w, 4.0f);
    p.w4[par] = static_cast<int>(w4);
    if (static_cast<float>(p.w4[par]) != w4 || p.w4[par] < 0 || p.w4[par] > 3 || p.j0[par] < -1 || p.j0[par] > 0) return false;
  }
  for (int x = 0; x < width; ++x) {
    const int k = x >> 1, par = x & 1, a = k + p.j0[par];
    const detail::ChromaTap t = cols[x];
    if (a < -1 || a + 1 > cw || t.i0 != detail::clampi(a, 0, cw - 1) || t.i1 != detail::clampi(a + 1, 0, cw - 1) ||
        detail::fmul(t.w, 4.0f) != static_cast<float>(p.w4[par]))
      return false;
  }
  return true;
}

// rgb_bytes_row into `bytes` (3 rows of args.width), then stored in D's layout.
template <Dst D>
void store_rgb_bytes(const ConvertArgs& args, int z, int y, const float* Y, const float* U, const float* V,
                     std::uint8_t* bytes) {
  const int n = args.width;
  std::uint8_t* R = bytes;
  std::uint8_t* G = bytes + n;
  std::uint8_t* B = bytes + 2 * n;
  detail::rgb_bytes_row(args.t, Y, U, V, n, R, G, B);
  if constexpr (D == Dst::RGBP) {
    std::memcpy(detail::out_row<std::uint8_t>(args.o0, z, y), R, static_cast<std::size_t>(n));
    std::memcpy(detail::out_row<std::uint8_t>(args.o1, z, y), G, static_cast<std::size_t>(n));
    std::memcpy(detail::out_row<std::uint8_t>(args.o2, z, y), B, static_cast<std::size_t>(n));
  } else {
    constexpr int kStep = D == Dst::RGBA ? 4 : 3;
    const std::uint8_t* first = D == Dst::BGR24 ? B : R;
    const std::uint8_t* third = D == Dst::BGR24 ? R : B;
    std::uint8_t* o = detail::out_row<std::uint8_t>(args.o0, z, y);
    for (int i = 0; i < n; ++i, o += kStep) {
      o[0] = first[i];
      o[1] = G[i];
      o[2] = third[i];
      if constexpr (D == Dst::RGBA) o[3] = 255;
    }
  }
}

// Rows [begin, end) (of all frames) of 8-bit NV12 to 8-bit RGB in D's layout, the
// integer chroma way of Note [CPU chroma rows].
template <Dst D>
void nv12_rows(const ConvertArgs& args, detail::ChromaPattern pattern, int begin, int end) {
  const int cw = args.cw, n = 2 * cw;
  thread_local std::vector<std::uint8_t> padded;
  thread_local std::vector<std::uint16_t> mixed;  // two chroma rows: U then V, n values each
  if (padded.size() < static_cast<std::size_t>(n) + 4) padded.resize(static_cast<std::size_t>(n) + 4);
  if (mixed.size() < 4 * static_cast<std::size_t>(n)) mixed.resize(4 * static_cast<std::size_t>(n));
  std::uint16_t* h0 = mixed.data();
  std::uint16_t* h1 = h0 + 2 * n;
  int row0 = -1, row1 = -1, frame = -1;  // the chroma rows h0 and h1 hold, of `frame`
  auto mix = [&](int z, int row, std::uint16_t* h) {
    const std::uint8_t* uv = args.u.base + static_cast<std::size_t>(z) * args.u.frame_stride + static_cast<std::size_t>(row) * args.u.pitch;
    std::uint8_t* p = padded.data();
    std::memcpy(p + 2, uv, static_cast<std::size_t>(n));
    p[0] = uv[0], p[1] = uv[1], p[n + 2] = uv[n - 2], p[n + 3] = uv[n - 1];  // the edge pairs repeated
    detail::nv12_chroma_row(p, cw, pattern, h, h + n);
  };
  constexpr detail::RgbStore store = D == Dst::RGB24 ? detail::RgbStore::Rgb24
                                     : D == Dst::BGR24 ? detail::RgbStore::Bgr24
                                     : D == Dst::RGBA  ? detail::RgbStore::Rgba
                                                       : detail::RgbStore::Planar;
  for (int r = begin; r < end; ++r) {
    const int z = r / args.height, y = r % args.height;
    const detail::ChromaTap ty = detail::chroma_tap(y, args.siting.dy, args.ch);
    if (z != frame) frame = z, row0 = row1 = -1;
    if (ty.i0 != row0) {
      if (ty.i0 == row1) {
        std::swap(h0, h1);
        std::swap(row0, row1);
      } else {
        mix(z, ty.i0, h0);
        row0 = ty.i0;
      }
    }
    if (ty.i1 != row1) {
      mix(z, ty.i1, h1);
      row1 = ty.i1;
    }
    const int wy4 = static_cast<int>(detail::fmul(ty.w, 4.0f));  // a multiple of 1/4 for every siting
    const std::uint8_t* luma = args.y.base + static_cast<std::size_t>(z) * args.y.frame_stride + static_cast<std::size_t>(y) * args.y.pitch;
    std::uint8_t* o0 = detail::out_row<std::uint8_t>(args.o0, z, y);
    std::uint8_t* o1 = D == Dst::RGBP ? detail::out_row<std::uint8_t>(args.o1, z, y) : nullptr;
    std::uint8_t* o2 = D == Dst::RGBP ? detail::out_row<std::uint8_t>(args.o2, z, y) : nullptr;
    detail::nv12_rgb_row(args.t, luma, h0, h0 + n, h1, h1 + n, wy4, args.width, store, o0, o1, o2);
  }
}

void convert_color_impl(const FrameBatch& src, FrameBatch& dst, const ColorSettings& settings, const CudaStream* stream,
                        bool rows_fast_path) {
  const FrameLayout& sl = src.layout();
  const Src s = source_kind(sl.format);
  const Dst d = dest_kind(dst.layout().format);
  if (dst.layout() != converted_layout(sl, dst.layout().format))
    throw Error(Errc::InvalidArgument, "colour conversion", "destination layout does not match the source's size");
  if (dst.capacity() < src.size())
    throw Error(Errc::InvalidArgument, "colour conversion", "destination batch is smaller than the source batch");
  const bool device = src.memory() == MemoryKind::Device;
  if (device != (dst.memory() == MemoryKind::Device))
    throw Error(Errc::InvalidArgument, "colour conversion", "source and destination must both be on the device or both on the host");
  if (device && !stream) throw Error(Errc::InvalidArgument, "colour conversion", "device batches need a stream");

  const ColorMatrix matrix = settings.matrix.value_or(src.color.matrix);
  const ColorRange range = settings.range.value_or(src.color.range);
  const bool wide = s == Src::P016 || s == Src::YUV444P16;
  const bool unit = d == Dst::F32 || d == Dst::F16;

  ConvertArgs a{};
  auto in = [&](int p) {
    return detail::PlaneRef{reinterpret_cast<const std::uint8_t*>(src.plane(0, p)), sl.frame_stride, sl.planes[p].pitch};
  };
  auto out = [&](int p) {
    return detail::PlaneOut{reinterpret_cast<std::uint8_t*>(dst.plane(0, p)), dst.layout().frame_stride,
                            dst.layout().planes[p].pitch};
  };
  a.y = in(0);
  a.u = in(1);
  if (sl.plane_count > 2) a.v = in(2);
  a.o0 = out(0);
  if (dst.layout().plane_count > 1) {
    a.o1 = out(1);
    a.o2 = out(2);
  }
  a.width = sl.width;
  a.height = sl.height;
  a.cw = (sl.width + 1) / 2;
  a.ch = (sl.height + 1) / 2;
  a.t = make_yuv_to_rgb(matrix, range, wide ? (sl.bit_depth > 8 ? sl.bit_depth : 16) : 8, wide, unit ? 1.0 : 255.0);
  a.siting = siting_of(src.color.chroma_location);
  const int frames = src.size();

  dst.resize(frames);
  dst.color = src.color;
  dst.color.matrix = matrix;
  dst.color.range = ColorRange::Full;  // RGB and expanded gray are full range
  dst.time_base = src.time_base;
  for (int i = 0; i < frames; ++i) dst.info(i) = src.info(i);
  if (frames == 0) return;

  if (device) {
    detail::launch_convert(s, d, a, frames, stream->get());
    return;
  }
  // CPU executor: rows of all frames, split across the pool. Note [CPU chroma rows]: for
  // 4:2:0 sources the chroma taps of each column (chroma_tap) are computed once per call
  // and those of each row once per row. chroma_mix is done in its two halves: each chroma
  // row's horizontal mix once (mix_chroma_row), kept while the next luma row reads it
  // again, then the vertical mix of two such rows over the whole row; 8-bit RGB then
  // comes from rgb_bytes_row (Note [CPU rows in Highway]). The float operations per pixel
  // are those of convert_pixel (the same taps, chroma_mix's operations in its order,
  // store_pixel's), so the output is bit for bit the same (ColorCpuRows.*,
  // tests/kernels/test_color.cpp).
  // 8-bit NV12 to 8-bit RGB takes a shorter way: chroma_mix's weights are multiples of
  // 1/4 and 8-bit samples integers, so every product and sum in it is exact in float, in
  // any order. The chroma rows are therefore mixed in 16-bit integers, 4 (horizontally,
  // nv12_chroma_row, once per chroma row) and 16 (vertically, in nv12_rgb_row) times the
  // float value, which 1/16 then gives back exactly; the luma, the matrix and the rounding
  // are yuv_to_rgb's and to_u8's as above, in SIMD, stored straight into the destination
  // layout. Where a column's taps do not follow the pattern (nv12_chroma_pattern) the
  // float path runs.
  thread_local std::vector<detail::ChromaTap> columns;
  if (sl.format == PixelFormat::NV12 || sl.format == PixelFormat::P016) {
    if (columns.size() < static_cast<size_t>(a.width)) columns.resize(static_cast<size_t>(a.width));
    for (int x = 0; x < a.width; ++x) columns[static_cast<size_t>(x)] = detail::chroma_tap(x, a.siting.dx, a.cw);
  }
  const detail::ChromaTap* cols = columns.data();
  detail::ChromaPattern pattern{};
  const bool nv12_bytes = rows_fast_path && s == Src::NV12 &&
                          (d == Dst::RGB24 || d == Dst::BGR24 || d == Dst::RGBA || d == Dst::RGBP) &&
                          nv12_chroma_pattern(cols, a.width, a.cw, a.siting.dx, pattern) &&
                          detail::fmul(a.siting.dy, 4.0f) == std::floor(detail::fmul(a.siting.dy, 4.0f));  // rows' weights in quarters
  detail::dispatch(s, d, [&]<Src S, Dst D>() {
    auto rows = [&](int begin, int end) {
      // A local copy: stores through uint8_t* may alias anything the compiler cannot see
      // is private, and would make it reload every argument for every pixel.
      const ConvertArgs args = a;
      // 4:2:0 rows: the horizontal chroma mix of the two chroma rows a row reads (U then V,
      // each args.width floats), kept while the next rows read them again; uv_row, the
      // vertical mix of the two, for this row.
      thread_local std::vector<float> chroma;
      thread_local std::vector<std::uint8_t> rgb;
      const std::size_t need = 7 * static_cast<std::size_t>(args.width);
      if (chroma.size() < need) chroma.resize(need);
      if (rgb.size() < 3 * static_cast<std::size_t>(args.width)) rgb.resize(3 * static_cast<std::size_t>(args.width));
      float* h0 = chroma.data();
      float* h1 = h0 + 2 * args.width;
      float* uv_row = h1 + 2 * args.width;
      float* luma_row = uv_row + 2 * args.width;
      std::uint8_t* bytes = rgb.data();
      int row0 = -1, row1 = -1, frame = -1;  // the chroma rows h0 and h1 hold, of `frame`
      if constexpr (S == Src::NV12 && (D == Dst::RGB24 || D == Dst::BGR24 || D == Dst::RGBA || D == Dst::RGBP)) {
        if (nv12_bytes) {
          nv12_rows<D>(args, pattern, begin, end);
          return;
        }
      }
      for (int r = begin; r < end; ++r) {
        const int z = r / args.height, y = r % args.height;
        if constexpr ((S == Src::NV12 || S == Src::P016) && D != Dst::Gray8) {
          if (!rows_fast_path) {
            for (int x = 0; x < args.width; ++x) detail::convert_pixel<S, D>(args, x, y, z);
            continue;
          }
          using T = detail::SampleOf<S>;
          const detail::ChromaTap ty = detail::chroma_tap(y, args.siting.dy, args.ch);
          const std::uint8_t* uv = args.u.base + z * args.u.frame_stride;
          if (z != frame) frame = z, row0 = row1 = -1;
          if (ty.i0 != row0) {
            if (ty.i0 == row1) {
              std::swap(h0, h1);
              std::swap(row0, row1);
            } else {
              mix_chroma_row(reinterpret_cast<const T*>(uv + static_cast<size_t>(ty.i0) * args.u.pitch), cols,
                             args.width, h0, h0 + args.width);
              row0 = ty.i0;
            }
          }
          if (ty.i1 != row1) {
            mix_chroma_row(reinterpret_cast<const T*>(uv + static_cast<size_t>(ty.i1) * args.u.pitch), cols, args.width,
                           h1, h1 + args.width);
            row1 = ty.i1;
          }
          const float wy = ty.w, iy = detail::fadd(1.0f, -wy);
          for (int x = 0; x < 2 * args.width; ++x) uv_row[x] = detail::fadd(detail::fmul(iy, h0[x]), detail::fmul(wy, h1[x]));
          const T* luma = reinterpret_cast<const T*>(args.y.base + z * args.y.frame_stride + y * args.y.pitch);
          if constexpr (D == Dst::RGB24 || D == Dst::BGR24 || D == Dst::RGBA || D == Dst::RGBP) {
            for (int x = 0; x < args.width; ++x) luma_row[x] = static_cast<float>(luma[x]);
            store_rgb_bytes<D>(args, z, y, luma_row, uv_row, uv_row + args.width, bytes);
          } else {
            for (int x = 0; x < args.width; ++x)
              detail::store_pixel<D>(args, x, y, z, static_cast<float>(luma[x]), uv_row[x], uv_row[args.width + x]);
          }
        } else if constexpr ((S == Src::YUV444P || S == Src::YUV444P16) &&
                             (D == Dst::RGB24 || D == Dst::BGR24 || D == Dst::RGBA || D == Dst::RGBP)) {
          if (!rows_fast_path) {
            for (int x = 0; x < args.width; ++x) detail::convert_pixel<S, D>(args, x, y, z);
            continue;
          }
          // 4:4:4 to 8-bit RGB: the three planes' rows as floats (exact, as load gives
          // them), then rgb_bytes_row.
          using T = detail::SampleOf<S>;
          auto plane_row = [&](const detail::PlaneRef& p) {
            return reinterpret_cast<const T*>(p.base + z * p.frame_stride + y * p.pitch);
          };
          const T* py = plane_row(args.y);
          const T* pu = plane_row(args.u);
          const T* pv = plane_row(args.v);
          for (int x = 0; x < args.width; ++x) {
            luma_row[x] = static_cast<float>(py[x]);
            uv_row[x] = static_cast<float>(pu[x]);
            uv_row[args.width + x] = static_cast<float>(pv[x]);
          }
          store_rgb_bytes<D>(args, z, y, luma_row, uv_row, uv_row + args.width, bytes);
        } else {
          for (int x = 0; x < args.width; ++x) detail::convert_pixel<S, D>(args, x, y, z);
        }
      }
    };
    detail::parallel_for(frames * a.height, rows);
  });
}
}  // namespace

void crop_resize_normalize(const FrameBatch& src, FrameBatch& dst, const CropRect& r, const Normalize& norm,
                           const ColorSettings& settings, const CudaStream* stream) {
  const FrameLayout& sl = src.layout();
  const Src s = source_kind(sl.format);
  const PixelFormat out = dst.layout().format;
  if (out != PixelFormat::RGBPF32 && out != PixelFormat::RGBPF16)
    throw Error(Errc::InvalidArgument, "crop_resize_normalize", "writes rgbpf32 or rgbpf16");
  if (r.x < 0 || r.y < 0 || r.width <= 0 || r.height <= 0 || r.x + r.width > sl.width || r.y + r.height > sl.height)
    throw Error(Errc::InvalidArgument, "crop_resize_normalize", "the crop rectangle does not fit the frame");
  const bool is420 = s == Src::NV12 || s == Src::P016;
  if (is420 && (r.x % 2 || r.y % 2))
    throw Error(Errc::InvalidArgument, "crop_resize_normalize", "4:2:0 frames crop at even x and y");
  for (int k = 0; k < 3; ++k)
    if (!(norm.stddev[k] > 0.0f)) throw Error(Errc::InvalidArgument, "crop_resize_normalize", "stddev must be > 0");
  if (dst.capacity() < src.size()) throw Error(Errc::InvalidArgument, "crop_resize_normalize", "destination batch too small");
  const bool device = src.memory() == MemoryKind::Device;
  if (device != (dst.memory() == MemoryKind::Device))
    throw Error(Errc::InvalidArgument, "crop_resize_normalize", "both batches on the device or both on the host");
  if (device && !stream) throw Error(Errc::InvalidArgument, "crop_resize_normalize", "device batches need a stream");

  detail::FusedArgs a{};
  const bool wide = s == Src::P016 || s == Src::YUV444P16;
  a.c.y = detail::PlaneRef{reinterpret_cast<const std::uint8_t*>(src.plane(0, 0)), sl.frame_stride, sl.planes[0].pitch};
  a.c.u = detail::PlaneRef{reinterpret_cast<const std::uint8_t*>(src.plane(0, 1)), sl.frame_stride, sl.planes[1].pitch};
  if (sl.plane_count > 2)
    a.c.v = detail::PlaneRef{reinterpret_cast<const std::uint8_t*>(src.plane(0, 2)), sl.frame_stride, sl.planes[2].pitch};
  const FrameLayout& dl = dst.layout();
  a.c.o0 = detail::PlaneOut{reinterpret_cast<std::uint8_t*>(dst.plane(0, 0)), dl.frame_stride, dl.planes[0].pitch};
  a.c.o1 = detail::PlaneOut{reinterpret_cast<std::uint8_t*>(dst.plane(0, 1)), dl.frame_stride, dl.planes[1].pitch};
  a.c.o2 = detail::PlaneOut{reinterpret_cast<std::uint8_t*>(dst.plane(0, 2)), dl.frame_stride, dl.planes[2].pitch};
  a.c.t = make_yuv_to_rgb(settings.matrix.value_or(src.color.matrix), settings.range.value_or(src.color.range),
                          wide ? (sl.bit_depth > 8 ? sl.bit_depth : 16) : 8, wide, 1.0);
  a.c.siting = siting_of(src.color.chroma_location);
  a.dst_width = dl.width;
  a.dst_height = dl.height;
  a.rx = r.x;
  a.ry = r.y;
  a.rw = r.width;
  a.rh = r.height;
  for (int k = 0; k < 3; ++k) {
    a.mean[k] = norm.mean[k];
    a.inv_std[k] = 1.0f / norm.stddev[k];
  }
  a.half_out = out == PixelFormat::RGBPF16;
  const int frames = src.size();
  dst.resize(frames);
  dst.time_base = src.time_base;
  dst.color = src.color;
  dst.color.range = ColorRange::Full;
  for (int i = 0; i < frames; ++i) dst.info(i) = src.info(i);
  if (frames == 0) return;
  if (device) {
    detail::launch_fused(s, a, frames, stream->get());
    return;
  }
  auto run = [&]<Src S>() {
    auto rows = [&](int begin, int end) {
      for (int row = begin; row < end; ++row) {
        const int z = row / a.dst_height, y = row % a.dst_height;
        for (int x = 0; x < a.dst_width; ++x) detail::fused_pixel<S>(a, x, y, z);
      }
    };
    detail::parallel_for(frames * a.dst_height, rows);
  };
  switch (s) {
    case Src::NV12: run.template operator()<Src::NV12>(); break;
    case Src::P016: run.template operator()<Src::P016>(); break;
    case Src::YUV444P: run.template operator()<Src::YUV444P>(); break;
    case Src::YUV444P16: run.template operator()<Src::YUV444P16>(); break;
  }
}

FrameLayout yuv_layout(const FrameLayout& rgb, PixelFormat format, int bit_depth) {
  if (rgb.format != PixelFormat::RGB24 && rgb.format != PixelFormat::BGR24 && !detail::to_yuv_any_takes(rgb.format))
    throw Error(Errc::Unsupported, "colour conversion",
                std::string("RGB -> YUV takes rgb24, bgr24, rgba, gray, rgbp, rgbpf32 or rgbpf16, not ") + to_string(rgb.format));
  if (format == PixelFormat::NV12) return make_layout(format, rgb.width, rgb.height, 8);
  if (format == PixelFormat::P016 && (bit_depth == 10 || bit_depth == 12 || bit_depth == 16))
    return make_layout(format, rgb.width, rgb.height, bit_depth);
  throw Error(Errc::Unsupported, "colour conversion", "RGB -> YUV writes nv12, or p016 with 10, 12 or 16 bits");
}

void convert_to_yuv(const FrameBatch& src, FrameBatch& dst, ColorMatrix matrix, ColorRange range, const CudaStream* stream) {
  if (detail::to_yuv_any_takes(src.layout().format)) return detail::convert_to_yuv_any(src, dst, matrix, range, stream);
  const FrameLayout& dl = dst.layout();
  if (dl != yuv_layout(src.layout(), dl.format, dl.bit_depth))
    throw Error(Errc::InvalidArgument, "colour conversion", "destination layout does not match the source's size");
  if (dst.capacity() < src.size())
    throw Error(Errc::InvalidArgument, "colour conversion", "destination batch is smaller than the source batch");
  const bool device = src.memory() == MemoryKind::Device;
  if (device != (dst.memory() == MemoryKind::Device))
    throw Error(Errc::InvalidArgument, "colour conversion", "source and destination must both be on the device or both on the host");
  if (device && !stream) throw Error(Errc::InvalidArgument, "colour conversion", "device batches need a stream");
  double kr = 0, kb = 0;
  coefficients(matrix, kr, kb);
  const double kg = 1.0 - kr - kb;
  const bool wide = dl.format == PixelFormat::P016;
  const int d = wide ? dl.bit_depth : 8;
  const double s = std::ldexp(1.0, d - 8);
  double y_off, y_range, c_range;
  if (range == ColorRange::Limited) {
    y_off = 16 * s;
    y_range = 219 * s;
    c_range = 224 * s;
  } else {
    y_off = 0;
    y_range = std::ldexp(1.0, d) - 1;
    c_range = y_range;
  }
  // Input R,G,B are 0..255; normalise, then scale to the output code values.
  const double n = 1.0 / 255.0;
  const double m[9] = {kr * y_range * n, kg * y_range * n, kb * y_range * n,
                       -kr / (2 * (1 - kb)) * c_range * n, -kg / (2 * (1 - kb)) * c_range * n, 0.5 * c_range * n,
                       0.5 * c_range * n, -kg / (2 * (1 - kr)) * c_range * n, -kb / (2 * (1 - kr)) * c_range * n};
  detail::ToYuvArgs a{};
  for (int i = 0; i < 9; ++i) a.t.m[i] = static_cast<float>(m[i]);
  a.t.y_offset = static_cast<float>(y_off);
  a.t.c_offset = static_cast<float>(128 * s);
  a.t.out_max = static_cast<float>(std::ldexp(1.0, d) - 1);
  a.t.shift = wide ? 16 - d : 0;
  a.rgb = detail::PlaneRef{reinterpret_cast<const std::uint8_t*>(src.plane(0, 0)), src.layout().frame_stride,
                           src.layout().planes[0].pitch};
  a.y = detail::PlaneOut{reinterpret_cast<std::uint8_t*>(dst.plane(0, 0)), dl.frame_stride, dl.planes[0].pitch};
  a.uv = detail::PlaneOut{reinterpret_cast<std::uint8_t*>(dst.plane(0, 1)), dl.frame_stride, dl.planes[1].pitch};
  a.width = dl.width;
  a.height = dl.height;
  a.cw = (dl.width + 1) / 2;
  a.ch = (dl.height + 1) / 2;
  a.r_index = src.layout().format == PixelFormat::RGB24 ? 0 : 2;
  a.wide = wide;
  const int frames = src.size();
  dst.resize(frames);
  dst.time_base = src.time_base;
  for (int i = 0; i < frames; ++i) dst.info(i) = src.info(i);
  dst.color = src.color;
  dst.color.matrix = matrix;
  dst.color.range = range;
  dst.color.chroma_location = ChromaLocation::Left;
  if (frames == 0) return;
  if (device) {
    detail::launch_to_yuv(a, frames, stream->get());
    return;
  }
  auto rows = [&](int begin, int end) {
    for (int r = begin; r < end; ++r) {
      const int z = r / a.height, y = r % a.height;
      for (int x = 0; x < a.width; ++x) detail::to_yuv_luma(a, x, y, z);
      if (y < a.ch)
        for (int i = 0; i < a.cw; ++i) detail::to_yuv_chroma(a, i, y, z);
    }
  };
  detail::parallel_for(frames * a.height, rows);
}

}  // namespace cuframe::kernels
