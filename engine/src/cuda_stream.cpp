#include "cuframe/cuda_stream.hpp"

#include <cuda_runtime_api.h>

#include "cuda_check.hpp"
#include "cuframe/error.hpp"

namespace cuframe {

CudaStream::CudaStream(int device) : device_(device) {
  CUFRAME_CHECK(cudaSetDevice(device));
  cudaStream_t s = nullptr;
  CUFRAME_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  stream_ = s;
}

CudaStream::~CudaStream() {
  if (stream_) cudaStreamDestroy(static_cast<cudaStream_t>(stream_));
}

CudaStream::CudaStream(CudaStream&& o) noexcept : stream_(o.stream_), device_(o.device_) { o.stream_ = nullptr; }

CudaStream& CudaStream::operator=(CudaStream&& o) noexcept {
  if (this != &o) {
    if (stream_) cudaStreamDestroy(static_cast<cudaStream_t>(stream_));
    stream_ = o.stream_;
    device_ = o.device_;
    o.stream_ = nullptr;
  }
  return *this;
}

void CudaStream::copy_async(void* dst, const void* src, std::size_t bytes) const {
  CUFRAME_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, static_cast<cudaStream_t>(stream_)));
}

void CudaStream::fill_async(void* dst, int value, std::size_t bytes) const {
  CUFRAME_CHECK(cudaMemsetAsync(dst, value, bytes, static_cast<cudaStream_t>(stream_)));
}

void CudaStream::synchronize() const { CUFRAME_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream_))); }

int cuda_device_count(std::string* why) noexcept {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    if (why) *why = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(e);
    return 0;
  }
  if (n == 0 && why) *why = "the CUDA runtime sees no GPU";
  return n;
}

std::string take_cuda_error() noexcept {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? std::string() : std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

}  // namespace cuframe
