// cuframe/probe.hpp — describe a media file: container, video stream, audio streams.
#pragma once

#include <string>

#include "cuframe/input.hpp"
#include "cuframe/limits.hpp"
#include "cuframe/media_info.hpp"

namespace cuframe {

struct ProbeOptions {
  /// Decode the whole video stream on the CPU to count the frames a full decode outputs
  /// (what `ffprobe -count_frames` reports; exact even where the container does not
  /// store a count or its edit list drops frames). Off: frames is -1.
  bool count_frames = true;
  /// Threads for the counting decode; 0 = one per core.
  int threads = 0;
  Limits limits;
};

/// Opens `input` and describes it. Throws cuframe::Error (NotFound, InvalidData,
/// Unsupported, LimitExceeded, Io) naming the input. Packets that fail to decode while
/// counting are not an error (ffprobe counts the same way): they are counted in
/// video.decode_errors.
MediaInfo probe(const InputSource& input, const ProbeOptions& options = {});

/// The JSON object of `cuframe probe --json` (see docs/cli.md), pretty-printed.
std::string to_json(const MediaInfo& info);

}  // namespace cuframe
