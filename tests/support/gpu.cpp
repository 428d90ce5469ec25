#include "gpu.hpp"

#include <cstdlib>
#include <cstring>

#include "cuframe/device.hpp"

#ifdef CUFRAME_TEST_CUDA
#include <cuda_runtime_api.h>
#endif

namespace cuframe::test {

bool gpu_usable(std::string* why) {
  static const std::string reason = [] {
    if (!cuda_built()) return std::string("this is a CPU-only build (CUFRAME_CUDA=OFF)");
    const DriverStatus st = driver_status();
    if (!st.usable()) return st.problem.empty() ? std::string("no GPU") : st.problem;
#ifdef CUFRAME_TEST_CUDA
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) return std::string("cudaGetDeviceCount: ") + cudaGetErrorString(e);
    if (count == 0) return std::string("the CUDA runtime sees no GPU");
#endif
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
#ifdef CUFRAME_TEST_CUDA
  if (!gpu_usable(nullptr)) return {};
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
#endif
  return {};
}

}  // namespace cuframe::test
