// RGBA, gray, planar RGB and planar float RGB -> NV12/P016: checks, the transform, and
// the CPU executor (the GPU's is to_yuv_any.cu; both run to_yuv_any_impl.hpp).
#include "to_yuv_any.hpp"

#include <cmath>
#include <string>

#include "cpu_pool.hpp"
#include "cuframe/error.hpp"
#include "cuframe/kernels/color.hpp"
#include "to_yuv_any_impl.hpp"

namespace cuframe::kernels::detail {

namespace {

YuvSrc source_kind(PixelFormat f) {
  switch (f) {
    case PixelFormat::RGBA: return YuvSrc::Rgba;
    case PixelFormat::Gray8: return YuvSrc::Gray;
    case PixelFormat::RGBP: return YuvSrc::Rgbp;
    case PixelFormat::RGBPF32: return YuvSrc::RgbpF32;
    case PixelFormat::RGBPF16: return YuvSrc::RgbpF16;
    default: break;
  }
  throw Error(Errc::Unsupported, "colour conversion", std::string("no RGB -> YUV from ") + to_string(f));
}

void kr_kb(ColorMatrix m, double& kr, double& kb) {
  switch (m) {
    case ColorMatrix::BT601: kr = 0.299, kb = 0.114; return;
    case ColorMatrix::BT709: kr = 0.2126, kb = 0.0722; return;
    case ColorMatrix::BT2020: kr = 0.2627, kb = 0.0593; return;
    default: break;
  }
  throw Error(Errc::Unsupported, "colour conversion", std::string("RGB -> YUV with matrix ") + to_string(m));
}

PlaneRef plane_ref(const FrameBatch& b, int p) {
  return PlaneRef{reinterpret_cast<const std::uint8_t*>(b.plane(0, p)), b.layout().frame_stride,
                  b.layout().planes[p].pitch};
}

}  // namespace

bool to_yuv_any_takes(PixelFormat f) noexcept {
  return f == PixelFormat::RGBA || f == PixelFormat::Gray8 || f == PixelFormat::RGBP || f == PixelFormat::RGBPF32 ||
         f == PixelFormat::RGBPF16;
}

void convert_to_yuv_any(const FrameBatch& src, FrameBatch& dst, ColorMatrix matrix, ColorRange range,
                        const CudaStream* stream) {
  const FrameLayout& sl = src.layout();
  const FrameLayout& dl = dst.layout();
  const YuvSrc kind = source_kind(sl.format);
  if (dl != yuv_layout(sl, dl.format, dl.bit_depth))
    throw Error(Errc::InvalidArgument, "colour conversion", "destination layout does not match the source's size");
  if (dst.capacity() < src.size())
    throw Error(Errc::InvalidArgument, "colour conversion", "destination batch is smaller than the source batch");
  const bool device = src.memory() == MemoryKind::Device;
  if (device != (dst.memory() == MemoryKind::Device))
    throw Error(Errc::InvalidArgument, "colour conversion", "source and destination must both be on the device or both on the host");
  if (device && !stream) throw Error(Errc::InvalidArgument, "colour conversion", "device batches need a stream");
  double kr = 0, kb = 0;
  kr_kb(matrix, kr, kb);
  const double kg = 1.0 - kr - kb;
  const bool wide = dl.format == PixelFormat::P016;
  const int d = wide ? dl.bit_depth : 8;
  const double s = std::ldexp(1.0, d - 8);
  double y_off, y_range, c_range;
  if (range == ColorRange::Limited) {
    y_off = 16 * s, y_range = 219 * s, c_range = 224 * s;
  } else {
    y_off = 0, y_range = std::ldexp(1.0, d) - 1, c_range = y_range;
  }
  // Inputs on their own scale: 0..255 for 8-bit formats, 0..1 for float ones.
  const bool flt = kind == YuvSrc::RgbpF32 || kind == YuvSrc::RgbpF16;
  const double n = flt ? 1.0 : 1.0 / 255.0;
  const double m[9] = {kr * y_range * n, kg * y_range * n, kb * y_range * n,
                       -kr / (2 * (1 - kb)) * c_range * n, -kg / (2 * (1 - kb)) * c_range * n, 0.5 * c_range * n,
                       0.5 * c_range * n, -kg / (2 * (1 - kr)) * c_range * n, -kb / (2 * (1 - kr)) * c_range * n};
  ToYuvAnyArgs a{};
  for (int i = 0; i < 9; ++i) a.t.m[i] = static_cast<float>(m[i]);
  a.t.y_offset = static_cast<float>(y_off);
  a.t.c_offset = static_cast<float>(128 * s);
  a.t.out_max = static_cast<float>(std::ldexp(1.0, d) - 1);
  a.t.shift = wide ? 16 - d : 0;
  a.gray_gain = static_cast<float>(y_range * n);
  a.p0 = plane_ref(src, 0);
  if (sl.plane_count == 3) a.p1 = plane_ref(src, 1), a.p2 = plane_ref(src, 2);
  a.y = PlaneOut{reinterpret_cast<std::uint8_t*>(dst.plane(0, 0)), dl.frame_stride, dl.planes[0].pitch};
  a.uv = PlaneOut{reinterpret_cast<std::uint8_t*>(dst.plane(0, 1)), dl.frame_stride, dl.planes[1].pitch};
  a.width = dl.width;
  a.height = dl.height;
  a.cw = (dl.width + 1) / 2;
  a.ch = (dl.height + 1) / 2;
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
    launch_to_yuv_any(kind, a, frames, stream->get());
    return;
  }
  dispatch_yuv_src(kind, [&]<YuvSrc S>() {
    auto rows = [&](int begin, int end) {
      for (int r = begin; r < end; ++r) {
        const int z = r / a.height, y = r % a.height;
        for (int x = 0; x < a.width; ++x) to_yuv_any_luma<S>(a, x, y, z);
        if (y < a.ch)
          for (int i = 0; i < a.cw; ++i) to_yuv_any_chroma<S>(a, i, y, z);
      }
    };
    parallel_for(frames * a.height, rows);
  });
}

}  // namespace cuframe::kernels::detail
