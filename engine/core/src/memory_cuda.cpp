// Device and pinned allocations through the CUDA runtime (the primary context).
#include <cuda_runtime_api.h>

#include <string>

#include "cuda_check.hpp"
#include "cuframe/error.hpp"

namespace cuframe::detail {

namespace {
std::string size_text(std::size_t bytes) {
  return std::to_string(bytes) + " bytes (" + std::to_string(bytes >> 20) + " MiB)";
}
}  // namespace

void* allocate_device(std::size_t bytes, int device) {
  CUFRAME_CHECK(cudaSetDevice(device));
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    throw Error(Errc::OutOfMemory, "GPU " + std::to_string(device),
                "cannot allocate " + size_text(bytes) + ": " + size_text(free_b) + " free of " + size_text(total_b));
  }
  CUFRAME_CHECK(e);
  return p;
}

void* allocate_pinned(std::size_t bytes) {
  void* p = nullptr;
  const cudaError_t e = cudaMallocHost(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    throw Error(Errc::OutOfMemory, "pinned host memory", "cannot allocate " + size_text(bytes));
  }
  CUFRAME_CHECK(e);
  return p;
}

void free_device(void* p, int device) noexcept {
  int current = 0;
  if (cudaGetDevice(&current) == cudaSuccess && current != device) cudaSetDevice(device);
  cudaFree(p);
}

void free_pinned(void* p) noexcept { cudaFreeHost(p); }

void copy_bytes_sync(void* dst, const void* src, std::size_t bytes) {
  // Not a hot path (seeking, tests): a private stream keeps it off the default stream.
  static thread_local cudaStream_t stream = [] {
    cudaStream_t s = nullptr;
    CUFRAME_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    return s;
  }();
  CUFRAME_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, stream));
  CUFRAME_CHECK(cudaStreamSynchronize(stream));
}

std::int64_t device_free_bytes(int device) {
  CUFRAME_CHECK(cudaSetDevice(device));
  size_t free_b = 0, total_b = 0;
  CUFRAME_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return static_cast<std::int64_t>(free_b);
}

}  // namespace cuframe::detail
