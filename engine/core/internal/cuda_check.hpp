// Internal: CUFRAME_CHECK for the CUDA runtime (cudaError_t).
#pragma once

#include <cuda_runtime_api.h>

#include "cuframe/check.hpp"

namespace cuframe::detail {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line);

inline void check(cudaError_t status, const char* call, const char* file, int line) {
  if (status != cudaSuccess) throw_cuda_error(status, call, file, line);
}

}  // namespace cuframe::detail
