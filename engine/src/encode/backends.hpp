// Internal: the encode backends' entry points for the dispatcher (encoder.cpp's
// open_encoder(), Note [Encoder choice] in cuframe/encoder.hpp).
// nvenc_probe.cpp (nvenc_unusable_reason) and nvenc_encoder.cpp (open_nvenc_encoder)
// implement the NVENC ones in CUDA builds, nvenc_unavailable.cpp in CPU-only builds;
// libav_encoder.cpp the libavcodec one.
#pragma once

#include <memory>
#include <string>

#include "cuframe/encoder.hpp"

namespace cuframe::detail {

/// "encoder h264": the subject of the encoders' errors.
std::string encoder_subject(const EncodeOptions& options);

/// Empty when NVENC can encode this request on options.device; otherwise one line saying
/// why not (no driver, no libnvidia-encode, no NVENC on this GPU, a capability the GPU
/// lacks, or what plan_nvenc() refuses). May open and close a short NVENC session to
/// query capabilities (once per device and process). Never throws, never prints.
std::string nvenc_unusable_reason(const EncodeParams& params, const EncodeOptions& options);

/// Opens an NVENC encoder session. Throws cuframe::Error: InvalidArgument/Unsupported for
/// what plan_nvenc() refuses, DriverMissing/Unsupported when NVENC cannot be used (the
/// reason nvenc_unusable_reason() gives), Nvenc/Cuda for failing calls.
/// `fallback_reason_for_description` becomes Encoder::fallback_reason().
std::unique_ptr<Encoder> open_nvenc_encoder(const EncodeParams& params, const EncodeOptions& options,
                                            std::string fallback_reason_for_description = {});

/// Opens a libavcodec encoder (libx264, libx265, SVT-AV1) for host frames; the options
/// were checked by validate_encode_options(). `fallback_reason` (why not NVENC) becomes
/// Encoder::fallback_reason().
std::unique_ptr<Encoder> open_libav_encoder(const EncodeParams& params, const EncodeOptions& options,
                                            std::string fallback_reason);

}  // namespace cuframe::detail
