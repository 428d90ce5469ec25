// Internal: the decode backends' entry points for the dispatcher (decoder.cpp's
// open_decoder(), Note [Backend choice]). nvdec_decoder.cpp implements the NVDEC one in
// CUDA builds, nvdec_unavailable.cpp in CPU-only builds; libav_decoder.cpp the libavcodec one.
#pragma once

#include <memory>
#include <string>

#include "cuframe/decoder.hpp"

namespace cuframe::detail {

/// libavcodec's decoder for the demuxer's stream. `why` (why not NVDEC; empty when the
/// CPU was asked for) goes into the description.
std::unique_ptr<Decoder> open_libav_decoder(const Demuxer& demux, const DecodeOptions& options, std::string why);
/// An NVDEC session for the demuxer's stream. Throws Errc::Unsupported / DriverMissing
/// when the GPU or the build cannot decode it.
std::unique_ptr<Decoder> open_nvdec_decoder(const Demuxer& demux, const DecodeOptions& options, std::string why);

}  // namespace cuframe::detail
