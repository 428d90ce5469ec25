// Resize, crop, flip, rotate. Oracles:
//  - an independent double-precision reference of each interpolation (the conventions of
//    cv::resize, written from its documentation): within 1 LSB for 8-bit and 16-bit
//    samples, 1e-4 for float;
//  - OpenCV's own cv::resize where OpenCV is installed (Debian's libopencv-imgproc-dev):
//    nearest exact, bilinear within 1 LSB (OpenCV uses 11-bit fixed-point weights),
//    bicubic within 2, area (2x downscale) within 1;
//  - exact samples for crop/flip/rotate, and the identities rotate^4 = flip^2 = id.
// Destinations are poisoned and their padding checked (guard bytes).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cuframe/kernels/detail/geometry_math.hpp"
#include "cuframe/kernels/geometry.hpp"
#include "cpu_simd_testing.hpp"  // white box: every SIMD target
#include "geometry_testing.hpp"
#include "support/gpu.hpp"
#include "support/helpers.hpp"

#ifdef CUFRAME_TEST_OPENCV
#include <opencv2/imgproc.hpp>
#endif

namespace cuframe {
namespace {

using kernels::ResizeFilter;
using test::expect_guards_intact;
using test::poisoned;

FrameBatch random_batch(PixelFormat f, int w, int h, int frames, uint32_t seed) {
  FrameBatch b(make_layout(f, w, h, f == PixelFormat::P016 ? 10 : 8), frames, MemoryKind::Host);
  std::mt19937 rng(seed);
  auto* d = reinterpret_cast<uint8_t*>(b.data());
  if (f == PixelFormat::RGBPF32) {
    for (size_t i = 0; i + 4 <= b.bytes(); i += 4) {
      const float v = static_cast<float>(rng() % 10000) / 9999.0f;
      std::memcpy(d + i, &v, 4);
    }
  } else {
    for (size_t i = 0; i < b.bytes(); ++i) d[i] = static_cast<uint8_t>(rng());
  }
  b.resize(frames);
  for (int i = 0; i < frames; ++i) b.info(i).index = i;
  return b;
}

// ---- independent reference (double) --------------------------------------------------

double at(const FrameBatch& b, int f, int p, int x, int y, int c, int ch, int pw, int ph, int bytes) {
  x = std::clamp(x, 0, pw - 1);
  y = std::clamp(y, 0, ph - 1);
  const auto* row = reinterpret_cast<const uint8_t*>(b.plane(f, p)) + y * b.layout().planes[p].pitch;
  if (bytes == 1) return row[x * ch + c];
  if (bytes == 2) {
    uint16_t v;
    std::memcpy(&v, row + 2 * (x * ch + c), 2);
    return v;
  }
  float v;
  std::memcpy(&v, row + 4 * (x * ch + c), 4);
  return v;
}

double cubic(double x) {
  const double a = -0.75;
  x = std::fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

double ref_resize(const FrameBatch& s, int f, int p, int ch, int sw, int sh, int dw, int dh, int bytes, ResizeFilter m,
                  int x, int y, int c) {
  const double sx = static_cast<double>(sw) / dw, sy = static_cast<double>(sh) / dh;
  auto px = [&](int i, int j) { return at(s, f, p, i, j, c, ch, sw, sh, bytes); };
  switch (m) {
    case ResizeFilter::Nearest: return px(static_cast<int>(std::floor(x * sx)), static_cast<int>(std::floor(y * sy)));
    case ResizeFilter::Bilinear: {
      const double fx = (x + 0.5) * sx - 0.5, fy = (y + 0.5) * sy - 0.5;
      const int x0 = static_cast<int>(std::floor(fx)), y0 = static_cast<int>(std::floor(fy));
      const double wx = fx - x0, wy = fy - y0;
      return (1 - wy) * ((1 - wx) * px(x0, y0) + wx * px(x0 + 1, y0)) + wy * ((1 - wx) * px(x0, y0 + 1) + wx * px(x0 + 1, y0 + 1));
    }
    case ResizeFilter::Bicubic: {
      const double fx = (x + 0.5) * sx - 0.5, fy = (y + 0.5) * sy - 0.5;
      const int x0 = static_cast<int>(std::floor(fx)), y0 = static_cast<int>(std::floor(fy));
      double acc = 0;
      for (int j = -1; j <= 2; ++j)
        for (int i = -1; i <= 2; ++i) acc += cubic(fx - x0 - i) * cubic(fy - y0 - j) * px(x0 + i, y0 + j);
      return acc;
    }
    case ResizeFilter::Area: {
      const double x0 = x * sx, x1 = (x + 1) * sx, y0 = y * sy, y1 = (y + 1) * sy;
      double acc = 0, area = 0;
      for (int j = static_cast<int>(std::floor(y0)); j < y1; ++j)
        for (int i = static_cast<int>(std::floor(x0)); i < x1; ++i) {
          const double w = (std::min<double>(x1, i + 1) - std::max<double>(x0, i)) * (std::min<double>(y1, j + 1) - std::max<double>(y0, j));
          if (w > 0) { acc += w * px(i, j); area += w; }
        }
      return acc / area;
    }
  }
  return 0;
}

struct PlaneInfo {
  int channels, bytes;
  bool half;
};
PlaneInfo plane_info(PixelFormat f, int p) {
  switch (f) {
    case PixelFormat::NV12: return p == 0 ? PlaneInfo{1, 1, false} : PlaneInfo{2, 1, true};
    case PixelFormat::P016: return p == 0 ? PlaneInfo{1, 2, false} : PlaneInfo{2, 2, true};
    case PixelFormat::RGB24: return {3, 1, false};
    case PixelFormat::RGBA: return {4, 1, false};
    case PixelFormat::RGBPF32: return {1, 4, false};
    default: return {1, 1, false};
  }
}

struct ResizeCase {
  PixelFormat format;
  int sw, sh, dw, dh;
  ResizeFilter interp;
};

class ResizeVsReference : public testing::TestWithParam<ResizeCase> {};

std::string resize_case_name(const testing::TestParamInfo<ResizeCase>& info) {
  static const char* const names[] = {"nearest", "bilinear", "bicubic", "area"};
  const ResizeCase& c = info.param;
  return std::string(to_string(c.format)) + "_" + std::to_string(c.sw) + "x" + std::to_string(c.sh) + "_to_" +
         std::to_string(c.dw) + "x" + std::to_string(c.dh) + "_" + names[static_cast<int>(c.interp)];
}

TEST_P(ResizeVsReference, WithinOneLsb) {
  const ResizeCase rc = GetParam();
  const FrameBatch src = random_batch(rc.format, rc.sw, rc.sh, 2, 77);
  FrameBatch dst = poisoned(kernels::resized_layout(src.layout(), rc.dw, rc.dh), 3);
  kernels::resize(src, dst, rc.interp);
  expect_guards_intact(dst);
  ASSERT_EQ(dst.size(), 2);
  EXPECT_EQ(dst.info(1).index, 1);
  double worst = 0;
  for (int f = 0; f < 2; ++f)
    for (int p = 0; p < src.layout().plane_count; ++p) {
      const PlaneInfo pi = plane_info(rc.format, p);
      const int sw = pi.half ? (rc.sw + 1) / 2 : rc.sw, sh = pi.half ? (rc.sh + 1) / 2 : rc.sh;
      const int dw = pi.half ? (rc.dw + 1) / 2 : rc.dw, dh = pi.half ? (rc.dh + 1) / 2 : rc.dh;
      for (int y = 0; y < dh; ++y)
        for (int x = 0; x < dw; ++x)
          for (int c = 0; c < pi.channels; ++c) {
            double e = ref_resize(src, f, p, pi.channels, sw, sh, dw, dh, pi.bytes, rc.interp, x, y, c);
            if (pi.bytes == 1) e = std::clamp(e, 0.0, 255.0);
            if (pi.bytes == 2) e = std::clamp(e, 0.0, 65535.0);
            worst = std::max(worst, std::fabs(at(dst, f, p, x, y, c, pi.channels, dw, dh, pi.bytes) - e));
          }
    }
  const double tol = plane_info(rc.format, 0).bytes == 4 ? 1e-4 : 1.0;
  EXPECT_LE(worst, tol) << "worst difference from the reference";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ResizeVsReference,
    testing::Values(ResizeCase{PixelFormat::RGB24, 37, 23, 80, 45, ResizeFilter::Bilinear},
                    ResizeCase{PixelFormat::RGB24, 64, 48, 21, 17, ResizeFilter::Bilinear},
                    ResizeCase{PixelFormat::NV12, 33, 19, 64, 36, ResizeFilter::Bilinear},
                    ResizeCase{PixelFormat::P016, 33, 19, 20, 12, ResizeFilter::Bilinear},
                    ResizeCase{PixelFormat::RGBA, 40, 30, 13, 9, ResizeFilter::Nearest},
                    ResizeCase{PixelFormat::NV12, 40, 30, 101, 77, ResizeFilter::Nearest},
                    ResizeCase{PixelFormat::Gray8, 37, 23, 70, 50, ResizeFilter::Bicubic},
                    ResizeCase{PixelFormat::RGB24, 50, 40, 23, 17, ResizeFilter::Bicubic},
                    ResizeCase{PixelFormat::Gray8, 64, 48, 32, 24, ResizeFilter::Area},
                    ResizeCase{PixelFormat::RGB24, 61, 47, 20, 15, ResizeFilter::Area},
                    ResizeCase{PixelFormat::RGBPF32, 37, 23, 19, 29, ResizeFilter::Bilinear}),
    resize_case_name);

#ifdef CUFRAME_TEST_OPENCV
TEST(ResizeVsOpenCV, SameAsCvResize) {
  struct C {
    ResizeFilter ours;
    int cv;
    double tol;
    int dw, dh;
  };
  for (const C c : {C{ResizeFilter::Nearest, cv::INTER_NEAREST, 0, 77, 51}, C{ResizeFilter::Bilinear, cv::INTER_LINEAR, 1, 77, 51},
                    C{ResizeFilter::Bilinear, cv::INTER_LINEAR, 1, 25, 19}, C{ResizeFilter::Bicubic, cv::INTER_CUBIC, 2, 77, 51},
                    C{ResizeFilter::Area, cv::INTER_AREA, 1, 32, 24}}) {
    const FrameBatch src = random_batch(PixelFormat::RGB24, 64, 48, 1, 5);
    FrameBatch dst = poisoned(kernels::resized_layout(src.layout(), c.dw, c.dh), 1);
    kernels::resize(src, dst, c.ours);
    const cv::Mat in(48, 64, CV_8UC3, const_cast<std::byte*>(src.plane(0, 0)), src.layout().planes[0].pitch);
    cv::Mat out;
    cv::resize(in, out, cv::Size(c.dw, c.dh), 0, 0, c.cv);
    double worst = 0;
    for (int y = 0; y < c.dh; ++y)
      for (int x = 0; x < 3 * c.dw; ++x)
        worst = std::max(worst, std::fabs(double(reinterpret_cast<const uint8_t*>(dst.plane(0, 0))[y * dst.layout().planes[0].pitch + x]) -
                                          out.at<uint8_t>(y, x)));
    EXPECT_LE(worst, c.tol) << "interpolation " << c.cv << " to " << c.dw << "x" << c.dh;
  }
}
#endif

bool same_pixels(const FrameBatch& a, const FrameBatch& b) {
  if (a.layout() != b.layout() || a.size() != b.size()) return false;
  for (int i = 0; i < a.size(); ++i)
    if (test::frame_hash(a, i) != test::frame_hash(b, i)) return false;
  return true;
}

// The per-sample math for one output sample, as the GPU kernel evaluates it.
template <typename T>
float shared_resize_sample(ResizeFilter interp, const kernels::detail::PlaneIn& in, const kernels::detail::PlaneOutG& out,
                           int z, int x, int y, int ch, int channels) {
  using kernels::detail::resize_sample;
  namespace d = kernels::detail;
  switch (interp) {
    case ResizeFilter::Area: return resize_sample<T, ResizeFilter::Area>(in, out, z, x, y, ch, channels);
    case ResizeFilter::Bicubic: return resize_sample<T, ResizeFilter::Bicubic>(in, out, z, x, y, ch, channels);
    case ResizeFilter::Nearest: return resize_sample<T, ResizeFilter::Nearest>(in, out, z, x, y, ch, channels);
    default: return resize_sample<T, ResizeFilter::Bilinear>(in, out, z, x, y, ch, channels);
  }
}

// Notes [CPU nearest rows], [CPU bilinear rows], [CPU bicubic rows] and [CPU area rows]
// (kernels/src/geometry.cpp): the CPU executor's row loops give exactly the shared
// per-sample math the GPU kernel evaluates (resize_sample), on every plane kind: 1, 2
// (NV12 chroma), 3 and 4 channels, 8 and 16 bits and float, up and down, and batches of
// several frames (whose source rows the row loop must never mix up).
TEST(ResizeCpuRows, EqualsTheSharedPerSampleMathExactly) {
  struct Case {
    PixelFormat f;
    int w, h, dw, dh;
  };
  kernels::detail::for_each_simd_target([&](const std::string& target) {
  SCOPED_TRACE("SIMD target " + target);
  for (const ResizeFilter interp : {ResizeFilter::Nearest, ResizeFilter::Bilinear, ResizeFilter::Bicubic, ResizeFilter::Area})
  for (const Case& c : {Case{PixelFormat::NV12, 97, 61, 40, 22}, Case{PixelFormat::NV12, 33, 20, 70, 41},
                        Case{PixelFormat::NV12, 120, 68, 80, 46}, Case{PixelFormat::P016, 64, 36, 29, 17},
                        Case{PixelFormat::RGB24, 50, 30, 123, 7}, Case{PixelFormat::RGB24, 301, 97, 37, 13},
                        Case{PixelFormat::RGBA, 31, 29, 16, 16}, Case{PixelFormat::RGBPF32, 20, 12, 9, 25},
                        // one source row: every output row of every frame reads row 0, so
                        // a row kept from the frame before would give that frame's pixels
                        Case{PixelFormat::RGB24, 9, 1, 13, 40}, Case{PixelFormat::NV12, 10, 2, 6, 80}}) {
    const FrameBatch src = random_batch(c.f, c.w, c.h, 3, 7u + static_cast<uint32_t>(c.w));
    FrameBatch dst = poisoned(kernels::resized_layout(src.layout(), c.dw, c.dh), 3);
    kernels::resize(src, dst, interp);
    expect_guards_intact(dst);
    const FrameLayout& sl = src.layout();
    const FrameLayout& dl = dst.layout();
    size_t wrong = 0;
    for (int p = 0; p < sl.plane_count; ++p) {
      const bool half = (c.f == PixelFormat::NV12 || c.f == PixelFormat::P016) && p == 1;
      const int channels = half ? 2 : c.f == PixelFormat::RGB24 ? 3 : c.f == PixelFormat::RGBA ? 4 : 1;
      const int bytes = c.f == PixelFormat::P016 ? 2 : c.f == PixelFormat::RGBPF32 ? 4 : 1;
      const kernels::detail::PlaneIn in{reinterpret_cast<const uint8_t*>(src.plane(0, p)), sl.frame_stride,
                                        sl.planes[p].pitch, half ? (c.w + 1) / 2 : c.w, half ? (c.h + 1) / 2 : c.h};
      const kernels::detail::PlaneOutG out{reinterpret_cast<uint8_t*>(dst.plane(0, p)), dl.frame_stride,
                                           dl.planes[p].pitch, half ? (c.dw + 1) / 2 : c.dw, half ? (c.dh + 1) / 2 : c.dh};
      for (int z = 0; z < 3; ++z)
        for (int y = 0; y < out.height; ++y)
          for (int x = 0; x < out.width; ++x)
            for (int ch = 0; ch < channels; ++ch) {
              const uint8_t* row = out.base + z * out.frame_stride + y * out.pitch;
              if (bytes == 1) {
                const float v = shared_resize_sample<uint8_t>(interp, in, out, z, x, y, ch, channels);
                wrong += row[x * channels + ch] != kernels::detail::to_sample<uint8_t>(v);
              } else if (bytes == 2) {
                const float v = shared_resize_sample<uint16_t>(interp, in, out, z, x, y, ch, channels);
                uint16_t got;
                std::memcpy(&got, row + 2 * (x * channels + ch), 2);
                wrong += got != kernels::detail::to_sample<uint16_t>(v);
              } else {
                const float v = shared_resize_sample<float>(interp, in, out, z, x, y, ch, channels);
                float got;
                std::memcpy(&got, row + 4 * (x * channels + ch), 4);
                wrong += std::memcmp(&got, &v, 4) != 0;
              }
            }
    }
    EXPECT_EQ(wrong, 0u) << static_cast<int>(interp) << " (interp) " << to_string(c.f) << " " << c.w << "x"
                         << c.h << " -> " << c.dw << "x" << c.dh;
  }
  });
}

// The 8-bit vertical step of Note [CPU bilinear rows] (on every SIMD target the CPU has) on 2^20
// random values per weight: a change in the order of its float operations moves some
// results by an ulp, and some of those cross a rounding boundary.
TEST(ResizeCpuRows, VerticalMixEqualsTheSharedMathOnRandomValues) {
  constexpr int kN = 1 << 20;
  std::vector<float> top(kN), bot(kN);
  std::vector<uint8_t> got(kN);
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> sample(-4.0f, 259.0f);  // a little past both ends: the clamps
  for (int i = 0; i < kN; ++i) top[i] = sample(rng), bot[i] = sample(rng);
  kernels::detail::for_each_simd_target([&](const std::string& target) {
  for (const float wy : {0.0f, 0.1f, 0.25f, 0.3333333f, 0.5f, 0.7f, 0.99f}) {
    kernels::detail::bilinear_rows_u8_for_testing(top.data(), bot.data(), wy, kN, got.data());
    size_t wrong = 0;
    for (int i = 0; i < kN; ++i)
      wrong += got[i] != kernels::detail::to_u8(kernels::detail::bilinear_mix(top[i], top[i], bot[i], bot[i], 0.0f, wy));
    EXPECT_EQ(wrong, 0u) << "weight " << wy << ", SIMD target " << target;
  }
  });
}

// The same for the bicubic vertical step (Note [CPU bicubic rows]), with the weights of
// several fractional positions (they sum to 1, two of them negative).
TEST(ResizeCpuRows, BicubicVerticalSumEqualsTheSharedMathOnRandomValues) {
  constexpr int kN = 1 << 20;
  std::vector<float> rows(4 * static_cast<size_t>(kN));
  std::vector<uint8_t> got(kN);
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> sample(-20.0f, 275.0f);
  for (float& v : rows) v = sample(rng);
  const float* r[4] = {rows.data(), rows.data() + kN, rows.data() + 2 * kN, rows.data() + 3 * kN};
  kernels::detail::for_each_simd_target([&](const std::string& target) {
  for (const int y : {0, 1, 2, 5}) {
    const kernels::detail::CubicTaps t = kernels::detail::cubic_taps(y, 0.7f);
    kernels::detail::bicubic_rows_u8_for_testing(r, t.w, kN, got.data());
    size_t wrong = 0;
    for (int i = 0; i < kN; ++i) {
      float acc = 0.0f;
      for (int k = 0; k < 4; ++k) acc = kernels::detail::fadd(acc, kernels::detail::fmul(t.w[k], r[k][i]));
      wrong += got[i] != kernels::detail::to_u8(acc);
    }
    EXPECT_EQ(wrong, 0u) << "position " << y << ", SIMD target " << target;
  }
  });
}

TEST(Remap, CropCopiesTheWindowExactly) {
  for (PixelFormat f : {PixelFormat::NV12, PixelFormat::RGB24, PixelFormat::P016}) {
    const FrameBatch src = random_batch(f, 41, 29, 2, 9);
    FrameBatch dst = poisoned(kernels::cropped_layout(src.layout(), 6, 4, 17, 11), 3);
    kernels::crop(src, dst, 6, 4);
    expect_guards_intact(dst);
    for (int p = 0; p < src.layout().plane_count; ++p) {
      const PlaneInfo pi = plane_info(f, p);
      const int div = pi.half ? 2 : 1, bpp = pi.channels * pi.bytes;
      for (int fr = 0; fr < 2; ++fr)
        for (int y = 0; y < dst.layout().planes[p].rows; ++y)
          EXPECT_EQ(std::memcmp(dst.plane(fr, p) + y * dst.layout().planes[p].pitch,
                                src.plane(fr, p) + (y + 4 / div) * src.layout().planes[p].pitch + (6 / div) * bpp,
                                dst.layout().planes[p].row_bytes),
                    0)
              << to_string(f) << " plane " << p << " row " << y;
    }
  }
  const FrameBatch nv = random_batch(PixelFormat::NV12, 40, 30, 1, 1);
  EXPECT_THROW(kernels::cropped_layout(nv.layout(), 3, 2, 10, 10), Error);
  EXPECT_THROW(kernels::cropped_layout(nv.layout(), 0, 0, 41, 10), Error);
}

TEST(Remap, FlipAndRotateIdentities) {
  for (PixelFormat f : {PixelFormat::NV12, PixelFormat::RGB24, PixelFormat::RGBP, PixelFormat::P016}) {
    const FrameBatch src = random_batch(f, 37, 22, 2, 3);
    FrameBatch a = poisoned(kernels::rotated_layout(src.layout(), 90), 2);
    kernels::rotate(src, a, 90);
    expect_guards_intact(a);
    EXPECT_EQ(a.layout().width, 22);
    EXPECT_EQ(a.layout().height, 37);
    FrameBatch b = poisoned(kernels::rotated_layout(a.layout(), 270), 2);
    kernels::rotate(a, b, 270);
    EXPECT_TRUE(same_pixels(b, src)) << to_string(f) << ": 90 then 270 is not the identity";
    FrameBatch c = poisoned(src.layout(), 2), d = poisoned(src.layout(), 2);
    kernels::rotate(src, c, 180);
    kernels::rotate(c, d, 180);
    EXPECT_TRUE(same_pixels(d, src)) << to_string(f);
    FrameBatch h = poisoned(src.layout(), 2), v = poisoned(src.layout(), 2), hv = poisoned(src.layout(), 2);
    kernels::flip(src, h, kernels::FlipAxis::Horizontal);
    kernels::flip(h, v, kernels::FlipAxis::Horizontal);
    EXPECT_TRUE(same_pixels(v, src)) << to_string(f);
    kernels::flip(h, hv, kernels::FlipAxis::Vertical);
    EXPECT_TRUE(same_pixels(hv, c)) << to_string(f) << ": flip h+v differs from rotate 180";
  }
}

TEST(Remap, Rotate90IsClockwise) {
  // A 2x1 gray image [A B] turned 90 degrees clockwise is the column [A; B].
  FrameBatch src(make_layout(PixelFormat::Gray8, 2, 1), 1, MemoryKind::Host);
  src.resize(1);
  reinterpret_cast<uint8_t*>(src.plane(0, 0))[0] = 10;
  reinterpret_cast<uint8_t*>(src.plane(0, 0))[1] = 20;
  FrameBatch dst = poisoned(kernels::rotated_layout(src.layout(), 90), 1);
  kernels::rotate(src, dst, 90);
  EXPECT_EQ(reinterpret_cast<const uint8_t*>(dst.plane(0, 0))[0], 10);
  EXPECT_EQ(reinterpret_cast<const uint8_t*>(dst.plane(0, 0))[dst.layout().planes[0].pitch], 20);
  EXPECT_THROW(kernels::rotated_layout(src.layout(), 45), Error);
}

TEST(GeometryGpu, EqualsTheCpuExecutor) {
  CUFRAME_GPU_TEST();
  CudaStream stream;
  for (PixelFormat f : {PixelFormat::NV12, PixelFormat::RGB24, PixelFormat::P016, PixelFormat::RGBPF32}) {
    const FrameBatch src = random_batch(f, 333, 37, 3, 21);
    FrameBatch dsrc(src.layout(), 3, MemoryKind::Device);
    stream.copy_async(dsrc.data(), src.data(), src.bytes());
    dsrc.resize(3);
    for (ResizeFilter m : {ResizeFilter::Nearest, ResizeFilter::Bilinear, ResizeFilter::Bicubic, ResizeFilter::Area}) {
      const FrameLayout ol = kernels::resized_layout(src.layout(), 128, 72);
      FrameBatch cpu = poisoned(ol, 3), dev(ol, 3, MemoryKind::Device);
      kernels::resize(src, cpu, m);
      stream.fill_async(dev.data(), test::kPoison, dev.bytes());
      kernels::resize(dsrc, dev, m, &stream);
      std::vector<uint8_t> back(dev.bytes());
      stream.copy_async(back.data(), dev.data(), dev.bytes());
      stream.synchronize();
      EXPECT_EQ(std::memcmp(back.data(), cpu.data(), dev.bytes()), 0) << to_string(f) << " interp " << static_cast<int>(m);
    }
    const FrameLayout rl = kernels::rotated_layout(src.layout(), 90);
    FrameBatch cpu = poisoned(rl, 3), dev(rl, 3, MemoryKind::Device);
    kernels::rotate(src, cpu, 90);
    stream.fill_async(dev.data(), test::kPoison, dev.bytes());
    kernels::rotate(dsrc, dev, 90, &stream);
    std::vector<uint8_t> back(dev.bytes());
    stream.copy_async(back.data(), dev.data(), dev.bytes());
    stream.synchronize();
    EXPECT_EQ(std::memcmp(back.data(), cpu.data(), dev.bytes()), 0) << to_string(f) << " rotate";
  }
}

}  // namespace
}  // namespace cuframe
