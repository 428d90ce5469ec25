// Colour conversion against a float64 reference written independently of the shared math:
// the reference inverts the H.273 forward equations (RGB -> Y'CbCr) numerically and does
// its own chroma interpolation. Tolerances (DESIGN.md / the Kernels issue):
//   4:4:4 sources, 8-bit outputs: within 1 LSB      4:2:0 sources: within 2 LSB
//   float32 outputs: within 1e-5                    float16: our float32 correctly rounded
// Every run poisons the destination and checks the pitch padding and unused frames
// stay poisoned (guard bytes). GPU and CPU executors must give identical bytes.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <random>
#include <vector>
#include <tuple>

#include "cuframe/decoder.hpp"
#include "cuframe/error.hpp"
#include "color_testing.hpp"
#include "cpu_simd_testing.hpp"  // white box: every SIMD target
#include "cuframe/kernels/color.hpp"
#include "cuframe/kernels/cpu.hpp"
#include "support/gpu.hpp"
#include "support/helpers.hpp"
#include "support/test_env.hpp"

namespace cuframe {
namespace {

using kernels::convert_color;
using kernels::converted_layout;

using test::expect_guards_intact;
using test::kPoison;
using test::poisoned;

// ---- the independent reference -------------------------------------------------------

struct Ref {
  std::array<double, 9> inv;  // (Y', Pb, Pr) -> (R, G, B)
  double y_off, y_range, c_off, c_range;
};

Ref reference(ColorMatrix m, ColorRange range, int depth) {
  double kr = 0, kb = 0;
  if (m == ColorMatrix::BT601) { kr = 0.299; kb = 0.114; }
  if (m == ColorMatrix::BT709) { kr = 0.2126; kb = 0.0722; }
  if (m == ColorMatrix::BT2020) { kr = 0.2627; kb = 0.0593; }
  const double kg = 1 - kr - kb;
  // Forward: Y' = kr R + kg G + kb B; Pb = (B - Y') / (2 (1 - kb)); Pr = (R - Y') / (2 (1 - kr)).
  const double f[9] = {kr, kg, kb,
                       -kr / (2 * (1 - kb)), -kg / (2 * (1 - kb)), (1 - kb) / (2 * (1 - kb)),
                       (1 - kr) / (2 * (1 - kr)), -kg / (2 * (1 - kr)), -kb / (2 * (1 - kr))};
  // 3x3 inverse by cofactors.
  const double det = f[0] * (f[4] * f[8] - f[5] * f[7]) - f[1] * (f[3] * f[8] - f[5] * f[6]) + f[2] * (f[3] * f[7] - f[4] * f[6]);
  Ref r;
  r.inv = {(f[4] * f[8] - f[5] * f[7]) / det, (f[2] * f[7] - f[1] * f[8]) / det, (f[1] * f[5] - f[2] * f[4]) / det,
           (f[5] * f[6] - f[3] * f[8]) / det, (f[0] * f[8] - f[2] * f[6]) / det, (f[2] * f[3] - f[0] * f[5]) / det,
           (f[3] * f[7] - f[4] * f[6]) / det, (f[1] * f[6] - f[0] * f[7]) / det, (f[0] * f[4] - f[1] * f[3]) / det};
  const double s = std::ldexp(1.0, depth - 8);
  if (range == ColorRange::Limited) {
    r.y_off = 16 * s; r.y_range = 219 * s; r.c_range = 224 * s;
  } else {
    r.y_off = 0; r.y_range = std::ldexp(1.0, depth) - 1; r.c_range = r.y_range;
  }
  r.c_off = 128 * s;
  return r;
}

// Code values (d-bit integers, chroma possibly interpolated) -> normalised R, G, B.
std::array<double, 3> ref_rgb(const Ref& r, double y, double cb, double cr) {
  const double Y = (y - r.y_off) / r.y_range, Pb = (cb - r.c_off) / r.c_range, Pr = (cr - r.c_off) / r.c_range;
  return {r.inv[0] * Y + r.inv[1] * Pb + r.inv[2] * Pr, r.inv[3] * Y + r.inv[4] * Pb + r.inv[5] * Pr,
          r.inv[6] * Y + r.inv[7] * Pb + r.inv[8] * Pr};
}

double clamp01(double v) { return v < 0 ? 0 : (v > 1 ? 1 : v); }

// Reference chroma upsampling: chroma sample (i, j) sits at luma position
// (2i + sx, 2j + sy); bilinear between the nearest samples, edges replicated.
double ref_chroma(const std::vector<double>& c, int cw, int ch, double sx, double sy, int x, int y) {
  const double px = (x - sx) / 2.0, py = (y - sy) / 2.0;
  const int i0 = static_cast<int>(std::floor(px)), j0 = static_cast<int>(std::floor(py));
  const double fx = px - i0, fy = py - j0;
  auto at = [&](int i, int j) {
    i = std::clamp(i, 0, cw - 1);
    j = std::clamp(j, 0, ch - 1);
    return c[static_cast<size_t>(j) * cw + i];
  };
  return (1 - fy) * ((1 - fx) * at(i0, j0) + fx * at(i0 + 1, j0)) + fy * ((1 - fx) * at(i0, j0 + 1) + fx * at(i0 + 1, j0 + 1));
}

// Sample positions of chroma relative to luma (in luma pixels) per ChromaLocation.
std::pair<double, double> siting(ChromaLocation l) {
  switch (l) {
    case ChromaLocation::Left: return {0, 0.5};
    case ChromaLocation::Center: return {0.5, 0.5};
    case ChromaLocation::TopLeft: return {0, 0};
    case ChromaLocation::Top: return {0.5, 0};
    case ChromaLocation::BottomLeft: return {0, 1};
    case ChromaLocation::Bottom: return {0.5, 1};
  }
  return {0, 0.5};
}

float half_to_float(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  const double v = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
  return static_cast<float>((h & 0x8000) ? -v : v);
}

// Correct rounding of a float to binary16 (nearest, ties to even), for values in [0, 1].
uint16_t ref_half(float f) {
  uint16_t best = 0;
  double best_err = 1e9;
  // Candidates around f: search the two neighbours of the truncated value.
  for (uint16_t h = 0; h <= 0x3C00; ++h) {
    const double err = std::fabs(static_cast<double>(half_to_float(h)) - f);
    if (err < best_err || (err == best_err && (h & 1) == 0)) {
      best_err = err;
      best = h;
    }
  }
  return best;
}

// ---- random source batches -------------------------------------------------------

struct Source {
  FrameBatch batch;
  // d-bit code values per frame: y[w*h], u/v[cw*ch] (4:2:0) or [w*h] (4:4:4)
  std::vector<std::vector<double>> y, u, v;
};

Source random_source(PixelFormat fmt, int w, int h, int depth, int frames, ColorMatrix m, ColorRange r,
                     ChromaLocation loc, uint32_t seed) {
  Source s{FrameBatch(make_layout(fmt, w, h, depth), frames + 1, MemoryKind::Host), {}, {}, {}};
  s.batch.resize(frames);
  s.batch.color.matrix = m;
  s.batch.color.range = r;
  s.batch.color.chroma_location = loc;
  std::mt19937 rng(seed);
  const bool wide = fmt == PixelFormat::P016 || fmt == PixelFormat::YUV444P16;
  const bool is420 = fmt == PixelFormat::NV12 || fmt == PixelFormat::P016;
  const int maxv = (1 << depth) - 1;
  const int cw = is420 ? (w + 1) / 2 : w, ch = is420 ? (h + 1) / 2 : h;
  const FrameLayout& l = s.batch.layout();
  std::memset(s.batch.data(), 0x77, s.batch.bytes());
  auto store = [&](std::byte* row, int idx, int val) {
    if (wide) {
      const uint16_t v16 = static_cast<uint16_t>(val << (16 - depth));
      std::memcpy(row + 2 * idx, &v16, 2);
    } else {
      row[idx] = static_cast<std::byte>(val);
    }
  };
  for (int f = 0; f < frames; ++f) {
    std::vector<double> Y(static_cast<size_t>(w) * h), U(static_cast<size_t>(cw) * ch), V(U.size());
    for (int yy = 0; yy < h; ++yy)
      for (int x = 0; x < w; ++x) {
        const int val = static_cast<int>(rng() % (maxv + 1));
        Y[static_cast<size_t>(yy) * w + x] = val;
        store(s.batch.plane(f, 0) + yy * l.planes[0].pitch, x, val);
      }
    for (int yy = 0; yy < ch; ++yy)
      for (int x = 0; x < cw; ++x) {
        const int a = static_cast<int>(rng() % (maxv + 1)), b = static_cast<int>(rng() % (maxv + 1));
        U[static_cast<size_t>(yy) * cw + x] = a;
        V[static_cast<size_t>(yy) * cw + x] = b;
        if (is420) {
          store(s.batch.plane(f, 1) + yy * l.planes[1].pitch, 2 * x, a);
          store(s.batch.plane(f, 1) + yy * l.planes[1].pitch, 2 * x + 1, b);
        } else {
          store(s.batch.plane(f, 1) + yy * l.planes[1].pitch, x, a);
          store(s.batch.plane(f, 2) + yy * l.planes[2].pitch, x, b);
        }
      }
    s.y.push_back(std::move(Y));
    s.u.push_back(std::move(U));
    s.v.push_back(std::move(V));
  }
  return s;
}

struct Case {
  PixelFormat src;
  int depth;
};

class ColorVsReference : public testing::TestWithParam<std::tuple<Case, ColorMatrix, ColorRange>> {};

TEST_P(ColorVsReference, EightBitAndFloatOutputs) {
  const auto [c, matrix, range] = GetParam();
  const bool is420 = c.src == PixelFormat::NV12 || c.src == PixelFormat::P016;
  const int w = 37, h = 23, frames = 3;
  const ChromaLocation loc = ChromaLocation::Left;
  Source s = random_source(c.src, w, h, c.depth, frames, matrix, range, loc, 7u + static_cast<uint32_t>(c.depth));
  const Ref ref = reference(matrix, range, c.depth);
  const auto [sx, sy] = siting(loc);
  const double tol8 = is420 ? 2.0 : 1.0;

  FrameBatch rgb = poisoned(converted_layout(s.batch.layout(), PixelFormat::RGB24), frames + 1);
  FrameBatch f32 = poisoned(converted_layout(s.batch.layout(), PixelFormat::RGBPF32), frames + 1);
  FrameBatch f16 = poisoned(converted_layout(s.batch.layout(), PixelFormat::RGBPF16), frames + 1);
  FrameBatch gray = poisoned(converted_layout(s.batch.layout(), PixelFormat::Gray8), frames + 1);
  convert_color(s.batch, rgb);
  convert_color(s.batch, f32);
  convert_color(s.batch, f16);
  convert_color(s.batch, gray);
  ASSERT_EQ(rgb.size(), frames);
  expect_guards_intact(rgb);
  expect_guards_intact(f32);
  expect_guards_intact(f16);
  expect_guards_intact(gray);

  double worst8 = 0, worst32 = 0, worst_gray = 0;
  size_t bad_half = 0;
  const int cw = is420 ? (w + 1) / 2 : w, ch = is420 ? (h + 1) / 2 : h;
  for (int f = 0; f < frames; ++f)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const double Y = s.y[f][static_cast<size_t>(y) * w + x];
        const double U = is420 ? ref_chroma(s.u[f], cw, ch, sx, sy, x, y) : s.u[f][static_cast<size_t>(y) * w + x];
        const double V = is420 ? ref_chroma(s.v[f], cw, ch, sx, sy, x, y) : s.v[f][static_cast<size_t>(y) * w + x];
        const auto e = ref_rgb(ref, Y, U, V);
        const auto* px = reinterpret_cast<const uint8_t*>(rgb.plane(f, 0)) + y * rgb.layout().planes[0].pitch + 3 * x;
        for (int k = 0; k < 3; ++k) {
          worst8 = std::max(worst8, std::fabs(px[k] - clamp01(e[k]) * 255.0));
          const float got = reinterpret_cast<const float*>(f32.plane(f, k) + y * f32.layout().planes[k].pitch)[x];
          worst32 = std::max(worst32, std::fabs(got - clamp01(e[k])));
          const uint16_t h16 = reinterpret_cast<const uint16_t*>(f16.plane(f, k) + y * f16.layout().planes[k].pitch)[x];
          if ((x + y) % 7 == 0) bad_half += h16 != ref_half(got);  // the exhaustive search is slow: sample
        }
        const uint8_t g = reinterpret_cast<const uint8_t*>(gray.plane(f, 0))[y * gray.layout().planes[0].pitch + x];
        worst_gray = std::max(worst_gray, std::fabs(g - clamp01((Y - ref.y_off) / ref.y_range) * 255.0));
      }
  EXPECT_LE(worst8, tol8) << "8-bit RGB off by " << worst8 << " LSB";
  EXPECT_LE(worst32, 1e-5) << "float32 RGB off by " << worst32;
  EXPECT_EQ(bad_half, 0u) << "float16 not the correctly rounded float32 value";
  EXPECT_LE(worst_gray, 1.0) << "gray off by " << worst_gray;
  // Sanity: the tolerance is not vacuous — the output really varies.
  EXPECT_GT(worst8, 0.0);
}

INSTANTIATE_TEST_SUITE_P(
    AllCombinations, ColorVsReference,
    testing::Combine(testing::Values(Case{PixelFormat::NV12, 8}, Case{PixelFormat::P016, 10}, Case{PixelFormat::P016, 12},
                                     Case{PixelFormat::YUV444P, 8}, Case{PixelFormat::YUV444P16, 10},
                                     Case{PixelFormat::YUV444P16, 12}),
                     testing::Values(ColorMatrix::BT601, ColorMatrix::BT709, ColorMatrix::BT2020),
                     testing::Values(ColorRange::Limited, ColorRange::Full)),
    [](const auto& p) {
      const Case c = std::get<0>(p.param);
      return std::string(to_string(c.src)) + "_" + std::to_string(c.depth) + "bit_" +
             to_string(std::get<1>(p.param)) + "_" + to_string(std::get<2>(p.param));
    });

TEST(ColorSiting, EveryChromaLocationFollowsTheReference) {
  for (ChromaLocation loc : {ChromaLocation::Left, ChromaLocation::Center, ChromaLocation::TopLeft, ChromaLocation::Top,
                             ChromaLocation::BottomLeft, ChromaLocation::Bottom}) {
    const int w = 16, h = 9;
    Source s = random_source(PixelFormat::NV12, w, h, 8, 1, ColorMatrix::BT709, ColorRange::Full, loc, 99);
    FrameBatch out = poisoned(converted_layout(s.batch.layout(), PixelFormat::RGBPF32), 1);
    convert_color(s.batch, out);
    const Ref ref = reference(ColorMatrix::BT709, ColorRange::Full, 8);
    const auto [sx, sy] = siting(loc);
    double worst = 0;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const auto e = ref_rgb(ref, s.y[0][y * w + x], ref_chroma(s.u[0], 8, 5, sx, sy, x, y),
                               ref_chroma(s.v[0], 8, 5, sx, sy, x, y));
        for (int k = 0; k < 3; ++k)
          worst = std::max(worst, std::fabs(reinterpret_cast<const float*>(out.plane(0, k) + y * out.layout().planes[k].pitch)[x] -
                                            clamp01(e[k])));
      }
    EXPECT_LE(worst, 1e-5) << "siting " << to_string(loc);
  }
}

TEST(ColorPacked, ChannelOrderOfRgbBgrRgbaRgbp) {
  Source s = random_source(PixelFormat::YUV444P, 9, 4, 8, 2, ColorMatrix::BT601, ColorRange::Limited, ChromaLocation::Left, 5);
  auto conv = [&](PixelFormat f) {
    FrameBatch b = poisoned(converted_layout(s.batch.layout(), f), 2);
    convert_color(s.batch, b);
    return b;
  };
  const FrameBatch rgb = conv(PixelFormat::RGB24), bgr = conv(PixelFormat::BGR24), rgba = conv(PixelFormat::RGBA),
                   rgbp = conv(PixelFormat::RGBP);
  for (int f = 0; f < 2; ++f)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 9; ++x) {
        auto px = [&](const FrameBatch& b, int p, int off) {
          return reinterpret_cast<const uint8_t*>(b.plane(f, p))[y * b.layout().planes[p].pitch + off];
        };
        for (int k = 0; k < 3; ++k) {
          EXPECT_EQ(px(bgr, 0, 3 * x + 2 - k), px(rgb, 0, 3 * x + k));
          EXPECT_EQ(px(rgba, 0, 4 * x + k), px(rgb, 0, 3 * x + k));
          EXPECT_EQ(px(rgbp, k, x), px(rgb, 0, 3 * x + k));
        }
        EXPECT_EQ(px(rgba, 0, 4 * x + 3), 255);
      }
}

TEST(ColorErrors, RefusedClearly) {
  Source s = random_source(PixelFormat::NV12, 8, 8, 8, 1, ColorMatrix::Other, ColorRange::Limited, ChromaLocation::Left, 1);
  FrameBatch out = poisoned(converted_layout(s.batch.layout(), PixelFormat::RGB24), 1);
  EXPECT_THROW(convert_color(s.batch, out), Error);
  kernels::ColorSettings override_matrix;
  override_matrix.matrix = ColorMatrix::BT709;
  EXPECT_NO_THROW(convert_color(s.batch, out, override_matrix));
  FrameBatch small = poisoned(converted_layout(make_layout(PixelFormat::NV12, 4, 4), PixelFormat::RGB24), 1);
  EXPECT_THROW(convert_color(s.batch, small, override_matrix), Error);
  FrameBatch nv12_out = poisoned(make_layout(PixelFormat::NV12, 8, 8), 1);
  EXPECT_THROW(convert_color(s.batch, nv12_out, override_matrix), Error);
}

// Real video: the decoded bt601/bt709/bt2020 samples through the same reference.
TEST(ColorRealSamples, DecodedFramesMatchTheReference) {
  for (const char* name : {"bt601_limited_range.mp4", "bt601_full_range.mp4", "bt709_full_range.mp4", "bt2020_10bit.mp4"}) {
    ReaderOptions ro;
    ro.batch_frames = 4;
    ro.decode.backend = Backend::Cpu;  // the CPU executor against the reference
    VideoReader reader(InputSource::file(test::sample(name).string()), ro);
    FrameBatch src = reader.make_batch();
    ASSERT_TRUE(reader.read(src)) << name;
    const FrameLayout& l = src.layout();
    FrameBatch rgb = poisoned(converted_layout(l, PixelFormat::RGB24), 4);
    convert_color(src, rgb);
    expect_guards_intact(rgb);
    const bool wide = l.format == PixelFormat::P016;
    const int depth = wide ? l.bit_depth : 8;
    const Ref ref = reference(src.color.matrix, src.color.range, depth);
    const auto [sx, sy] = siting(src.color.chroma_location);
    const int cw = (l.width + 1) / 2, ch = (l.height + 1) / 2;
    double worst = 0;
    for (int f = 0; f < src.size(); ++f) {
      auto sample = [&](int p, int y, int idx) -> double {
        const std::byte* row = src.plane(f, p) + y * l.planes[p].pitch;
        if (!wide) return static_cast<double>(static_cast<uint8_t>(row[idx]));
        uint16_t v;
        std::memcpy(&v, row + 2 * idx, 2);
        return v >> (16 - depth);
      };
      std::vector<double> U(static_cast<size_t>(cw) * ch), V(U.size());
      for (int y = 0; y < ch; ++y)
        for (int x = 0; x < cw; ++x) {
          U[y * cw + x] = sample(1, y, 2 * x);
          V[y * cw + x] = sample(1, y, 2 * x + 1);
        }
      for (int y = 0; y < l.height; ++y)
        for (int x = 0; x < l.width; ++x) {
          const auto e = ref_rgb(ref, sample(0, y, x), ref_chroma(U, cw, ch, sx, sy, x, y), ref_chroma(V, cw, ch, sx, sy, x, y));
          const auto* px = reinterpret_cast<const uint8_t*>(rgb.plane(f, 0)) + y * rgb.layout().planes[0].pitch + 3 * x;
          for (int k = 0; k < 3; ++k) worst = std::max(worst, std::fabs(px[k] - clamp01(e[k]) * 255.0));
        }
    }
    EXPECT_LE(worst, 2.0) << name;
  }
}

// The GPU executor gives the CPU executor's bytes exactly.
// Note [CPU chroma rows] (kernels/src/color.cpp): the CPU executor's row paths for 4:2:0
// and 4:4:4 sources give exactly what convert_pixel (the GPU kernel's per-pixel
// function) gives, for every destination, chroma siting, odd sizes and several frames (among them 40
// frames of one chroma row each, whose rows a chroma row kept from the frame before would
// spoil).
TEST(ColorCpuRows, EqualTheSharedPerPixelMathExactly) {
  struct Shape {
    int w, h, frames;
  };
  kernels::detail::for_each_simd_target([&](const std::string& target) {
  SCOPED_TRACE("SIMD target " + target);
  for (const Shape shape : {Shape{77, 41, 3}, Shape{77, 2, 40}, Shape{301, 9, 2}})
  for (PixelFormat src_fmt : {PixelFormat::NV12, PixelFormat::P016, PixelFormat::YUV444P, PixelFormat::YUV444P16})
    for (ChromaLocation loc : {ChromaLocation::Left, ChromaLocation::Center, ChromaLocation::TopLeft, ChromaLocation::Bottom}) {
      const int depth = src_fmt == PixelFormat::P016 || src_fmt == PixelFormat::YUV444P16 ? 10 : 8;
      Source s = random_source(src_fmt, shape.w, shape.h, depth, shape.frames, ColorMatrix::BT2020, ColorRange::Full, loc, 11);
      for (PixelFormat out : {PixelFormat::RGB24, PixelFormat::BGR24, PixelFormat::RGBA, PixelFormat::RGBP,
                              PixelFormat::Gray8, PixelFormat::RGBPF32, PixelFormat::RGBPF16}) {
        const FrameLayout ol = converted_layout(s.batch.layout(), out);
        FrameBatch fast = poisoned(ol, shape.frames + 1), slow = poisoned(ol, shape.frames + 1);
        convert_color(s.batch, fast);
        kernels::detail::convert_color_per_pixel(s.batch, slow);
        expect_guards_intact(fast);
        EXPECT_EQ(std::memcmp(fast.data(), slow.data(), ol.frame_stride * static_cast<size_t>(shape.frames)), 0)
            << to_string(src_fmt) << " " << shape.w << "x" << shape.h << " -> " << to_string(out) << ", siting "
            << static_cast<int>(loc);
      }
    }
  });
}

// The row path's YUV -> 8-bit RGB step (on every SIMD target the CPU has) on many more values
// than the frames above hold: any change in the order of its float operations moves some
// results by an ulp, and among 3 x 2^20 random values per transform some of those land on
// the other side of a rounding boundary.
TEST(ColorCpuRows, RgbBytesEqualTheSharedMathOnRandomValues) {
  constexpr int kN = 1 << 20;
  std::vector<float> Y(kN), U(kN), V(kN);
  std::vector<uint8_t> got(3 * kN);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> sample(-8.0f, 263.0f);  // a little past both ends: the clamps
  for (int i = 0; i < kN; ++i) Y[i] = sample(rng), U[i] = sample(rng), V[i] = sample(rng);
  // and some far out of range (Note [CPU to_u8 in SIMD]: the clamps against the narrowing)
  for (int i = 0; i < kN; i += 97) Y[i] = std::ldexp(static_cast<float>(i % 7) - 3.0f, 8 + i % 24);
  kernels::detail::for_each_simd_target([&](const std::string& target) {
  SCOPED_TRACE("SIMD target " + target);
  for (ColorMatrix m : {ColorMatrix::BT601, ColorMatrix::BT709, ColorMatrix::BT2020})
    for (ColorRange r : {ColorRange::Limited, ColorRange::Full}) {
      const kernels::detail::YuvToRgb t = kernels::make_yuv_to_rgb(m, r, 8, false, 255.0);
      kernels::detail::rgb_bytes_for_testing(t, Y.data(), U.data(), V.data(), kN, got.data(), got.data() + kN,
                                             got.data() + 2 * kN);
      size_t wrong = 0;
      for (int i = 0; i < kN; ++i) {
        float e[3];
        kernels::detail::yuv_to_rgb(t, Y[i], U[i], V[i], e[0], e[1], e[2]);
        for (int k = 0; k < 3; ++k) wrong += got[static_cast<size_t>(k) * kN + i] != kernels::detail::to_u8(e[k]);
      }
      EXPECT_EQ(wrong, 0u) << "matrix " << static_cast<int>(m) << ", range " << static_cast<int>(r);
    }
  });
}

// The same for the 8-bit NV12 row of Note [CPU chroma rows] (integer chroma): random
// luma bytes and mixed chroma values (4 times a horizontal mix of bytes: 0..1020) for
// every vertical weight, against yuv_to_rgb and to_u8 of the float chroma value q / 16.
TEST(ColorCpuRows, Nv12RgbRowEqualsTheSharedMathOnRandomValues) {
  constexpr int kN = (1 << 18) + 7;  // a tail past the last whole vector
  std::vector<uint8_t> luma(kN), got(3 * static_cast<size_t>(kN));
  std::vector<uint16_t> h(4 * static_cast<size_t>(kN));
  std::mt19937 rng(21);
  for (auto& v : luma) v = static_cast<uint8_t>(rng());
  for (auto& v : h) v = static_cast<uint16_t>(rng() % 1021);
  const uint16_t *hu0 = h.data(), *hv0 = hu0 + kN, *hu1 = hv0 + kN, *hv1 = hu1 + kN;
  kernels::detail::for_each_simd_target([&](const std::string& target) {
    for (ColorMatrix m : {ColorMatrix::BT601, ColorMatrix::BT709, ColorMatrix::BT2020})
      for (ColorRange r : {ColorRange::Limited, ColorRange::Full})
        for (int wy4 = 0; wy4 < 4; ++wy4) {
          const kernels::detail::YuvToRgb t = kernels::make_yuv_to_rgb(m, r, 8, false, 255.0);
          kernels::detail::nv12_rgb24_for_testing(t, luma.data(), hu0, hv0, hu1, hv1, wy4, kN, got.data());
          size_t wrong = 0;
          for (int i = 0; i < kN; ++i) {
            const float u = static_cast<float>((4 - wy4) * hu0[i] + wy4 * hu1[i]) / 16.0f;
            const float v = static_cast<float>((4 - wy4) * hv0[i] + wy4 * hv1[i]) / 16.0f;
            float e[3];
            kernels::detail::yuv_to_rgb(t, static_cast<float>(luma[i]), u, v, e[0], e[1], e[2]);
            for (int k = 0; k < 3; ++k) wrong += got[3 * static_cast<size_t>(i) + k] != kernels::detail::to_u8(e[k]);
          }
          EXPECT_EQ(wrong, 0u) << "matrix " << static_cast<int>(m) << ", range " << static_cast<int>(r) << ", wy4 " << wy4
                               << ", SIMD target " << target;
        }
  });
}

TEST(ColorGpu, EqualsTheCpuExecutor) {
  CUFRAME_GPU_TEST();
  CudaStream stream;
  for (PixelFormat src_fmt : {PixelFormat::NV12, PixelFormat::P016, PixelFormat::YUV444P, PixelFormat::YUV444P16}) {
    Source s = random_source(src_fmt, 333, 37, src_fmt == PixelFormat::P016 || src_fmt == PixelFormat::YUV444P16 ? 10 : 8, 3,
                             ColorMatrix::BT709, ColorRange::Limited, ChromaLocation::Left, 3);
    FrameBatch dev_src(s.batch.layout(), 4, MemoryKind::Device);
    stream.copy_async(dev_src.data(), s.batch.data(), dev_src.bytes());  // same layout and capacity
    dev_src.resize(3);
    dev_src.color = s.batch.color;
    for (PixelFormat out : {PixelFormat::RGB24, PixelFormat::BGR24, PixelFormat::RGBA, PixelFormat::RGBP, PixelFormat::Gray8,
                            PixelFormat::RGBPF32, PixelFormat::RGBPF16}) {
      const FrameLayout ol = converted_layout(s.batch.layout(), out);
      FrameBatch cpu = poisoned(ol, 4);
      convert_color(s.batch, cpu);
      FrameBatch dev(ol, 4, MemoryKind::Device);
      stream.fill_async(dev.data(), kPoison, dev.bytes());
      convert_color(dev_src, dev, {}, &stream);
      std::vector<uint8_t> back(dev.bytes());
      stream.copy_async(back.data(), dev.data(), dev.bytes());
      stream.synchronize();
      EXPECT_EQ(std::memcmp(back.data(), cpu.data(), dev.bytes()), 0) << to_string(src_fmt) << " -> " << to_string(out);
    }
  }
}

// Note [CPU rows in Highway]: the white-box tests run on every target this CPU has, the
// chosen one (what `cuframe --version` prints) first.
TEST(CpuSimd, EveryTargetOfThisCpuIsTestedTheChosenOneFirst) {
  int runs = 0;
  const std::vector<std::string> names = kernels::detail::for_each_simd_target([&](const std::string&) { ++runs; });
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(runs, static_cast<int>(names.size()));
  EXPECT_EQ(names.front(), kernels::cpu_simd_target());
  std::string all;
  for (const std::string& n : names) all += n + " ";
  RecordProperty("simd_targets", all);
  std::printf("SIMD targets tested: %s\n", all.c_str());
}

}  // namespace
}  // namespace cuframe

namespace cuframe {
namespace {

// RGB -> NV12/P016 against the forward H.273 equations in double, with the left-siting
// chroma filter ([1 2 1]/4 across columns, the two rows averaged): within 1 LSB.
TEST(ColorToYuv, MatchesTheForwardEquations) {
  for (const auto& [matrix, range, fmt, depth] :
       std::vector<std::tuple<ColorMatrix, ColorRange, PixelFormat, int>>{
           {ColorMatrix::BT709, ColorRange::Limited, PixelFormat::NV12, 8},
           {ColorMatrix::BT601, ColorRange::Full, PixelFormat::NV12, 8},
           {ColorMatrix::BT2020, ColorRange::Limited, PixelFormat::P016, 10},
           {ColorMatrix::BT709, ColorRange::Full, PixelFormat::P016, 12}}) {
    const int w = 23, h = 15;
    FrameBatch rgb(make_layout(PixelFormat::RGB24, w, h), 2, MemoryKind::Host);
    std::mt19937 rng(17);
    for (size_t i = 0; i < rgb.bytes(); ++i) rgb.data()[i] = static_cast<std::byte>(rng());
    rgb.resize(2);
    FrameBatch yuv = poisoned(kernels::yuv_layout(rgb.layout(), fmt, depth), 2);
    kernels::convert_to_yuv(rgb, yuv, matrix, range);
    expect_guards_intact(yuv);
    EXPECT_EQ(yuv.color.chroma_location, ChromaLocation::Left);
    double kr = matrix == ColorMatrix::BT601 ? 0.299 : matrix == ColorMatrix::BT709 ? 0.2126 : 0.2627;
    double kb = matrix == ColorMatrix::BT601 ? 0.114 : matrix == ColorMatrix::BT709 ? 0.0722 : 0.0593;
    const double s = std::ldexp(1.0, depth - 8);
    const double yo = range == ColorRange::Limited ? 16 * s : 0, yr = range == ColorRange::Limited ? 219 * s : std::ldexp(1.0, depth) - 1;
    const double cr = range == ColorRange::Limited ? 224 * s : std::ldexp(1.0, depth) - 1, co = 128 * s;
    const bool wide = fmt == PixelFormat::P016;
    auto rgb_at = [&](int f, int x, int y, int c) {
      x = std::clamp(x, 0, w - 1);
      y = std::clamp(y, 0, h - 1);
      return static_cast<uint8_t>(rgb.plane(f, 0)[y * rgb.layout().planes[0].pitch + 3 * x + c]) / 255.0;
    };
    auto out = [&](int f, int p, int y, int idx) -> double {
      const std::byte* row = yuv.plane(f, p) + y * yuv.layout().planes[p].pitch;
      if (!wide) return static_cast<double>(static_cast<uint8_t>(row[idx]));
      uint16_t v;
      std::memcpy(&v, row + 2 * idx, 2);
      EXPECT_EQ(v & ((1 << (16 - depth)) - 1), 0) << "not MSB-aligned";
      return v >> (16 - depth);
    };
    double worst = 0;
    for (int f = 0; f < 2; ++f) {
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          const double Y = kr * rgb_at(f, x, y, 0) + (1 - kr - kb) * rgb_at(f, x, y, 1) + kb * rgb_at(f, x, y, 2);
          worst = std::max(worst, std::fabs(out(f, 0, y, x) - std::clamp(std::round(Y * yr + yo), 0.0, std::ldexp(1.0, depth) - 1)));
        }
      for (int j = 0; j < (h + 1) / 2; ++j)
        for (int i = 0; i < (w + 1) / 2; ++i) {
          double r = 0, g = 0, b = 0;
          for (int dy = 0; dy < 2; ++dy)
            for (int dx = -1; dx <= 1; ++dx) {
              const double wgt = (dx == 0 ? 0.5 : 0.25) * 0.5;
              r += wgt * rgb_at(f, 2 * i + dx, 2 * j + dy, 0);
              g += wgt * rgb_at(f, 2 * i + dx, 2 * j + dy, 1);
              b += wgt * rgb_at(f, 2 * i + dx, 2 * j + dy, 2);
            }
          const double Y = kr * r + (1 - kr - kb) * g + kb * b;
          const double Pb = (b - Y) / (2 * (1 - kb)), Pr = (r - Y) / (2 * (1 - kr));
          worst = std::max(worst, std::fabs(out(f, 1, j, 2 * i) - (Pb * cr + co)));
          worst = std::max(worst, std::fabs(out(f, 1, j, 2 * i + 1) - (Pr * cr + co)));
        }
    }
    EXPECT_LE(worst, 1.0) << to_string(matrix) << " " << to_string(range) << " " << depth << "-bit";
  }
}

// NV12 -> RGB -> NV12 on a real sample: what the encoder path does to pixels.
TEST(ColorToYuv, RoundTripOnARealSample) {
  ReaderOptions ro;
  ro.batch_frames = 4;
  ro.decode.backend = Backend::Cpu;  // the CPU executor's round trip
  VideoReader reader(InputSource::file(test::sample("nasa_13013.mp4").string()), ro);
  FrameBatch nv = reader.make_batch();
  ASSERT_TRUE(reader.read(nv));
  FrameBatch rgb(kernels::converted_layout(nv.layout(), PixelFormat::RGB24), 4, MemoryKind::Host);
  kernels::convert_color(nv, rgb);
  FrameBatch back(kernels::yuv_layout(rgb.layout(), PixelFormat::NV12), 4, MemoryKind::Host);
  kernels::convert_to_yuv(rgb, back, nv.color.matrix, nv.color.range);
  double se_y = 0, se_c = 0;
  size_t ny = 0, nc = 0;
  const FrameLayout& l = nv.layout();
  for (int f = 0; f < nv.size(); ++f)
    for (int p = 0; p < 2; ++p)
      for (int y = 0; y < l.planes[p].rows; ++y)
        for (size_t x = 0; x < l.planes[p].row_bytes; ++x) {
          const double d = static_cast<double>(static_cast<uint8_t>(nv.plane(f, p)[y * l.planes[p].pitch + x])) -
                           static_cast<uint8_t>(back.plane(f, p)[y * l.planes[p].pitch + x]);
          (p == 0 ? se_y : se_c) += d * d;
          ++(p == 0 ? ny : nc);
        }
  const double psnr_y = 10 * std::log10(255.0 * 255.0 / std::max(se_y / ny, 1e-9));
  const double psnr_c = 10 * std::log10(255.0 * 255.0 / std::max(se_c / nc, 1e-9));
  EXPECT_GE(psnr_y, 45.0) << "luma PSNR " << psnr_y;
  EXPECT_GE(psnr_c, 38.0) << "chroma PSNR " << psnr_c;
  RecordProperty("psnr_y", std::to_string(psnr_y));
  RecordProperty("psnr_c", std::to_string(psnr_c));
  std::printf("round trip PSNR: Y %.2f dB, CbCr %.2f dB\n", psnr_y, psnr_c);
}

}  // namespace
}  // namespace cuframe

namespace cuframe {
namespace {

// The fused crop + resize + convert + normalise against the same steps in double.
TEST(FusedInput, MatchesTheComposedReference) {
  for (PixelFormat f : {PixelFormat::NV12, PixelFormat::P016, PixelFormat::YUV444P}) {
    const int depth = f == PixelFormat::P016 ? 10 : 8;
    Source s = random_source(f, 64, 40, depth, 2, ColorMatrix::BT709, ColorRange::Limited, ChromaLocation::Left, 31);
    const kernels::CropRect rect{10, 6, 38, 26};
    kernels::Normalize norm;
    norm.mean[0] = 0.485f; norm.mean[1] = 0.456f; norm.mean[2] = 0.406f;
    norm.stddev[0] = 0.229f; norm.stddev[1] = 0.224f; norm.stddev[2] = 0.225f;
    FrameBatch out = poisoned(make_layout(PixelFormat::RGBPF32, 24, 17), 3);
    kernels::crop_resize_normalize(s.batch, out, rect, norm);
    expect_guards_intact(out);
    const Ref ref = reference(ColorMatrix::BT709, ColorRange::Limited, depth);
    const bool is420 = f != PixelFormat::YUV444P;
    const int cw = is420 ? 32 : 64;
    auto bil = [&](const std::vector<double>& p, int pw, double x, double y, int x0, int x1, int y0, int y1) {
      const int i = static_cast<int>(std::floor(x)), j = static_cast<int>(std::floor(y));
      const double wx = x - i, wy = y - j;
      auto at = [&](int a, int b) { return p[static_cast<size_t>(std::clamp(b, y0, y1)) * pw + std::clamp(a, x0, x1)]; };
      return (1 - wy) * ((1 - wx) * at(i, j) + wx * at(i + 1, j)) + wy * ((1 - wx) * at(i, j + 1) + wx * at(i + 1, j + 1));
    };
    double worst = 0;
    for (int fr = 0; fr < 2; ++fr)
      for (int Y = 0; Y < 17; ++Y)
        for (int X = 0; X < 24; ++X) {
          const double fx = rect.x + (X + 0.5) * rect.width / 24.0 - 0.5, fy = rect.y + (Y + 0.5) * rect.height / 17.0 - 0.5;
          const int x1 = rect.x + rect.width - 1, y1 = rect.y + rect.height - 1;
          const double yv = bil(s.y[fr], 64, fx, fy, rect.x, x1, rect.y, y1);
          double u, v;
          if (is420) {
            u = bil(s.u[fr], cw, fx / 2, (fy - 0.5) / 2, rect.x / 2, x1 / 2, rect.y / 2, y1 / 2);
            v = bil(s.v[fr], cw, fx / 2, (fy - 0.5) / 2, rect.x / 2, x1 / 2, rect.y / 2, y1 / 2);
          } else {
            u = bil(s.u[fr], 64, fx, fy, rect.x, x1, rect.y, y1);
            v = bil(s.v[fr], 64, fx, fy, rect.x, x1, rect.y, y1);
          }
          const auto rgb = ref_rgb(ref, yv, u, v);
          for (int k = 0; k < 3; ++k) {
            const double e = (clamp01(rgb[k]) - norm.mean[k]) / norm.stddev[k];
            const float got = reinterpret_cast<const float*>(out.plane(fr, k) + Y * out.layout().planes[k].pitch)[X];
            worst = std::max(worst, std::fabs(got - e));
          }
        }
    EXPECT_LE(worst, 1e-4) << to_string(f);
  }
}

TEST(FusedInput, RefusesBadArguments) {
  Source s = random_source(PixelFormat::NV12, 32, 32, 8, 1, ColorMatrix::BT709, ColorRange::Limited, ChromaLocation::Left, 1);
  FrameBatch out(make_layout(PixelFormat::RGBPF32, 8, 8), 1, MemoryKind::Host);
  EXPECT_THROW(kernels::crop_resize_normalize(s.batch, out, {1, 0, 8, 8}), Error);   // odd x on 4:2:0
  EXPECT_THROW(kernels::crop_resize_normalize(s.batch, out, {0, 0, 40, 8}), Error);  // outside
  kernels::Normalize bad;
  bad.stddev[1] = 0;
  EXPECT_THROW(kernels::crop_resize_normalize(s.batch, out, {0, 0, 8, 8}, bad), Error);
  FrameBatch rgb(make_layout(PixelFormat::RGB24, 8, 8), 1, MemoryKind::Host);
  EXPECT_THROW(kernels::crop_resize_normalize(s.batch, rgb, {0, 0, 8, 8}), Error);
}

}  // namespace
}  // namespace cuframe

namespace cuframe {
namespace {

TEST(ColorGpu, FusedAndToYuvEqualTheCpuExecutor) {
  CUFRAME_GPU_TEST();
  CudaStream stream;
  Source s = random_source(PixelFormat::NV12, 330, 190, 8, 3, ColorMatrix::BT709, ColorRange::Limited, ChromaLocation::Left, 4);
  FrameBatch dsrc(s.batch.layout(), 4, MemoryKind::Device);
  stream.copy_async(dsrc.data(), s.batch.data(), dsrc.bytes());
  dsrc.resize(3);
  dsrc.color = s.batch.color;
  const FrameLayout fl = make_layout(PixelFormat::RGBPF16, 224, 224);
  FrameBatch cpu = poisoned(fl, 3), dev(fl, 3, MemoryKind::Device);
  kernels::crop_resize_normalize(s.batch, cpu, {20, 10, 300, 170});
  stream.fill_async(dev.data(), test::kPoison, dev.bytes());
  kernels::crop_resize_normalize(dsrc, dev, {20, 10, 300, 170}, {}, {}, &stream);
  std::vector<uint8_t> back(dev.bytes());
  stream.copy_async(back.data(), dev.data(), dev.bytes());
  stream.synchronize();
  EXPECT_EQ(std::memcmp(back.data(), cpu.data(), dev.bytes()), 0) << "fused";

  FrameBatch rgb_cpu(kernels::converted_layout(s.batch.layout(), PixelFormat::RGB24), 3, MemoryKind::Host);
  kernels::convert_color(s.batch, rgb_cpu);
  FrameBatch rgb_dev(rgb_cpu.layout(), 3, MemoryKind::Device);
  stream.copy_async(rgb_dev.data(), rgb_cpu.data(), rgb_cpu.bytes());
  rgb_dev.resize(3);
  const FrameLayout yl = kernels::yuv_layout(rgb_cpu.layout(), PixelFormat::P016, 10);
  FrameBatch ycpu = poisoned(yl, 3), ydev(yl, 3, MemoryKind::Device);
  kernels::convert_to_yuv(rgb_cpu, ycpu, ColorMatrix::BT2020, ColorRange::Limited);
  stream.fill_async(ydev.data(), test::kPoison, ydev.bytes());
  kernels::convert_to_yuv(rgb_dev, ydev, ColorMatrix::BT2020, ColorRange::Limited, &stream);
  std::vector<uint8_t> yback(ydev.bytes());
  stream.copy_async(yback.data(), ydev.data(), ydev.bytes());
  stream.synchronize();
  EXPECT_EQ(std::memcmp(yback.data(), ycpu.data(), ydev.bytes()), 0) << "rgb -> p016";
}

}  // namespace
}  // namespace cuframe
