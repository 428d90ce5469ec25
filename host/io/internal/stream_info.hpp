// Internal: MediaInfo from an opened AVFormatContext.
#pragma once

#include "cuframe/media_info.hpp"
#include "ffmpeg_util.hpp"

namespace cuframe::detail {

/// Describes the container and the video stream `video_index` (plus every audio stream).
MediaInfo describe(const AVFormatContext* fmt, int video_index);

/// Clockwise display rotation (0/90/180/270) of a display matrix; 0 when absent or degenerate.
int display_rotation(const int32_t* matrix);

/// Effective matrix for a tag, with DESIGN.md's default for untagged streams.
ColorMatrix effective_matrix(AVColorSpace tag, int height, bool* from_stream);

Codec codec_from_id(AVCodecID id) noexcept;

}  // namespace cuframe::detail
