// Internal: the FFmpeg objects behind the public container types (Packet, Demuxer), for
// cuframe's own targets only — the muxer, the engine's libavcodec decoder and encoder,
// NVDEC's Annex-B filter, probe. The installed headers declare no FFmpeg type, so a host
// application needs no FFmpeg development files; this header is never installed.
#pragma once

#include "cuframe/demuxer.hpp"
#include "ffmpeg_util.hpp"

namespace cuframe::detail {

struct NativeAccess {
  static AVPacket* packet(Packet& p) noexcept;
  static const AVPacket* packet(const Packet& p) noexcept;
  static const AVCodecParameters* codec_parameters(const Demuxer& d) noexcept;
  static const AVStream* stream(const Demuxer& d, int index);
};

/// The AVPacket a Packet wraps (valid as long as the Packet).
inline AVPacket* native(Packet& p) noexcept { return NativeAccess::packet(p); }
inline const AVPacket* native(const Packet& p) noexcept { return NativeAccess::packet(p); }
/// The codec parameters of the demuxer's selected video stream.
inline const AVCodecParameters* codec_parameters(const Demuxer& d) noexcept { return NativeAccess::codec_parameters(d); }
/// The demuxer's stream `index` (codec parameters, time base, side data); throws
/// Errc::InvalidArgument for an index the input does not have.
inline const AVStream* native_stream(const Demuxer& d, int index) { return NativeAccess::stream(d, index); }

}  // namespace cuframe::detail
