// Gaussian blur and brightness/contrast. Oracles: a double-precision separable Gaussian
// (weights from the formula, replicated edges) within 1 LSB; OpenCV's GaussianBlur with
// the same kernel size and BORDER_REPLICATE within 1 LSB where OpenCV is installed; the
// brightness/contrast formula within 1 LSB, with YUV chroma untouched.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cuframe/kernels/filter.hpp"
#include "cuframe/kernels/color.hpp"
#include "cuframe/kernels/geometry.hpp"
#include "filter_impl.hpp"     // white box: the GPU blur's tile plan
#include "cpu_simd_testing.hpp"  // white box: every SIMD target
#include "filter_testing.hpp"  // white box: detail::blur_per_sample
#include "support/gpu.hpp"
#include "support/helpers.hpp"

#ifdef CUFRAME_TEST_OPENCV
#include <opencv2/imgproc.hpp>
#endif

namespace cuframe {
namespace {

using test::expect_guards_intact;
using test::poisoned;

FrameBatch random_u8(PixelFormat f, int w, int h, int frames, uint32_t seed) {
  FrameBatch b(make_layout(f, w, h), frames, MemoryKind::Host);
  std::mt19937 rng(seed);
  // Smooth-ish content plus noise, so the blur has something to do at every scale.
  auto* d = reinterpret_cast<uint8_t*>(b.data());
  for (size_t i = 0; i < b.bytes(); ++i) d[i] = static_cast<uint8_t>((i * 7 % 251) ^ (rng() & 31));
  b.resize(frames);
  return b;
}

uint8_t px(const FrameBatch& b, int f, int p, int x, int y, int c, int ch) {
  return reinterpret_cast<const uint8_t*>(b.plane(f, p))[y * b.layout().planes[p].pitch + x * ch + c];
}

// Reference separable blur of one plane.
std::vector<double> ref_blur(const FrameBatch& b, int f, int p, int w, int h, int ch, double sigma) {
  const int r = (static_cast<int>(std::lround(sigma * 6 + 1)) | 1) / 2;
  std::vector<double> k(static_cast<size_t>(2 * r + 1));
  double sum = 0;
  for (int i = -r; i <= r; ++i) sum += k[static_cast<size_t>(i + r)] = std::exp(-i * i / (2 * sigma * sigma));
  for (double& v : k) v /= sum;
  std::vector<double> tmp(static_cast<size_t>(w) * h * ch), out(tmp.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < ch; ++c) {
        double a = 0;
        for (int i = -r; i <= r; ++i) a += k[static_cast<size_t>(i + r)] * px(b, f, p, std::clamp(x + i, 0, w - 1), y, c, ch);
        tmp[(static_cast<size_t>(y) * w + x) * ch + c] = a;
      }
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < ch; ++c) {
        double a = 0;
        for (int i = -r; i <= r; ++i) a += k[static_cast<size_t>(i + r)] * tmp[(static_cast<size_t>(std::clamp(y + i, 0, h - 1)) * w + x) * ch + c];
        out[(static_cast<size_t>(y) * w + x) * ch + c] = a;
      }
  return out;
}

TEST(Blur, MatchesTheReference) {
  struct C {
    PixelFormat f;
    double sigma;
  };
  for (const C c : {C{PixelFormat::Gray8, 0.8}, C{PixelFormat::RGB24, 2.0}, C{PixelFormat::NV12, 3.0}, C{PixelFormat::Gray8, 7.5}}) {
    const int w = 45, h = 31;
    const FrameBatch src = random_u8(c.f, w, h, 2, 3);
    kernels::GaussianBlur blur(src.layout(), 3, c.sigma, MemoryKind::Host);
    FrameBatch dst = poisoned(src.layout(), 3);
    blur.run(src, dst);
    expect_guards_intact(dst);
    double worst = 0;
    for (int f = 0; f < 2; ++f)
      for (int p = 0; p < src.layout().plane_count; ++p) {
        const bool chroma = c.f == PixelFormat::NV12 && p == 1;
        const int pw = chroma ? (w + 1) / 2 : w, ph = chroma ? (h + 1) / 2 : h;
        const int ch = c.f == PixelFormat::RGB24 ? 3 : (chroma ? 2 : 1);
        const auto ref = ref_blur(src, f, p, pw, ph, ch, chroma ? c.sigma / 2 : c.sigma);
        for (int y = 0; y < ph; ++y)
          for (int x = 0; x < pw; ++x)
            for (int k = 0; k < ch; ++k)
              worst = std::max(worst, std::fabs(px(dst, f, p, x, y, k, ch) - ref[(static_cast<size_t>(y) * pw + x) * ch + k]));
      }
    EXPECT_LE(worst, 1.0) << to_string(c.f) << " sigma " << c.sigma;
  }
}

// Note [CPU blur rows] (kernels/src/filter.cpp): the row path gives exactly what the
// per-sample blur_h / blur_v (Note [Blur tap order], as the GPU kernels sum) give: wide
// and narrow planes (narrower than the kernel: every column is an edge column), 1 to 3
// channels, NV12's interleaved chroma, small and large sigma; and float planes, whose
// outputs are not rounded, so that any change in the order of the operations shows.
TEST(Blur, CpuRowsEqualTheSharedPerSampleMathExactly) {
  struct Case {
    PixelFormat f;
    int w, h;
    double sigma;
  };
  kernels::detail::for_each_simd_target([&](const std::string& target) {
  SCOPED_TRACE("SIMD target " + target);
  for (const Case& c : {Case{PixelFormat::RGB24, 67, 31, 2.0}, Case{PixelFormat::Gray8, 9, 40, 3.5},
                        Case{PixelFormat::NV12, 50, 22, 1.25}, Case{PixelFormat::RGBA, 40, 12, 0.4},
                        Case{PixelFormat::Gray8, 300, 5, 7.3}, Case{PixelFormat::RGBPF32, 83, 29, 1.7},
                        // a ring of 2 * 240 + 1 rows of 7200 floats is over 8 MiB: the two passes
                        // through the scratch plane
                        Case{PixelFormat::RGB24, 2400, 3, 80.0}}) {
    FrameBatch src = random_u8(c.f, c.w, c.h, 2, 17);
    if (c.f == PixelFormat::RGBPF32) {  // floats in [0, 1], pitch padding included
      std::mt19937 rng(23);
      std::uniform_real_distribution<float> unit(0.0f, 1.0f);
      auto* f = reinterpret_cast<float*>(src.data());
      for (size_t i = 0; i < src.bytes() / sizeof(float); ++i) f[i] = unit(rng);
    }
    FrameBatch rows = poisoned(src.layout(), 2), per_sample = poisoned(src.layout(), 2);
    kernels::GaussianBlur blur(src.layout(), 2, c.sigma, MemoryKind::Host);
    blur.run(src, rows);
    kernels::detail::blur_per_sample(blur, src, per_sample);
    expect_guards_intact(rows);
    EXPECT_EQ(std::memcmp(rows.data(), per_sample.data(), src.layout().frame_stride * 2), 0)
        << to_string(c.f) << " " << c.w << "x" << c.h << " sigma " << c.sigma;
  }
  });
}

// GPU review item 18, Note [GPU blur tiles] (kernels/src/filter.cu): the tiles the GPU
// blur plans load each input sample about once a pass, at most 2 loads an output sample
// (under 1.7 on the longest planes at r = 400), for every plane kind, every radius up to
// the largest and sizes from a pixel to past 8K, where the per-sample kernels loaded
// 2r + 1 (801 at r = 400). Every tile fits its static shared memory and every block sm_90's limits. This
// counts the plan (the kernels' tile loops, run on the host), so it holds in every build;
// it measures no time (the virtual GPU proves nothing about speed).
TEST(Blur, GpuTilesLoadEachInputAboutOnce) {
  using kernels::detail::blur_global_loads;
  using kernels::detail::plan_blur_tiles;
  struct Kind {
    int channels, sample_bytes;
  };
  struct Size {
    int w, h;
  };
  double worst = 0;
  for (const Kind k : {Kind{1, 1}, Kind{2, 1}, Kind{3, 1}, Kind{4, 1}, Kind{1, 2}, Kind{2, 2}, Kind{1, 4}})
    for (const int r : {0, 1, 6, 50, 64, 65, 150, 200, 300, 341, 342, 399, 400})
      for (const Size z : {Size{1, 1}, Size{37, 23}, Size{333, 37}, Size{1920, 1080}, Size{3840, 2160}, Size{8192, 4320},
                           Size{3601, 3}, Size{3, 3601}, Size{20000, 1}, Size{1, 20000}}) {
        const auto t = plan_blur_tiles(z.w, z.h, k.channels, k.sample_bytes, r);
        const auto loads = blur_global_loads(t, z.w, z.h, r);
        const std::string what = std::to_string(z.w) + "x" + std::to_string(z.h) + " " + std::to_string(k.channels) + "x" +
                                 std::to_string(k.sample_bytes) + " bytes, r " + std::to_string(r);
        EXPECT_LE(loads.h, 2.0) << what;
        EXPECT_LE(loads.v, 2.0) << what;
        EXPECT_GE(std::min(loads.h, loads.v), 1.0) << what;  // every input read at least once
        worst = std::max({worst, loads.h, loads.v});
        EXPECT_LE((t.h_pixels + 2 * r) * k.channels * k.sample_bytes, kernels::detail::kBlurTileBytes) << what;
        EXPECT_LE(t.v_columns * (t.v_rows + 2 * r) * 4, kernels::detail::kBlurTileBytes) << what;
        EXPECT_LE(kernels::detail::kBlurTileBytes, 48 * 1024);
        EXPECT_TRUE(t.h_threads >= 32 && t.h_threads <= 1024 && t.h_threads % 32 == 0) << what;
        EXPECT_TRUE(t.v_columns >= 1 && t.v_threads_y >= 1 && t.v_columns * t.v_threads_y <= 1024) << what;
      }
  EXPECT_LE(worst, 1.7) << "the longest planes at r = 400";
  // r = 400: planes narrower and shorter than the halo are loaded exactly once; 4K 16-bit
  // luma about once (a tile spans the frame's height), where the per-sample kernels loaded 801.
  const auto narrow = blur_global_loads(plan_blur_tiles(37, 23, 4, 1, 400), 37, 23, 400);
  EXPECT_EQ(narrow.h, 1.0);
  EXPECT_EQ(narrow.v, 1.0);
  const auto uhd = blur_global_loads(plan_blur_tiles(3840, 2160, 1, 2, 400), 3840, 2160, 400);
  EXPECT_LE(uhd.h, 1.5);
  EXPECT_LE(uhd.v, 1.4);
  EXPECT_THROW(plan_blur_tiles(64, 64, 4, 4, 2000), Error);  // no tile holds such a halo
}

TEST(Blur, PlannedOnceRunsWithoutAllocating) {
  const FrameBatch src = random_u8(PixelFormat::RGB24, 64, 36, 4, 1);
  kernels::GaussianBlur blur(src.layout(), 4, 1.5, MemoryKind::Host);
  FrameBatch dst(src.layout(), 4, MemoryKind::Host);
  blur.run(src, dst);
  const AllocationStats before = allocation_stats();
  for (int i = 0; i < 5; ++i) blur.run(src, dst);
  EXPECT_EQ(allocation_stats().host_allocations, before.host_allocations);
  EXPECT_THROW(kernels::GaussianBlur(src.layout(), 4, 0.0, MemoryKind::Host), Error);
  EXPECT_THROW(kernels::GaussianBlur(src.layout(), 4, 101.0, MemoryKind::Host), Error);
  EXPECT_THROW(blur.run(src, const_cast<FrameBatch&>(src)), Error);
}

#ifdef CUFRAME_TEST_OPENCV
TEST(Blur, SameAsOpenCvGaussianBlur) {
  for (double sigma : {0.7, 1.5, 4.0}) {
    const FrameBatch src = random_u8(PixelFormat::Gray8, 80, 60, 1, 11);
    kernels::GaussianBlur blur(src.layout(), 1, sigma, MemoryKind::Host);
    FrameBatch dst = poisoned(src.layout(), 1);
    blur.run(src, dst);
    const cv::Mat in(60, 80, CV_8UC1, const_cast<std::byte*>(src.plane(0, 0)), src.layout().planes[0].pitch);
    cv::Mat out;
    const int k = 2 * blur.radius() + 1;
    cv::GaussianBlur(in, out, cv::Size(k, k), sigma, sigma, cv::BORDER_REPLICATE);
    double worst = 0;
    for (int y = 0; y < 60; ++y)
      for (int x = 0; x < 80; ++x) worst = std::max(worst, std::fabs(double(px(dst, 0, 0, x, y, 0, 1)) - out.at<uint8_t>(y, x)));
    EXPECT_LE(worst, 1.0) << "sigma " << sigma;
  }
}
#endif

TEST(BrightnessContrast, FormulaAndChromaUntouched) {
  FrameBatch rgb = random_u8(PixelFormat::RGB24, 17, 9, 2, 4);
  const FrameBatch before = random_u8(PixelFormat::RGB24, 17, 9, 2, 4);
  kernels::adjust_brightness_contrast(rgb, 0.1, 1.5);
  double worst = 0;
  for (int f = 0; f < 2; ++f)
    for (int y = 0; y < 9; ++y)
      for (int x = 0; x < 17; ++x)
        for (int c = 0; c < 3; ++c) {
          const double v = px(before, f, 0, x, y, c, 3) / 255.0;
          const double e = std::clamp((v - 0.5) * 1.5 + 0.5 + 0.1, 0.0, 1.0) * 255.0;
          worst = std::max(worst, std::fabs(px(rgb, f, 0, x, y, c, 3) - e));
        }
  EXPECT_LE(worst, 1.0);

  FrameBatch nv = random_u8(PixelFormat::NV12, 16, 8, 1, 6);
  const FrameBatch nv0 = random_u8(PixelFormat::NV12, 16, 8, 1, 6);
  kernels::adjust_brightness_contrast(nv, -0.2, 0.5);
  EXPECT_EQ(std::memcmp(nv.plane(0, 1), nv0.plane(0, 1), nv.layout().planes[1].pitch * 4), 0) << "chroma changed";
  EXPECT_NE(std::memcmp(nv.plane(0, 0), nv0.plane(0, 0), nv.layout().planes[0].pitch * 8), 0) << "luma unchanged";
  EXPECT_THROW(kernels::adjust_brightness_contrast(nv, 2.0, 1.0), Error);
}

TEST(FilterGpu, EqualsTheCpuExecutor) {
  CUFRAME_GPU_TEST();
  CudaStream stream;
  for (PixelFormat f : {PixelFormat::NV12, PixelFormat::RGB24}) {
    const FrameBatch src = random_u8(f, 333, 37, 3, 8);
    FrameBatch dsrc(src.layout(), 3, MemoryKind::Device), ddst(src.layout(), 3, MemoryKind::Device);
    stream.copy_async(dsrc.data(), src.data(), src.bytes());
    dsrc.resize(3);
    kernels::GaussianBlur cpu_blur(src.layout(), 3, 2.5, MemoryKind::Host), gpu_blur(src.layout(), 3, 2.5, MemoryKind::Device);
    FrameBatch cpu = poisoned(src.layout(), 3);
    cpu_blur.run(src, cpu);
    kernels::adjust_brightness_contrast(cpu, 0.05, 1.2);
    stream.fill_async(ddst.data(), test::kPoison, ddst.bytes());
    gpu_blur.run(dsrc, ddst, &stream);
    kernels::adjust_brightness_contrast(ddst, 0.05, 1.2, &stream);
    std::vector<uint8_t> back(ddst.bytes());
    stream.copy_async(back.data(), ddst.data(), ddst.bytes());
    stream.synchronize();
    EXPECT_EQ(std::memcmp(back.data(), cpu.data(), ddst.bytes()), 0) << to_string(f);
  }
}

// A batch of `f` with random samples: bytes, or floats in [0, 1] for float formats (pitch
// padding included).
FrameBatch random_batch(PixelFormat f, int w, int h, int frames, uint32_t seed) {
  FrameBatch b = random_u8(f, w, h, frames, seed);
  if (f == PixelFormat::RGBPF32) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    auto* p = reinterpret_cast<float*>(b.data());
    for (size_t i = 0; i < b.bytes() / sizeof(float); ++i) p[i] = unit(rng);
  }
  return b;
}

// GPU review item 18, Note [GPU blur tiles]: the shared-memory tiles give the CPU
// executor's bytes, byte for byte (float planes unrounded, so any change in the order of
// the taps shows), on every format the blur takes, at sigma 100 — the largest
// GaussianBlur takes: r = 400 on 16-bit and float planes, 300 on 8-bit ones (their size
// rule gives no more), half on 4:2:0 chroma — on odd planes narrower and shorter than the
// halo (one tile, every tap clamped), on planes 3601 long along one pass (several tiles,
// inner ones reading at fixed offsets), and at sigma 1.5 on planes of several tiles along
// both passes. Outputs are poisoned; pitch padding must stay so.
TEST(FilterGpu, LargeRadiiEqualTheCpuExecutorOnEveryFormat) {
  CUFRAME_GPU_TEST();
  CudaStream stream;
  struct Case {
    int w, h, frames;
    double sigma;
  };
  for (const PixelFormat f : {PixelFormat::NV12, PixelFormat::P016, PixelFormat::YUV444P, PixelFormat::YUV444P16,
                              PixelFormat::RGB24, PixelFormat::BGR24, PixelFormat::RGBA, PixelFormat::RGBP, PixelFormat::Gray8,
                              PixelFormat::RGBPF32})
    for (const Case c : {Case{37, 23, 2, 100.0}, Case{3601, 3, 1, 100.0}, Case{3, 3601, 1, 100.0}, Case{2101, 71, 1, 1.5}}) {
      const FrameBatch src = random_batch(f, c.w, c.h, c.frames, 29);
      FrameBatch dsrc(src.layout(), c.frames, MemoryKind::Device), ddst(src.layout(), c.frames, MemoryKind::Device);
      stream.copy_async(dsrc.data(), src.data(), src.bytes());
      dsrc.resize(c.frames);
      kernels::GaussianBlur cpu_blur(src.layout(), c.frames, c.sigma, MemoryKind::Host);
      kernels::GaussianBlur gpu_blur(src.layout(), c.frames, c.sigma, MemoryKind::Device);
      if (c.sigma == 100.0) {
        const bool eight_bit = f != PixelFormat::P016 && f != PixelFormat::YUV444P16 && f != PixelFormat::RGBPF32;
        EXPECT_EQ(gpu_blur.radius(), eight_bit ? 300 : 400) << to_string(f);
      }
      FrameBatch cpu = poisoned(src.layout(), c.frames);
      cpu_blur.run(src, cpu);
      expect_guards_intact(cpu);
      stream.fill_async(ddst.data(), test::kPoison, ddst.bytes());
      gpu_blur.run(dsrc, ddst, &stream);
      std::vector<uint8_t> back(ddst.bytes());
      stream.copy_async(back.data(), ddst.data(), ddst.bytes());
      stream.synchronize();
      EXPECT_EQ(std::memcmp(back.data(), cpu.data(), ddst.bytes()), 0)
          << to_string(f) << " " << c.w << "x" << c.h << " sigma " << c.sigma << " (r " << gpu_blur.radius() << ")";
    }
}

// GPU review item 12: resident mode runs an op on the whole clip in one launch, and grid z
// (the frame index) is at most 65535 on sm_90. A batch of more frames must still work —
// split into launches — with every frame done, the last one included.
TEST(FilterGpu, BatchesOverTheGridLimit) {
  CUFRAME_GPU_TEST();
  CudaStream stream;
  const FrameLayout layout = make_layout(PixelFormat::NV12, 2, 2);
  for (int frames : {65535, 65537}) {
    FrameBatch dev(layout, frames, MemoryKind::Device);
    stream.fill_async(dev.data(), 7, dev.bytes());
    dev.resize(frames);
    kernels::neutral_chroma(dev, &stream);
    std::vector<uint8_t> back(dev.bytes());
    stream.copy_async(back.data(), dev.data(), dev.bytes());
    stream.synchronize();
    for (int f : {0, frames / 2, frames - 1}) {
      const uint8_t* frame = back.data() + static_cast<size_t>(f) * layout.frame_stride;
      EXPECT_EQ(frame[0], 7) << frames << " frames, frame " << f << ": luma changed";
      EXPECT_EQ(frame[layout.planes[1].offset], 128) << frames << " frames, frame " << f << ": chroma not neutral";
      EXPECT_EQ(frame[layout.planes[1].offset + 1], 128) << frames << " frames, frame " << f;
    }
  }
  // Resize and colour conversion of such a batch equal the CPU executor, last frames included.
  constexpr int frames = 65537;
  FrameBatch host(layout, frames, MemoryKind::Host);
  for (size_t i = 0; i < host.bytes(); ++i) host.data()[i] = static_cast<std::byte>(i * 131 + 7);
  host.resize(frames);
  FrameBatch dev(layout, frames, MemoryKind::Device);
  stream.copy_async(dev.data(), host.data(), host.bytes());
  dev.resize(frames);
  const FrameLayout big = kernels::resized_layout(layout, 4, 4);
  const FrameLayout rgb = kernels::converted_layout(layout, PixelFormat::RGB24);
  FrameBatch cpu_big(big, frames, MemoryKind::Host), dev_big(big, frames, MemoryKind::Device);
  FrameBatch cpu_rgb(rgb, frames, MemoryKind::Host), dev_rgb(rgb, frames, MemoryKind::Device);
  kernels::resize(host, cpu_big, kernels::ResizeFilter::Bilinear);
  kernels::resize(dev, dev_big, kernels::ResizeFilter::Bilinear, &stream);
  kernels::convert_color(host, cpu_rgb);
  kernels::convert_color(dev, dev_rgb, {}, &stream);
  std::vector<uint8_t> back_big(dev_big.bytes()), back_rgb(dev_rgb.bytes());
  stream.copy_async(back_big.data(), dev_big.data(), dev_big.bytes());
  stream.copy_async(back_rgb.data(), dev_rgb.data(), dev_rgb.bytes());
  stream.synchronize();
  // The meaningful bytes of every row of every frame (pitch padding is not written).
  auto differing_frames = [](const std::vector<uint8_t>& got, const FrameBatch& want) {
    int bad = 0;
    const FrameLayout& l = want.layout();
    for (int f = 0; f < want.size(); ++f) {
      bool same = true;
      for (int p = 0; p < l.plane_count && same; ++p)
        for (int y = 0; y < l.planes[p].rows && same; ++y) {
          const size_t at = static_cast<size_t>(f) * l.frame_stride + l.planes[p].offset + static_cast<size_t>(y) * l.planes[p].pitch;
          same = std::memcmp(got.data() + at, reinterpret_cast<const uint8_t*>(want.data()) + at, l.planes[p].row_bytes) == 0;
        }
      bad += !same;
    }
    return bad;
  };
  EXPECT_EQ(differing_frames(back_big, cpu_big), 0) << "resize of 65537 frames";
  EXPECT_EQ(differing_frames(back_rgb, cpu_rgb), 0) << "NV12 -> RGB24 of 65537 frames";
  // And the blur's tiled passes (Note [GPU blur tiles]), on 3x1 gray frames (small: the
  // virtual GPU runs their blocks as fibers).
  const FrameLayout gray = make_layout(PixelFormat::Gray8, 3, 1);
  FrameBatch gray_host(gray, frames, MemoryKind::Host);
  for (size_t i = 0; i < gray_host.bytes(); ++i) gray_host.data()[i] = static_cast<std::byte>(i * 89 + 3);
  gray_host.resize(frames);
  FrameBatch gray_dev(gray, frames, MemoryKind::Device), blurred_dev(gray, frames, MemoryKind::Device);
  stream.copy_async(gray_dev.data(), gray_host.data(), gray_host.bytes());
  gray_dev.resize(frames);
  FrameBatch blurred_cpu = poisoned(gray, frames);
  kernels::GaussianBlur(gray, frames, 0.8, MemoryKind::Host).run(gray_host, blurred_cpu);
  stream.fill_async(blurred_dev.data(), test::kPoison, blurred_dev.bytes());
  kernels::GaussianBlur gpu_blur(gray, frames, 0.8, MemoryKind::Device);
  gpu_blur.run(gray_dev, blurred_dev, &stream);
  std::vector<uint8_t> back_blurred(blurred_dev.bytes());
  stream.copy_async(back_blurred.data(), blurred_dev.data(), blurred_dev.bytes());
  stream.synchronize();
  EXPECT_EQ(differing_frames(back_blurred, blurred_cpu), 0) << "blur of 65537 frames";
}

}  // namespace
}  // namespace cuframe
