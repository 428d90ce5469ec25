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

CudaEvent::CudaEvent(int device, bool timing) : device_(device) {
  CUFRAME_CHECK(cudaSetDevice(device));
  cudaEvent_t e = nullptr;
  CUFRAME_CHECK(cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming));
  event_ = e;
}

CudaEvent::~CudaEvent() {
  if (event_) cudaEventDestroy(static_cast<cudaEvent_t>(event_));
}

CudaEvent::CudaEvent(CudaEvent&& o) noexcept : event_(o.event_), device_(o.device_) { o.event_ = nullptr; }

CudaEvent& CudaEvent::operator=(CudaEvent&& o) noexcept {
  if (this != &o) {
    if (event_) cudaEventDestroy(static_cast<cudaEvent_t>(event_));
    event_ = o.event_;
    device_ = o.device_;
    o.event_ = nullptr;
  }
  return *this;
}

void CudaEvent::record(const CudaStream& stream) {
  CUFRAME_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event_), static_cast<cudaStream_t>(stream.get())));
}

void CudaEvent::wait_on(const CudaStream& stream) const {
  CUFRAME_CHECK(cudaStreamWaitEvent(static_cast<cudaStream_t>(stream.get()), static_cast<cudaEvent_t>(event_), 0));
}

void CudaEvent::synchronize() const { CUFRAME_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event_))); }

bool CudaEvent::done() const {
  const cudaError_t e = cudaEventQuery(static_cast<cudaEvent_t>(event_));
  if (e == cudaErrorNotReady) return false;
  CUFRAME_CHECK(e);
  return true;
}

float CudaEvent::elapsed_ms_since(const CudaEvent& start) const {
  float ms = 0;
  CUFRAME_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start.event_), static_cast<cudaEvent_t>(event_)));
  return ms;
}

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
