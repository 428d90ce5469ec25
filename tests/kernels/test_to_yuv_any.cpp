// kernels::convert_to_yuv from rgba, gray, rgbp, rgbpf32 and rgbpf16 (to_yuv_any.cpp/.cu):
// against the forward H.273 equations in double, and GPU == CPU byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/kernels/color.hpp"
#include "cuframe/kernels/detail/hd.hpp"
#include "support/gpu.hpp"
#include "support/helpers.hpp"

namespace cuframe {
namespace {

using test::expect_guards_intact;
using test::poisoned;

constexpr PixelFormat kSources[] = {PixelFormat::RGBA, PixelFormat::Gray8, PixelFormat::RGBP, PixelFormat::RGBPF32,
                                    PixelFormat::RGBPF16};

double half_value(uint16_t h) {
  const int e = (h >> 10) & 0x1F, m = h & 0x3FF;
  const double v = e == 0 ? std::ldexp(m, -24) : e == 31 ? std::numeric_limits<double>::quiet_NaN() : std::ldexp(1024 + m, e - 25);
  return (h & 0x8000) ? -v : v;
}

// Random pixels; float formats reach below 0 and above 1, with a NaN and an infinity.
FrameBatch random_batch(PixelFormat fmt, int w, int h, int frames, unsigned seed) {
  FrameBatch b(make_layout(fmt, w, h), frames, MemoryKind::Host);
  std::memset(b.data(), 0, b.bytes());
  b.resize(frames);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.1f, 1.1f);
  const FrameLayout& l = b.layout();
  for (int f = 0; f < frames; ++f)
    for (int p = 0; p < l.plane_count; ++p)
      for (int y = 0; y < l.planes[p].rows; ++y) {
        std::byte* row = b.plane(f, p) + y * l.planes[p].pitch;
        if (fmt == PixelFormat::RGBPF32) {
          for (int x = 0; x < w; ++x) {
            float v = u(rng);
            if (f == 0 && p == 1 && y == 1 && x == 2) v = std::numeric_limits<float>::quiet_NaN();
            if (f == 0 && p == 2 && y == 2 && x == 3) v = std::numeric_limits<float>::infinity();
            std::memcpy(row + 4 * x, &v, 4);
          }
        } else if (fmt == PixelFormat::RGBPF16) {
          for (int x = 0; x < w; ++x) {
            const uint16_t v = kernels::detail::to_half_bits(u(rng));
            std::memcpy(row + 2 * x, &v, 2);
          }
        } else {
          for (size_t x = 0; x < l.planes[p].row_bytes; ++x) row[x] = static_cast<std::byte>(rng());
          if (fmt == PixelFormat::RGBA)
            for (int x = 0; x < w; ++x) row[4 * x + 3] = std::byte{255};
        }
      }
  return b;
}

// R, G, B of pixel (x, y) in [0, 1] as the kernels read them (edges replicated, floats clamped, NaN as 0).
void rgb_of(const FrameBatch& b, int f, int x, int y, double out[3]) {
  const FrameLayout& l = b.layout();
  x = std::clamp(x, 0, l.width - 1);
  y = std::clamp(y, 0, l.height - 1);
  auto at = [&](int p) { return b.plane(f, p) + y * l.planes[p].pitch; };
  auto unit = [](double v) { return v > 0 ? std::min(v, 1.0) : 0.0; };
  for (int c = 0; c < 3; ++c) {
    switch (l.format) {
      case PixelFormat::RGBA: out[c] = static_cast<uint8_t>(at(0)[4 * x + c]) / 255.0; break;
      case PixelFormat::Gray8: out[c] = static_cast<uint8_t>(at(0)[x]) / 255.0; break;
      case PixelFormat::RGBP: out[c] = static_cast<uint8_t>(at(c)[x]) / 255.0; break;
      case PixelFormat::RGBPF32: {
        float v;
        std::memcpy(&v, at(c) + 4 * x, 4);
        out[c] = unit(v);
        break;
      }
      default: {
        uint16_t v;
        std::memcpy(&v, at(c) + 2 * x, 2);
        out[c] = unit(half_value(v));
      }
    }
  }
}

// Within 1 LSB of the float64 result (luma rounded, chroma unrounded); gray's chroma exactly neutral.
TEST(ToYuvAny, MatchesTheForwardEquations) {
  for (PixelFormat src : kSources)
    for (const auto& [matrix, range, fmt, depth] :
         std::vector<std::tuple<ColorMatrix, ColorRange, PixelFormat, int>>{
             {ColorMatrix::BT709, ColorRange::Limited, PixelFormat::NV12, 8},
             {ColorMatrix::BT601, ColorRange::Full, PixelFormat::NV12, 8},
             {ColorMatrix::BT2020, ColorRange::Limited, PixelFormat::P016, 10}}) {
      const int w = 23, h = 15;
      const FrameBatch in = random_batch(src, w, h, 2, 29);
      FrameBatch yuv = poisoned(kernels::yuv_layout(in.layout(), fmt, depth), 3);
      kernels::convert_to_yuv(in, yuv, matrix, range);
      expect_guards_intact(yuv);
      ASSERT_EQ(yuv.size(), 2);
      EXPECT_EQ(yuv.color.matrix, matrix);
      EXPECT_EQ(yuv.color.range, range);
      const double kr = matrix == ColorMatrix::BT601 ? 0.299 : matrix == ColorMatrix::BT709 ? 0.2126 : 0.2627;
      const double kb = matrix == ColorMatrix::BT601 ? 0.114 : matrix == ColorMatrix::BT709 ? 0.0722 : 0.0593;
      const double s = std::ldexp(1.0, depth - 8), top = std::ldexp(1.0, depth) - 1;
      const double yo = range == ColorRange::Limited ? 16 * s : 0, yr = range == ColorRange::Limited ? 219 * s : top;
      const double cr = range == ColorRange::Limited ? 224 * s : top, co = 128 * s;
      const bool wide = fmt == PixelFormat::P016;
      auto out = [&](int f, int p, int y, int idx) -> double {
        const std::byte* row = yuv.plane(f, p) + y * yuv.layout().planes[p].pitch;
        if (!wide) return static_cast<uint8_t>(row[idx]);
        uint16_t v;
        std::memcpy(&v, row + 2 * idx, 2);
        EXPECT_EQ(v & ((1 << (16 - depth)) - 1), 0) << "not MSB-aligned";
        return v >> (16 - depth);
      };
      double worst = 0;
      for (int f = 0; f < 2; ++f) {
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x) {
            double c[3];
            rgb_of(in, f, x, y, c);
            const double Y = kr * c[0] + (1 - kr - kb) * c[1] + kb * c[2];
            worst = std::max(worst, std::fabs(out(f, 0, y, x) - std::clamp(std::round(Y * yr + yo), 0.0, top)));
          }
        for (int j = 0; j < (h + 1) / 2; ++j)
          for (int i = 0; i < (w + 1) / 2; ++i) {
            double r = 0, g = 0, b = 0;
            for (int dy = 0; dy < 2; ++dy)
              for (int dx = -1; dx <= 1; ++dx) {
                const double wgt = (dx == 0 ? 0.5 : 0.25) * 0.5;
                double c[3];
                rgb_of(in, f, 2 * i + dx, 2 * j + dy, c);
                r += wgt * c[0], g += wgt * c[1], b += wgt * c[2];
              }
            const double Y = kr * r + (1 - kr - kb) * g + kb * b;
            const double Pb = (b - Y) / (2 * (1 - kb)), Pr = (r - Y) / (2 * (1 - kr));
            if (src == PixelFormat::Gray8) {
              EXPECT_EQ(out(f, 1, j, 2 * i), co);
              EXPECT_EQ(out(f, 1, j, 2 * i + 1), co);
            }
            worst = std::max(worst, std::fabs(out(f, 1, j, 2 * i) - (Pb * cr + co)));
            worst = std::max(worst, std::fabs(out(f, 1, j, 2 * i + 1) - (Pr * cr + co)));
          }
      }
      EXPECT_LE(worst, 1.0) << to_string(src) << " -> " << to_string(fmt) << " " << to_string(matrix) << " "
                            << to_string(range);
    }
}

// Gray is full-range luma: limited-range luma Y -> gray -> Y comes back exactly.
TEST(ToYuvAny, GrayGoesBackToLimitedLuma) {
  FrameBatch g(make_layout(PixelFormat::Gray8, 256, 2), 1, MemoryKind::Host);
  g.resize(1);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 256; ++x) {
      const int luma = 16 + (x * 219) / 255;  // a limited luma
      g.plane(0, 0)[y * g.layout().planes[0].pitch + x] =
          static_cast<std::byte>(std::clamp(static_cast<int>(std::lround((luma - 16) * 255.0 / 219.0)), 0, 255));
    }
  FrameBatch yuv(kernels::yuv_layout(g.layout(), PixelFormat::NV12), 1, MemoryKind::Host);
  kernels::convert_to_yuv(g, yuv, ColorMatrix::BT709, ColorRange::Limited);
  for (int x = 0; x < 256; ++x)
    EXPECT_EQ(static_cast<int>(static_cast<uint8_t>(yuv.plane(0, 0)[x])), 16 + (x * 219) / 255) << x;
}

TEST(ToYuvAny, RefusesOtherSources) {
  FrameBatch y444(make_layout(PixelFormat::YUV444P, 8, 8), 1, MemoryKind::Host);
  EXPECT_THROW(kernels::yuv_layout(y444.layout(), PixelFormat::NV12), Error);
}

// The GPU executor writes the CPU executor's bytes, guard bytes untouched, for every source.
TEST(ToYuvAnyGpu, EqualsCpuByteForByte) {
  CUFRAME_GPU_TEST();
  CudaStream stream;
  for (PixelFormat src : kSources)
    for (const auto& [fmt, depth] : std::vector<std::pair<PixelFormat, int>>{{PixelFormat::NV12, 8}, {PixelFormat::P016, 10}}) {
      const int w = 37, h = 19, frames = 3;
      const FrameBatch in = random_batch(src, w, h, frames, 41);
      FrameBatch cpu = poisoned(kernels::yuv_layout(in.layout(), fmt, depth), frames);
      kernels::convert_to_yuv(in, cpu, ColorMatrix::BT709, ColorRange::Limited);
      FrameBatch din(in.layout(), frames, MemoryKind::Device);
      stream.copy_async(din.data(), in.data(), in.bytes());
      din.resize(frames);
      FrameBatch dev(cpu.layout(), frames, MemoryKind::Device);
      stream.fill_async(dev.data(), test::kPoison, dev.bytes());
      kernels::convert_to_yuv(din, dev, ColorMatrix::BT709, ColorRange::Limited, &stream);
      std::vector<uint8_t> back(dev.bytes());
      stream.copy_async(back.data(), dev.data(), dev.bytes());
      stream.synchronize();
      EXPECT_EQ(std::memcmp(back.data(), cpu.data(), dev.bytes()), 0) << to_string(src) << " -> " << to_string(fmt);
    }
}

}  // namespace
}  // namespace cuframe
