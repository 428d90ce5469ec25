// cuframe/cuda_stream.hpp — a CUDA stream owned by the caller, without CUDA headers.
//
// Note [Stream rule]: the engine never uses the default stream, and every asynchronous
// entry point follows one rule, whatever it does:
//   - it takes the caller's stream as a CudaStream — `const CudaStream&` where it only
//     ever works on device memory (kernels::fill_pattern, CudaEvent), and a
//     `const CudaStream* stream = nullptr` where a host executor exists too (the kernels,
//     OpChain::run, GaussianBlur::run, Encoder::send): null is right for host batches, and
//     a device batch with a null stream is refused with Errc::InvalidArgument, never run
//     on the default stream;
//   - it queues its work on that stream and returns without synchronising the host
//     (each header says where a call must wait, e.g. a CPU encoder fed device frames);
//   - a raw stream is never taken as void*: CudaStream::get() is for code that calls the
//     CUDA runtime itself.
// Decoder::receive and VideoReader::read take the stream by the same rule (NVDEC copies
// its frames on the caller's stream).
//
// Streams are created non-blocking in the device's primary context, which NVDEC, NVENC
// and the kernels share. In a CPU-only build, or without a usable GPU, construction throws
// cuframe::Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace cuframe {

namespace detail {
void destroy_cuda_stream(void* handle) noexcept;  // cudaStreamDestroy
void destroy_cuda_event(void* handle) noexcept;   // cudaEventDestroy

/// A move-only owner of one CUDA runtime handle, held as void* so that this header needs
/// no CUDA headers; `Destroy` releases it. CudaStream and CudaEvent are built on it.
template <void (*Destroy)(void*) noexcept>
class UniqueCudaHandle {
 public:
  UniqueCudaHandle() = default;
  explicit UniqueCudaHandle(void* handle) noexcept : handle_(handle) {}
  ~UniqueCudaHandle() { reset(); }
  UniqueCudaHandle(UniqueCudaHandle&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)) {}
  UniqueCudaHandle& operator=(UniqueCudaHandle&& o) noexcept {
    if (this != &o) {
      reset();
      handle_ = std::exchange(o.handle_, nullptr);
    }
    return *this;
  }
  UniqueCudaHandle(const UniqueCudaHandle&) = delete;
  UniqueCudaHandle& operator=(const UniqueCudaHandle&) = delete;

  void* get() const noexcept { return handle_; }
  void reset() noexcept {
    if (handle_) Destroy(std::exchange(handle_, nullptr));
  }

 private:
  void* handle_ = nullptr;
};
}  // namespace detail

class CudaStream {
 public:
  explicit CudaStream(int device = 0);
  ~CudaStream() = default;
  CudaStream(CudaStream&&) noexcept = default;
  CudaStream& operator=(CudaStream&&) noexcept = default;
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;

  /// The cudaStream_t, as void* so that this header needs no CUDA headers.
  void* get() const noexcept { return stream_.get(); }
  int device() const noexcept { return device_; }

  /// Asynchronous copy between any two of host, pinned and device memory (unified
  /// addressing decides the direction). Does not synchronise.
  void copy_async(void* dst, const void* src, std::size_t bytes) const;
  /// Asynchronous copy of `rows` rows of `row_bytes` bytes between two pitched buffers
  /// (cudaMemcpy2DAsync; any memory kinds). Does not synchronise.
  void copy_2d_async(void* dst, std::size_t dst_pitch, const void* src, std::size_t src_pitch,
                     std::size_t row_bytes, std::size_t rows) const;
  /// Asynchronous byte fill of device memory. Does not synchronise.
  void fill_async(void* dst, int value, std::size_t bytes) const;
  /// Waits for all work queued on this stream. For callers at the edge (tests, final
  /// read-back); the engine's stages hand over with events instead.
  void synchronize() const;

 private:
  detail::UniqueCudaHandle<&detail::destroy_cuda_stream> stream_;
  int device_ = 0;
};

/// A CUDA event, for handing work between streams and for GPU-side timing, without CUDA
/// headers. Created on `device` with timing disabled unless `timing` is true (timing
/// events cost a little more to record). Move-only; in a CPU-only build, or without a
/// usable GPU, construction throws cuframe::Error.
class CudaEvent {
 public:
  explicit CudaEvent(int device = 0, bool timing = false);
  ~CudaEvent() = default;
  CudaEvent(CudaEvent&&) noexcept = default;
  CudaEvent& operator=(CudaEvent&&) noexcept = default;
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;

  /// Captures the work queued on `stream` so far (cudaEventRecord). Does not synchronise.
  void record(const CudaStream& stream);
  /// Makes `stream` wait, on the device, for the work captured by the last record()
  /// (cudaStreamWaitEvent). The host does not wait.
  void wait_on(const CudaStream& stream) const;
  /// The same for a stream cuframe did not create, named by its handle as the array
  /// protocols pass it (DLPack's `stream`, CUDA Array Interface v3): 1 is the legacy
  /// default stream, 2 the per-thread default stream, anything else a cudaStream_t. The
  /// one place a raw stream is taken (Note [Stream rule]): at the edge, to hand frames to
  /// another library.
  void wait_on_foreign(std::uintptr_t stream) const;
  /// Captures the work queued so far on such a stream (cudaEventRecord): to order cuframe's
  /// reuse of memory after a consumer's work on it.
  void record_foreign(std::uintptr_t stream);
  /// The host waits for the captured work (cudaEventSynchronize).
  void synchronize() const;
  /// Whether the captured work is done, without waiting (cudaEventQuery).
  bool done() const;
  /// Milliseconds from `start`'s captured work to this one's (both timing events, both
  /// done).
  float elapsed_ms_since(const CudaEvent& start) const;
  void* get() const noexcept { return event_.get(); }

 private:
  detail::UniqueCudaHandle<&detail::destroy_cuda_event> event_;
  int device_ = 0;
};

/// Makes `device` current on the calling thread (cudaSetDevice). Every engine thread that
/// launches, allocates or records on a GPU calls it before its first CUDA call, so a
/// run on `cuda:1` never launches on device 1's streams with device 0 current. Throws
/// cuframe::Error (and always in a CPU-only build).
void use_device(int device);

/// GPUs the CUDA runtime sees (0 without a driver or in a CPU-only build); `why` gets the
/// runtime's reason when there are none.
int cuda_device_count(std::string* why = nullptr) noexcept;

/// Clears and returns the CUDA runtime's last error as text ("" when none).
std::string take_cuda_error() noexcept;

}  // namespace cuframe
