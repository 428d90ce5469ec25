// cuframe virtual GPU: the CUDA device language for .cu sources compiled as C++ in the
// virtual-gpu build (force-included before each kernel source, with __CUDA_ARCH__ = 900 and
// __CUDACC__ defined, so the device branches of the shared math run — GPU == CPU is then
// a comparison of two code paths, not a tautology).
//
// Kernels launch through CUFRAME_LAUNCH (kernels/src/launch.hpp), which here packs the
// kernel pointer and its arguments and hands them to the virtual device: every thread of
// grid x block runs the kernel on the device process, with threadIdx, blockIdx, blockDim
// and gridDim set. __shared__ variables are static (blocks run one after another) and
// __syncthreads() is a real barrier over the block's threads (fibers).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>

#include "cuda_runtime_api.h"
#include "cuframe_vgpu/vgpu.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __shared__ static

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};
struct uint3 {
  unsigned x, y, z;
};

namespace cuframe_vgpu {

inline cfvg_thread_indices* indices() {
  static cfvg_thread_indices* const s = cfvg_thread_state();
  return s;
}
inline const uint3& as_uint3(const unsigned* v) { return *reinterpret_cast<const uint3*>(v); }

// The IEEE operations the device intrinsics name, exactly rounded (the virtual-gpu build
// compiles kernels with -ffp-contract=off, so a*b+c is never fused).
inline float fmul_rn(float a, float b) { return a * b; }
inline float fadd_rn(float a, float b) { return a + b; }
inline float fdiv_rn(float a, float b) { return a / b; }
inline int float2int_rn(float v) {
  if (!(v > -2147483648.0f)) return INT32_MIN;  // the device saturates; NaN gives 0 below
  if (!(v < 2147483648.0f)) return v != v ? 0 : INT32_MAX;
  return static_cast<int>(std::nearbyintf(v));
}
inline unsigned float_as_uint(float f) {
  unsigned u;
  std::memcpy(&u, &f, 4);
  return u;
}

template <typename... P>
struct Packed {
  void (*kernel)(P...);
  std::tuple<P...> args;
};

template <typename... P>
void run_thread(const void* blob) {
  const auto* p = static_cast<const Packed<P...>*>(blob);
  std::apply(p->kernel, p->args);
}

template <typename... P>
class Launch {
 public:
  Launch(const char* name, dim3 grid, dim3 block, std::size_t smem, cudaStream_t stream, void (*kernel)(P...))
      : name_(name), grid_(grid), block_(block), smem_(smem), stream_(stream), kernel_(kernel) {}
  template <typename... A>
  void operator()(A&&... a) const {
    static_assert((std::is_trivially_copyable_v<std::decay_t<P>> && ...),
                  "kernel arguments are copied to the device byte for byte: they must be trivially copyable");
    const Packed<P...> packed{kernel_, std::tuple<P...>(static_cast<P>(a)...)};
    const unsigned g[3] = {grid_.x, grid_.y, grid_.z}, b[3] = {block_.x, block_.y, block_.z};
    const int st = cfvg_launch(&run_thread<P...>, &packed, sizeof packed, g, b, smem_, stream_, name_);
    if (st != 0) cuframe_vgpu_set_last_error(static_cast<cudaError_t>(st));
  }

 private:
  const char* name_;
  dim3 grid_, block_;
  std::size_t smem_;
  cudaStream_t stream_;
  void (*kernel_)(P...);
};

template <typename... P>
Launch<P...> launch(const char* name, dim3 grid, dim3 block, std::size_t smem, cudaStream_t stream, void (*kernel)(P...)) {
  return Launch<P...>(name, grid, block, smem, stream, kernel);
}

}  // namespace cuframe_vgpu

#define threadIdx (::cuframe_vgpu::as_uint3(::cuframe_vgpu::indices()->thread_idx))
#define blockIdx (::cuframe_vgpu::as_uint3(::cuframe_vgpu::indices()->block_idx))
#define blockDim (::cuframe_vgpu::as_uint3(::cuframe_vgpu::indices()->block_dim))
#define gridDim (::cuframe_vgpu::as_uint3(::cuframe_vgpu::indices()->grid_dim))

inline void __syncthreads() { cfvg_syncthreads(); }
inline float __fmul_rn(float a, float b) { return cuframe_vgpu::fmul_rn(a, b); }
inline float __fadd_rn(float a, float b) { return cuframe_vgpu::fadd_rn(a, b); }
inline float __fdiv_rn(float a, float b) { return cuframe_vgpu::fdiv_rn(a, b); }
inline int __float2int_rn(float v) { return cuframe_vgpu::float2int_rn(v); }
inline unsigned __float_as_uint(float f) { return cuframe_vgpu::float_as_uint(f); }
