// Internal: the pipeline trace (Note [Pipeline trace] in cuframe/pipeline.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/pipeline.hpp"

namespace cuframe::detail {

using Clock = std::chrono::steady_clock;

inline double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The spans of one transcode, in seconds since `start`; does nothing when not enabled.
// Spans may come from any thread.
class Trace {
 public:
  Trace(bool enabled, Clock::time_point start) : enabled_(enabled), start_(start) {}

  // A host span: from `t0` to now.
  void span(const char* stage, int64_t chunk, int frames, Clock::time_point t0);
  // Records the device's origin on `stream` (the host waits for it once).
  void start_gpu(int device, const CudaStream& stream);
  // A device span between two timing events; waits for `end`. Nothing before start_gpu().
  void gpu_span(const char* stage, int64_t chunk, int frames, const CudaEvent& begin, const CudaEvent& end);

  std::vector<StageSpan> take() { return std::move(spans_); }

 private:
  bool enabled_;
  Clock::time_point start_;
  std::mutex m_;
  std::vector<StageSpan> spans_;
  std::optional<CudaEvent> gpu_origin_;  // recorded when the GPU streams start
  double gpu_origin_s_ = 0.0;            // host time of gpu_origin_
};

}  // namespace cuframe::detail
