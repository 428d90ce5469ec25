#include "cuda_check.hpp"

#include <cstring>
#include <string>

#include "cuframe/error.hpp"

namespace cuframe::detail {

void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  const char* base = std::strrchr(file, '/');
  std::string subject = std::string(call) + " (" + (base ? base + 1 : file) + ":" + std::to_string(line) + ")";
  Errc code = status == cudaErrorMemoryAllocation        ? Errc::OutOfMemory
              : status == cudaErrorInsufficientDriver    ? Errc::DriverTooOld
              : status == cudaErrorNoDevice              ? Errc::DriverMissing
                                                         : Errc::Cuda;
  throw Error(code, std::move(subject), std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status));
}

}  // namespace cuframe::detail
