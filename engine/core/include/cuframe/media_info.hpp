// cuframe/media_info.hpp — what a container and its streams say about themselves.
//
// Filled by cuframe::probe() and cuframe::Demuxer. Names of codecs, profiles and pixel
// formats are exactly FFmpeg's (what ffprobe prints), so they can be compared with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cuframe {

struct Rational {
  int num = 0;
  int den = 1;
  double value() const noexcept { return den ? static_cast<double>(num) / den : 0.0; }
  friend bool operator==(const Rational&, const Rational&) = default;
};

/// Video codecs the engine knows by name. Anything else is Other (the probe still
/// reports FFmpeg's codec name for it).
enum class Codec { H264, HEVC, VP8, VP9, AV1, MPEG2, MPEG4, Other };

/// YCbCr -> RGB matrices. Identity is GBR-coded video (passed through as RGB).
/// Other covers tags the kernels do not convert yet (YCgCo, BT.2020-CL, SMPTE-240M, FCC...).
enum class ColorMatrix { BT601, BT709, BT2020, Identity, Other };
enum class ColorRange { Limited, Full };

/// Where 4:2:0 chroma samples sit relative to luma (ISO/IEC 23091-2 ChromaSampleLocType).
/// Left is the MPEG-2 default, used when a stream does not say.
enum class ChromaLocation { Left, Center, TopLeft, Top, BottomLeft, Bottom };

/// Chroma subsampling of the coded pictures.
enum class ChromaFormat { Yuv420, Yuv422, Yuv444, Yuv440, Yuv411, Gray };

const char* to_string(Codec) noexcept;
const char* to_string(ColorMatrix) noexcept;  ///< "bt601", "bt709", "bt2020", "gbr", "other"
const char* to_string(ColorRange) noexcept;   ///< "limited", "full"
const char* to_string(ChromaLocation) noexcept;
const char* to_string(ChromaFormat) noexcept;  ///< "420", "422", "444", "440", "411", "400"

/// Colour description of a video stream: the effective values the engine converts with
/// (stream tags, else DESIGN.md's defaults: BT.709 when height >= 720 else BT.601,
/// limited range, left chroma siting), plus the raw tags as FFmpeg names them.
struct ColorInfo {
  ColorMatrix matrix = ColorMatrix::BT601;
  ColorRange range = ColorRange::Limited;
  ChromaLocation chroma_location = ChromaLocation::Left;
  std::string primaries = "unknown";  ///< FFmpeg name, e.g. "bt709", "bt2020"
  std::string transfer = "unknown";   ///< FFmpeg name, e.g. "smpte2084" (PQ), "arib-std-b67" (HLG)
  // Raw tags (ffprobe's color_space, color_range, chroma_location).
  std::string matrix_tag = "unknown";
  std::string range_tag = "unknown";
  std::string chroma_location_tag = "unspecified";
  bool matrix_from_stream = false;  ///< false: matrix is the size-based default
  bool range_from_stream = false;   ///< false: range is the default (limited)
};

struct VideoStreamInfo {
  int index = -1;                ///< stream index in the container
  Codec codec = Codec::Other;
  std::string codec_name;        ///< FFmpeg's name ("h264", "hevc", "mpeg2video", ...)
  std::string profile;           ///< as ffprobe prints it ("High", "Main 10", ...)
  int width = 0;
  int height = 0;
  std::string pix_fmt;           ///< FFmpeg pixel format of the decoded frames
  int bit_depth = 8;
  ChromaFormat chroma = ChromaFormat::Yuv420;
  int64_t frames = -1;           ///< frames a full decode outputs; -1 when not counted
  int64_t decode_errors = 0;     ///< packets the counting decode rejected (see probe())
  Rational fps;                  ///< average frame rate (real base rate if unknown)
  Rational time_base;            ///< time base of packet and frame timestamps
  double duration_s = 0.0;       ///< stream duration, else the container's
  int rotation = 0;              ///< clockwise turn a player applies: 0, 90, 180, 270
  Rational sar{1, 1};            ///< sample aspect ratio (1:1 when unknown)
  int64_t bit_rate = 0;          ///< bits/s, 0 when unknown
  ColorInfo color;
  bool has_hdr_metadata = false; ///< mastering display or content light level present
};

struct AudioStreamInfo {
  int index = -1;
  std::string codec_name;
  std::string profile;
  int sample_rate = 0;
  int channels = 0;
  std::string channel_layout;
  double duration_s = 0.0;
};

struct MediaInfo {
  std::string container;  ///< FFmpeg demuxer name(s), e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  double duration_s = 0.0;
  int64_t size_bytes = -1;  ///< -1 for pipes
  VideoStreamInfo video;
  std::vector<AudioStreamInfo> audio;
};

}  // namespace cuframe
