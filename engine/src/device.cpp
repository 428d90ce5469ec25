// Driver status, device list and codec capability queries, all through the run-time
// loaded driver API (see Note [Driver loading]).
#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "cuframe/device.hpp"
#include "cuframe/error.hpp"
#include "nv/api.hpp"
#include "nv/context.hpp"

#ifndef CUFRAME_REQUIRED_DRIVER_VERSION
#define CUFRAME_REQUIRED_DRIVER_VERSION 0
#endif

namespace cuframe {

using detail::nv_api;

bool cuda_built() noexcept { return CUFRAME_REQUIRED_DRIVER_VERSION > 0; }
int required_driver_version() noexcept { return CUFRAME_REQUIRED_DRIVER_VERSION; }

namespace {

std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

std::string nvml_driver_release() {
  void* lib = dlopen("libnvidia-ml.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (!lib) return {};
  using Init = int (*)();
  using GetVersion = int (*)(char*, unsigned);
  auto init = reinterpret_cast<Init>(dlsym(lib, "nvmlInit_v2"));
  auto get = reinterpret_cast<GetVersion>(dlsym(lib, "nvmlSystemGetDriverVersion"));
  auto shutdown = reinterpret_cast<Init>(dlsym(lib, "nvmlShutdown"));
  std::string release;
  if (init && get && shutdown && init() == 0) {
    char buf[96] = {};
    if (get(buf, sizeof buf) == 0) release = buf;
    shutdown();
  }
  dlclose(lib);
  return release;
}

// Device `ordinal`'s primary context, held and current for the scope (Note [Primary
// context]); error() says why not, instead of throwing.
class PrimaryContextScope {
 public:
  explicit PrimaryContextScope(int ordinal) {
    try {
      ctx_.emplace(ordinal);
      scope_.emplace(ctx_->get());
    } catch (const Error& e) {
      error_ = e.reason();
    }
  }
  const std::string& error() const { return error_; }
  CUcontext context() const { return ctx_ ? ctx_->get() : nullptr; }

 private:
  std::optional<detail::PrimaryContext> ctx_;
  std::optional<detail::ContextScope> scope_;
  std::string error_;
};

struct CodecRow {
  Codec codec;
  cudaVideoCodec nv;
};
constexpr CodecRow kDecodeCodecs[] = {
    {Codec::MPEG2, cudaVideoCodec_MPEG2}, {Codec::MPEG4, cudaVideoCodec_MPEG4},
    {Codec::H264, cudaVideoCodec_H264},   {Codec::HEVC, cudaVideoCodec_HEVC},
    {Codec::VP8, cudaVideoCodec_VP8},     {Codec::VP9, cudaVideoCodec_VP9},
    {Codec::AV1, cudaVideoCodec_AV1},
};

void query_decode(int ordinal, CodecCapsReport& report) {
  const detail::NvApi& api = nv_api();
  if (!api.cuvid || !api.cuvid->cuvidGetDecoderCaps) {
    report.decode_problem = "libnvcuvid.so.1 (NVDEC) cannot be loaded";
    return;
  }
  PrimaryContextScope scope(ordinal);
  if (!scope.error().empty()) {
    report.decode_problem = "cannot make the primary context current: " + scope.error();
    return;
  }
  const std::pair<ChromaFormat, cudaVideoChromaFormat> chromas[] = {
      {ChromaFormat::Yuv420, cudaVideoChromaFormat_420},
      {ChromaFormat::Yuv422, cudaVideoChromaFormat_422},
      {ChromaFormat::Yuv444, cudaVideoChromaFormat_444}};
  for (const CodecRow& c : kDecodeCodecs) {
    for (const auto& [chroma, nv_chroma] : chromas) {
      for (int depth : {8, 10, 12}) {
        CUVIDDECODECAPS caps{};
        caps.eCodecType = c.nv;
        caps.eChromaFormat = nv_chroma;
        caps.nBitDepthMinus8 = static_cast<unsigned>(depth - 8);
        const CUresult r = api.cuvid->cuvidGetDecoderCaps(&caps);
        if (r != CUDA_SUCCESS) {
          report.decode_problem = "cuvidGetDecoderCaps failed: " + detail::cu_error_text(r);
          return;
        }
        DecodeCaps row;
        row.codec = c.codec;
        row.chroma = chroma;
        row.bit_depth = depth;
        row.supported = caps.bIsSupported != 0;
        row.engines = caps.nNumNVDECs;
        row.min_width = caps.nMinWidth;
        row.min_height = caps.nMinHeight;
        row.max_width = static_cast<int>(caps.nMaxWidth);
        row.max_height = static_cast<int>(caps.nMaxHeight);
        row.max_macroblocks = caps.nMaxMBCount;
        row.output_format_mask = caps.nOutputFormatMask;
        if (row.supported) report.nvdec_engines = std::max(report.nvdec_engines, row.engines);
        report.decode.push_back(row);
      }
    }
  }
}

void query_encode(int ordinal, CodecCapsReport& report) {
  const detail::NvApi& api = nv_api();
  if (!api.nvenc) {
    report.encode_problem = "libnvidia-encode.so.1 (NVENC) cannot be loaded";
    return;
  }
  uint32_t max_version = 0;
  if (api.nvenc->NvEncodeAPIGetMaxSupportedVersion(&max_version) != NV_ENC_SUCCESS) {
    report.encode_problem = "NvEncodeAPIGetMaxSupportedVersion failed";
    return;
  }
  const uint32_t needed = (NVENCAPI_MAJOR_VERSION << 4) | NVENCAPI_MINOR_VERSION;
  if (max_version < needed) {
    report.encode_problem = "driver's NVENC API " + std::to_string(max_version >> 4) + "." +
                            std::to_string(max_version & 15) + " is older than the SDK headers' " +
                            std::to_string(NVENCAPI_MAJOR_VERSION) + "." + std::to_string(NVENCAPI_MINOR_VERSION);
    return;
  }
  NV_ENCODE_API_FUNCTION_LIST fns{};
  fns.version = NV_ENCODE_API_FUNCTION_LIST_VER;
  if (api.nvenc->NvEncodeAPICreateInstance(&fns) != NV_ENC_SUCCESS) {
    report.encode_problem = "NvEncodeAPICreateInstance failed";
    return;
  }
  PrimaryContextScope scope(ordinal);
  if (!scope.error().empty()) {
    report.encode_problem = "cannot make the primary context current: " + scope.error();
    return;
  }
  NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS open{};
  open.version = NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER;
  open.deviceType = NV_ENC_DEVICE_TYPE_CUDA;
  open.device = scope.context();
  open.apiVersion = NVENCAPI_VERSION;
  void* encoder = nullptr;
  const NVENCSTATUS st = fns.nvEncOpenEncodeSessionEx(&open, &encoder);
  if (st != NV_ENC_SUCCESS) {
    report.encode_problem = st == NV_ENC_ERR_NO_ENCODE_DEVICE || st == NV_ENC_ERR_UNSUPPORTED_DEVICE
                                ? "this GPU has no NVENC (nvEncOpenEncodeSessionEx: " + std::to_string(st) + ")"
                                : "nvEncOpenEncodeSessionEx failed with NVENCSTATUS " + std::to_string(st);
    if (encoder) fns.nvEncDestroyEncoder(encoder);
    return;
  }
  uint32_t count = 0;
  fns.nvEncGetEncodeGUIDCount(encoder, &count);
  std::vector<GUID> guids(count);
  uint32_t got = 0;
  if (count) fns.nvEncGetEncodeGUIDs(encoder, guids.data(), count, &got);
  auto has = [&](const GUID& g) {
    return std::any_of(guids.begin(), guids.begin() + got,
                       [&](const GUID& x) { return std::memcmp(&x, &g, sizeof g) == 0; });
  };
  auto cap = [&](GUID codec, NV_ENC_CAPS which) {
    NV_ENC_CAPS_PARAM p{};
    p.version = NV_ENC_CAPS_PARAM_VER;
    p.capsToQuery = which;
    int v = 0;
    return fns.nvEncGetEncodeCaps(encoder, codec, &p, &v) == NV_ENC_SUCCESS ? v : 0;
  };
  const std::pair<Codec, GUID> codecs[] = {{Codec::H264, NV_ENC_CODEC_H264_GUID},
                                           {Codec::HEVC, NV_ENC_CODEC_HEVC_GUID}};
  for (const auto& [codec, guid] : codecs) {
    EncodeCaps row;
    row.codec = codec;
    row.supported = has(guid);
    if (row.supported) {
      row.max_width = cap(guid, NV_ENC_CAPS_WIDTH_MAX);
      row.max_height = cap(guid, NV_ENC_CAPS_HEIGHT_MAX);
      row.ten_bit = cap(guid, NV_ENC_CAPS_SUPPORT_10BIT_ENCODE) != 0;
      row.yuv444 = cap(guid, NV_ENC_CAPS_SUPPORT_YUV444_ENCODE) != 0;
      row.max_b_frames = cap(guid, NV_ENC_CAPS_NUM_MAX_BFRAMES);
    }
    report.encode.push_back(row);
  }
  fns.nvEncDestroyEncoder(encoder);
}

}  // namespace

DriverStatus driver_status() noexcept {
  DriverStatus s;
  try {
    const detail::NvApi& api = nv_api();
    s.libcuda = api.cuda != nullptr;
    s.libnvcuvid = api.cuvid != nullptr;
    s.libnvidia_encode = api.nvenc != nullptr;
    s.driver_api_version = api.driver_api_version;
    s.problem = api.problem;
    if (s.libcuda) {
      // NVML's init can take a second without persistence mode: once per process.
      static const std::string release = nvml_driver_release();
      s.driver_release = release;
    }
    if (api.cuda_initialised) {
      if (api.cuda->cuDeviceGetCount(&s.device_count) != CUDA_SUCCESS) s.device_count = 0;
      if (s.device_count == 0) s.problem = "the driver sees no GPU";
    }
    const int need = required_driver_version();
    if (s.problem.empty() && need > 0 && s.driver_api_version > 0 && s.driver_api_version < need)
      s.problem = "the NVIDIA driver supports CUDA " + version_text(s.driver_api_version) + " but this build needs CUDA " +
                  version_text(need) + " (driver R580 or newer for CUDA 13): update the driver";
  } catch (...) {
    s.problem = "unexpected failure while loading the driver";
  }
  return s;
}

std::vector<DeviceInfo> devices() noexcept {
  std::vector<DeviceInfo> out;
  try {
    const DriverStatus st = driver_status();
    if (!st.usable()) return out;
    const CudaFunctions* cu = nv_api().cuda;
    for (int i = 0; i < st.device_count; ++i) {
      CUdevice dev = 0;
      if (cu->cuDeviceGet(&dev, i) != CUDA_SUCCESS) continue;
      DeviceInfo d;
      d.ordinal = i;
      char name[256] = {};
      cu->cuDeviceGetName(name, sizeof name, dev);
      d.name = name;
      cu->cuDeviceGetAttribute(&d.cc_major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
      cu->cuDeviceGetAttribute(&d.cc_minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
      cu->cuDeviceGetAttribute(&d.multiprocessors, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
      using TotalMem = CUresult (*)(size_t*, CUdevice);
      size_t bytes = 0;
      auto total_mem = reinterpret_cast<TotalMem>(dlsym(cu->lib, "cuDeviceTotalMem_v2"));
      if (total_mem && total_mem(&bytes, dev) == CUDA_SUCCESS) d.total_memory = static_cast<int64_t>(bytes);
      int bus = 0, devnum = 0, domain = 0;
      cu->cuDeviceGetAttribute(&bus, CU_DEVICE_ATTRIBUTE_PCI_BUS_ID, dev);
      cu->cuDeviceGetAttribute(&devnum, CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID, dev);
      cu->cuDeviceGetAttribute(&domain, CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID, dev);
      char pci[32];
      std::snprintf(pci, sizeof pci, "%04x:%02x:%02x.0", domain, bus, devnum);
      d.pci_bus_id = pci;
      out.push_back(std::move(d));
    }
  } catch (...) {
    out.clear();
  }
  return out;
}

CodecCapsReport query_codec_caps(int device) noexcept {
  CodecCapsReport report;
  report.device = device;
  try {
    const DriverStatus st = driver_status();
    if (!st.usable()) {
      report.decode_problem = report.encode_problem = st.problem.empty() ? "no usable GPU" : st.problem;
      return report;
    }
    if (device < 0 || device >= st.device_count) {
      report.decode_problem = report.encode_problem = "no GPU with index " + std::to_string(device);
      return report;
    }
    query_decode(device, report);
    query_encode(device, report);
  } catch (const std::exception& e) {
    report.decode_problem = e.what();
  }
  return report;
}

}  // namespace cuframe
