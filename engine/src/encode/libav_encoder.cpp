// The libavcodec encode backend (libx264, libx265, SVT-AV1), and validate_encode_options()
// (what libavcodec's encoders refuse). The dispatcher, open_encoder(), is in encoder.cpp.
#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

extern "C" {
#include <libavutil/buffer.h>
#include <libavutil/common.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

#include "cuframe/encoder.hpp"
#include "cuframe/log.hpp"
#include "encode/backends.hpp"
#include "ffmpeg_util.hpp"
#include "native.hpp"

namespace cuframe {

namespace {

struct LibavCodec {
  const char* encoder;      // libavcodec encoder name
  int default_quality;      // the ffmpeg program's default crf
  int max_qp;
  const char* default_preset;
};

LibavCodec libav_codec_for(Codec codec) {
  switch (codec) {
    case Codec::H264: return {"libx264", 23, 51, "medium"};
    case Codec::HEVC: return {"libx265", 28, 51, "medium"};
    // SVT-AV1's own defaults, which the ffmpeg program uses when given no options.
    case Codec::AV1: return {"libsvtav1", 35, 63, ""};
    default: break;
  }
  throw Error(Errc::Unsupported, std::string("codec ") + to_string(codec),
              "cuframe encodes h264, hevc and av1 only");
}

bool is_420(PixelFormat f) { return f == PixelFormat::NV12 || f == PixelFormat::P016; }

// The planar pixel format handed to libavcodec for a batch format and depth.
AVPixelFormat libav_input_format(PixelFormat f, int depth) {
  if (f == PixelFormat::NV12) return AV_PIX_FMT_NV12;
  if (f == PixelFormat::YUV444P) return AV_PIX_FMT_YUV444P;
  if (f == PixelFormat::P016) return depth == 10 ? AV_PIX_FMT_YUV420P10LE : AV_PIX_FMT_YUV420P12LE;
  if (f == PixelFormat::YUV444P16) return depth == 10 ? AV_PIX_FMT_YUV444P10LE : AV_PIX_FMT_YUV444P12LE;
  return AV_PIX_FMT_NONE;
}

bool encoder_takes(const AVCodec* codec, AVPixelFormat fmt) {
  if (!codec->pix_fmts) return false;
  for (const AVPixelFormat* p = codec->pix_fmts; *p != AV_PIX_FMT_NONE; ++p)
    if (*p == fmt) return true;
  return false;
}


// SVT-AV1 prints a banner of "Svt[info]" lines to stderr for every encoder it opens; its
// log level comes only from the SVT_LOG environment variable (1: errors). Set once, and
// only where the user has not set it.
void quiet_svt_av1() {
  static std::once_flag once;
  std::call_once(once, [] { setenv("SVT_LOG", "1", /*overwrite=*/0); });
}

}  // namespace

std::string validate_encode_options(const EncodeParams& p, const EncodeOptions& o) {
  if (o.codec != Codec::H264 && o.codec != Codec::HEVC && o.codec != Codec::AV1)
    return std::string("cannot encode ") + to_string(o.codec) + ": cuframe encodes h264, hevc and av1";
  if (p.width <= 0 || p.height <= 0 || p.width > 16384 || p.height > 16384)
    return "frame size " + std::to_string(p.width) + "x" + std::to_string(p.height) +
           " is outside 1..16384 (what the encoders accept)";
  if (p.format != PixelFormat::NV12 && p.format != PixelFormat::P016 && p.format != PixelFormat::YUV444P &&
      p.format != PixelFormat::YUV444P16)
    return std::string("encoders take nv12, p016, yuv444p or yuv444p16 frames, not ") + to_string(p.format);
  const bool wide = p.format == PixelFormat::P016 || p.format == PixelFormat::YUV444P16;
  if (wide ? (p.bit_depth != 10 && p.bit_depth != 12) : p.bit_depth != 8)
    return "bit depth " + std::to_string(p.bit_depth) + " does not match pixel format " + to_string(p.format);
  if (is_420(p.format) && (p.width % 2 || p.height % 2))
    return "frame size " + std::to_string(p.width) + "x" + std::to_string(p.height) +
           " is odd: 4:2:0 video needs an even width and height (add e.g. --ops crop=0:0:" +
           std::to_string(p.width & ~1) + ":" + std::to_string(p.height & ~1) + ")";
  if (o.codec == Codec::AV1 && (p.width < 64 || p.height < 64))
    return "SVT-AV1 needs frames of at least 64x64, not " + std::to_string(p.width) + "x" + std::to_string(p.height);
  if (p.time_base.num <= 0 || p.time_base.den <= 0) return "time base must be positive";
  if (p.frame_rate.num < 0 || p.frame_rate.den < 0) return "frame rate must not be negative";
  const int max_qp = o.codec == Codec::AV1 ? 63 : 51;
  switch (o.rate_control) {
    case RateControl::Default: break;
    case RateControl::Crf:
      if (o.quality < 0 || o.quality > max_qp)
        return "quality (crf) " + std::to_string(o.quality) + " is outside 0.." + std::to_string(max_qp);
      break;
    case RateControl::ConstQp:
      if (o.qp < 0 || o.qp > max_qp)
        return "qp " + std::to_string(o.qp) + " is outside 0.." + std::to_string(max_qp) + " for " + to_string(o.codec);
      break;
    case RateControl::Vbr:
    case RateControl::Cbr:
      if (o.bitrate < 1000 || o.bitrate > 2'000'000'000)
        return "bitrate " + std::to_string(o.bitrate) + " bit/s is outside 1 kbit/s..2 Gbit/s";
      if (o.max_bitrate && o.max_bitrate < o.bitrate)
        return "max bitrate " + std::to_string(o.max_bitrate) + " is below the bitrate " + std::to_string(o.bitrate);
      break;
  }
  if (o.gop < -1 || o.gop > 100000) return "gop " + std::to_string(o.gop) + " is outside 0..100000 (-1: default)";
  if (o.b_frames < -1 || o.b_frames > 16) return "b-frames " + std::to_string(o.b_frames) + " is outside 0..16";
  if (o.threads < 0 || o.threads > 256) return "threads " + std::to_string(o.threads) + " is outside 0..256";
  if (o.input_buffers < -1)
    return "input buffers " + std::to_string(o.input_buffers) + " is below -1 (-1: unknown, 0: none reused)";
  return {};
}

namespace {

using namespace detail;

struct BufferPoolDeleter {
  void operator()(AVBufferPool* p) const noexcept { av_buffer_pool_uninit(&p); }
};
using BufferPoolPtr = std::unique_ptr<AVBufferPool, BufferPoolDeleter>;

// Note [Encoder input frames]: each frame is copied out of the batch (so the batch can
// be reused at once) into a reference-counted frame over a buffer of a pool; the encoder
// keeps its reference while it needs the frame, and the buffer then returns to the pool.
// (A non-refcounted frame would make avcodec_send_frame allocate a copy per frame.) The
// pool's buffers are zeroed when made and only visible samples are ever written, so the
// bytes beyond the width that encoders' SIMD reads touch are always the same. NV12 goes
// to libx264 as it is; other 4:2:0 input is split into planes, and 16-bit MSB-aligned
// samples are shifted back to their depth (v >> (16 - depth)).
//
// Note [x264 determinism]: Debian's libx264 (0.164) gives different crf bitstreams for
// the same frames from run to run on CPUs with AVX-512: its AVX-512 code reads heap memory
// it has not written (the output follows MALLOC_PERTURB_; with asm limited to AVX2, or
// asm=0, it does not). The `ffmpeg` program shows the same. cuframe keeps libx264's
// defaults, like the ffmpeg program; tests that compare two encodes bit for bit encode
// losslessly (qp 0), which compares the frames given to the encoder.
class LibavEncoder final : public Encoder {
 public:
  LibavEncoder(const EncodeParams& p, const EncodeOptions& o, std::string fallback) : params_(p), options_(o) {
    fallback_ = std::move(fallback);
    const LibavCodec lc = libav_codec_for(o.codec);
    const AVCodec* codec = avcodec_find_encoder_by_name(lc.encoder);
    if (!codec)
      throw Error(Errc::Unsupported, detail::encoder_subject(o),
                  std::string("this FFmpeg has no ") + lc.encoder + " encoder (install one built with it)");
    input_format_ = libav_input_format(p.format, p.bit_depth);
    if (!encoder_takes(codec, input_format_)) {
      // libx264/x265 take planar 4:2:0 when they do not take NV12.
      const AVPixelFormat planar = p.format == PixelFormat::NV12 ? AV_PIX_FMT_YUV420P : input_format_;
      if (!encoder_takes(codec, planar)) {
        const AVCodec* x265 = o.codec == Codec::HEVC ? nullptr : avcodec_find_encoder_by_name("libx265");
        const bool hevc_can = x265 && encoder_takes(x265, planar);
        throw Error(Errc::Unsupported, detail::encoder_subject(o),
                    std::string(lc.encoder) + " cannot encode " + av_get_pix_fmt_name(input_format_) + " (" +
                        std::to_string(p.bit_depth) + "-bit " + (is_420(p.format) ? "4:2:0" : "4:4:4") + ")" +
                        (hevc_can ? ": encode HEVC instead (--codec hevc), which libx265 can" : ""));
      }
      input_format_ = planar;
    }
    ctx_.reset(avcodec_alloc_context3(codec));
    if (!ctx_) throw Error(Errc::OutOfMemory, "avcodec_alloc_context3", "cannot allocate an encoder");
    AVCodecContext* c = ctx_.get();
    c->width = p.width;
    c->height = p.height;
    c->pix_fmt = input_format_;
    c->time_base = AVRational{p.time_base.num, p.time_base.den};
    if (p.frame_rate.num > 0 && p.frame_rate.den > 0) c->framerate = AVRational{p.frame_rate.num, p.frame_rate.den};
    c->sample_aspect_ratio = AVRational{p.sar.num > 0 ? p.sar.num : 1, p.sar.den > 0 ? p.sar.den : 1};
    set_color(c, p.color);
    if (p.global_header) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    c->thread_count = o.threads;
    if (o.gop >= 0) c->gop_size = o.gop;
    if (o.b_frames >= 0) c->max_b_frames = o.b_frames;

    if (o.codec == Codec::AV1) quiet_svt_av1();
    AVDictionary* opts = nullptr;
    std::string summary = lc.encoder;
    const std::string preset = !o.preset.empty() ? o.preset : lc.default_preset;
    std::string knobs;
    if (!preset.empty()) {
      av_dict_set(&opts, "preset", preset.c_str(), 0);
      knobs += "preset " + preset;
    }
    auto add = [&](const std::string& s) { knobs += (knobs.empty() ? "" : ", ") + s; };
    if (!o.tune.empty()) {
      if (o.codec == Codec::AV1) throw Error(Errc::InvalidArgument, detail::encoder_subject(o), "SVT-AV1 has no tune option");
      av_dict_set(&opts, "tune", o.tune.c_str(), 0);
      add("tune " + o.tune);
    }
    if (o.low_latency) {
      if (o.codec == Codec::AV1) {
        // Low-delay prediction structure, no look-ahead.
        av_dict_set(&opts, "svtav1-params", "pred-struct=1:lookahead=0", 0);
      } else if (o.tune.empty()) {
        av_dict_set(&opts, "tune", "zerolatency", 0);
      }
      c->max_b_frames = 0;
      add("zero latency");
    }
    switch (o.rate_control) {
      case RateControl::Default:
      case RateControl::Crf: {
        const int q = o.rate_control == RateControl::Crf ? o.quality : lc.default_quality;
        av_dict_set_int(&opts, "crf", q, 0);
        add("crf " + std::to_string(q));
        break;
      }
      case RateControl::ConstQp:
        av_dict_set_int(&opts, "qp", o.qp, 0);
        add("qp " + std::to_string(o.qp));
        break;
      case RateControl::Vbr:
        c->bit_rate = o.bitrate;
        if (o.max_bitrate) {
          c->rc_max_rate = o.max_bitrate;
          c->rc_buffer_size = static_cast<int>(std::min<int64_t>(2 * o.max_bitrate, INT32_MAX));
        }
        add("vbr " + std::to_string(o.bitrate / 1000) + " kbit/s");
        break;
      case RateControl::Cbr:
        c->bit_rate = c->rc_max_rate = c->rc_min_rate = o.bitrate;
        c->rc_buffer_size = static_cast<int>(std::min<int64_t>(o.bitrate, INT32_MAX));
        if (o.codec == Codec::H264) av_dict_set(&opts, "x264-params", "nal-hrd=cbr", 0);
        add("cbr " + std::to_string(o.bitrate / 1000) + " kbit/s");
        break;
    }
    // The x264/x265/SVT libraries log to stderr themselves; keep them quiet by default.
    if (o.codec == Codec::HEVC) av_dict_set(&opts, "x265-params", "log-level=error", 0);
    const int ret = avcodec_open2(c, codec, &opts);
    AVDictionaryEntry* unused = av_dict_get(opts, "", nullptr, AV_DICT_IGNORE_SUFFIX);
    const std::string unused_key = unused ? unused->key : "";
    av_dict_free(&opts);
    if (ret < 0)
      throw Error(ret == AVERROR(ENOMEM) ? Errc::OutOfMemory : Errc::InvalidArgument, detail::encoder_subject(o),
                  std::string(lc.encoder) + " refused the settings (" + knobs + "): " + av_error_text(ret));
    if (!unused_key.empty())
      throw Error(Errc::InvalidArgument, detail::encoder_subject(o), std::string(lc.encoder) + " has no option '" + unused_key + "'");
    description_ = summary + " (" + knobs + ")";
    if (c->extradata && c->extradata_size > 0) extradata_.assign(c->extradata, c->extradata + c->extradata_size);

    frame_ = make_frame();
    packet_ = make_packet();
    const int size = av_image_fill_linesizes(linesizes_, input_format_, p.width);
    av_check(size, detail::encoder_subject(o), "planning the input frame");
    for (int& l : linesizes_) l = FFALIGN(l, kRowAlign);
    ptrdiff_t strides[4];
    for (int i = 0; i < 4; ++i) strides[i] = linesizes_[i];
    size_t plane_sizes[4] = {};
    av_check(av_image_fill_plane_sizes(plane_sizes, input_format_, p.height, strides), detail::encoder_subject(o),
             "planning the input frame");
    for (size_t ps : plane_sizes) frame_bytes_ += ps;
    pool_.reset(av_buffer_pool_init(frame_bytes_ + kRowAlign, av_buffer_allocz));
    if (!pool_) throw Error(Errc::OutOfMemory, detail::encoder_subject(o), "cannot allocate the input frame pool");
  }

  // Note [SVT-AV1 close]: SVT-AV1 (1.4) deadlocks in its deinit when it never saw the end
  // of the stream ("deinit called without sending EOS!"), and in the end of stream when it
  // never saw a frame. So an AV1 encoder closed before its end of stream (an error half
  // way, or no frame at all) is given one blank frame if it had none, then the end of
  // stream; what comes out is dropped.
  ~LibavEncoder() override {
    if (eos_sent_ || options_.codec != Codec::AV1) return;
    try {
      if (frames_sent_ == 0) {
        AVFrame* f = pooled_frame();  // zeroed: a blank frame
        f->pts = 0;
        push(f);
        av_frame_unref(f);
      }
      push(nullptr);
    } catch (...) {
    }
  }

  EncoderBackend backend() const noexcept override { return EncoderBackend::Cpu; }
  const std::string& description() const noexcept override { return description_; }
  const std::string& fallback_reason() const noexcept override { return fallback_; }
  std::span<const std::uint8_t> extradata() const noexcept override { return extradata_; }

  void send(const FrameBatch& batch, const CudaStream*) override {
    if (flushed_) throw Error(Errc::InvalidArgument, detail::encoder_subject(options_), "send() after flush()");
    if (batch.memory() == MemoryKind::Device)
      throw Error(Errc::InvalidArgument, detail::encoder_subject(options_),
                  "the libavcodec encoder takes host frames (copy the batch to host memory first)");
    const FrameLayout& l = batch.layout();
    if (l.format != params_.format || l.width != params_.width || l.height != params_.height)
      throw Error(Errc::InvalidArgument, detail::encoder_subject(options_),
                  std::string("batch is ") + to_string(l.format) + " " + std::to_string(l.width) + "x" +
                      std::to_string(l.height) + ", the encoder was opened for " + to_string(params_.format) + " " +
                      std::to_string(params_.width) + "x" + std::to_string(params_.height));
    for (int i = 0; i < batch.size(); ++i) {
      AVFrame* f = pooled_frame();
      fill_frame(batch, i, f);
      f->pts = batch.info(i).pts;
      f->pkt_duration = batch.info(i).duration;  // AVFrame::duration from FFmpeg 6.0
      f->pict_type = AV_PICTURE_TYPE_NONE;
      push(f);  // the encoder takes its own reference
      av_frame_unref(f);
      ++frames_sent_;
    }
  }

  void flush() override {
    if (flushed_) return;
    flushed_ = true;
    if (frames_sent_ == 0 && options_.codec == Codec::AV1) return;  // Note [SVT-AV1 close]
    push(nullptr);
  }

  bool receive(Packet& packet) override {
    if (ready_.empty()) return false;
    av_packet_unref(detail::native(packet));
    av_packet_move_ref(detail::native(packet), ready_.front().get());
    ready_.pop_front();
    return true;
  }

 private:
  static constexpr int kRowAlign = 64;

  // A frame over a pool buffer (Note [Encoder input frames]).
  AVFrame* pooled_frame() {
    AVFrame* f = frame_.get();
    av_frame_unref(f);  // after a failed send, the previous reference is still here
    f->buf[0] = av_buffer_pool_get(pool_.get());
    if (!f->buf[0]) throw Error(Errc::OutOfMemory, detail::encoder_subject(options_), "cannot get an input frame from the pool");
    f->format = input_format_;
    f->width = params_.width;
    f->height = params_.height;
    uint8_t* base = reinterpret_cast<uint8_t*>(FFALIGN(reinterpret_cast<uintptr_t>(f->buf[0]->data), kRowAlign));
    av_check(av_image_fill_pointers(f->data, input_format_, params_.height, base, linesizes_), detail::encoder_subject(options_),
             "preparing the input frame");
    for (int i = 0; i < 4; ++i) f->linesize[i] = linesizes_[i];
    return f;
  }

  // Copies frame i of the batch into f: visible samples only, the padding stays zero.
  void fill_frame(const FrameBatch& batch, int i, AVFrame* f) const {
    const FrameLayout& l = batch.layout();
    const int shift = 16 - params_.bit_depth;
    const int cw = (l.width + 1) / 2, ch = (l.height + 1) / 2;
    if (l.format == PixelFormat::YUV444P) {
      for (int p = 0; p < 3; ++p) copy_rows(batch.plane(i, p), l.planes[p].pitch, f->data[p], f->linesize[p], l.width, l.height);
    } else if (l.format == PixelFormat::NV12 && input_format_ == AV_PIX_FMT_NV12) {
      copy_rows(batch.plane(i, 0), l.planes[0].pitch, f->data[0], f->linesize[0], l.width, l.height);
      copy_rows(batch.plane(i, 1), l.planes[1].pitch, f->data[1], f->linesize[1], 2 * cw, ch);
    } else if (l.format == PixelFormat::NV12) {
      copy_rows(batch.plane(i, 0), l.planes[0].pitch, f->data[0], f->linesize[0], l.width, l.height);
      for (int y = 0; y < ch; ++y) {
        const auto* s = reinterpret_cast<const uint8_t*>(batch.plane(i, 1) + y * l.planes[1].pitch);
        uint8_t* u = f->data[1] + y * f->linesize[1];
        uint8_t* v = f->data[2] + y * f->linesize[2];
        for (int x = 0; x < cw; ++x) {
          u[x] = s[2 * x];
          v[x] = s[2 * x + 1];
        }
      }
    } else if (l.format == PixelFormat::P016) {
      shift_rows(batch.plane(i, 0), l.planes[0].pitch, f->data[0], f->linesize[0], l.width, l.height, shift);
      for (int y = 0; y < ch; ++y) {
        const auto* s = reinterpret_cast<const uint16_t*>(batch.plane(i, 1) + y * l.planes[1].pitch);
        auto* u = reinterpret_cast<uint16_t*>(f->data[1] + y * f->linesize[1]);
        auto* v = reinterpret_cast<uint16_t*>(f->data[2] + y * f->linesize[2]);
        for (int x = 0; x < cw; ++x) {
          u[x] = static_cast<uint16_t>(s[2 * x] >> shift);
          v[x] = static_cast<uint16_t>(s[2 * x + 1] >> shift);
        }
      }
    } else {  // YUV444P16
      for (int p = 0; p < 3; ++p)
        shift_rows(batch.plane(i, p), l.planes[p].pitch, f->data[p], f->linesize[p], l.width, l.height, shift);
    }
  }

  static void copy_rows(const std::byte* src, size_t pitch, uint8_t* dst, int dst_pitch, int width, int rows) {
    for (int y = 0; y < rows; ++y) std::memcpy(dst + y * dst_pitch, src + y * pitch, static_cast<size_t>(width));
  }
  static void shift_rows(const std::byte* src, size_t pitch, uint8_t* dst, int dst_pitch, int width, int rows,
                         int shift) {
    for (int y = 0; y < rows; ++y) {
      const auto* s = reinterpret_cast<const uint16_t*>(src + y * pitch);
      auto* d = reinterpret_cast<uint16_t*>(dst + y * dst_pitch);
      for (int x = 0; x < width; ++x) d[x] = static_cast<uint16_t>(s[x] >> shift);
    }
  }

  void push(const AVFrame* f) {
    if (!f) eos_sent_ = true;
    int ret = avcodec_send_frame(ctx_.get(), f);
    if (ret < 0) throw_av_error(ret, detail::encoder_subject(options_), f ? "encoding a frame" : "flushing the encoder");
    for (;;) {
      ret = avcodec_receive_packet(ctx_.get(), packet_.get());
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) break;
      if (ret < 0) throw_av_error(ret, detail::encoder_subject(options_), "receiving a packet");
      if (extradata_.empty() && ctx_->extradata && ctx_->extradata_size > 0)
        extradata_.assign(ctx_->extradata, ctx_->extradata + ctx_->extradata_size);
      PacketPtr out = make_packet();
      av_packet_move_ref(out.get(), packet_.get());
      ready_.push_back(std::move(out));
    }
  }

  static void set_color(AVCodecContext* c, const ColorInfo& color) {
    int v = av_color_primaries_from_name(color.primaries.c_str());
    c->color_primaries = v >= 0 ? static_cast<AVColorPrimaries>(v) : AVCOL_PRI_UNSPECIFIED;
    v = av_color_transfer_from_name(color.transfer.c_str());
    c->color_trc = v >= 0 ? static_cast<AVColorTransferCharacteristic>(v) : AVCOL_TRC_UNSPECIFIED;
    v = av_color_space_from_name(color.matrix_tag.c_str());
    c->colorspace = v >= 0 ? static_cast<AVColorSpace>(v) : AVCOL_SPC_UNSPECIFIED;
    // The range is always written: full-range samples must not be read as limited.
    c->color_range = color.range == ColorRange::Full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    if (color.range_tag == "unknown" && color.range == ColorRange::Limited) c->color_range = AVCOL_RANGE_UNSPECIFIED;
    v = av_chroma_location_from_name(color.chroma_location_tag.c_str());
    c->chroma_sample_location = v >= 0 ? static_cast<AVChromaLocation>(v) : AVCHROMA_LOC_UNSPECIFIED;
  }

  EncodeParams params_;
  EncodeOptions options_;
  std::string description_;
  std::string fallback_;
  std::vector<std::uint8_t> extradata_;
  CodecContextPtr ctx_;
  AVPixelFormat input_format_ = AV_PIX_FMT_NONE;
  int linesizes_[4] = {};
  size_t frame_bytes_ = 0;
  BufferPoolPtr pool_;
  FramePtr frame_;  // reused for every frame sent
  PacketPtr packet_;
  std::deque<PacketPtr> ready_;
  bool flushed_ = false;
  bool eos_sent_ = false;
  int64_t frames_sent_ = 0;
};

}  // namespace

std::unique_ptr<Encoder> detail::open_libav_encoder(const EncodeParams& params, const EncodeOptions& options,
                                                    std::string fallback_reason) {
  return std::make_unique<LibavEncoder>(params, options, std::move(fallback_reason));
}

}  // namespace cuframe
