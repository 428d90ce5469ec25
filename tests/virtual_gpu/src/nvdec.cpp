// cuframe virtual NVDEC: libnvcuvid.so.1 of the virtual-gpu build (docs/VIRTUAL_GPU.md),
// an explicit model of the Video Codec SDK 11.1 protocol over the virtual device's memory.
//
// Note [Virtual NVDEC]: the parser decodes with libavcodec, on the calling thread, the
// packets it is given (one thread, H.264 in strict mode so that the DPB follows the SPS
// as the parser's does), and drives the
// application's callbacks as NVIDIA's parser does:
//   - the sequence callback before the first picture and at every sequence header (SPS,
//     VOL, MPEG-2 sequence header, VP8/VP9 keyframe, AV1 sequence header OBU), even when
//     nothing changed; a return value above 1 sets the surface count, 0 stops decoding;
//   - one decode callback per picture, in decode order, CurrPicIdx cycling through the
//     surfaces that hold no undisplayed picture; a packet libavcodec rejects gives none;
//   - display callbacks in output order, holding up to ulMaxDisplayDelay pictures
//     (CUFRAME_VIRTUAL_NVDEC_DISPLAY=late: as long as one surface is left for the next
//     picture, as a real parser may); at CUVID_PKT_ENDOFSTREAM every pending picture is
//     displayed in one call;
//   - timestamps pass through with CUVID_PKT_TIMESTAMP, else are interpolated in
//     ulClockRate units (10 MHz when 0);
//   - the coded size in the codec's block units (16, or 8 for HEVC, VP9 and AV1) and, for
//     H.264, the display area of the SPS's frame cropping over uncropped pictures (so the
//     application's display area and crop are exercised); a packet of headers alone is
//     kept for the next picture; a picture with a bitstream error gives no decode callback
//     (libavcodec with AV_EF_EXPLODE);
//   - after a sequence callback returned 0 nothing more is decoded, unless
//     CUFRAME_VIRTUAL_NVDEC_AFTER_REFUSAL=continue (the pessimistic reading of "0: fail").
// Every picture libavcodec outputs is displayed: its drops before the first keyframe and
// of RASL pictures are kept (an assumption the first real GPU run must confirm), edit lists
// and discards are the application's job. A map copies the picture into an output surface
// on the map's output_stream (stream-ordered, as the hardware's post-processing is), with
// a pitch wider than the row (align(row, 512) + 256) and chroma at pitch x align2(target
// height). The virtual NVDEC never scales: the target size must be the display area's.
// cuvidReconfigureDecoder drops the pictures that wait for display (mapping one later is
// refused): reconfigure only when the format changed.
// It refuses what the headers document as invalid, with the SDK's error codes, and names
// the call and the rule broken on stderr (`cuframe virtual NVDEC: ...`).
// The capabilities are an H100's (the NVDEC application note's Hopper column), a model the
// first real `cuframe devices --caps` corrects.
#include <ffnvcodec/dynlink_cuda.h>
#include <ffnvcodec/dynlink_nvcuvid.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cuframe_vgpu/vgpu.h"

#define CFVG_NVDEC extern "C" __attribute__((visibility("default"))) CUresult CUDAAPI

namespace {

constexpr CUresult kInvalidValue = static_cast<CUresult>(1);
constexpr CUresult kOutOfMemory = static_cast<CUresult>(2);
constexpr CUresult kInvalidHandle = static_cast<CUresult>(400);
constexpr CUresult kNotSupported = static_cast<CUresult>(801);

std::mutex& lock() {
  static auto* m = new std::mutex;
  return *m;
}

CUresult refuse(CUresult code, const std::string& why) {
  const char* quiet = std::getenv("CUFRAME_VIRTUAL_GPU_QUIET");
  if (!quiet || !*quiet || std::string(quiet) == "0") std::fprintf(stderr, "cuframe virtual NVDEC: %s\n", why.c_str());
  return code;
}

// ------------------------------------------------------------------ trace

// CUFRAME_VIRTUAL_TRACE=FILE: one JSON object per line for each call (the format
// scripts/gpu-check.sh records on a real GPU, so the two can be compared).
void trace(const std::string& json) {
  // The file named now (a test may set the variable after earlier calls).
  static auto* m = new std::mutex;
  static auto* open_path = new std::string;
  static FILE* f = nullptr;
  std::lock_guard<std::mutex> hold(*m);
  const char* p = std::getenv("CUFRAME_VIRTUAL_TRACE");
  const std::string path = p ? p : "";
  if (path != *open_path) {
    if (f) std::fclose(f);
    f = path.empty() ? nullptr : std::fopen(path.c_str(), "a");
    *open_path = path;
  }
  if (!f) return;
  std::fprintf(f, "%s\n", json.c_str());
  std::fflush(f);
}

// ------------------------------------------------------------------ capabilities (H100 model)

struct Caps {
  bool supported = false;
  unsigned min_w = 0, min_h = 0, max_w = 0, max_h = 0, max_mbs = 0;
  unsigned short mask = 0;
};

constexpr unsigned short kNV12 = 1u << cudaVideoSurfaceFormat_NV12, kP016 = 1u << cudaVideoSurfaceFormat_P016,
                         kYUV444 = 1u << cudaVideoSurfaceFormat_YUV444,
                         kYUV444_16 = 1u << cudaVideoSurfaceFormat_YUV444_16Bit;

Caps caps_of(cudaVideoCodec codec, cudaVideoChromaFormat chroma, unsigned depth_minus8) {
  Caps c;
  const bool c420 = chroma == cudaVideoChromaFormat_420, c444 = chroma == cudaVideoChromaFormat_444;
  switch (codec) {
    case cudaVideoCodec_H264:
      if (c420 && depth_minus8 == 0) c = {true, 48, 16, 4096, 4096, 65536, kNV12};
      break;
    case cudaVideoCodec_HEVC:
      if ((c420 || c444) && depth_minus8 <= 4 && depth_minus8 % 2 == 0) {
        const unsigned short m = c420 ? (depth_minus8 ? static_cast<unsigned short>(kP016 | kNV12) : kNV12)
                                      : (depth_minus8 ? kYUV444_16 : kYUV444);
        c = {true, 144, 144, 8192, 8192, 262144, m};
      }
      break;
    case cudaVideoCodec_VP9:
      if (c420 && depth_minus8 <= 4 && depth_minus8 % 2 == 0)
        c = {true, 128, 128, 8192, 8192, 262144, depth_minus8 ? static_cast<unsigned short>(kP016 | kNV12) : kNV12};
      break;
    case cudaVideoCodec_VP8:
      if (c420 && depth_minus8 == 0) c = {true, 48, 16, 4096, 4096, 65536, kNV12};
      break;
    case cudaVideoCodec_MPEG2:
      if (c420 && depth_minus8 == 0) c = {true, 48, 16, 4080, 4080, 65280, kNV12};
      break;
    case cudaVideoCodec_MPEG4:
      if (c420 && depth_minus8 == 0) c = {true, 48, 16, 2032, 2032, 8192, kNV12};
      break;
    case cudaVideoCodec_VC1:
      if (c420 && depth_minus8 == 0) c = {true, 48, 16, 2032, 2032, 8192, kNV12};
      break;
    default: break;  // no AV1 on H100 (nor MJPEG, H.264 4:4:4 or 10-bit)
  }
  return c;
}

const char* codec_name(cudaVideoCodec c) {
  switch (c) {
    case cudaVideoCodec_H264: return "h264";
    case cudaVideoCodec_HEVC: return "hevc";
    case cudaVideoCodec_VP8: return "vp8";
    case cudaVideoCodec_VP9: return "vp9";
    case cudaVideoCodec_AV1: return "av1";
    case cudaVideoCodec_MPEG2: return "mpeg2video";
    case cudaVideoCodec_MPEG4: return "mpeg4";
    case cudaVideoCodec_VC1: return "vc1";
    default: return nullptr;
  }
}

// ------------------------------------------------------------------ objects

struct Picture {
  AVFrame* frame = nullptr;  // libavcodec's output (cropped to the display area; H.264: uncropped)
  std::int64_t serial = -1;
  CUvideotimestamp timestamp = 0;
  bool damaged = false, concealed = false;
  ~Picture() { av_frame_free(&frame); }
};

struct Parser {
  CUVIDPARSERPARAMS params{};
  AVCodecContext* ctx = nullptr;
  AVPacket* pkt = nullptr;
  AVFrame* frame = nullptr;
  unsigned surfaces = 1;
  std::int64_t serial = 0;                         // pictures submitted
  std::map<std::int64_t, int> surface_of;          // serial -> CurrPicIdx, until displayed
  std::map<std::int64_t, CUvideotimestamp> ts_of;  // serial -> timestamp
  std::vector<std::shared_ptr<Picture>> on_surface;  // the picture a surface holds
  std::set<int> undisplayed;                       // surfaces whose picture waits for display
  std::deque<int> display_queue;                   // surfaces, in output order
  int next_surface = 0;
  std::vector<unsigned char> headers;              // a header-only packet, until the next picture
  // H.264: the SPS's picture size and frame cropping in luma samples (display area), as
  // the real parser reports them; libavcodec decodes these uncropped.
  struct Crop {
    bool known = false;
    int width = 0, height = 0, left = 0, right = 0, top = 0, bottom = 0;
  } crop;
  bool sequence_sent = false, stopped = false, late = false;
  CUVIDEOFORMAT format{};
  CUvideotimestamp next_ts = 0;
  ~Parser() {
    avcodec_free_context(&ctx);
    av_packet_free(&pkt);
    av_frame_free(&frame);
  }
};

struct Decoder {
  CUVIDDECODECREATEINFO ci{};
  std::size_t pitch = 0, surface_bytes = 0;
  std::vector<void*> outputs;                       // ulNumOutputSurfaces device buffers
  std::vector<int> mapped;                          // output slot -> picture index mapped, -1 free
  std::map<int, std::pair<Parser*, std::int64_t>> picture;  // CurrPicIdx -> (parser, serial) decoded into it
  std::set<int> lost;  // pictures decoded before the last reconfigure, not displayed then
};

std::set<Parser*>& parsers() {
  static auto* s = new std::set<Parser*>;
  return *s;
}
std::set<Decoder*>& decoders() {
  static auto* s = new std::set<Decoder*>;
  return *s;
}

thread_local Parser* t_parser = nullptr;        // the parser whose callback is running
thread_local std::int64_t t_serial = -1;        // the picture of the running decode callback
thread_local bool t_in_sequence = false;

struct CallbackScope {
  explicit CallbackScope(const char* name) { cfvg_callback_scope(name); }
  ~CallbackScope() { cfvg_callback_scope(nullptr); }
};

std::size_t align(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }

int bytes_per_sample(cudaVideoSurfaceFormat f) {
  return f == cudaVideoSurfaceFormat_P016 || f == cudaVideoSurfaceFormat_YUV444_16Bit ? 2 : 1;
}
bool is444(cudaVideoSurfaceFormat f) {
  return f == cudaVideoSurfaceFormat_YUV444 || f == cudaVideoSurfaceFormat_YUV444_16Bit;
}

// Output surfaces for the decoder's target size (allocated on the virtual device).
CUresult allocate_outputs(Decoder& d) {
  for (void* p : d.outputs) cfvg_free(p);
  d.outputs.clear();
  const auto fmt = d.ci.OutputFormat;
  const std::size_t row = static_cast<std::size_t>(d.ci.ulTargetWidth) * static_cast<std::size_t>(bytes_per_sample(fmt));
  d.pitch = align(row, 512) + 256;
  const std::size_t luma_rows = align(d.ci.ulTargetHeight, 2);
  d.surface_bytes = d.pitch * (is444(fmt) ? 3 * luma_rows : luma_rows + luma_rows / 2);
  for (unsigned i = 0; i < d.ci.ulNumOutputSurfaces; ++i) {
    void* p = nullptr;
    if (cfvg_malloc(&p, d.surface_bytes) != 0) return kOutOfMemory;
    d.outputs.push_back(p);
  }
  d.mapped.assign(d.ci.ulNumOutputSurfaces, -1);
  return CUDA_SUCCESS;
}

CUresult check_target(const char* call, unsigned tw, unsigned th, const CUVIDDECODECREATEINFO& ci, short l, short t,
                      short r, short b) {
  if (tw == 0 || th == 0 || tw % 2 || th % 2)
    return refuse(kInvalidValue, std::string(call) + ": ulTargetWidth x ulTargetHeight " + std::to_string(tw) + "x" +
                                     std::to_string(th) + " (the header: \"Should be aligned to 2\")");
  const unsigned dw = r > l ? static_cast<unsigned>(r - l) : ci.ulWidth, dh = b > t ? static_cast<unsigned>(b - t) : ci.ulHeight;
  if (dw != tw || dh != th)
    return refuse(kNotSupported, std::string(call) + ": the target " + std::to_string(tw) + "x" + std::to_string(th) +
                                     " differs from the display area " + std::to_string(dw) + "x" + std::to_string(dh) +
                                     " (NVDEC would scale; the virtual NVDEC does not model scaling)");
  return CUDA_SUCCESS;
}

// ------------------------------------------------------------------ bitstream scans

// Reads an H.264 SPS (NAL payload after the header byte) far enough for the picture size
// and frame cropping (ITU-T H.264 7.3.2.1.1).
class BitReader {
 public:
  BitReader(const unsigned char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {  // drop emulation prevention bytes
      if (i >= 2 && p[i] == 3 && p[i - 1] == 0 && p[i - 2] == 0) continue;
      bytes_.push_back(p[i]);
    }
  }
  unsigned bit() {
    if (pos_ >= bytes_.size() * 8) {
      over_ = true;
      return 0;
    }
    const unsigned b = (bytes_[pos_ / 8] >> (7 - pos_ % 8)) & 1u;
    ++pos_;
    return b;
  }
  unsigned bits(int n) {
    unsigned v = 0;
    while (n-- > 0) v = (v << 1) | bit();
    return v;
  }
  unsigned ue() {
    int zeros = 0;
    while (!bit() && !over_ && zeros < 32) ++zeros;
    return ((1u << zeros) - 1) + bits(zeros);
  }
  int se() {
    const unsigned k = ue();
    return k & 1 ? static_cast<int>((k + 1) / 2) : -static_cast<int>(k / 2);
  }
  bool over() const { return over_; }

 private:
  std::vector<unsigned char> bytes_;
  std::size_t pos_ = 0;
  bool over_ = false;
};

Parser::Crop parse_h264_sps_crop(const unsigned char* p, std::size_t n) {
  BitReader r(p, n);
  Parser::Crop c;
  const unsigned profile = r.bits(8);
  r.bits(16);  // constraint flags, level
  r.ue();      // seq_parameter_set_id
  unsigned chroma = 1;
  if (profile == 100 || profile == 110 || profile == 122 || profile == 244 || profile == 44 || profile == 83 ||
      profile == 86 || profile == 118 || profile == 128 || profile == 138 || profile == 139 || profile == 134 ||
      profile == 135) {
    chroma = r.ue();
    if (chroma == 3) r.bit();  // separate_colour_plane_flag
    r.ue();
    r.ue();      // bit depths
    r.bit();     // qpprime_y_zero_transform_bypass_flag
    if (r.bit()) // seq_scaling_matrix_present_flag
      for (int i = 0; i < (chroma != 3 ? 8 : 12); ++i)
        if (r.bit()) {
          int last = 8, next = 8;
          for (int j = 0; j < (i < 6 ? 16 : 64); ++j) {
            if (next != 0) next = (last + r.se() + 256) % 256;
            last = next == 0 ? last : next;
          }
        }
  }
  r.ue();  // log2_max_frame_num_minus4
  const unsigned poc = r.ue();
  if (poc == 0) {
    r.ue();
  } else if (poc == 1) {
    r.bit();
    r.se();
    r.se();
    const unsigned cycle = r.ue();
    for (unsigned i = 0; i < cycle && !r.over(); ++i) r.se();
  }
  r.ue();   // max_num_ref_frames
  r.bit();  // gaps_in_frame_num_value_allowed_flag
  const unsigned w_mbs = r.ue() + 1, h_units = r.ue() + 1;
  const unsigned frame_mbs_only = r.bit();
  if (!frame_mbs_only) r.bit();
  r.bit();  // direct_8x8_inference_flag
  c.width = static_cast<int>(w_mbs * 16);
  c.height = static_cast<int>(h_units * 16 * (2 - frame_mbs_only));
  if (r.bit()) {
    const int ux = chroma == 1 || chroma == 2 ? 2 : 1;
    const int uy = (chroma == 1 ? 2 : 1) * static_cast<int>(2 - frame_mbs_only);
    c.left = static_cast<int>(r.ue()) * ux;
    c.right = static_cast<int>(r.ue()) * ux;
    c.top = static_cast<int>(r.ue()) * uy;
    c.bottom = static_cast<int>(r.ue()) * uy;
  }
  c.known = !r.over();
  return c;
}

// What a packet holds: a picture, a sequence header.
struct Scan {
  bool picture = false, sequence = false;
};

Scan scan(cudaVideoCodec codec, const unsigned char* p, std::size_t n) {
  Scan s;
  if (!p || n == 0) return s;
  auto start_codes = [&](auto&& on_code) {
    for (std::size_t i = 0; i + 3 < n; ++i)
      if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1) on_code(p[i + 3], i + 3);
  };
  switch (codec) {
    case cudaVideoCodec_H264:
      start_codes([&](unsigned char b, std::size_t) {
        const int t = b & 0x1F;
        if (t >= 1 && t <= 5) s.picture = true;
        if (t == 7) s.sequence = true;
      });
      break;
    case cudaVideoCodec_HEVC:
      start_codes([&](unsigned char b, std::size_t) {
        const int t = (b >> 1) & 0x3F;
        if (t <= 21 && !(t >= 10 && t <= 15)) s.picture = true;
        if (t == 33) s.sequence = true;
      });
      break;
    case cudaVideoCodec_MPEG2:
      start_codes([&](unsigned char b, std::size_t) {
        if (b == 0x00) s.picture = true;
        if (b == 0xB3) s.sequence = true;
      });
      break;
    case cudaVideoCodec_MPEG4:
      start_codes([&](unsigned char b, std::size_t) {
        if (b == 0xB6) s.picture = true;
        if (b >= 0x20 && b <= 0x2F) s.sequence = true;
      });
      break;
    case cudaVideoCodec_VP8:
      s.picture = true;
      s.sequence = (p[0] & 1) == 0;  // key frame
      break;
    case cudaVideoCodec_VP9: {
      s.picture = true;
      // frame_marker(2) profile_low(1) profile_high(1) [reserved(1) if profile 3]
      // show_existing_frame(1) frame_type(1): 0 = key frame.
      const int profile = ((p[0] >> 5) & 1) | (((p[0] >> 4) & 1) << 1);
      int bit = profile == 3 ? 5 : 4;
      const bool show_existing = (p[0] >> (7 - bit)) & 1;
      ++bit;
      s.sequence = !show_existing && ((p[0] >> (7 - bit)) & 1) == 0;
      break;
    }
    case cudaVideoCodec_AV1:
      s.picture = true;
      for (std::size_t i = 0; i < n;) {  // OBUs with size fields (Section 5)
        const int type = (p[i] >> 3) & 0xF;
        const bool ext = (p[i] >> 2) & 1, has_size = (p[i] >> 1) & 1;
        if (type == 1) s.sequence = true;
        std::size_t j = i + 1 + (ext ? 1 : 0), size = 0;
        if (!has_size) break;
        for (int k = 0; k < 8 && j < n; ++k, ++j) {
          size |= static_cast<std::size_t>(p[j] & 0x7F) << (7 * k);
          if (!(p[j] & 0x80)) {
            ++j;
            break;
          }
        }
        i = j + size;
      }
      break;
    default: s.picture = true;
  }
  return s;
}

// ------------------------------------------------------------------ parsing

unsigned min_surfaces(const Parser& ps) {
  const AVCodecContext* c = ps.ctx;
  switch (ps.params.CodecType) {
    case cudaVideoCodec_H264:
    case cudaVideoCodec_HEVC: return static_cast<unsigned>(std::min(std::max(c->refs, 1) + c->has_b_frames + 2, 20));
    case cudaVideoCodec_VP9:
    case cudaVideoCodec_AV1: return 10;
    case cudaVideoCodec_VP8: return 4;
    default: return 3;
  }
}

CUVIDEOFORMAT describe(const Parser& ps) {
  const AVCodecContext* c = ps.ctx;
  CUVIDEOFORMAT f{};
  f.codec = ps.params.CodecType;
  f.frame_rate.numerator = c->framerate.num > 0 ? static_cast<unsigned>(c->framerate.num) : 30;
  f.frame_rate.denominator = c->framerate.den > 0 ? static_cast<unsigned>(c->framerate.den) : 1;
  f.progressive_sequence = 1;
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(c->pix_fmt);
  const int depth = d ? d->comp[0].depth : 8;
  f.bit_depth_luma_minus8 = static_cast<unsigned char>(depth - 8);
  f.bit_depth_chroma_minus8 = f.bit_depth_luma_minus8;
  f.min_num_decode_surfaces = static_cast<unsigned char>(min_surfaces(ps));
  const int cw = c->coded_width > 0 ? c->coded_width : c->width, ch = c->coded_height > 0 ? c->coded_height : c->height;
  // The parser reports the coded size in the codec's block units (macroblocks; 8 for
  // HEVC's minimum coding block, VP9 and AV1), as NVIDIA's does.
  const unsigned unit = ps.params.CodecType == cudaVideoCodec_HEVC || ps.params.CodecType == cudaVideoCodec_VP9 ||
                                ps.params.CodecType == cudaVideoCodec_AV1
                            ? 8u
                            : 16u;
  f.coded_width = static_cast<unsigned>(align(static_cast<std::size_t>(std::max(cw, c->width)), unit));
  f.coded_height = static_cast<unsigned>(align(static_cast<std::size_t>(std::max(ch, c->height)), unit));
  f.display_area.left = 0;
  f.display_area.top = 0;
  f.display_area.right = c->width;
  f.display_area.bottom = c->height;
  if (ps.crop.known) {  // H.264: the SPS's size and cropping, over uncropped pictures
    f.coded_width = static_cast<unsigned>(ps.crop.width);
    f.coded_height = static_cast<unsigned>(ps.crop.height);
    f.display_area.left = ps.crop.left;
    f.display_area.top = ps.crop.top;
    f.display_area.right = ps.crop.width - ps.crop.right;
    f.display_area.bottom = ps.crop.height - ps.crop.bottom;
  }
  f.chroma_format = !d ? cudaVideoChromaFormat_420
                       : (d->nb_components == 1 ? cudaVideoChromaFormat_Monochrome
                                                 : (d->log2_chroma_w == 0 && d->log2_chroma_h == 0
                                                        ? cudaVideoChromaFormat_444
                                                        : (d->log2_chroma_h == 0 ? cudaVideoChromaFormat_422
                                                                                  : cudaVideoChromaFormat_420)));
  f.video_signal_description.video_full_range_flag = c->color_range == AVCOL_RANGE_JPEG;
  f.video_signal_description.color_primaries = static_cast<unsigned char>(c->color_primaries);
  f.video_signal_description.transfer_characteristics = static_cast<unsigned char>(c->color_trc);
  f.video_signal_description.matrix_coefficients = static_cast<unsigned char>(c->colorspace);
  return f;
}

std::string fmt_json(const CUVIDEOFORMAT& f) {
  char b[256];
  std::snprintf(b, sizeof b,
                "\"codec\":%d,\"coded\":[%u,%u],\"display\":[%d,%d,%d,%d],\"chroma\":%d,\"depth\":%d,"
                "\"min_surfaces\":%d",
                static_cast<int>(f.codec), f.coded_width, f.coded_height, f.display_area.left, f.display_area.top,
                f.display_area.right, f.display_area.bottom, static_cast<int>(f.chroma_format),
                f.bit_depth_luma_minus8 + 8, f.min_num_decode_surfaces);
  return b;
}

// Displays the picture of surface `idx`.
void display(Parser& ps, int idx) {
  std::shared_ptr<Picture> pic = ps.on_surface[static_cast<std::size_t>(idx)];
  CUVIDPARSERDISPINFO di{};
  di.picture_index = idx;
  di.progressive_frame = 1;
  di.top_field_first = 0;
  di.repeat_first_field = 0;
  di.timestamp = pic ? pic->timestamp : 0;
  trace("{\"call\":\"display\",\"index\":" + std::to_string(idx) + ",\"timestamp\":" + std::to_string(di.timestamp) + "}");
  ps.undisplayed.erase(idx);
  if (ps.params.pfnDisplayPicture) {
    CallbackScope scope("display");
    t_parser = &ps;
    ps.params.pfnDisplayPicture(ps.params.pUserData, &di);
    t_parser = nullptr;
  }
}

// Pictures libavcodec has output go to the display queue; the queue is displayed down to
// ulMaxDisplayDelay pictures (or, late, to a full DPB), or whole at the end of the stream.
void drain(Parser& ps, bool end) {
  for (;;) {
    const int ret = avcodec_receive_frame(ps.ctx, ps.frame);
    if (ret != 0) break;
    const std::int64_t serial = ps.frame->pts;
    auto it = ps.surface_of.find(serial);
    if (it == ps.surface_of.end()) {  // not submitted (its decode callback failed): never shown
      trace("{\"call\":\"unmatched\",\"pts\":" + std::to_string(serial) + ",\"best_effort\":" + std::to_string(ps.frame->best_effort_timestamp) + "}");
      av_frame_unref(ps.frame);
      continue;
    }
    const int idx = it->second;
    ps.surface_of.erase(it);
    auto pic = std::make_shared<Picture>();
    pic->frame = av_frame_clone(ps.frame);
    pic->serial = serial;
    pic->timestamp = ps.ts_of[serial];
    ps.ts_of.erase(serial);
    pic->damaged = ps.frame->decode_error_flags != 0 || (ps.frame->flags & AV_FRAME_FLAG_CORRUPT);
    pic->concealed = (ps.frame->decode_error_flags & FF_DECODE_ERROR_CONCEALMENT_ACTIVE) != 0;
    av_frame_unref(ps.frame);
    ps.on_surface[static_cast<std::size_t>(idx)] = pic;
    ps.display_queue.push_back(idx);
  }
  // Late: as long as a surface is left for the next picture (the pictures libavcodec still
  // holds occupy surfaces too).
  const std::size_t busy = ps.surface_of.size();
  const std::size_t hold = end ? 0
                           : ps.late ? (ps.surfaces > busy + 1 ? ps.surfaces - busy - 1 : 0)
                                     : ps.params.ulMaxDisplayDelay;
  while (ps.display_queue.size() > hold) {
    const int idx = ps.display_queue.front();
    ps.display_queue.pop_front();
    display(ps, idx);
  }
}

CUresult submit_picture(Parser& ps, const CUVIDSOURCEDATAPACKET& pk, bool sequence_header) {
  if (!ps.sequence_sent || sequence_header) {
    const CUVIDEOFORMAT f = describe(ps);
    int r = 1;
    if (ps.params.pfnSequenceCallback) {
      CallbackScope scope("sequence");
      t_parser = &ps;
      t_in_sequence = true;
      r = ps.params.pfnSequenceCallback(ps.params.pUserData, const_cast<CUVIDEOFORMAT*>(&f));
      t_in_sequence = false;
      t_parser = nullptr;
    }
    trace("{\"call\":\"sequence\"," + fmt_json(f) + ",\"returned\":" + std::to_string(r) + "}");
    ps.format = f;
    ps.sequence_sent = true;
    if (r == 0) {
      // The application refused the sequence: nothing more is decoded, unless
      // CUFRAME_VIRTUAL_NVDEC_AFTER_REFUSAL=continue asks for the pessimistic reading of
      // the SDK (its header only says "0: fail"), where the parser goes on calling back.
      const char* after = std::getenv("CUFRAME_VIRTUAL_NVDEC_AFTER_REFUSAL");
      ps.stopped = !(after && std::string(after) == "continue");
      return CUDA_SUCCESS;
    }
    if (r > 1) {
      if (static_cast<unsigned>(r) < f.min_num_decode_surfaces)
        return refuse(kInvalidValue, "sequence callback returned " + std::to_string(r) +
                                         " surfaces, fewer than min_num_decode_surfaces " +
                                         std::to_string(f.min_num_decode_surfaces));
      ps.surfaces = static_cast<unsigned>(r);
    }
    ps.on_surface.resize(std::max<std::size_t>(ps.on_surface.size(), ps.surfaces));
  }
  if (ps.stopped) return CUDA_SUCCESS;
  // A surface that holds no picture waiting for display.
  int idx = -1;
  for (unsigned k = 0; k < ps.surfaces; ++k) {
    const int cand = static_cast<int>((static_cast<unsigned>(ps.next_surface) + k) % ps.surfaces);
    if (!ps.undisplayed.count(cand)) {
      idx = cand;
      break;
    }
  }
  if (idx < 0 && !ps.surface_of.empty()) {
    // Every surface holds a picture libavcodec has not output. The oldest is taken to be
    // one it dropped (before the first keyframe, RASL, damaged): its surface is reused and
    // the picture, should it come out after all, is not displayed.
    const auto oldest = ps.surface_of.begin();
    if (ps.undisplayed.size() >= ps.surfaces) {
      idx = oldest->second;
      trace("{\"call\":\"dropped\",\"index\":" + std::to_string(idx) + ",\"serial\":" + std::to_string(oldest->first) + "}");
      ps.undisplayed.erase(idx);
      ps.ts_of.erase(oldest->first);
      ps.surface_of.erase(oldest);
    }
  }
  if (idx < 0)
    return refuse(kInvalidValue, "cuvidParseVideoData: all " + std::to_string(ps.surfaces) +
                                     " decode surfaces hold pictures not yet displayed (too few surfaces for the "
                                     "stream's DPB and display delay)");
  ps.next_surface = static_cast<int>((static_cast<unsigned>(idx) + 1) % ps.surfaces);
  const std::int64_t serial = ps.serial++;
  CUVIDPICPARAMS pic{};
  pic.PicWidthInMbs = static_cast<int>((ps.format.coded_width + 15) / 16);
  pic.FrameHeightInMbs = static_cast<int>((ps.format.coded_height + 15) / 16);
  pic.CurrPicIdx = idx;
  pic.nBitstreamDataLen = static_cast<unsigned>(pk.payload_size);
  pic.pBitstreamData = pk.payload;
  pic.nNumSlices = 1;
  static const unsigned zero = 0;
  pic.pSliceDataOffsets = &zero;
  trace("{\"call\":\"decode\",\"index\":" + std::to_string(idx) + ",\"serial\":" + std::to_string(serial) + "}");
  int ok = 1;
  if (ps.params.pfnDecodePicture) {
    CallbackScope scope("decode");
    t_parser = &ps;
    t_serial = serial;
    ok = ps.params.pfnDecodePicture(ps.params.pUserData, &pic);
    t_serial = -1;
    t_parser = nullptr;
  }
  if (ok) {
    ps.surface_of[serial] = idx;
    ps.undisplayed.insert(idx);
    CUvideotimestamp ts;
    if (pk.flags & CUVID_PKT_TIMESTAMP) {
      ts = pk.timestamp;
    } else {
      const double clock = ps.params.ulClockRate ? ps.params.ulClockRate : 10000000.0;
      ts = ps.next_ts;
      ps.next_ts += static_cast<CUvideotimestamp>(clock * ps.format.frame_rate.denominator / ps.format.frame_rate.numerator);
    }
    ps.ts_of[serial] = ts;
  }
  return CUDA_SUCCESS;
}

// Writes the display area of `pic` into the output surface `dst` (pitch, format) on
// `stream`, as NVDEC's post-processing does: 4:2:0 chroma interleaved, >8-bit samples at
// the top of 16 bits; rows or columns past the decoded picture replicate its edge.
CUresult write_surface(const Decoder& d, const Picture& pic, void* dst, CUstream stream) {
  const AVFrame* f = pic.frame;
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
  if (!desc) return refuse(kNotSupported, "cuvidMapVideoFrame: unknown decoded format");
  const int depth = desc->comp[0].depth, shift = depth > 8 ? 16 - depth : 0;
  const auto fmt = d.ci.OutputFormat;
  const int bps = bytes_per_sample(fmt);
  const unsigned tw = d.ci.ulTargetWidth, th = d.ci.ulTargetHeight;
  const int left = d.ci.display_area.left, top = d.ci.display_area.top;
  const std::size_t luma_rows = align(th, 2);
  std::vector<unsigned char> host(d.surface_bytes, 0);
  auto sample = [&](int plane, int x, int y) -> unsigned {
    const int pw = plane == 0 ? f->width : AV_CEIL_RSHIFT(f->width, desc->log2_chroma_w);
    const int ph = plane == 0 ? f->height : AV_CEIL_RSHIFT(f->height, desc->log2_chroma_h);
    x = std::clamp(x, 0, pw - 1);
    y = std::clamp(y, 0, ph - 1);
    const unsigned char* row = f->data[plane] + static_cast<std::ptrdiff_t>(y) * f->linesize[plane];
    if (depth > 8) {
      std::uint16_t v;
      std::memcpy(&v, row + 2 * x, 2);
      return v;
    }
    return row[x];
  };
  auto put = [&](std::size_t offset, unsigned v) {
    if (bps == 2) {
      const auto w = static_cast<std::uint16_t>(v << shift);
      std::memcpy(&host[offset], &w, 2);
    } else {
      host[offset] = static_cast<unsigned char>(v);
    }
  };
  for (unsigned y = 0; y < th; ++y)
    for (unsigned x = 0; x < tw; ++x)
      put(y * d.pitch + x * static_cast<unsigned>(bps), sample(0, left + static_cast<int>(x), top + static_cast<int>(y)));
  if (is444(fmt)) {
    for (int p = 1; p <= 2; ++p)
      for (unsigned y = 0; y < th; ++y)
        for (unsigned x = 0; x < tw; ++x)
          put((static_cast<std::size_t>(p) * luma_rows + y) * d.pitch + x * static_cast<unsigned>(bps),
              sample(p, left + static_cast<int>(x), top + static_cast<int>(y)));
  } else {
    const unsigned cw = (tw + 1) / 2, chh = (th + 1) / 2;
    for (unsigned y = 0; y < chh; ++y)
      for (unsigned x = 0; x < cw; ++x)
        for (int p = 1; p <= 2; ++p)
          put((luma_rows + y) * d.pitch + (2 * x + static_cast<unsigned>(p - 1)) * static_cast<unsigned>(bps),
              sample(p, (left >> 1) + static_cast<int>(x), (top >> 1) + static_cast<int>(y)));
  }
  // Pageable source: staged now, written in stream order.
  if (cfvg_memcpy(dst, host.data(), host.size(), CFVG_H2D, reinterpret_cast<cfvg_stream>(stream), 1) != 0)
    return refuse(kInvalidValue, "cuvidMapVideoFrame: output_stream is not a live stream");
  return CUDA_SUCCESS;
}

}  // namespace

// ====================================================================== exports

CFVG_NVDEC cuvidGetDecoderCaps(CUVIDDECODECAPS* pdc) {
  if (!pdc) return kInvalidValue;
  const Caps c = caps_of(pdc->eCodecType, pdc->eChromaFormat, pdc->nBitDepthMinus8);
  pdc->bIsSupported = c.supported;
  pdc->nNumNVDECs = c.supported ? 7 : 0;
  pdc->nOutputFormatMask = c.mask;
  pdc->nMaxWidth = c.max_w;
  pdc->nMaxHeight = c.max_h;
  pdc->nMaxMBCount = c.max_mbs;
  pdc->nMinWidth = static_cast<unsigned short>(c.min_w);
  pdc->nMinHeight = static_cast<unsigned short>(c.min_h);
  return CUDA_SUCCESS;
}

CFVG_NVDEC cuvidCreateDecoder(CUvideodecoder* phDecoder, CUVIDDECODECREATEINFO* ci) {
  std::lock_guard<std::mutex> hold(lock());
  if (!phDecoder || !ci) return refuse(kInvalidValue, "cuvidCreateDecoder: null argument");
  const Caps c = caps_of(ci->CodecType, ci->ChromaFormat, static_cast<unsigned>(ci->bitDepthMinus8));
  if (!c.supported) return refuse(kNotSupported, "cuvidCreateDecoder: the H100 model does not decode this codec/chroma/depth");
  if (ci->ulWidth < c.min_w || ci->ulHeight < c.min_h || ci->ulWidth > c.max_w || ci->ulHeight > c.max_h ||
      (ci->ulWidth / 16) * (ci->ulHeight / 16) > c.max_mbs)
    return refuse(kNotSupported, "cuvidCreateDecoder: coded size " + std::to_string(ci->ulWidth) + "x" +
                                     std::to_string(ci->ulHeight) + " outside the caps");
  if (ci->ulMaxWidth && (ci->ulMaxWidth < ci->ulWidth || ci->ulMaxHeight < ci->ulHeight))
    return refuse(kInvalidValue, "cuvidCreateDecoder: ulMaxWidth/ulMaxHeight below the coded size");
  if (!(c.mask & (1u << ci->OutputFormat)))
    return refuse(kNotSupported, "cuvidCreateDecoder: OutputFormat not in the caps' nOutputFormatMask");
  if (ci->ulNumDecodeSurfaces < 1 || ci->ulNumDecodeSurfaces > 32 || ci->ulNumOutputSurfaces < 1 ||
      ci->ulNumOutputSurfaces > 64)
    return refuse(kInvalidValue, "cuvidCreateDecoder: ulNumDecodeSurfaces must be 1..32, ulNumOutputSurfaces >= 1");
  if (CUresult r = check_target("cuvidCreateDecoder", static_cast<unsigned>(ci->ulTargetWidth),
                                static_cast<unsigned>(ci->ulTargetHeight), *ci, ci->display_area.left,
                                ci->display_area.top, ci->display_area.right, ci->display_area.bottom))
    return r;
  auto d = std::make_unique<Decoder>();
  d->ci = *ci;
  if (!d->ci.ulMaxWidth) d->ci.ulMaxWidth = ci->ulWidth;
  if (!d->ci.ulMaxHeight) d->ci.ulMaxHeight = ci->ulHeight;
  if (CUresult r = allocate_outputs(*d)) return refuse(r, "cuvidCreateDecoder: out of device memory");
  trace("{\"call\":\"create\",\"coded\":[" + std::to_string(ci->ulWidth) + "," + std::to_string(ci->ulHeight) +
        "],\"target\":[" + std::to_string(ci->ulTargetWidth) + "," + std::to_string(ci->ulTargetHeight) +
        "],\"surfaces\":" + std::to_string(ci->ulNumDecodeSurfaces) + "}");
  *phDecoder = reinterpret_cast<CUvideodecoder>(d.get());
  decoders().insert(d.release());
  return CUDA_SUCCESS;
}

namespace {
Decoder* find_decoder(CUvideodecoder h, const char* call, CUresult& r) {
  auto* d = reinterpret_cast<Decoder*>(h);
  if (!h || !decoders().count(d)) {
    r = refuse(kInvalidHandle, std::string(call) + ": " + (h ? "a destroyed or unknown decoder" : "a null decoder"));
    return nullptr;
  }
  r = CUDA_SUCCESS;
  return d;
}
}  // namespace

CFVG_NVDEC cuvidDestroyDecoder(CUvideodecoder h) {
  std::lock_guard<std::mutex> hold(lock());
  CUresult r;
  Decoder* d = find_decoder(h, "cuvidDestroyDecoder", r);
  if (!d) return r;
  const auto still = std::count_if(d->mapped.begin(), d->mapped.end(), [](int m) { return m >= 0; });
  for (void* p : d->outputs) cfvg_free(p);
  decoders().erase(d);
  delete d;
  if (still) return refuse(kInvalidValue, "cuvidDestroyDecoder: " + std::to_string(still) + " frames still mapped (a map without its unmap)");
  return CUDA_SUCCESS;
}

CFVG_NVDEC cuvidDecodePicture(CUvideodecoder h, CUVIDPICPARAMS* pic) {
  std::lock_guard<std::mutex> hold(lock());
  CUresult r;
  Decoder* d = find_decoder(h, "cuvidDecodePicture", r);
  if (!d) return r;
  if (!pic) return refuse(kInvalidValue, "cuvidDecodePicture: null picture parameters");
  if (!t_parser || t_serial < 0)
    return refuse(kNotSupported, "cuvidDecodePicture outside the parser's decode callback (the virtual NVDEC decodes "
                                 "the picture the callback was given)");
  if (pic->CurrPicIdx < 0 || static_cast<unsigned>(pic->CurrPicIdx) >= d->ci.ulNumDecodeSurfaces)
    return refuse(kInvalidValue, "cuvidDecodePicture: CurrPicIdx " + std::to_string(pic->CurrPicIdx) +
                                     " outside the decoder's " + std::to_string(d->ci.ulNumDecodeSurfaces) + " surfaces");
  for (int m : d->mapped)
    if (m == pic->CurrPicIdx)
      return refuse(kInvalidValue, "cuvidDecodePicture: surface " + std::to_string(m) +
                                       " is mapped: decoding into it would overwrite the frame being read");
  d->picture[pic->CurrPicIdx] = {t_parser, t_serial};
  d->lost.erase(pic->CurrPicIdx);
  return CUDA_SUCCESS;
}

CFVG_NVDEC cuvidGetDecodeStatus(CUvideodecoder h, int idx, CUVIDGETDECODESTATUS* st) {
  std::lock_guard<std::mutex> hold(lock());
  CUresult r;
  Decoder* d = find_decoder(h, "cuvidGetDecodeStatus", r);
  if (!d) return r;
  if (!st) return kInvalidValue;
  if (d->ci.CodecType != cudaVideoCodec_H264 && d->ci.CodecType != cudaVideoCodec_HEVC) return kNotSupported;
  auto it = d->picture.find(idx);
  st->decodeStatus = cuvidDecodeStatus_Invalid;
  if (it == d->picture.end()) return CUDA_SUCCESS;
  Parser* ps = it->second.first;
  if (!parsers().count(ps)) return CUDA_SUCCESS;
  const auto& pic = ps->on_surface.size() > static_cast<std::size_t>(idx) ? ps->on_surface[static_cast<std::size_t>(idx)] : nullptr;
  if (!pic || pic->serial != it->second.second) {
    st->decodeStatus = cuvidDecodeStatus_InProgress;  // libavcodec has not output it yet
    return CUDA_SUCCESS;
  }
  st->decodeStatus = !pic->damaged ? cuvidDecodeStatus_Success
                                   : (pic->concealed ? cuvidDecodeStatus_Error_Concealed : cuvidDecodeStatus_Error);
  return CUDA_SUCCESS;
}

CFVG_NVDEC cuvidReconfigureDecoder(CUvideodecoder h, CUVIDRECONFIGUREDECODERINFO* ri) {
  std::lock_guard<std::mutex> hold(lock());
  CUresult r;
  Decoder* d = find_decoder(h, "cuvidReconfigureDecoder", r);
  if (!d) return r;
  if (!ri) return kInvalidValue;
  if (!t_in_sequence)
    return refuse(kInvalidValue, "cuvidReconfigureDecoder outside the sequence callback (the SDK allows it only there)");
  if (ri->ulWidth > d->ci.ulMaxWidth || ri->ulHeight > d->ci.ulMaxHeight)
    return refuse(kInvalidValue, "cuvidReconfigureDecoder: " + std::to_string(ri->ulWidth) + "x" +
                                     std::to_string(ri->ulHeight) + " over the creation maximum " +
                                     std::to_string(d->ci.ulMaxWidth) + "x" + std::to_string(d->ci.ulMaxHeight));
  for (int m : d->mapped)
    if (m >= 0) return refuse(kInvalidValue, "cuvidReconfigureDecoder with frames still mapped");
  CUVIDDECODECREATEINFO next = d->ci;
  next.ulWidth = ri->ulWidth;
  next.ulHeight = ri->ulHeight;
  next.ulTargetWidth = ri->ulTargetWidth;
  next.ulTargetHeight = ri->ulTargetHeight;
  if (ri->ulNumDecodeSurfaces) next.ulNumDecodeSurfaces = ri->ulNumDecodeSurfaces;
  next.display_area.left = ri->display_area.left;
  next.display_area.top = ri->display_area.top;
  next.display_area.right = ri->display_area.right;
  next.display_area.bottom = ri->display_area.bottom;
  if (CUresult e = check_target("cuvidReconfigureDecoder", ri->ulTargetWidth, ri->ulTargetHeight, next,
                                ri->display_area.left, ri->display_area.top, ri->display_area.right,
                                ri->display_area.bottom))
    return e;
  trace("{\"call\":\"reconfigure\",\"coded\":[" + std::to_string(ri->ulWidth) + "," + std::to_string(ri->ulHeight) +
        "],\"target\":[" + std::to_string(ri->ulTargetWidth) + "," + std::to_string(ri->ulTargetHeight) + "]}");
  d->ci = next;
  for (const auto& [idx, from] : d->picture) d->lost.insert(idx);
  d->picture.clear();
  return allocate_outputs(*d);
}

CFVG_NVDEC cuvidMapVideoFrame64(CUvideodecoder h, int idx, unsigned long long* dev_ptr, unsigned* pitch,
                                CUVIDPROCPARAMS* proc) {
  std::lock_guard<std::mutex> hold(lock());
  CUresult r;
  Decoder* d = find_decoder(h, "cuvidMapVideoFrame", r);
  if (!d) return r;
  if (!dev_ptr || !pitch || !proc) return refuse(kInvalidValue, "cuvidMapVideoFrame: null argument");
  if (d->lost.count(idx))
    return refuse(kInvalidValue, "cuvidMapVideoFrame: picture " + std::to_string(idx) +
                                     " was decoded before cuvidReconfigureDecoder, which drops the pictures that wait "
                                     "for display (reconfigure only when the format changed)");
  auto it = d->picture.find(idx);
  Parser* ps = it == d->picture.end() ? nullptr : it->second.first;
  if (!ps || !parsers().count(ps) || ps->on_surface.size() <= static_cast<std::size_t>(idx) ||
      !ps->on_surface[static_cast<std::size_t>(idx)] ||
      ps->on_surface[static_cast<std::size_t>(idx)]->serial != it->second.second)
    return refuse(kInvalidValue, "cuvidMapVideoFrame: picture " + std::to_string(idx) +
                                     " holds no decoded picture of this decoder (never decoded, or not displayed)");
  int slot = -1;
  for (std::size_t s = 0; s < d->mapped.size(); ++s)
    if (d->mapped[s] < 0) {
      slot = static_cast<int>(s);
      break;
    }
  if (slot < 0)
    return refuse(kInvalidValue, "cuvidMapVideoFrame: all " + std::to_string(d->mapped.size()) +
                                     " output surfaces are mapped (ulNumOutputSurfaces; unmap first)");
  if (CUresult e = write_surface(*d, *ps->on_surface[static_cast<std::size_t>(idx)], d->outputs[static_cast<std::size_t>(slot)],
                                 proc->output_stream))
    return e;
  d->mapped[static_cast<std::size_t>(slot)] = idx;
  *dev_ptr = reinterpret_cast<unsigned long long>(d->outputs[static_cast<std::size_t>(slot)]);
  *pitch = static_cast<unsigned>(d->pitch);
  trace("{\"call\":\"map\",\"index\":" + std::to_string(idx) + ",\"pitch\":" + std::to_string(d->pitch) + "}");
  return CUDA_SUCCESS;
}

CFVG_NVDEC cuvidUnmapVideoFrame64(CUvideodecoder h, unsigned long long dev_ptr) {
  std::lock_guard<std::mutex> hold(lock());
  CUresult r;
  Decoder* d = find_decoder(h, "cuvidUnmapVideoFrame", r);
  if (!d) return r;
  for (std::size_t s = 0; s < d->outputs.size(); ++s)
    if (reinterpret_cast<unsigned long long>(d->outputs[s]) == dev_ptr && d->mapped[s] >= 0) {
      trace("{\"call\":\"unmap\",\"index\":" + std::to_string(d->mapped[s]) + "}");
      d->mapped[s] = -1;
      return CUDA_SUCCESS;
    }
  return refuse(kInvalidValue, "cuvidUnmapVideoFrame: not a pointer cuvidMapVideoFrame returned (or unmapped twice)");
}

// The 32-bit map API cannot hold the virtual device's 64-bit addresses.
CFVG_NVDEC cuvidMapVideoFrame(CUvideodecoder, int, unsigned*, unsigned*, CUVIDPROCPARAMS*) {
  return refuse(kNotSupported, "cuvidMapVideoFrame (32-bit): use cuvidMapVideoFrame64 (__CUVID_DEVPTR64)");
}
CFVG_NVDEC cuvidUnmapVideoFrame(CUvideodecoder, unsigned) {
  return refuse(kNotSupported, "cuvidUnmapVideoFrame (32-bit): use cuvidUnmapVideoFrame64");
}

CFVG_NVDEC cuvidCreateVideoParser(CUvideoparser* obj, CUVIDPARSERPARAMS* p) {
  std::lock_guard<std::mutex> hold(lock());
  if (!obj || !p) return refuse(kInvalidValue, "cuvidCreateVideoParser: null argument");
  const char* name = codec_name(p->CodecType);
  const AVCodec* codec = name ? avcodec_find_decoder_by_name(name) : nullptr;
  if (p->CodecType == cudaVideoCodec_AV1 && !codec) codec = avcodec_find_decoder(AV_CODEC_ID_AV1);
  if (!codec) return refuse(kNotSupported, "cuvidCreateVideoParser: codec not modelled");
  auto ps = std::make_unique<Parser>();
  ps->params = *p;
  ps->surfaces = std::max(1u, p->ulMaxNumDecodeSurfaces);
  ps->ctx = avcodec_alloc_context3(codec);
  ps->pkt = av_packet_alloc();
  ps->frame = av_frame_alloc();
  if (!ps->ctx || !ps->pkt || !ps->frame) return kOutOfMemory;
  ps->ctx->thread_count = 1;
  // A picture with a bitstream error is refused (no decode callback, no display) rather
  // than concealed: the engine must notice the missing picture.
  ps->ctx->err_recognition |= AV_EF_EXPLODE;
  // The parser knows the DPB from the bitstream alone: the SPS's reorder depth when its VUI
  // has one, else the level's DPB size. libavcodec, given no container facts, would guess an
  // H.264 stream's depth low and drop the pictures that come too late; in strict mode it
  // does what the parser does.
  if (p->CodecType == cudaVideoCodec_H264) ps->ctx->strict_std_compliance = FF_COMPLIANCE_STRICT;
  // H.264 pictures stay uncropped: the map writes the display area the application chose
  // out of the whole coded picture, as the hardware does.
  if (p->CodecType == cudaVideoCodec_H264) ps->ctx->apply_cropping = 0;
  if (avcodec_open2(ps->ctx, codec, nullptr) < 0) return refuse(kNotSupported, "cuvidCreateVideoParser: cannot open the decoder");
  const char* display = std::getenv("CUFRAME_VIRTUAL_NVDEC_DISPLAY");
  ps->late = display && std::string(display) == "late";
  *obj = reinterpret_cast<CUvideoparser>(ps.get());
  parsers().insert(ps.release());
  return CUDA_SUCCESS;
}

CFVG_NVDEC cuvidParseVideoData(CUvideoparser obj, CUVIDSOURCEDATAPACKET* pk) {
  std::unique_lock<std::mutex> hold(lock());
  auto* ps = reinterpret_cast<Parser*>(obj);
  if (!obj || !parsers().count(ps)) return refuse(kInvalidHandle, "cuvidParseVideoData: a destroyed or unknown parser");
  if (!pk) return kInvalidValue;
  hold.unlock();  // callbacks call back into NVDEC
  const bool eos = pk->flags & CUVID_PKT_ENDOFSTREAM;
  if (pk->payload && pk->payload_size > 0) {
    Scan s = scan(ps->params.CodecType, pk->payload, pk->payload_size);
    if (ps->params.CodecType == cudaVideoCodec_H264 && s.sequence) {
      const unsigned char* b = pk->payload;
      const std::size_t n = pk->payload_size;
      for (std::size_t i = 0; i + 4 < n; ++i)
        if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1 && (b[i + 3] & 0x1F) == 7) {
          std::size_t end = i + 4;
          while (end + 2 < n && !(b[end] == 0 && b[end + 1] == 0 && (b[end + 2] == 1 || b[end + 2] == 0))) ++end;
          if (end + 2 >= n) end = n;
          ps->crop = parse_h264_sps_crop(b + i + 4, end - (i + 4));
        }
    }
    // A packet of headers alone (parameter sets, a VOL, a sequence header) is kept and
    // goes to libavcodec with the next picture, as the parser keeps the stream's state
    // (libavcodec's MPEG-4 decoder refuses a lone VOL).
    if (s.sequence && !s.picture) {
      ps->headers.insert(ps->headers.end(), pk->payload, pk->payload + pk->payload_size);
    } else {
      const std::size_t n = ps->headers.size() + pk->payload_size;
      av_packet_unref(ps->pkt);
      if (av_new_packet(ps->pkt, static_cast<int>(n)) < 0) return kOutOfMemory;
      if (!ps->headers.empty()) std::memcpy(ps->pkt->data, ps->headers.data(), ps->headers.size());
      std::memcpy(ps->pkt->data + ps->headers.size(), pk->payload, pk->payload_size);
      if (!ps->headers.empty()) s.sequence = true;
      ps->headers.clear();
      ps->pkt->pts = s.picture ? ps->serial : AV_NOPTS_VALUE;
      const int ret = avcodec_send_packet(ps->ctx, ps->pkt);
      if (ret == 0 && s.picture && ps->ctx->width > 0) {
        if (CUresult r = submit_picture(*ps, *pk, s.sequence)) return r;
      }
    }
    // A packet libavcodec rejects gives no picture.
    drain(*ps, false);
  }
  if (eos) {
    trace("{\"call\":\"end_of_stream\",\"pending\":" + std::to_string(ps->surface_of.size()) + "}");
    avcodec_send_packet(ps->ctx, nullptr);
    drain(*ps, true);
    avcodec_flush_buffers(ps->ctx);
    // Pictures libavcodec never output were dropped: their surfaces are free again.
    for (const auto& [serial, idx] : ps->surface_of) ps->undisplayed.erase(idx);
    ps->surface_of.clear();
    ps->ts_of.clear();
  }
  return CUDA_SUCCESS;
}

CFVG_NVDEC cuvidDestroyVideoParser(CUvideoparser obj) {
  std::lock_guard<std::mutex> hold(lock());
  auto* ps = reinterpret_cast<Parser*>(obj);
  if (!obj || !parsers().count(ps)) return refuse(kInvalidHandle, "cuvidDestroyVideoParser: a destroyed or unknown parser");
  parsers().erase(ps);
  delete ps;
  return CUDA_SUCCESS;
}

// Context locks: plain mutexes (the virtual device has one context per device).
CFVG_NVDEC cuvidCtxLockCreate(CUvideoctxlock* lck, CUcontext) {
  if (!lck) return kInvalidValue;
  *lck = reinterpret_cast<CUvideoctxlock>(new std::mutex);
  return CUDA_SUCCESS;
}
CFVG_NVDEC cuvidCtxLockDestroy(CUvideoctxlock lck) {
  delete reinterpret_cast<std::mutex*>(lck);
  return CUDA_SUCCESS;
}
CFVG_NVDEC cuvidCtxLock(CUvideoctxlock lck, unsigned) {
  if (!lck) return kInvalidValue;
  reinterpret_cast<std::mutex*>(lck)->lock();
  return CUDA_SUCCESS;
}
CFVG_NVDEC cuvidCtxUnlock(CUvideoctxlock lck, unsigned) {
  if (!lck) return kInvalidValue;
  reinterpret_cast<std::mutex*>(lck)->unlock();
  return CUDA_SUCCESS;
}

// The video source (file reader) API is not modelled.
CFVG_NVDEC cuvidCreateVideoSource(CUvideosource*, const char*, CUVIDSOURCEPARAMS*) { return kNotSupported; }
CFVG_NVDEC cuvidCreateVideoSourceW(CUvideosource*, const wchar_t*, CUVIDSOURCEPARAMS*) { return kNotSupported; }
CFVG_NVDEC cuvidDestroyVideoSource(CUvideosource) { return kNotSupported; }
CFVG_NVDEC cuvidSetVideoSourceState(CUvideosource, cudaVideoState) { return kNotSupported; }
extern "C" __attribute__((visibility("default"))) cudaVideoState CUDAAPI cuvidGetVideoSourceState(CUvideosource) {
  return cudaVideoState_Error;
}
CFVG_NVDEC cuvidGetSourceVideoFormat(CUvideosource, CUVIDEOFORMAT*, unsigned) { return kNotSupported; }
CFVG_NVDEC cuvidGetSourceAudioFormat(CUvideosource, CUAUDIOFORMAT*, unsigned) { return kNotSupported; }
