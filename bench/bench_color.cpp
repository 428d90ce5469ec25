// Colour conversion throughput in GB/s (bytes read + bytes written), per executor, at
// 1080p and 4K, batch 1 and 32. On a GPU, a device-to-device copy of the same bytes in
// the same run is the ceiling the kernels are measured against (DESIGN.md target: >= 85%).
//
//   BM_ColorCpu/<fmt>/<w>/<h>/<batch>      CPU executor (all cores)
//   BM_ColorGpu/<fmt>/<w>/<h>/<batch>      one kernel launch per batch (needs a GPU)
//   BM_CopyD2D/<w>/<h>/<batch>             the copy ceiling (needs a GPU)
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>

#include "bench_common.hpp"
#include "cuframe/cuda_stream.hpp"
#include "cuframe/kernels/color.hpp"

namespace {

using namespace cuframe;

FrameBatch source(int w, int h, int n, MemoryKind mem) {
  FrameBatch b(make_layout(PixelFormat::NV12, w, h, 8), n, mem);
  b.resize(n);
  b.color.matrix = ColorMatrix::BT709;
  if (mem != MemoryKind::Device) {
    for (size_t i = 0; i < b.bytes(); ++i) b.data()[i] = static_cast<std::byte>((i * 2654435761u) >> 24);
  }
  return b;
}

size_t moved(const FrameBatch& src, const FrameBatch& dst, int n) {
  return static_cast<size_t>(n) * (src.layout().packed_bytes() + dst.layout().packed_bytes());
}

void BM_ColorCpu(benchmark::State& state) {
  const auto fmt = static_cast<PixelFormat>(state.range(0));
  const int w = static_cast<int>(state.range(1)), h = static_cast<int>(state.range(2)), n = static_cast<int>(state.range(3));
  FrameBatch src = source(w, h, n, MemoryKind::Host);
  FrameBatch dst(kernels::converted_layout(src.layout(), fmt), n, MemoryKind::Host);
  kernels::convert_color(src, dst);  // warm-up (threads, caches)
  for (auto _ : state) kernels::convert_color(src, dst);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * moved(src, dst, n)));
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}

bool have_gpu() { return cuda_device_count() > 0; }

void BM_ColorGpu(benchmark::State& state) {
  bench::reporting_errors(state, [&] {
    if (!have_gpu()) return state.SkipWithError("no GPU");
    const auto fmt = static_cast<PixelFormat>(state.range(0));
    const int w = static_cast<int>(state.range(1)), h = static_cast<int>(state.range(2)), n = static_cast<int>(state.range(3));
    CudaStream stream;
    FrameBatch src = source(w, h, n, MemoryKind::Device);
    FrameBatch dst(kernels::converted_layout(src.layout(), fmt), n, MemoryKind::Device);
    stream.fill_async(src.data(), 0x5a, src.bytes());
    for (int i = 0; i < 3; ++i) kernels::convert_color(src, dst, {}, &stream);  // warm-up
    stream.synchronize();
    for (auto _ : state)
      state.SetIterationTime(bench::gpu_ms(stream, [&] { kernels::convert_color(src, dst, {}, &stream); }) / 1000.0);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * moved(src, dst, n)));
  });
}

void BM_CopyD2D(benchmark::State& state) {
  bench::reporting_errors(state, [&] {
    if (!have_gpu()) return state.SkipWithError("no GPU");
    const int w = static_cast<int>(state.range(0)), h = static_cast<int>(state.range(1)), n = static_cast<int>(state.range(2));
    CudaStream stream;
    FrameBatch src = source(w, h, n, MemoryKind::Device);
    FrameBatch dst(kernels::converted_layout(src.layout(), PixelFormat::RGB24), n, MemoryKind::Device);
    const size_t bytes = moved(src, dst, n) / 2;  // read + write of this many bytes = the same traffic
    const size_t n_bytes = std::min(bytes, std::min(src.bytes(), dst.bytes()));
    stream.copy_async(dst.data(), src.data(), n_bytes);  // warm-up
    for (auto _ : state)
      state.SetIterationTime(bench::gpu_ms(stream, [&] { stream.copy_async(dst.data(), src.data(), n_bytes); }) / 1000.0);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 2 * std::min(bytes, std::min(src.bytes(), dst.bytes()))));
  });
}

constexpr int64_t kRgb = static_cast<int64_t>(PixelFormat::RGB24);
constexpr int64_t kF32 = static_cast<int64_t>(PixelFormat::RGBPF32);
constexpr int64_t kGray = static_cast<int64_t>(PixelFormat::Gray8);

BENCHMARK(BM_ColorCpu)->ArgNames({"fmt", "w", "h", "batch"})
    ->Args({kRgb, 1920, 1080, 1})->Args({kRgb, 1920, 1080, 32})->Args({kF32, 1920, 1080, 1})->Args({kRgb, 3840, 2160, 1})
    ->Args({kGray, 1920, 1080, 1})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ColorGpu)->ArgNames({"fmt", "w", "h", "batch"})
    ->Args({kRgb, 1920, 1080, 1})->Args({kRgb, 1920, 1080, 32})->Args({kF32, 1920, 1080, 32})
    ->Args({kRgb, 3840, 2160, 1})->Args({kRgb, 3840, 2160, 32})
    ->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CopyD2D)->ArgNames({"w", "h", "batch"})
    ->Args({1920, 1080, 1})->Args({1920, 1080, 32})->Args({3840, 2160, 1})->Args({3840, 2160, 32})
    ->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
