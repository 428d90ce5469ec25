// cuframe/device.hpp — the NVIDIA driver, the GPUs, and what their codec engines can do.
//
// Nothing here links the driver: libcuda, libnvcuvid, libnvidia-encode and libnvidia-ml
// are loaded at run time, so every function works (and reports "no driver") on a
// machine without one. None of these functions throws.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cuframe/media_info.hpp"

namespace cuframe {

/// Whether this build has the CUDA executor and GPU kernels (CUFRAME_CUDA=ON).
bool cuda_built() noexcept;

/// Driver API version this build needs (CUDA_VERSION of the toolkit, e.g. 13000), or 0
/// for a CPU-only build.
int required_driver_version() noexcept;

struct DriverStatus {
  bool libcuda = false;            ///< libcuda.so.1 loaded
  bool libnvcuvid = false;         ///< libnvcuvid.so.1 (NVDEC) loaded
  bool libnvidia_encode = false;   ///< libnvidia-encode.so.1 (NVENC) loaded
  int driver_api_version = 0;      ///< cuDriverGetVersion, e.g. 13000; 0 if unknown
  std::string driver_release;      ///< from NVML, e.g. "580.65.06"; empty if unknown
  int device_count = 0;
  /// Empty when at least one GPU is usable; otherwise why not (no driver, too old, ...).
  std::string problem;
  bool usable() const noexcept { return problem.empty() && device_count > 0; }
};

/// Loads the driver libraries (once) and reports what is there.
DriverStatus driver_status() noexcept;

struct DeviceInfo {
  int ordinal = 0;
  std::string name;
  int cc_major = 0;
  int cc_minor = 0;
  int64_t total_memory = 0;
  int multiprocessors = 0;
  std::string pci_bus_id;
};

/// The GPUs the driver sees; empty without a usable driver.
std::vector<DeviceInfo> devices() noexcept;

/// One row of NVDEC's capability table (cuvidGetDecoderCaps).
struct DecodeCaps {
  Codec codec = Codec::H264;
  ChromaFormat chroma = ChromaFormat::Yuv420;
  int bit_depth = 8;
  bool supported = false;
  int engines = 0;  ///< NVDEC engines that can decode this (nNumNVDECs)
  int min_width = 0, min_height = 0;
  int max_width = 0, max_height = 0;
  int64_t max_macroblocks = 0;
  uint16_t output_format_mask = 0;  ///< bit i: cudaVideoSurfaceFormat i
};

/// One row of NVENC's capability table.
struct EncodeCaps {
  Codec codec = Codec::H264;
  bool supported = false;
  int max_width = 0, max_height = 0;
  bool ten_bit = false;
  bool yuv444 = false;
  int max_b_frames = 0;
};

struct CodecCapsReport {
  int device = 0;
  std::string decode_problem;  ///< empty when the decode table was queried
  std::vector<DecodeCaps> decode;
  std::string encode_problem;  ///< e.g. "this GPU has no NVENC" (H100/H200)
  std::vector<EncodeCaps> encode;
  int nvdec_engines = 0;       ///< max nNumNVDECs over the supported rows
};

/// Queries NVDEC and NVENC capabilities of GPU `device` for the codecs, chroma formats
/// and bit depths the engine knows.
CodecCapsReport query_codec_caps(int device) noexcept;

}  // namespace cuframe
