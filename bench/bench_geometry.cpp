// Resize and blur throughput: cuframe's CPU executor against OpenCV's imgproc (the CPU
// baseline) for the same op in the same run, and the GPU kernels where a GPU is present.
// Rates: frames/s and GB/s (bytes read + written).
#include <benchmark/benchmark.h>

#include <chrono>

#include "bench_common.hpp"
#include "cuframe/cuda_stream.hpp"
#include "cuframe/kernels/color.hpp"
#include "cuframe/kernels/filter.hpp"
#include "cuframe/kernels/geometry.hpp"

#ifdef CUFRAME_BENCH_OPENCV
#include <opencv2/imgproc.hpp>
#endif

namespace {

using namespace cuframe;

FrameBatch rgb_batch(int w, int h, int n, MemoryKind mem = MemoryKind::Host) {
  FrameBatch b(make_layout(PixelFormat::RGB24, w, h), n, mem);
  if (mem != MemoryKind::Device)
    for (size_t i = 0; i < b.bytes(); ++i) b.data()[i] = static_cast<std::byte>((i * 2654435761u) >> 24);
  b.resize(n);
  return b;
}

void BM_ResizeCpu(benchmark::State& state) {
  FrameBatch src = rgb_batch(1920, 1080, 1);
  FrameBatch dst(kernels::resized_layout(src.layout(), 640, 360), 1, MemoryKind::Host);
  for (auto _ : state) kernels::resize(src, dst, kernels::ResizeFilter::Bilinear);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (src.layout().packed_bytes() + dst.layout().packed_bytes())));
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ResizeCpu)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BlurCpu(benchmark::State& state) {
  FrameBatch src = rgb_batch(1920, 1080, 1);
  FrameBatch dst(src.layout(), 1, MemoryKind::Host);
  kernels::GaussianBlur blur(src.layout(), 1, 2.0, MemoryKind::Host);
  for (auto _ : state) blur.run(src, dst);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 2 * src.layout().packed_bytes()));
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BlurCpu)->Unit(benchmark::kMillisecond)->UseRealTime();

#ifdef CUFRAME_BENCH_OPENCV
void BM_ResizeOpenCV(benchmark::State& state) {
  FrameBatch src = rgb_batch(1920, 1080, 1);
  const cv::Mat in(1080, 1920, CV_8UC3, src.data(), src.layout().planes[0].pitch);
  cv::Mat out(360, 640, CV_8UC3);
  for (auto _ : state) cv::resize(in, out, cv::Size(640, 360), 0, 0, cv::INTER_LINEAR);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (1920 * 1080 * 3 + 640 * 360 * 3)));
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ResizeOpenCV)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BlurOpenCV(benchmark::State& state) {
  FrameBatch src = rgb_batch(1920, 1080, 1);
  const cv::Mat in(1080, 1920, CV_8UC3, src.data(), src.layout().planes[0].pitch);
  cv::Mat out;
  for (auto _ : state) cv::GaussianBlur(in, out, cv::Size(13, 13), 2.0, 2.0, cv::BORDER_REPLICATE);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 2 * 1920 * 1080 * 3));
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BlurOpenCV)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ColorOpenCV(benchmark::State& state) {
  // NV12 -> RGB (cv::COLOR_YUV2RGB_NV12: BT.601 limited, nearest chroma) for scale.
  std::vector<uint8_t> nv12(1920 * 1080 * 3 / 2, 128);
  const cv::Mat in(1080 * 3 / 2, 1920, CV_8UC1, nv12.data());
  cv::Mat out;
  for (auto _ : state) cv::cvtColor(in, out, cv::COLOR_YUV2RGB_NV12);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (nv12.size() + 1920 * 1080 * 3)));
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ColorOpenCV)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

// NV12 resizes to 2/3 of the size (1080p -> 720p, 4K -> 1440p): the transcode pipeline's
// most common op, on the CPU executor and on the GPU (one launch per plane per batch, CUDA
// event time); OpenCV resizes the same two planes (Y, and UV as 2 channels).
FrameBatch nv12_batch(int w, int h, int n, MemoryKind mem) {
  FrameBatch b(make_layout(PixelFormat::NV12, w, h), n, mem);
  if (mem != MemoryKind::Device)
    for (size_t i = 0; i < b.bytes(); ++i) b.data()[i] = static_cast<std::byte>((i * 2654435761u) >> 24);
  b.resize(n);
  return b;
}

// The rows of the CPU NV12 resize and its OpenCV peer: (width, height, filter), the
// filter 0 nearest, 1 bilinear, 2 bicubic, 3 area (kernels::ResizeFilter).
void nv12_resize_rows(benchmark::internal::Benchmark* b) {
  b->Args({1920, 1080, 1})->Args({3840, 2160, 1})->Args({1920, 1080, 0})->Args({1920, 1080, 2})->Args({1920, 1080, 3});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

void BM_ResizeNv12Cpu(benchmark::State& state) {
  const int w = static_cast<int>(state.range(0)), h = static_cast<int>(state.range(1));
  const auto interp = static_cast<kernels::ResizeFilter>(state.range(2));
  FrameBatch src = nv12_batch(w, h, 1, MemoryKind::Host);
  FrameBatch dst(kernels::resized_layout(src.layout(), w * 2 / 3, h * 2 / 3), 1, MemoryKind::Host);
  for (auto _ : state) kernels::resize(src, dst, interp);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (src.layout().packed_bytes() + dst.layout().packed_bytes())));
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ResizeNv12Cpu)->Apply(nv12_resize_rows);

#ifdef CUFRAME_BENCH_OPENCV
void BM_ResizeNv12OpenCV(benchmark::State& state) {
  const int w = static_cast<int>(state.range(0)), h = static_cast<int>(state.range(1));
  const int interp = state.range(2) == 3   ? cv::INTER_AREA
                     : state.range(2) == 2 ? cv::INTER_CUBIC
                     : state.range(2) == 0 ? cv::INTER_NEAREST
                                           : cv::INTER_LINEAR;
  FrameBatch src = nv12_batch(w, h, 1, MemoryKind::Host);
  const FrameLayout& l = src.layout();
  const cv::Mat y(h, w, CV_8UC1, src.plane(0, 0), l.planes[0].pitch);
  const cv::Mat uv(h / 2, w / 2, CV_8UC2, src.plane(0, 1), l.planes[1].pitch);
  cv::Mat oy(h * 2 / 3, w * 2 / 3, CV_8UC1), ouv(h / 3, w / 3, CV_8UC2);
  for (auto _ : state) {
    cv::resize(y, oy, oy.size(), 0, 0, interp);
    cv::resize(uv, ouv, ouv.size(), 0, 0, interp);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (w * h * 3 / 2 + (w * 2 / 3) * (h * 2 / 3) * 3 / 2)));
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ResizeNv12OpenCV)->Apply(nv12_resize_rows);
#endif

// GPU: RGB24 1080p -> 360p and NV12 -> 2/3 size, 1080p and 4K, batches of 1 and 32.
void BM_ResizeGpu(benchmark::State& state) {
  bench::reporting_errors(state, [&] {
    if (cuda_device_count() == 0) return state.SkipWithError("no GPU");
    const bool nv12 = state.range(0) != 0;
    const int w = static_cast<int>(state.range(1)), h = static_cast<int>(state.range(2)), n = static_cast<int>(state.range(3));
    CudaStream stream;
    FrameBatch src = nv12 ? nv12_batch(w, h, n, MemoryKind::Device) : rgb_batch(w, h, n, MemoryKind::Device);
    FrameBatch dst(kernels::resized_layout(src.layout(), nv12 ? w * 2 / 3 : w / 3, nv12 ? h * 2 / 3 : h / 3), n,
                   MemoryKind::Device);
    stream.fill_async(src.data(), 0x33, src.bytes());
    kernels::resize(src, dst, kernels::ResizeFilter::Bilinear, &stream);  // warm-up
    for (auto _ : state)
      state.SetIterationTime(
          bench::gpu_ms(stream, [&] { kernels::resize(src, dst, kernels::ResizeFilter::Bilinear, &stream); }) / 1000.0);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n * (src.layout().packed_bytes() + dst.layout().packed_bytes())));
    state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
  });
}
BENCHMARK(BM_ResizeGpu)
    ->ArgsProduct({{0, 1}, {1920}, {1080}, {1, 32}})
    ->ArgsProduct({{1}, {3840}, {2160}, {1, 32}})
    ->ArgNames({"nv12", "w", "h", "batch"})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// GPU blur (Note [GPU blur tiles]): NV12 1080p and 4K, sigma 2, 20 and 100 (radius 6, 60
// and 300 on luma, half on chroma), batch 1. The tiles load each input about once a pass
// whatever sigma; the time still grows with the 2r + 1 taps of every output sample.
void BM_BlurGpu(benchmark::State& state) {
  if (cuda_device_count() == 0) return state.SkipWithError("no GPU");
  const int w = static_cast<int>(state.range(0)), h = static_cast<int>(state.range(1));
  const auto sigma = static_cast<double>(state.range(2));
  CudaStream stream;
  FrameBatch src = nv12_batch(w, h, 1, MemoryKind::Device), dst(src.layout(), 1, MemoryKind::Device);
  stream.fill_async(src.data(), 0x33, src.bytes());
  kernels::GaussianBlur blur(src.layout(), 1, sigma, MemoryKind::Device);
  blur.run(src, dst, &stream);  // warm-up
  for (auto _ : state) state.SetIterationTime(bench::gpu_ms(stream, [&] { blur.run(src, dst, &stream); }) / 1000.0);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 2 * src.layout().packed_bytes()));
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BlurGpu)
    ->ArgsProduct({{1920}, {1080}, {2, 20, 100}})
    ->ArgsProduct({{3840}, {2160}, {2, 20, 100}})
    ->ArgNames({"w", "h", "sigma"})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
