#include "gpu.hpp"

#include <cstdlib>
#include <cstring>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/device.hpp"

namespace cuframe::test {

bool gpu_usable(std::string* why) {
  static const std::string reason = [] {
    if (!cuda_built()) return std::string("this is a CPU-only build (CUFRAME_CUDA=OFF)");
    const DriverStatus st = driver_status();
    if (!st.usable()) return st.problem.empty() ? std::string("no GPU") : st.problem;
    std::string runtime_why;
    if (cuda_device_count(&runtime_why) == 0) return runtime_why;
    return std::string();
  }();
  if (why) *why = reason;
  return reason.empty();
}

bool gpu_required() {
  const char* v = std::getenv("CUFRAME_REQUIRE_GPU");
  return v && std::strcmp(v, "0") != 0 && *v;
}

std::string take_cuda_error() {
  // Only ask the runtime when a GPU is usable: without a driver every call "fails".
  return gpu_usable(nullptr) ? cuframe::take_cuda_error() : std::string();
}

}  // namespace cuframe::test
