// cuframe/encode_params.hpp — the description of an encoded video stream: what the
// encoder is fed (size, pixel format, depth) and what it writes into the stream (colour
// tags, timing, aspect ratio). The encoders (cuframe/encoder.hpp) take it, and the muxer
// (cuframe/muxer.hpp) writes it into the container's header; it is core's, so that
// neither of them depends on the other.
#pragma once

#include "cuframe/frame.hpp"
#include "cuframe/media_info.hpp"

namespace cuframe {

/// What the encoder is fed and what it should write into the stream.
struct EncodeParams {
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::NV12;    ///< NV12 or P016
  int bit_depth = 8;                         ///< 8, or 10 with P016
  ColorInfo color;                           ///< tags written into the stream (VUI)
  Rational time_base{1, 25};                 ///< of FrameInfo::pts
  Rational frame_rate{25, 1};
  Rational sar{1, 1};
  bool global_header = true;                 ///< extradata out of band (MP4, MKV); false for TS / Annex-B
};

}  // namespace cuframe
