#include "cuframe/cuda_stream.hpp"

#include <cuda_runtime_api.h>

#include "cuda_check.hpp"
#include "cuframe/error.hpp"

namespace cuframe {

void detail::destroy_cuda_stream(void* handle) noexcept { cudaStreamDestroy(static_cast<cudaStream_t>(handle)); }
void detail::destroy_cuda_event(void* handle) noexcept { cudaEventDestroy(static_cast<cudaEvent_t>(handle)); }

CudaStream::CudaStream(int device) : device_(device) {
  CUFRAME_CHECK(cudaSetDevice(device));
  cudaStream_t s = nullptr;
  CUFRAME_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  stream_ = detail::UniqueCudaHandle<&detail::destroy_cuda_stream>(s);
}

void CudaStream::copy_async(void* dst, const void* src, std::size_t bytes) const {
  CUFRAME_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, static_cast<cudaStream_t>(stream_.get())));
}

void CudaStream::copy_2d_async(void* dst, std::size_t dst_pitch, const void* src, std::size_t src_pitch,
                               std::size_t row_bytes, std::size_t rows) const {
  CUFRAME_CHECK(cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, row_bytes, rows, cudaMemcpyDefault,
                                  static_cast<cudaStream_t>(stream_.get())));
}

void CudaStream::fill_async(void* dst, int value, std::size_t bytes) const {
  CUFRAME_CHECK(cudaMemsetAsync(dst, value, bytes, static_cast<cudaStream_t>(stream_.get())));
}

void CudaStream::synchronize() const { CUFRAME_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream_.get()))); }

CudaEvent::CudaEvent(int device, bool timing) : device_(device) {
  CUFRAME_CHECK(cudaSetDevice(device));
  cudaEvent_t e = nullptr;
  CUFRAME_CHECK(cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming));
  event_ = detail::UniqueCudaHandle<&detail::destroy_cuda_event>(e);
}

void CudaEvent::record(const CudaStream& stream) {
  CUFRAME_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event_.get()), static_cast<cudaStream_t>(stream.get())));
}

void CudaEvent::wait_on(const CudaStream& stream) const {
  CUFRAME_CHECK(cudaStreamWaitEvent(static_cast<cudaStream_t>(stream.get()), static_cast<cudaEvent_t>(event_.get()), 0));
}

namespace {
cudaStream_t foreign_stream(std::uintptr_t stream) {
  if (stream == 1) return nullptr;  // the legacy default stream, which handle 0 names in this build
  if (stream == 2) {
#ifdef cudaStreamPerThread
    return cudaStreamPerThread;
#else
    throw Error(Errc::Unsupported, "stream 2", "this CUDA runtime has no per-thread default stream");
#endif
  }
  return reinterpret_cast<cudaStream_t>(stream);
}
}  // namespace

void CudaEvent::wait_on_foreign(std::uintptr_t stream) const {
  CUFRAME_CHECK(cudaStreamWaitEvent(foreign_stream(stream), static_cast<cudaEvent_t>(event_.get()), 0));
}

void CudaEvent::record_foreign(std::uintptr_t stream) {
  CUFRAME_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event_.get()), foreign_stream(stream)));
}

void CudaEvent::synchronize() const { CUFRAME_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event_.get()))); }

bool CudaEvent::done() const {
  const cudaError_t e = cudaEventQuery(static_cast<cudaEvent_t>(event_.get()));
  if (e == cudaErrorNotReady) return false;
  CUFRAME_CHECK(e);
  return true;
}

float CudaEvent::elapsed_ms_since(const CudaEvent& start) const {
  float ms = 0;
  CUFRAME_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start.event_.get()), static_cast<cudaEvent_t>(event_.get())));
  return ms;
}

void use_device(int device) { CUFRAME_CHECK(cudaSetDevice(device)); }

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
