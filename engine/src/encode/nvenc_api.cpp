// NVENC's function table, status names and session opening (nvenc_api.hpp).
#include "encode/nvenc_api.hpp"

#include <cstdint>
#include <string>

#include "cuframe/error.hpp"

namespace cuframe::detail::nvenc {

const char* status_name(NVENCSTATUS s) {
  switch (s) {
    case NV_ENC_SUCCESS: return "NV_ENC_SUCCESS";
    case NV_ENC_ERR_NO_ENCODE_DEVICE: return "NV_ENC_ERR_NO_ENCODE_DEVICE";
    case NV_ENC_ERR_UNSUPPORTED_DEVICE: return "NV_ENC_ERR_UNSUPPORTED_DEVICE";
    case NV_ENC_ERR_INVALID_ENCODERDEVICE: return "NV_ENC_ERR_INVALID_ENCODERDEVICE";
    case NV_ENC_ERR_INVALID_DEVICE: return "NV_ENC_ERR_INVALID_DEVICE";
    case NV_ENC_ERR_DEVICE_NOT_EXIST: return "NV_ENC_ERR_DEVICE_NOT_EXIST";
    case NV_ENC_ERR_INVALID_PTR: return "NV_ENC_ERR_INVALID_PTR";
    case NV_ENC_ERR_INVALID_EVENT: return "NV_ENC_ERR_INVALID_EVENT";
    case NV_ENC_ERR_INVALID_PARAM: return "NV_ENC_ERR_INVALID_PARAM";
    case NV_ENC_ERR_INVALID_CALL: return "NV_ENC_ERR_INVALID_CALL";
    case NV_ENC_ERR_OUT_OF_MEMORY: return "NV_ENC_ERR_OUT_OF_MEMORY";
    case NV_ENC_ERR_ENCODER_NOT_INITIALIZED: return "NV_ENC_ERR_ENCODER_NOT_INITIALIZED";
    case NV_ENC_ERR_UNSUPPORTED_PARAM: return "NV_ENC_ERR_UNSUPPORTED_PARAM";
    case NV_ENC_ERR_LOCK_BUSY: return "NV_ENC_ERR_LOCK_BUSY";
    case NV_ENC_ERR_NOT_ENOUGH_BUFFER: return "NV_ENC_ERR_NOT_ENOUGH_BUFFER";
    case NV_ENC_ERR_INVALID_VERSION: return "NV_ENC_ERR_INVALID_VERSION";
    case NV_ENC_ERR_MAP_FAILED: return "NV_ENC_ERR_MAP_FAILED";
    case NV_ENC_ERR_NEED_MORE_INPUT: return "NV_ENC_ERR_NEED_MORE_INPUT";
    case NV_ENC_ERR_ENCODER_BUSY: return "NV_ENC_ERR_ENCODER_BUSY";
    case NV_ENC_ERR_EVENT_NOT_REGISTERD: return "NV_ENC_ERR_EVENT_NOT_REGISTERD";
    case NV_ENC_ERR_GENERIC: return "NV_ENC_ERR_GENERIC";
    case NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY: return "NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY";
    case NV_ENC_ERR_UNIMPLEMENTED: return "NV_ENC_ERR_UNIMPLEMENTED";
    case NV_ENC_ERR_RESOURCE_REGISTER_FAILED: return "NV_ENC_ERR_RESOURCE_REGISTER_FAILED";
    case NV_ENC_ERR_RESOURCE_NOT_REGISTERED: return "NV_ENC_ERR_RESOURCE_NOT_REGISTERED";
    case NV_ENC_ERR_RESOURCE_NOT_MAPPED: return "NV_ENC_ERR_RESOURCE_NOT_MAPPED";
  }
  return "NVENCSTATUS (unknown)";
}

const Table& table() {
  static const Table loaded = [] {
    Table t;
    const NvApi& api = nv_api();
    if (!api.nvenc) {
      t.problem = "libnvidia-encode.so.1 (NVENC) cannot be loaded";
      return t;
    }
    uint32_t max_version = 0;
    if (api.nvenc->NvEncodeAPIGetMaxSupportedVersion(&max_version) != NV_ENC_SUCCESS) {
      t.problem = "NvEncodeAPIGetMaxSupportedVersion failed";
      return t;
    }
    const uint32_t needed = (NVENCAPI_MAJOR_VERSION << 4) | NVENCAPI_MINOR_VERSION;
    if (max_version < needed) {
      t.problem = "the driver's NVENC API " + std::to_string(max_version >> 4) + "." + std::to_string(max_version & 15) +
                  " is older than the SDK headers' " + std::to_string(NVENCAPI_MAJOR_VERSION) + "." +
                  std::to_string(NVENCAPI_MINOR_VERSION) + ": update the NVIDIA driver";
      return t;
    }
    t.fns.version = NV_ENCODE_API_FUNCTION_LIST_VER;
    if (api.nvenc->NvEncodeAPICreateInstance(&t.fns) != NV_ENC_SUCCESS) {
      t = Table{};
      t.problem = "NvEncodeAPICreateInstance failed";
    }
    return t;
  }();
  return loaded;
}

void throw_status(NVENCSTATUS status, void* encoder, const char* call, const char* file, int line) {
  std::string last;
  if (encoder && fns().nvEncGetLastErrorString) {
    const char* s = fns().nvEncGetLastErrorString(encoder);
    if (s && *s) last = s;
  }
  try {
    throw_nvenc_error(status, call, file, line);
  } catch (const Error& e) {
    throw Error(e.code(), e.subject(), std::string(status_name(status)) + (last.empty() ? "" : ": " + last));
  }
}

NVENCSTATUS open_session(CUcontext ctx, Session& out) {
  NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS open{};
  open.version = NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER;
  open.deviceType = NV_ENC_DEVICE_TYPE_CUDA;
  open.device = ctx;
  open.apiVersion = NVENCAPI_VERSION;
  void* encoder = nullptr;
  const NVENCSTATUS st = fns().nvEncOpenEncodeSessionEx(&open, &encoder);
  if (st != NV_ENC_SUCCESS) {
    if (encoder) fns().nvEncDestroyEncoder(encoder);
    return st;
  }
  out = Session(encoder, ctx);
  return NV_ENC_SUCCESS;
}

}  // namespace cuframe::detail::nvenc
