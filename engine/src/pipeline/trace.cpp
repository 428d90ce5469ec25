#include "pipeline/trace.hpp"

namespace cuframe::detail {

void Trace::span(const char* stage, int64_t chunk, int frames, Clock::time_point t0) {
  if (!enabled_) return;
  const double a = std::chrono::duration<double>(t0 - start_).count();
  const double b = since(start_);
  std::lock_guard<std::mutex> hold(m_);
  spans_.push_back({stage, chunk, frames, a, b});
}

void Trace::start_gpu(int device, const CudaStream& stream) {
  if (!enabled_) return;
  // One wait at the start puts the device's clock on the host's (Note [Pipeline trace]).
  gpu_origin_.emplace(device, /*timing=*/true);
  gpu_origin_->record(stream);
  gpu_origin_->synchronize();
  gpu_origin_s_ = since(start_);
}

void Trace::gpu_span(const char* stage, int64_t chunk, int frames, const CudaEvent& begin, const CudaEvent& end) {
  if (!enabled_ || !gpu_origin_) return;
  end.synchronize();
  const double a = gpu_origin_s_ + begin.elapsed_ms_since(*gpu_origin_) / 1000.0;
  const double b = gpu_origin_s_ + end.elapsed_ms_since(*gpu_origin_) / 1000.0;
  std::lock_guard<std::mutex> hold(m_);
  spans_.push_back({stage, chunk, frames, a, b});
}

}  // namespace cuframe::detail
