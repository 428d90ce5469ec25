// Internal: the device's primary context, held for an object's life (Note [Primary context]).
//
// Note [Primary context]: the CUDA runtime, NVDEC, NVENC and the device queries all work
// in the device's primary context, so device pointers pass between them freely. Each
// user holds one PrimaryContext (a retain, released by the destructor, also when the
// user's constructor throws later) and makes it current around driver calls with
// ContextScope (nv/api.hpp). Nothing here creates a context of its own.
#pragma once

#include <utility>

#include "nv/api.hpp"

namespace cuframe::detail {

class PrimaryContext {
 public:
  /// Retains device `ordinal`'s primary context; throws cuframe::Error naming the call.
  explicit PrimaryContext(int ordinal) : ordinal_(ordinal) {
    const CudaFunctions* cu = nv_api().cuda;
    CUFRAME_CHECK(cu->cuDeviceGet(&device_, ordinal));
    CUFRAME_CHECK(cu->cuDevicePrimaryCtxRetain(&ctx_, device_));
  }
  ~PrimaryContext() {
    if (ctx_) nv_api().cuda->cuDevicePrimaryCtxRelease(device_);
  }
  PrimaryContext(PrimaryContext&& o) noexcept
      : ordinal_(o.ordinal_), device_(o.device_), ctx_(std::exchange(o.ctx_, nullptr)) {}
  PrimaryContext& operator=(PrimaryContext&&) = delete;
  PrimaryContext(const PrimaryContext&) = delete;
  PrimaryContext& operator=(const PrimaryContext&) = delete;

  CUcontext get() const noexcept { return ctx_; }
  CUdevice device() const noexcept { return device_; }
  int ordinal() const noexcept { return ordinal_; }

 private:
  int ordinal_ = 0;
  CUdevice device_ = 0;
  CUcontext ctx_ = nullptr;
};

}  // namespace cuframe::detail
