// NPP, the DESIGN.md peer for the colour and resize kernels, on the same data in the same
// run (CUDA event time, as BM_ColorGpu / BM_ResizeGpu):
//
//   BM_NppNv12ToRgb/w/h/batch     nppiNV12ToRGB_709HDTV_8u_P2C3R_Ctx, one call per frame
//                                 (NPP has no batched form); peer of BM_ColorGpu/fmt:4
//   BM_NppResizeRgb/w/h/batch     nppiResize_8u_C3R_Ctx, linear, to a third of the size,
//                                 one call per frame; peer of BM_ResizeGpu/nv12:0
//
// NPP has no 2-channel resize, so an NV12 resize in NPP needs a deinterleave of the
// chroma first: the NV12 rows (BM_ResizeGpu/nv12:1) have no NPP peer here.
//
// Built only when CUFRAME_NPP_DIR names the headers of the `nvidia-npp` wheel
// (scripts/npp.sh). Nothing links NPP: libnppc, libnppig and libnppicc are loaded at run
// time from $CUFRAME_NPP_DIR/lib, else from the library path (the bundle's npp/), and a
// row without them says so and skips. NPP links its own CUDA runtime statically, so the
// stream context below is filled from cuframe's device query rather than a cudart here.
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <nppcore.h>
#include <nppi_color_conversion.h>
#include <nppi_geometry_transforms.h>

#include "bench_common.hpp"
#include "cuframe/cuda_stream.hpp"
#include "cuframe/device.hpp"
#include "cuframe/kernels/color.hpp"

namespace {

using namespace cuframe;

struct Npp {
  decltype(&nppiNV12ToRGB_709HDTV_8u_P2C3R_Ctx) nv12_to_rgb = nullptr;
  decltype(&nppiResize_8u_C3R_Ctx) resize_rgb = nullptr;
  std::string problem;  // empty when loaded
};

void* open_library(const char* name, std::string& problem) {
  const char* dir = std::getenv("CUFRAME_NPP_DIR");
  void* h = nullptr;
  if (dir && *dir) h = dlopen((std::string(dir) + "/lib/" + name).c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!h) h = dlopen(name, RTLD_NOW | RTLD_GLOBAL);
  if (!h && problem.empty()) problem = std::string("cannot load ") + name + " (set CUFRAME_NPP_DIR; scripts/npp.sh)";
  return h;
}

const Npp& npp() {
  static const Npp loaded = [] {
    Npp n;
    open_library("libnppc.so.13", n.problem);  // the others need it
    void* cc = open_library("libnppicc.so.13", n.problem);
    void* ig = open_library("libnppig.so.13", n.problem);
    if (!n.problem.empty()) return n;
    n.nv12_to_rgb = reinterpret_cast<decltype(n.nv12_to_rgb)>(dlsym(cc, "nppiNV12ToRGB_709HDTV_8u_P2C3R_Ctx"));
    n.resize_rgb = reinterpret_cast<decltype(n.resize_rgb)>(dlsym(ig, "nppiResize_8u_C3R_Ctx"));
    if (!n.nv12_to_rgb || !n.resize_rgb) n.problem = "this NPP lacks nppiNV12ToRGB_709HDTV or nppiResize_8u_C3R";
    return n;
  }();
  return loaded;
}

// NPP's per-call context for our non-blocking stream on device 0. The three limits are
// those of every GPU since compute capability 7.0 (sm_90 included): 2048 threads per SM,
// 1024 per block, 48 KiB of static shared memory per block.
NppStreamContext context(const CudaStream& stream) {
  NppStreamContext c{};
  c.hStream = static_cast<cudaStream_t>(stream.get());
  c.nCudaDeviceId = stream.device();
  const std::vector<DeviceInfo> gpus = devices();
  for (const DeviceInfo& d : gpus)
    if (d.ordinal == stream.device()) {
      c.nMultiProcessorCount = d.multiprocessors;
      c.nCudaDevAttrComputeCapabilityMajor = d.cc_major;
      c.nCudaDevAttrComputeCapabilityMinor = d.cc_minor;
    }
  c.nMaxThreadsPerMultiProcessor = 2048;
  c.nMaxThreadsPerBlock = 1024;
  c.nSharedMemPerBlock = 48 * 1024;
  c.nStreamFlags = cudaStreamNonBlocking;
  return c;
}

bool ready(benchmark::State& state) {
  if (cuda_device_count() == 0) {
    state.SkipWithError("no GPU");
    return false;
  }
  if (!npp().problem.empty()) {
    state.SkipWithError(npp().problem.c_str());
    return false;
  }
  return true;
}

// Times `run` (the NPP calls for one batch, which set `status`) after a warm-up, and
// counts the bytes read and written as the cuframe rows do.
template <typename Run>
void time_rows(benchmark::State& state, const CudaStream& stream, Run& run, const NppStatus& status,
               const FrameBatch& src, const FrameBatch& dst) {
  run();  // warm-up
  stream.synchronize();
  for (auto _ : state) state.SetIterationTime(bench::gpu_ms(stream, run) / 1000.0);
  if (status != NPP_SUCCESS) return state.SkipWithError(("NPP error " + std::to_string(status)).c_str());
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * src.size() * (src.layout().packed_bytes() + dst.layout().packed_bytes())));
}

FrameBatch nv12_source(int w, int h, int n) {
  FrameBatch b(make_layout(PixelFormat::NV12, w, h, 8), n, MemoryKind::Device);
  b.resize(n);
  b.color.matrix = ColorMatrix::BT709;
  return b;
}

void BM_NppNv12ToRgb(benchmark::State& state) {
  bench::reporting_errors(state, [&] {
    if (!ready(state)) return;
    const int w = static_cast<int>(state.range(0)), h = static_cast<int>(state.range(1)), n = static_cast<int>(state.range(2));
    CudaStream stream;
    FrameBatch src = nv12_source(w, h, n);
    FrameBatch dst(kernels::converted_layout(src.layout(), PixelFormat::RGB24), n, MemoryKind::Device);
    stream.fill_async(src.data(), 0x5a, src.bytes());
    const NppStreamContext ctx = context(stream);
    const FrameLayout& sl = src.layout();
    NppStatus status = NPP_SUCCESS;
    auto run = [&] {
      for (int i = 0; i < n && status == NPP_SUCCESS; ++i) {
        const Npp8u* planes[2] = {reinterpret_cast<const Npp8u*>(src.plane(i, 0)), reinterpret_cast<const Npp8u*>(src.plane(i, 1))};
        status = npp().nv12_to_rgb(planes, static_cast<int>(sl.planes[0].pitch), reinterpret_cast<Npp8u*>(dst.plane(i, 0)),
                                   static_cast<int>(dst.layout().planes[0].pitch), NppiSize{w, h}, ctx);
      }
    };
    time_rows(state, stream, run, status, src, dst);
  });
}

void BM_NppResizeRgb(benchmark::State& state) {
  bench::reporting_errors(state, [&] {
    if (!ready(state)) return;
    const int w = static_cast<int>(state.range(0)), h = static_cast<int>(state.range(1)), n = static_cast<int>(state.range(2));
    const int dw = w / 3, dh = h / 3;
    CudaStream stream;
    FrameBatch src(make_layout(PixelFormat::RGB24, w, h), n, MemoryKind::Device);
    src.resize(n);
    FrameBatch dst(make_layout(PixelFormat::RGB24, dw, dh), n, MemoryKind::Device);
    stream.fill_async(src.data(), 0x33, src.bytes());
    const NppStreamContext ctx = context(stream);
    NppStatus status = NPP_SUCCESS;
    auto run = [&] {
      for (int i = 0; i < n && status == NPP_SUCCESS; ++i)
        status = npp().resize_rgb(reinterpret_cast<const Npp8u*>(src.plane(i, 0)), static_cast<int>(src.layout().planes[0].pitch),
                                  NppiSize{w, h}, NppiRect{0, 0, w, h}, reinterpret_cast<Npp8u*>(dst.plane(i, 0)),
                                  static_cast<int>(dst.layout().planes[0].pitch), NppiSize{dw, dh}, NppiRect{0, 0, dw, dh},
                                  NPPI_INTER_LINEAR, ctx);
    };
    time_rows(state, stream, run, status, src, dst);
  });
}

BENCHMARK(BM_NppNv12ToRgb)->ArgNames({"w", "h", "batch"})
    ->Args({1920, 1080, 1})->Args({1920, 1080, 32})->Args({3840, 2160, 1})->Args({3840, 2160, 32})
    ->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_NppResizeRgb)->ArgNames({"w", "h", "batch"})
    ->Args({1920, 1080, 1})->Args({1920, 1080, 32})
    ->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
