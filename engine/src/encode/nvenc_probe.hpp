// Internal: what a GPU's NVENC can do, asked once per device and process (a short session
// opened and closed), for nvenc_unusable_reason() and the session (nvenc_encoder.cpp).
#pragma once

#include <string>

#include "cuframe/encoder.hpp"
#include "cuframe/error.hpp"
#include "encode/nvenc_plan.hpp"

namespace cuframe::detail::nvenc {

struct DeviceProbe {
  std::string problem;  ///< empty: NVENC present; the caps below are valid
  Errc code = Errc::Unsupported;
  bool cacheable = true;  ///< false for failures that may pass later (a session limit)
  std::string gpu_name;
  NvencCodecCaps h264, hevc;
};

/// The probe of `device`: cached for the process once it gave a lasting answer. Never throws.
DeviceProbe probe_cached(int device);

/// The caps of the plan's codec.
const NvencCodecCaps& caps_for(const DeviceProbe& probe, const NvencPlan& plan);

/// Why the probed GPU cannot run `plan` (nvenc_caps_problem()); empty when it can.
std::string hardware_problem(const NvencPlan& plan, const EncodeParams& p, const EncodeOptions& o,
                             const DeviceProbe& probe);

}  // namespace cuframe::detail::nvenc
