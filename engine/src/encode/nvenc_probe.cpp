// The NVENC capability probe (nvenc_probe.hpp) and nvenc_unusable_reason(), the
// dispatcher's question (encode/backends.hpp).
#include "encode/nvenc_probe.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cuframe/device.hpp"
#include "encode/backends.hpp"
#include "encode/nvenc_api.hpp"
#include "nv/context.hpp"

namespace cuframe::detail {

namespace nvenc {

namespace {

bool same_guid(const GUID& a, const GUID& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

DeviceProbe probe_device(int device) {
  DeviceProbe r;
  try {
    const DriverStatus st = driver_status();
    if (!st.usable()) {
      const bool too_old = st.libcuda && st.problem.find("update the driver") != std::string::npos;
      r.code = too_old ? Errc::DriverTooOld : Errc::DriverMissing;
      r.problem = st.problem.empty() ? "no usable GPU" : st.problem;
      return r;
    }
    if (device < 0 || device >= st.device_count) {
      r.code = Errc::NotFound;
      r.problem = "no GPU with index " + std::to_string(device) + " (the driver sees " +
                  std::to_string(st.device_count) + ")";
      return r;
    }
    if (!table().problem.empty()) {
      r.code = Errc::DriverMissing;
      r.problem = table().problem;
      return r;
    }
    const CudaFunctions* cu = nv_api().cuda;
    CUdevice dev = 0;
    CUFRAME_CHECK(cu->cuDeviceGet(&dev, device));
    char name[256] = {};
    CUFRAME_CHECK(cu->cuDeviceGetName(name, sizeof name, dev));
    r.gpu_name = name;

    PrimaryContext ctx(device);
    ContextScope scope(ctx.get());
    Session session;
    const NVENCSTATUS st_open = open_session(ctx.get(), session);
    if (st_open == NV_ENC_ERR_NO_ENCODE_DEVICE || st_open == NV_ENC_ERR_UNSUPPORTED_DEVICE) {
      r.problem = "no NVENC on " + r.gpu_name + " (nvEncOpenEncodeSessionEx: " + status_name(st_open) + ")";
      return r;
    }
    if (st_open != NV_ENC_SUCCESS) {  // e.g. the session limit of a consumer GPU: may pass
      r.code = Errc::Nvenc;
      r.cacheable = false;
      r.problem = std::string("cannot open an NVENC session on ") + r.gpu_name + ": " + status_name(st_open);
      return r;
    }
    void* enc = session.get();
    uint32_t count = 0;
    CUFRAME_NVENC_CHECK(enc, fns().nvEncGetEncodeGUIDCount(enc, &count));
    std::vector<GUID> guids(count);
    uint32_t got = 0;
    if (count) CUFRAME_NVENC_CHECK(enc, fns().nvEncGetEncodeGUIDs(enc, guids.data(), count, &got));
    guids.resize(std::min(got, count));
    auto cap = [&](const GUID& codec, NV_ENC_CAPS which) {
      NV_ENC_CAPS_PARAM p{};
      p.version = NV_ENC_CAPS_PARAM_VER;
      p.capsToQuery = which;
      int v = 0;
      return fns().nvEncGetEncodeCaps(enc, codec, &p, &v) == NV_ENC_SUCCESS ? v : 0;
    };
    auto query = [&](const GUID& codec, NvencCodecCaps& c) {
      c.supported = std::any_of(guids.begin(), guids.end(), [&](const GUID& g) { return same_guid(g, codec); });
      if (!c.supported) return;
      c.max_width = cap(codec, NV_ENC_CAPS_WIDTH_MAX);
      c.max_height = cap(codec, NV_ENC_CAPS_HEIGHT_MAX);
      c.min_width = cap(codec, NV_ENC_CAPS_WIDTH_MIN);
      c.min_height = cap(codec, NV_ENC_CAPS_HEIGHT_MIN);
      c.ten_bit = cap(codec, NV_ENC_CAPS_SUPPORT_10BIT_ENCODE) != 0;
      c.lossless = cap(codec, NV_ENC_CAPS_SUPPORT_LOSSLESS_ENCODE) != 0;
      c.max_b_frames = cap(codec, NV_ENC_CAPS_NUM_MAX_BFRAMES);
      c.bframe_ref_mode = cap(codec, NV_ENC_CAPS_SUPPORT_BFRAME_REF_MODE);
    };
    query(NV_ENC_CODEC_H264_GUID, r.h264);
    query(NV_ENC_CODEC_HEVC_GUID, r.hevc);
  } catch (const Error& e) {
    r.code = e.code();
    r.cacheable = false;
    r.problem = std::string("NVENC capability query failed: ") + e.what();
  } catch (const std::exception& e) {
    r.code = Errc::Internal;
    r.cacheable = false;
    r.problem = std::string("NVENC capability query failed: ") + e.what();
  }
  return r;
}

}  // namespace

DeviceProbe probe_cached(int device) {
  static std::mutex m;
  static std::map<int, DeviceProbe> cache;
  {
    std::lock_guard lock(m);
    if (auto it = cache.find(device); it != cache.end()) return it->second;
  }
  DeviceProbe r = probe_device(device);
  if (r.cacheable) {
    std::lock_guard lock(m);
    cache.emplace(device, r);
  }
  return r;
}

const NvencCodecCaps& caps_for(const DeviceProbe& probe, const NvencPlan& plan) {
  return plan.codec == "h264" ? probe.h264 : probe.hevc;
}

std::string hardware_problem(const NvencPlan& plan, const EncodeParams& p, const EncodeOptions& o,
                             const DeviceProbe& probe) {
  return nvenc_caps_problem(plan, p, o, caps_for(probe, plan), probe.gpu_name);
}

}  // namespace nvenc

std::string nvenc_unusable_reason(const EncodeParams& params, const EncodeOptions& options) {
  try {
    const NvencPlan plan = plan_nvenc(params, options);
    const nvenc::DeviceProbe probe = nvenc::probe_cached(options.device);
    if (!probe.problem.empty()) return probe.problem;
    return nvenc::hardware_problem(plan, params, options, probe);
  } catch (const Error& e) {
    return e.reason();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unexpected failure while checking NVENC";
  }
}

}  // namespace cuframe::detail

namespace cuframe {

std::string nvenc_unavailable_reason(const EncodeParams& params, const EncodeOptions& options) {
  return detail::nvenc_unusable_reason(params, options);
}

}  // namespace cuframe
