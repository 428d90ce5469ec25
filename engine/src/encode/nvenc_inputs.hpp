// Internal: the NVENC session's input surfaces (Note [NVENC flow] in nvenc_encoder.cpp):
// the caller's device buffers, each registered once for the session up to a limit, and a
// pool of the session's own registered buffers that the other frames are copied into.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cuframe/frame.hpp"
#include "encode/nvenc_api.hpp"

namespace cuframe::detail::nvenc {

/// One registered surface and its mapping, shared by the pictures in flight that use it.
struct Input {
  CUdeviceptr ptr = 0;
  std::size_t pitch = 0;
  RegisteredResource registered;
  MappedResource mapped;  ///< declared after `registered`: unmapped before unregistering
  NV_ENC_BUFFER_FORMAT mapped_format = NV_ENC_BUFFER_FORMAT_UNDEFINED;
  int map_count = 0;  ///< pictures in flight that use this mapping
};

struct InputSettings {
  FrameLayout layout;           ///< of the frames: NV12 or P016, chroma right after luma
  NV_ENC_BUFFER_FORMAT format = NV_ENC_BUFFER_FORMAT_NV12;
  int device = 0;               ///< of the session (the pool's memory)
  int registered_limit = 0;     ///< the caller's buffers registered at most; the rest are copied
  int pool_size = 0;            ///< the session's own buffers: the pictures it may hold at once
  std::string subject;          ///< of errors
};

class Inputs {
 public:
  /// Nothing is registered or allocated yet. The session `encoder` and context `ctx` must
  /// outlive this object.
  Inputs(void* encoder, CUcontext ctx, InputSettings settings);
  ~Inputs() { clear(); }
  Inputs(const Inputs&) = delete;
  Inputs& operator=(const Inputs&) = delete;

  /// The input of the frame at `ptr` (pitch `pitch`, the layout's planes one after the
  /// other), mapped, with one more picture counted on it. The caller's buffer when it is
  /// registered already or fewer than registered_limit are; else a free pool buffer the
  /// frame is copied into on `stream` (the pool is allocated and registered, all of it, at
  /// its first use). Does not synchronise. With the context current. Throws
  /// cuframe::Error for failing calls, Errc::Internal when no pool buffer is free.
  Input& acquire(CUdeviceptr ptr, std::size_t pitch, CUstream stream);
  /// One picture using `input` is done with it (its output was locked): unmapped with the
  /// last one.
  static void release(Input& input) noexcept;
  /// Unmaps and unregisters every surface, then frees the pool.
  void clear() noexcept;

  int registered() const noexcept { return static_cast<int>(own_.size() + pool_.size()); }

 private:
  std::unique_ptr<Input> register_surface(CUdeviceptr ptr, std::size_t pitch) const;
  Input& map(Input& input) const;
  Input& copy_into_pool(CUdeviceptr ptr, std::size_t pitch, CUstream stream);

  void* encoder_ = nullptr;
  CUcontext ctx_ = nullptr;
  InputSettings settings_;
  std::vector<std::unique_ptr<Input>> own_;   ///< the caller's buffers
  std::optional<FrameBatch> pool_memory_;     ///< declared before `pool_`: freed after unregistering
  std::vector<std::unique_ptr<Input>> pool_;  ///< one a frame of pool_memory_
};

}  // namespace cuframe::detail::nvenc
