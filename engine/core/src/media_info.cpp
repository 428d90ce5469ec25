#include "cuframe/media_info.hpp"

namespace cuframe {

const char* to_string(Codec c) noexcept {
  switch (c) {
    case Codec::H264: return "h264";
    case Codec::HEVC: return "hevc";
    case Codec::VP8: return "vp8";
    case Codec::VP9: return "vp9";
    case Codec::AV1: return "av1";
    case Codec::MPEG2: return "mpeg2video";
    case Codec::MPEG4: return "mpeg4";
    case Codec::Other: return "other";
  }
  return "other";
}

const char* to_string(ColorMatrix m) noexcept {
  switch (m) {
    case ColorMatrix::BT601: return "bt601";
    case ColorMatrix::BT709: return "bt709";
    case ColorMatrix::BT2020: return "bt2020";
    case ColorMatrix::Identity: return "gbr";
    case ColorMatrix::Other: return "other";
  }
  return "other";
}

const char* to_string(ColorRange r) noexcept { return r == ColorRange::Full ? "full" : "limited"; }

const char* to_string(ChromaLocation l) noexcept {
  switch (l) {
    case ChromaLocation::Left: return "left";
    case ChromaLocation::Center: return "center";
    case ChromaLocation::TopLeft: return "topleft";
    case ChromaLocation::Top: return "top";
    case ChromaLocation::BottomLeft: return "bottomleft";
    case ChromaLocation::Bottom: return "bottom";
  }
  return "left";
}

const char* to_string(ChromaFormat f) noexcept {
  switch (f) {
    case ChromaFormat::Yuv420: return "420";
    case ChromaFormat::Yuv422: return "422";
    case ChromaFormat::Yuv444: return "444";
    case ChromaFormat::Yuv440: return "440";
    case ChromaFormat::Yuv411: return "411";
    case ChromaFormat::Gray: return "400";
  }
  return "420";
}

}  // namespace cuframe
