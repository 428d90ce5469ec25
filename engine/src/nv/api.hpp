// Internal: the NVIDIA Video Codec SDK's run-time loader (ffnvcodec).
//
// Note [Driver loading]: nothing links libcuda or its stub, so binaries start on
// machines without a driver. ffnvcodec's headers declare the driver API, NVDEC and NVENC
// themselves and clash with <cuda.h>/<cuda_runtime.h>: a translation unit includes
// either this header or the CUDA toolkit's, never both. The loader prints to stderr
// unless FFNV_LOG_FUNC is defined; we route its messages to nowhere and report through
// DriverStatus instead.
#pragma once

#define FFNV_LOG_FUNC(logctx, msg, ...) ((void)(logctx))
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...) ((void)(logctx))
#include <ffnvcodec/dynlink_loader.h>

#include <string>

#include "cuframe/check.hpp"

namespace cuframe::detail {

/// Function tables, loaded once per process; a null table means the library is absent.
struct NvApi {
  CudaFunctions* cuda = nullptr;
  CuvidFunctions* cuvid = nullptr;
  NvencFunctions* nvenc = nullptr;
  bool cuda_initialised = false;  ///< cuInit(0) succeeded
  int driver_api_version = 0;
  std::string problem;            ///< why CUDA is not usable, empty if it is
};

const NvApi& nv_api() noexcept;

/// Text of a CUresult ("CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected").
std::string cu_error_text(CUresult r);

[[noreturn]] void throw_cu_error(CUresult status, const char* call, const char* file, int line);
[[noreturn]] void throw_nvenc_error(NVENCSTATUS status, const char* call, const char* file, int line);

inline void check(CUresult status, const char* call, const char* file, int line) {
  if (status != CUDA_SUCCESS) throw_cu_error(status, call, file, line);
}
inline void check(NVENCSTATUS status, const char* call, const char* file, int line) {
  if (status != NV_ENC_SUCCESS) throw_nvenc_error(status, call, file, line);
}

/// Makes `ctx` current on this thread for the scope (push/pop; nothing if ctx is null or
/// the push fails, which the next driver call then reports).
class ContextScope {
 public:
  explicit ContextScope(CUcontext ctx) noexcept {
    if (ctx && nv_api().cuda->cuCtxPushCurrent(ctx) == CUDA_SUCCESS) pushed_ = true;
  }
  ~ContextScope() {
    CUcontext popped = nullptr;
    if (pushed_) nv_api().cuda->cuCtxPopCurrent(&popped);
  }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  bool pushed_ = false;
};

}  // namespace cuframe::detail
