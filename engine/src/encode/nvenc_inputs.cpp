// The NVENC session's input surfaces (nvenc_inputs.hpp, Note [NVENC flow]).
#include "encode/nvenc_inputs.hpp"

#include <cstdint>
#include <utility>

#include "cuframe/error.hpp"

namespace cuframe::detail::nvenc {

Inputs::Inputs(void* encoder, CUcontext ctx, InputSettings settings)
    : encoder_(encoder), ctx_(ctx), settings_(std::move(settings)) {}

Input& Inputs::acquire(CUdeviceptr ptr, std::size_t pitch, CUstream stream) {
  for (const std::unique_ptr<Input>& in : own_)
    if (in->ptr == ptr && in->pitch == pitch) return map(*in);
  if (static_cast<int>(own_.size()) < settings_.registered_limit) {
    own_.push_back(register_surface(ptr, pitch));
    return map(*own_.back());
  }
  return copy_into_pool(ptr, pitch, stream);
}

void Inputs::release(Input& input) noexcept {
  if (--input.map_count == 0) input.mapped.reset();
}

void Inputs::clear() noexcept {
  own_.clear();  // each unmaps, then unregisters
  pool_.clear();
  pool_memory_.reset();
}

std::unique_ptr<Input> Inputs::register_surface(CUdeviceptr ptr, std::size_t pitch) const {
  NV_ENC_REGISTER_RESOURCE rr{};
  rr.version = NV_ENC_REGISTER_RESOURCE_VER;
  rr.resourceType = NV_ENC_INPUT_RESOURCE_TYPE_CUDADEVICEPTR;
  rr.width = static_cast<uint32_t>(settings_.layout.width);
  rr.height = static_cast<uint32_t>(settings_.layout.height);
  rr.pitch = static_cast<uint32_t>(pitch);
  rr.resourceToRegister = reinterpret_cast<void*>(ptr);
  rr.bufferFormat = settings_.format;
  rr.bufferUsage = NV_ENC_INPUT_IMAGE;
  CUFRAME_NVENC_CHECK(encoder_, fns().nvEncRegisterResource(encoder_, &rr));
  auto in = std::make_unique<Input>();
  in->ptr = ptr;
  in->pitch = pitch;
  in->registered = RegisteredResource(encoder_, ctx_, rr.registeredResource);
  return in;
}

Input& Inputs::map(Input& input) const {
  if (input.map_count == 0) {
    NV_ENC_MAP_INPUT_RESOURCE map{};
    map.version = NV_ENC_MAP_INPUT_RESOURCE_VER;
    map.registeredResource = input.registered.get();
    CUFRAME_NVENC_CHECK(encoder_, fns().nvEncMapInputResource(encoder_, &map));
    input.mapped = MappedResource(encoder_, ctx_, map.mappedResource);
    input.mapped_format = map.mappedBufferFmt;
  }
  ++input.map_count;
  return input;
}

Input& Inputs::copy_into_pool(CUdeviceptr ptr, std::size_t pitch, CUstream stream) {
  const FrameLayout& l = settings_.layout;
  if (!pool_memory_) {
    pool_memory_.emplace(l, settings_.pool_size, MemoryKind::Device, settings_.device);
    pool_.reserve(static_cast<std::size_t>(settings_.pool_size));
    for (int i = 0; i < settings_.pool_size; ++i)
      pool_.push_back(register_surface(reinterpret_cast<CUdeviceptr>(pool_memory_->plane(i, 0)), l.planes[0].pitch));
  }
  Input* free = nullptr;
  for (const std::unique_ptr<Input>& in : pool_)
    if (in->map_count == 0) {
      free = in.get();
      break;
    }
  if (!free)
    throw Error(Errc::Internal, settings_.subject,
                "all " + std::to_string(pool_.size()) + " NVENC input buffers hold pictures in flight");
  // The planes lie one after the other with the same pitch, in the frame as in the pool
  // (the session checks the batch): one copy of all their rows.
  CUDA_MEMCPY2D m{};
  m.srcMemoryType = CU_MEMORYTYPE_DEVICE;
  m.srcDevice = ptr;
  m.srcPitch = pitch;
  m.dstMemoryType = CU_MEMORYTYPE_DEVICE;
  m.dstDevice = free->ptr;
  m.dstPitch = free->pitch;
  m.WidthInBytes = l.planes[0].row_bytes;
  m.Height = static_cast<std::size_t>(l.planes[0].rows) + static_cast<std::size_t>(l.planes[1].rows);
  CUFRAME_CHECK(nv_api().cuda->cuMemcpy2DAsync(&m, stream));
  return map(*free);
}

}  // namespace cuframe::detail::nvenc
