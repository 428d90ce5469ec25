// NVENC session settings from EncodeParams/EncodeOptions (Note [NVENC defaults] in
// encode/nvenc_plan.hpp). Pure C++: compiled in CPU-only and CUDA builds alike.
#include "encode/nvenc_plan.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "cuframe/error.hpp"

namespace cuframe {

namespace {

constexpr int kMaxQp = 51;
constexpr int kMaxBFrames = 4;
constexpr int kDefaultGop = 250;
constexpr int kDefaultBFrames = 3;
constexpr int64_t kMaxBitrate = UINT32_MAX;  // NV_ENC_RC_PARAMS bitrates are uint32_t bits/s

struct CodecRules {
  const char* name;
  int default_cq;
  int min_width, min_height;
};

CodecRules rules_for(Codec codec) {
  switch (codec) {
    case Codec::H264: return {"h264", 23, 145, 49};
    case Codec::HEVC: return {"hevc", 28, 129, 33};
    case Codec::AV1:
      throw Error(Errc::Unsupported, "encoder av1",
                  "AV1 NVENC needs Video Codec SDK 12 headers; Debian 12 ships 11.1: AV1 is encoded with SVT-AV1");
    default: break;
  }
  throw Error(Errc::Unsupported, std::string("encoder ") + to_string(codec), "NVENC encodes h264 and hevc only");
}

// Note [VUI colour codes]: ISO/IEC 23091-4 (= H.264/H.265 Annex E) code points from the
// FFmpeg names the probe reports (av_color_primaries_name, av_color_transfer_name,
// av_color_space_name); unknown or unrecognised names are 2, "unspecified". The matrix
// written is the one the frames were made with (ColorInfo::matrix); its raw tag only
// refines it where the tag names a variant of the same matrix (bt470bg vs smpte170m for
// BT.601).
struct NamedCode {
  std::string_view name;
  int code;
};

constexpr NamedCode kPrimaries[] = {
    {"bt709", 1},     {"unknown", 2},   {"unspecified", 2}, {"bt470m", 4},    {"bt470bg", 5},
    {"smpte170m", 6}, {"smpte240m", 7}, {"film", 8},        {"bt2020", 9},    {"smpte428", 10},
    {"smpte428_1", 10}, {"smpte431", 11}, {"smpte432", 12},  {"jedec-p22", 22}, {"ebu3213", 22},
};
constexpr NamedCode kTransfers[] = {
    {"bt709", 1},         {"unknown", 2},      {"unspecified", 2}, {"bt470m", 4},        {"gamma22", 4},
    {"bt470bg", 5},       {"gamma28", 5},      {"smpte170m", 6},   {"smpte240m", 7},     {"linear", 8},
    {"log100", 9},        {"log", 9},          {"log316", 10},     {"log_sqrt", 10},     {"iec61966-2-4", 11},
    {"bt1361e", 12},      {"bt1361", 12},      {"iec61966-2-1", 13}, {"srgb", 13},       {"bt2020-10", 14},
    {"bt2020_10bit", 14}, {"bt2020-12", 15},   {"bt2020_12bit", 15}, {"smpte2084", 16},  {"smpte428", 17},
    {"smpte428_1", 17},   {"arib-std-b67", 18},
};
constexpr NamedCode kMatrices[] = {
    {"gbr", 0},       {"rgb", 0},          {"bt709", 1},     {"unknown", 2},     {"unspecified", 2},
    {"fcc", 4},       {"bt470bg", 5},      {"smpte170m", 6}, {"bt601", 6},       {"smpte240m", 7},
    {"ycgco", 8},     {"ycocg", 8},        {"bt2020nc", 9},  {"bt2020_ncl", 9},  {"bt2020c", 10},
    {"bt2020_cl", 10}, {"smpte2085", 11}, {"chroma-derived-nc", 12}, {"chroma-derived-c", 13}, {"ictcp", 14},
};

template <size_t N>
int code_of(const NamedCode (&table)[N], std::string_view name) {
  for (const NamedCode& e : table)
    if (e.name == name) return e.code;
  return 2;
}

int matrix_code(const ColorInfo& c) {
  const int tagged = code_of(kMatrices, c.matrix_tag);
  switch (c.matrix) {
    case ColorMatrix::BT709: return 1;
    case ColorMatrix::BT601: return tagged == 5 || tagged == 6 ? tagged : 6;
    case ColorMatrix::BT2020: return 9;
    case ColorMatrix::Identity: return 0;
    case ColorMatrix::Other: return tagged;
  }
  return 2;
}

int chroma_location_code(ChromaLocation l) {
  switch (l) {
    case ChromaLocation::Left: return 0;
    case ChromaLocation::Center: return 1;
    case ChromaLocation::TopLeft: return 2;
    case ChromaLocation::Top: return 3;
    case ChromaLocation::BottomLeft: return 4;
    case ChromaLocation::Bottom: return 5;
  }
  return 0;
}

std::string size_text(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

}  // namespace

NvencPlan plan_nvenc(const EncodeParams& p, const EncodeOptions& o) {
  const CodecRules rules = rules_for(o.codec);
  const std::string subject = std::string("encoder ") + rules.name + " (nvenc)";
  auto invalid = [&](const std::string& why) { return Error(Errc::InvalidArgument, subject, why); };
  auto unsupported = [&](const std::string& why) { return Error(Errc::Unsupported, subject, why); };

  NvencPlan plan;
  plan.codec = rules.name;

  // Input format and depth.
  switch (p.format) {
    case PixelFormat::NV12:
      if (p.bit_depth != 8)
        throw invalid("bit depth " + std::to_string(p.bit_depth) + " does not match nv12 (8-bit) frames");
      plan.input_format = "nv12";
      break;
    case PixelFormat::P016:
      if (p.bit_depth != 10)
        throw unsupported("NVENC encodes 8- and 10-bit video, not " + std::to_string(p.bit_depth) +
                          "-bit: use the CPU backend");
      if (o.codec == Codec::H264)
        throw unsupported("10-bit H.264: NVENC has no High 10 profile; encode hevc (main10) or use the CPU backend "
                          "(libx264)");
      plan.input_format = "p010";  // P016 batches hold 10-bit samples MSB-aligned: P010's layout
      break;
    case PixelFormat::YUV444P:
    case PixelFormat::YUV444P16:
      throw unsupported("4:4:4 input is not supported by cuframe's NVENC path (nv12 and 10-bit p016 are): "
                        "use the CPU backend");
    default:
      throw invalid(std::string("NVENC takes nv12 or p016 frames, not ") + to_string(p.format));
  }

  // Sizes.
  if (p.width <= 0 || p.height <= 0)
    throw invalid("frame size (width x height) " + size_text(p.width, p.height) + " is not positive");
  if (p.width % 2 || p.height % 2)
    throw invalid("width and height must be even for 4:2:0 video, not " + size_text(p.width, p.height));
  if (p.width < rules.min_width || p.height < rules.min_height)
    throw invalid("frame size (width x height) " + size_text(p.width, p.height) + " is below NVENC's " + rules.name +
                  " minimum of " + size_text(rules.min_width, rules.min_height));

  // Preset and tuning.
  plan.preset = o.preset.empty() ? "p4" : o.preset;
  if (plan.preset.size() != 2 || plan.preset[0] != 'p' || plan.preset[1] < '1' || plan.preset[1] > '7')
    throw invalid("preset '" + o.preset + "' is not an NVENC preset (p1 fastest .. p7 best quality)");
  plan.tuning = o.tune.empty() ? (o.low_latency ? "ull" : "hq") : o.tune;
  if (plan.tuning != "hq" && plan.tuning != "ll" && plan.tuning != "ull" && plan.tuning != "lossless")
    throw invalid("tune '" + o.tune + "' is not an NVENC tuning (hq, ll, ull, lossless)");
  const bool lossless = plan.tuning == "lossless";

  // Rate control.
  if (o.qp != -1 && (o.qp < 0 || o.qp > kMaxQp))
    throw invalid("qp " + std::to_string(o.qp) + " is outside 0.." + std::to_string(kMaxQp));
  if (o.quality != -1 && (o.quality < 0 || o.quality > kMaxQp))
    throw invalid("quality (cq) " + std::to_string(o.quality) + " is outside 0.." + std::to_string(kMaxQp));
  if (o.bitrate < 0 || o.bitrate > kMaxBitrate)
    throw invalid("bitrate " + std::to_string(o.bitrate) + " bit/s is outside 0.." + std::to_string(kMaxBitrate));
  if (o.max_bitrate < 0 || o.max_bitrate > kMaxBitrate)
    throw invalid("max_bitrate " + std::to_string(o.max_bitrate) + " bit/s is outside 0.." +
                  std::to_string(kMaxBitrate));
  if (o.max_bitrate != 0 && o.max_bitrate < o.bitrate)
    throw invalid("max_bitrate " + std::to_string(o.max_bitrate) + " is below bitrate " + std::to_string(o.bitrate));
  if (lossless && o.rate_control != RateControl::Default && o.rate_control != RateControl::ConstQp)
    throw invalid("tune lossless needs constant-QP rate control (it encodes at qp 0)");
  switch (o.rate_control) {
    case RateControl::Default:
    case RateControl::Crf:
      if (o.rate_control == RateControl::Crf && o.quality < 0)
        throw invalid("quality (cq) must be set for constant-quality rate control");
      plan.rate_control = "vbr";
      // cq 0 is NVENC's "automatic" target quality, not lossless (tune lossless is).
      plan.cq = o.quality >= 0 ? o.quality : rules.default_cq;
      plan.max_bitrate = o.max_bitrate;  // 0: no cap
      break;
    case RateControl::ConstQp:
      if (o.qp < 0 && !lossless) throw invalid("qp must be set (0..51) for constant-QP rate control");
      plan.rate_control = "constqp";
      plan.qp = o.qp;
      break;
    case RateControl::Vbr:
    case RateControl::Cbr: {
      const bool cbr = o.rate_control == RateControl::Cbr;
      if (o.bitrate <= 0)
        throw invalid(std::string("bitrate must be positive for ") + (cbr ? "cbr" : "vbr") + " rate control, not " +
                      std::to_string(o.bitrate));
      plan.rate_control = cbr ? "cbr" : "vbr";
      plan.average_bitrate = o.bitrate;
      plan.max_bitrate = cbr ? o.bitrate : o.max_bitrate;
      break;
    }
  }
  if (lossless) {
    plan.rate_control = "constqp";
    plan.qp = 0;
    plan.cq = 0;
  }

  // GOP, B-frames, look-ahead.
  if (o.gop < -1) throw invalid("gop " + std::to_string(o.gop) + " is invalid (-1: default 250; 0 or 1: intra only)");
  if (o.b_frames < -1 || o.b_frames > kMaxBFrames)
    throw invalid("b_frames " + std::to_string(o.b_frames) + " is outside 0.." + std::to_string(kMaxBFrames) +
                  " (NVENC's range; -1: default)");
  plan.gop = o.gop == -1 ? kDefaultGop : std::max(o.gop, 1);
  plan.b_frames = o.b_frames == -1 ? kDefaultBFrames : o.b_frames;
  if (o.low_latency) {
    if (o.b_frames > 0) throw invalid("b_frames " + std::to_string(o.b_frames) + " contradicts low_latency (no B-frames)");
    plan.b_frames = 0;
    plan.lookahead = 0;
    plan.zero_reorder_delay = true;
  }
  if (plan.gop == 1) plan.b_frames = 0;  // intra only

  // Profile.
  if (o.codec == Codec::H264) {
    plan.profile = lossless ? "high444p" : "high";  // NVENC's lossless H.264 is High 4:4:4 Predictive
  } else {
    plan.profile = p.bit_depth == 10 ? "main10" : "main";
  }

  // Colour (Note [VUI colour codes]).
  plan.color_primaries = code_of(kPrimaries, p.color.primaries);
  plan.transfer = code_of(kTransfers, p.color.transfer);
  plan.matrix = matrix_code(p.color);
  plan.full_range = p.color.range == ColorRange::Full;
  plan.chroma_sample_location = chroma_location_code(p.color.chroma_location);
  plan.repeat_headers = !p.global_header;
  return plan;
}

std::string nvenc_caps_problem(const NvencPlan& plan, const EncodeParams& p, const EncodeOptions& o,
                               const NvencCodecCaps& c, const std::string& gpu) {
  const std::string who = "the NVENC of " + gpu;
  if (!c.supported) return who + " does not encode " + plan.codec;
  if (c.max_width > 0 && c.max_height > 0 && (p.width > c.max_width || p.height > c.max_height))
    return who + " encodes " + plan.codec + " up to " + size_text(c.max_width, c.max_height) + ", not " +
           size_text(p.width, p.height);
  if (p.width < c.min_width || p.height < c.min_height)
    return who + " encodes " + plan.codec + " from " + size_text(c.min_width, c.min_height) + ", not " +
           size_text(p.width, p.height);
  if (plan.input_format == "p010" && !c.ten_bit) return who + " has no 10-bit " + plan.codec + " encoding";
  if (plan.tuning == "lossless" && !c.lossless) return who + " has no lossless " + plan.codec + " encoding";
  if (o.b_frames > c.max_b_frames)
    return who + " encodes " + plan.codec + " with at most " + std::to_string(c.max_b_frames) + " B-frames, not " +
           std::to_string(o.b_frames);
  return {};
}

int nvenc_b_frames(const NvencPlan& plan, const EncodeOptions& o, const NvencCodecCaps& c) {
  return o.b_frames == -1 ? std::min(plan.b_frames, std::max(c.max_b_frames, 0)) : plan.b_frames;
}

std::string to_string(const NvencPlan& plan) {
  std::string s = plan.codec + " " + plan.preset + " " + plan.tuning + " " + plan.rate_control;
  if (plan.rate_control == "constqp") {
    s += " qp " + std::to_string(plan.qp);
  } else if (plan.average_bitrate == 0) {
    s += " cq " + std::to_string(plan.cq);
  } else {
    s += " " + std::to_string(plan.average_bitrate) + " bit/s";
  }
  if (plan.max_bitrate != 0 && plan.rate_control != "cbr") s += " max " + std::to_string(plan.max_bitrate) + " bit/s";
  s += " gop " + std::to_string(plan.gop) + " b " + std::to_string(plan.b_frames);
  if (plan.lookahead == 0) s += " no-lookahead";
  if (plan.zero_reorder_delay) s += " zero-latency";
  s += " " + plan.profile + " " + plan.input_format;
  return s;
}

}  // namespace cuframe
