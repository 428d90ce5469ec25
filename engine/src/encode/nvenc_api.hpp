// Internal: NVENC's function table (Video Codec SDK 11.1 through ffnvcodec; Note [Driver
// loading]), its one check macro, and RAII owners of the session and its resources. Used
// by the capability probe (nvenc_probe.cpp) and the session (nvenc_encoder.cpp).
#pragma once

#include <string>
#include <utility>

#include "nv/api.hpp"

namespace cuframe::detail::nvenc {

/// "NV_ENC_ERR_NO_ENCODE_DEVICE", ...
const char* status_name(NVENCSTATUS s);

/// The function table, created once per process: empty, with `problem` saying why, when
/// libnvidia-encode.so.1 is missing or older than the SDK headers.
struct Table {
  NV_ENCODE_API_FUNCTION_LIST fns{};
  std::string problem;
};
const Table& table();
inline const NV_ENCODE_API_FUNCTION_LIST& fns() { return table().fns; }

/// Throws through the common NVENC check (detail::throw_nvenc_error: category and call
/// site), adding the status name and the session's last error text (`encoder` may be null).
[[noreturn]] void throw_status(NVENCSTATUS status, void* encoder, const char* call, const char* file, int line);

#define CUFRAME_NVENC_CHECK(encoder, call)                                                        \
  do {                                                                                            \
    const NVENCSTATUS cuframe_status_ = (call);                                                   \
    if (cuframe_status_ != NV_ENC_SUCCESS)                                                        \
      ::cuframe::detail::nvenc::throw_status(cuframe_status_, (encoder), #call, __FILE__, __LINE__); \
  } while (0)

/// An NVENC session (nvEncDestroyEncoder on destruction, with its context current).
class Session {
 public:
  Session() = default;
  Session(void* encoder, CUcontext ctx) noexcept : encoder_(encoder), ctx_(ctx) {}
  ~Session() { reset(); }
  Session(Session&& o) noexcept : encoder_(std::exchange(o.encoder_, nullptr)), ctx_(o.ctx_) {}
  Session& operator=(Session&& o) noexcept {
    if (this != &o) {
      reset();
      encoder_ = std::exchange(o.encoder_, nullptr);
      ctx_ = o.ctx_;
    }
    return *this;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void* get() const noexcept { return encoder_; }
  void reset() noexcept {
    if (!encoder_) return;
    ContextScope scope(ctx_);
    fns().nvEncDestroyEncoder(std::exchange(encoder_, nullptr));
  }

 private:
  void* encoder_ = nullptr;
  CUcontext ctx_ = nullptr;
};

/// Opens a session on `ctx` (current); on failure returns the status and leaves nothing open.
NVENCSTATUS open_session(CUcontext ctx, Session& out);

/// A resource of a session released by one NVENC call (void* encoder, void* handle):
/// bitstream buffers, registered resources, mapped inputs.
template <auto Release>
class Handle {
 public:
  Handle() = default;
  Handle(void* encoder, CUcontext ctx, void* handle) noexcept : encoder_(encoder), ctx_(ctx), handle_(handle) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : encoder_(o.encoder_), ctx_(o.ctx_), handle_(std::exchange(o.handle_, nullptr)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      encoder_ = o.encoder_;
      ctx_ = o.ctx_;
      handle_ = std::exchange(o.handle_, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  void* get() const noexcept { return handle_; }
  void reset() noexcept {
    if (!handle_) return;
    ContextScope scope(ctx_);
    (fns().*Release)(encoder_, std::exchange(handle_, nullptr));
  }

 private:
  void* encoder_ = nullptr;
  CUcontext ctx_ = nullptr;
  void* handle_ = nullptr;
};

using BitstreamBuffer = Handle<&NV_ENCODE_API_FUNCTION_LIST::nvEncDestroyBitstreamBuffer>;
using RegisteredResource = Handle<&NV_ENCODE_API_FUNCTION_LIST::nvEncUnregisterResource>;
using MappedResource = Handle<&NV_ENCODE_API_FUNCTION_LIST::nvEncUnmapInputResource>;

}  // namespace cuframe::detail::nvenc
