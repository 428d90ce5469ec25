// CPU-only build: no CUDA streams.
#include "cuframe/cuda_stream.hpp"
#include "cuframe/error.hpp"

namespace cuframe {

namespace {
[[noreturn]] void no_cuda() {
  throw Error(Errc::Unsupported, "CUDA stream", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}
}  // namespace

// Nothing is ever created in a CPU-only build, so there is nothing to destroy.
void detail::destroy_cuda_stream(void*) noexcept {}
void detail::destroy_cuda_event(void*) noexcept {}

CudaStream::CudaStream(int) { no_cuda(); }
void CudaStream::copy_async(void*, const void*, std::size_t) const { no_cuda(); }
void CudaStream::copy_2d_async(void*, std::size_t, const void*, std::size_t, std::size_t, std::size_t) const {
  no_cuda();
}
void CudaStream::fill_async(void*, int, std::size_t) const { no_cuda(); }
void CudaStream::synchronize() const { no_cuda(); }
CudaEvent::CudaEvent(int, bool) { no_cuda(); }
void CudaEvent::record(const CudaStream&) { no_cuda(); }
void CudaEvent::wait_on(const CudaStream&) const { no_cuda(); }
void CudaEvent::wait_on_foreign(std::uintptr_t) const { no_cuda(); }
void CudaEvent::record_foreign(std::uintptr_t) { no_cuda(); }
void CudaEvent::synchronize() const { no_cuda(); }
bool CudaEvent::done() const { no_cuda(); }
float CudaEvent::elapsed_ms_since(const CudaEvent&) const { no_cuda(); }
void use_device(int) { no_cuda(); }
int cuda_device_count(std::string* why) noexcept {
  if (why) *why = "CPU-only build";
  return 0;
}
std::string take_cuda_error() noexcept { return {}; }

}  // namespace cuframe
