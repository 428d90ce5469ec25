#include "stream_info.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
}

#include <cmath>
#include <cstring>

namespace cuframe::detail {

Codec codec_from_id(AVCodecID id) noexcept {
  switch (id) {
    case AV_CODEC_ID_H264: return Codec::H264;
    case AV_CODEC_ID_HEVC: return Codec::HEVC;
    case AV_CODEC_ID_VP8: return Codec::VP8;
    case AV_CODEC_ID_VP9: return Codec::VP9;
    case AV_CODEC_ID_AV1: return Codec::AV1;
    case AV_CODEC_ID_MPEG2VIDEO: return Codec::MPEG2;
    case AV_CODEC_ID_MPEG4: return Codec::MPEG4;
    default: return Codec::Other;
  }
}

int display_rotation(const int32_t* matrix) {
  if (!matrix) return 0;
  // av_display_rotation_get() is the counter-clockwise angle; players turn clockwise by
  // its negation (what the ffmpeg program's autorotate does).
  const double ccw = av_display_rotation_get(matrix);
  if (std::isnan(ccw)) return 0;
  long cw = std::lround(-ccw);
  cw = ((cw % 360) + 360) % 360;
  const long snapped = ((cw + 45) / 90 % 4) * 90;
  // Only exact quarter turns count; a skewed matrix is treated as none.
  return std::labs(snapped - cw) <= 1 || std::labs(snapped - cw) >= 359 ? static_cast<int>(snapped) : 0;
}

ColorMatrix effective_matrix(AVColorSpace tag, int height, bool* from_stream) {
  *from_stream = true;
  switch (tag) {
    case AVCOL_SPC_BT709: return ColorMatrix::BT709;
    case AVCOL_SPC_SMPTE170M:
    case AVCOL_SPC_BT470BG: return ColorMatrix::BT601;
    case AVCOL_SPC_BT2020_NCL: return ColorMatrix::BT2020;
    case AVCOL_SPC_RGB: return ColorMatrix::Identity;
    case AVCOL_SPC_UNSPECIFIED:
    case AVCOL_SPC_RESERVED:
      *from_stream = false;
      return height >= 720 ? ColorMatrix::BT709 : ColorMatrix::BT601;
    default: return ColorMatrix::Other;
  }
}

static ChromaLocation effective_chroma_location(AVChromaLocation loc) {
  switch (loc) {
    case AVCHROMA_LOC_CENTER: return ChromaLocation::Center;
    case AVCHROMA_LOC_TOPLEFT: return ChromaLocation::TopLeft;
    case AVCHROMA_LOC_TOP: return ChromaLocation::Top;
    case AVCHROMA_LOC_BOTTOMLEFT: return ChromaLocation::BottomLeft;
    case AVCHROMA_LOC_BOTTOM: return ChromaLocation::Bottom;
    default: return ChromaLocation::Left;
  }
}

static std::string or_unknown(const char* s, const char* fallback = "unknown") {
  return s ? s : fallback;
}

static std::string profile_name(const AVCodecParameters* par) {
  // Same rule as ffprobe: the name, else the number, else "unknown".
  if (const char* name = avcodec_profile_name(par->codec_id, par->profile)) return name;
  if (par->profile != FF_PROFILE_UNKNOWN) return std::to_string(par->profile);
  return "unknown";
}

static Rational to_rational(AVRational r) { return Rational{r.num, r.den}; }

// Note [Untrusted enums]: demuxers copy colour fields from the bitstream into FFmpeg's
// enum-typed fields unchecked, so a damaged stream can hold values outside the enum
// (seen by fuzzing: color_space = 255). Loading such a value as the enum type is
// undefined behaviour; read the raw integer and map out-of-range values to
// "unspecified" before anything else sees them.
template <typename E>
static E checked_enum(const E& field, int count, E unspecified) {
  static_assert(sizeof(E) == sizeof(int));
  int raw = 0;
  std::memcpy(&raw, &field, sizeof raw);
  return raw >= 0 && raw < count ? static_cast<E>(raw) : unspecified;
}

static double seconds(int64_t ts, AVRational tb) {
  return ts == AV_NOPTS_VALUE ? 0.0 : static_cast<double>(ts) * av_q2d(tb);
}

static void describe_video(const AVFormatContext* fmt, const AVStream* st, VideoStreamInfo& v) {
  const AVCodecParameters* par = st->codecpar;
  v.index = st->index;
  v.codec = codec_from_id(par->codec_id);
  v.codec_name = avcodec_get_name(par->codec_id);
  v.profile = profile_name(par);
  v.width = par->width;
  v.height = par->height;
  const auto pix = par->format >= 0 && par->format < AV_PIX_FMT_NB ? static_cast<AVPixelFormat>(par->format) : AV_PIX_FMT_NONE;
  v.pix_fmt = or_unknown(av_get_pix_fmt_name(pix));
  if (const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(pix)) {
    v.bit_depth = d->comp[0].depth;
    if (d->nb_components <= 2) {
      v.chroma = ChromaFormat::Gray;
    } else if (d->flags & AV_PIX_FMT_FLAG_RGB) {
      v.chroma = ChromaFormat::Yuv444;
    } else if (d->log2_chroma_w == 1 && d->log2_chroma_h == 1) {
      v.chroma = ChromaFormat::Yuv420;
    } else if (d->log2_chroma_w == 1 && d->log2_chroma_h == 0) {
      v.chroma = ChromaFormat::Yuv422;
    } else if (d->log2_chroma_w == 0 && d->log2_chroma_h == 1) {
      v.chroma = ChromaFormat::Yuv440;
    } else if (d->log2_chroma_w == 2) {
      v.chroma = ChromaFormat::Yuv411;
    } else {
      v.chroma = ChromaFormat::Yuv444;
    }
  }
  v.fps = to_rational(st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate);
  v.time_base = to_rational(st->time_base);
  v.duration_s = st->duration != AV_NOPTS_VALUE ? seconds(st->duration, st->time_base)
                                                 : seconds(fmt->duration, AV_TIME_BASE_Q);
  v.bit_rate = par->bit_rate;

  AVRational sar = av_guess_sample_aspect_ratio(const_cast<AVFormatContext*>(fmt),
                                                const_cast<AVStream*>(st), nullptr);
  v.sar = sar.num > 0 && sar.den > 0 ? to_rational(sar) : Rational{1, 1};

  size_t size = 0;
  const auto* matrix = reinterpret_cast<const int32_t*>(
      av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size));
  v.rotation = size >= 9 * sizeof(int32_t) ? display_rotation(matrix) : 0;
  v.has_hdr_metadata =
      av_stream_get_side_data(st, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, nullptr) ||
      av_stream_get_side_data(st, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, nullptr);

  ColorInfo& c = v.color;
  const AVColorSpace space = checked_enum(par->color_space, AVCOL_SPC_NB, AVCOL_SPC_UNSPECIFIED);
  const AVColorRange range = checked_enum(par->color_range, AVCOL_RANGE_NB, AVCOL_RANGE_UNSPECIFIED);
  const AVColorPrimaries primaries = checked_enum(par->color_primaries, AVCOL_PRI_NB, AVCOL_PRI_UNSPECIFIED);
  const AVColorTransferCharacteristic trc = checked_enum(par->color_trc, AVCOL_TRC_NB, AVCOL_TRC_UNSPECIFIED);
  const AVChromaLocation loc = checked_enum(par->chroma_location, AVCHROMA_LOC_NB, AVCHROMA_LOC_UNSPECIFIED);
  c.matrix = effective_matrix(space, par->height, &c.matrix_from_stream);
  c.range_from_stream = range != AVCOL_RANGE_UNSPECIFIED;
  const bool jpeg_pix = pix == AV_PIX_FMT_YUVJ420P || pix == AV_PIX_FMT_YUVJ422P ||
                        pix == AV_PIX_FMT_YUVJ444P || pix == AV_PIX_FMT_YUVJ440P;
  c.range = range == AVCOL_RANGE_JPEG || jpeg_pix ? ColorRange::Full : ColorRange::Limited;
  c.range_from_stream = c.range_from_stream || jpeg_pix;
  c.chroma_location = effective_chroma_location(loc);
  c.primaries = or_unknown(av_color_primaries_name(primaries));
  c.transfer = or_unknown(av_color_transfer_name(trc));
  c.matrix_tag = or_unknown(av_color_space_name(space));
  c.range_tag = or_unknown(av_color_range_name(range));
  c.chroma_location_tag = or_unknown(av_chroma_location_name(loc), "unspecified");
}

MediaInfo describe(const AVFormatContext* fmt, int video_index) {
  MediaInfo info;
  info.container = fmt->iformat ? fmt->iformat->name : "unknown";
  info.duration_s = seconds(fmt->duration, AV_TIME_BASE_Q);
  info.size_bytes = fmt->pb ? avio_size(fmt->pb) : -1;
  if (info.size_bytes < 0) info.size_bytes = -1;
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    const AVStream* st = fmt->streams[i];
    if (static_cast<int>(i) == video_index) {
      describe_video(fmt, st, info.video);
    } else if (st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
      const AVCodecParameters* par = st->codecpar;
      AudioStreamInfo a;
      a.index = st->index;
      a.codec_name = avcodec_get_name(par->codec_id);
      a.profile = profile_name(par);
      a.sample_rate = par->sample_rate;
      a.channels = par->ch_layout.nb_channels;
      char layout[128] = {};
      if (av_channel_layout_describe(&par->ch_layout, layout, sizeof layout) > 0) a.channel_layout = layout;
      a.duration_s = seconds(st->duration, st->time_base);
      info.audio.push_back(std::move(a));
    }
  }
  return info;
}

}  // namespace cuframe::detail
