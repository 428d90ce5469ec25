// The one translation unit that runs ffnvcodec's loader (see Note [Driver loading]).
#include <dlfcn.h>

#include <cstring>

#include "cuframe/error.hpp"

#include "nv/api.hpp"

namespace cuframe::detail {

std::string cu_error_text(CUresult r) {
  const NvApi& api = nv_api();
  const char* name = nullptr;
  if (api.cuda && api.cuda->cuGetErrorName) api.cuda->cuGetErrorName(r, &name);
  const char* text = nullptr;
  if (api.cuda && api.cuda->cuGetErrorString) api.cuda->cuGetErrorString(r, &text);
  std::string s = name ? name : "CUresult " + std::to_string(static_cast<int>(r));
  if (text) s += std::string(": ") + text;
  return s;
}

static std::string where(const char* call, const char* file, int line) {
  const char* base = std::strrchr(file, '/');
  return std::string(call) + " (" + (base ? base + 1 : file) + ":" + std::to_string(line) + ")";
}

void throw_cu_error(CUresult status, const char* call, const char* file, int line) {
  const bool nvdec = std::strncmp(call, "cuvid", 5) == 0 || std::strstr(call, "->cuvid") != nullptr;
  const Errc code = static_cast<int>(status) == 2 /* CUDA_ERROR_OUT_OF_MEMORY */ ? Errc::OutOfMemory
                    : nvdec                            ? Errc::Nvdec
                                                       : Errc::Cuda;
  throw Error(code, where(call, file, line), cu_error_text(status));
}

void throw_nvenc_error(NVENCSTATUS status, const char* call, const char* file, int line) {
  throw Error(status == NV_ENC_ERR_OUT_OF_MEMORY ? Errc::OutOfMemory : Errc::Nvenc, where(call, file, line),
              "NVENCSTATUS " + std::to_string(static_cast<int>(status)));
}

static NvApi load() {
  NvApi api;
  if (cuda_load_functions(&api.cuda, nullptr) != 0) {
    api.cuda = nullptr;
    api.problem = "no NVIDIA driver: libcuda.so.1 cannot be loaded";
    return api;
  }
  if (cuvid_load_functions(&api.cuvid, nullptr) != 0) api.cuvid = nullptr;
  if (nvenc_load_functions(&api.nvenc, nullptr) != 0) api.nvenc = nullptr;

  using DriverGetVersion = CUresult (*)(int*);
  if (auto fn = reinterpret_cast<DriverGetVersion>(dlsym(api.cuda->lib, "cuDriverGetVersion"))) {
    if (fn(&api.driver_api_version) != CUDA_SUCCESS) api.driver_api_version = 0;
  }
  const CUresult r = api.cuda->cuInit(0);
  if (r != CUDA_SUCCESS) {
    api.problem = "cuInit failed: " + std::to_string(static_cast<int>(r));
    const char* name = nullptr;
    if (api.cuda->cuGetErrorName && api.cuda->cuGetErrorName(r, &name) == CUDA_SUCCESS && name)
      api.problem = std::string("cuInit failed: ") + name;
    return api;
  }
  api.cuda_initialised = true;
  return api;
}

const NvApi& nv_api() noexcept {
  // Loaded once and kept for the life of the process: the driver libraries are not
  // unloaded (other code in the process may hold contexts from them).
  static const NvApi api = load();
  return api;
}

}  // namespace cuframe::detail
