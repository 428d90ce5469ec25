// The libavcodec decode backend: frames in host memory, in the stream's native format.
#include <algorithm>
#include <cstring>
#include <deque>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "cuframe/decoder.hpp"
#include "cuframe/log.hpp"
#include "decode/backends.hpp"
#include "ffmpeg_util.hpp"
#include "native.hpp"

namespace cuframe {

const char* to_string(Backend b) noexcept {
  switch (b) {
    case Backend::Auto: return "auto";
    case Backend::Cpu: return "cpu";
    case Backend::Nvdec: return "nvdec";
  }
  return "auto";
}

PixelFormat native_format(const VideoStreamInfo& v) {
  if (v.chroma == ChromaFormat::Yuv420 && v.color.matrix != ColorMatrix::Identity)
    return v.bit_depth <= 8 ? PixelFormat::NV12 : PixelFormat::P016;
  if (v.chroma == ChromaFormat::Yuv444 && v.pix_fmt.rfind("yuv", 0) == 0)
    return v.bit_depth <= 8 ? PixelFormat::YUV444P : PixelFormat::YUV444P16;
  throw Error(Errc::Unsupported, "pixel format " + v.pix_fmt,
              "no native output format for " + std::string(to_string(v.chroma)) +
                  " video yet (the engine decodes 4:2:0 and 4:4:4 YUV)");
}

namespace {

// Note [Native conversion]: libavcodec's planar YUV becomes the GPU path's layouts
// without changing a value: 4:2:0 chroma is interleaved (NV12/P016) and >8-bit samples
// are shifted to the top of 16 bits (v << (16 - depth)), exactly what NVDEC writes and
// what swscale does for `-pix_fmt nv12 / p010le / p016le / yuv444p16le`.
void copy_plane8(const uint8_t* src, int src_pitch, std::byte* dst, size_t dst_pitch, size_t row_bytes, int rows) {
  for (int y = 0; y < rows; ++y)
    std::memcpy(dst + static_cast<size_t>(y) * dst_pitch, src + static_cast<ptrdiff_t>(y) * src_pitch, row_bytes);
}

void copy_plane16(const uint8_t* src, int src_pitch, std::byte* dst, size_t dst_pitch, int width, int rows,
                  int shift) {
  for (int y = 0; y < rows; ++y) {
    const auto* s = reinterpret_cast<const uint16_t*>(src + static_cast<ptrdiff_t>(y) * src_pitch);
    auto* d = reinterpret_cast<uint16_t*>(dst + static_cast<size_t>(y) * dst_pitch);
    for (int x = 0; x < width; ++x) d[x] = static_cast<uint16_t>(s[x] << shift);
  }
}

template <typename T>
void interleave(const uint8_t* u, int u_pitch, const uint8_t* v, int v_pitch, std::byte* dst, size_t dst_pitch,
                int width, int rows, int shift) {
  for (int y = 0; y < rows; ++y) {
    const auto* su = reinterpret_cast<const T*>(u + static_cast<ptrdiff_t>(y) * u_pitch);
    const auto* sv = reinterpret_cast<const T*>(v + static_cast<ptrdiff_t>(y) * v_pitch);
    auto* d = reinterpret_cast<T*>(dst + static_cast<size_t>(y) * dst_pitch);
    for (int x = 0; x < width; ++x) {
      d[2 * x] = static_cast<T>(su[x] << shift);
      d[2 * x + 1] = static_cast<T>(sv[x] << shift);
    }
  }
}

class CpuDecoder final : public Decoder {
 public:
  CpuDecoder(const Demuxer& demux, const DecodeOptions& options, std::string why) : name_(demux.name()) {
    const VideoStreamInfo& v = demux.video();
    const AVCodecParameters* par = detail::codec_parameters(demux);
    const AVCodec* codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
      throw Error(Errc::Unsupported, name_, "this build has no decoder for " + v.codec_name);
    const PixelFormat format = native_format(v);
    layout_ = make_layout(format, v.width, v.height, v.bit_depth);
    ctx_.reset(avcodec_alloc_context3(codec));
    if (!ctx_) throw Error(Errc::OutOfMemory, "avcodec_alloc_context3", "cannot allocate a decoder");
    detail::av_check(avcodec_parameters_to_context(ctx_.get(), par), name_, "configuring the decoder");
    ctx_->pkt_timebase = AVRational{v.time_base.num, v.time_base.den};
    // 0 lets libavcodec choose, as the ffmpeg program does (cores + 1 frame threads for
    // H.264 and HEVC): on 2 cores that decodes a busy transcode about 5% faster than 2.
    ctx_->thread_count = std::max(0, options.threads);
    // Exact or absent: a bitstream error libavcodec detects is an error, not something it
    // conceals in silence (its concealment differs between thread counts and from NVDEC's).
    if (!options.conceal_errors) ctx_->err_recognition |= AV_EF_EXPLODE;
    // Hostile streams may declare huge sizes in a later header: libavcodec refuses frames
    // above this before allocating them.
    ctx_->max_pixels = options.limits.max_pixels;
    const int ret = avcodec_open2(ctx_.get(), codec, nullptr);
    if (ret < 0) detail::throw_av_error(ret, name_, std::string("opening the ") + codec->name + " decoder");
    frame_ = detail::make_frame();
    conceal_ = options.conceal_errors;
    const int threads = ctx_->thread_count;  // the number libavcodec chose
    description_ = std::string("libavcodec ") + codec->name + " on the CPU, " + std::to_string(threads) +
                   " thread" + (threads > 1 ? "s" : "") + (why.empty() ? "" : " (" + why + ")");
  }

  Backend backend() const noexcept override { return Backend::Cpu; }
  const std::string& description() const noexcept override { return description_; }
  const FrameLayout& layout() const noexcept override { return layout_; }
  bool finished() const noexcept override { return drained_; }
  int64_t errors() const noexcept override { return errors_; }

  void send(const Packet* packet) override {
    if (eof_sent_) throw Error(Errc::InvalidArgument, name_, "packet sent after the end of the stream");
    if (!packet) eof_sent_ = true;
    for (;;) {
      const int ret = avcodec_send_packet(ctx_.get(), packet ? detail::native(*packet) : nullptr);
      if (ret == AVERROR(EAGAIN)) {
        // The decoder's output is full: move its frames into our queue and retry.
        pull_frames();
        continue;
      }
      if (ret < 0 && ret != AVERROR_EOF) damaged(ret, packet);
      return;
    }
  }

  int receive(FrameBatch& batch, const CudaStream* /*stream: host batches*/) override {
    if (batch.memory() == MemoryKind::Device)
      throw Error(Errc::InvalidArgument, name_, "the CPU decoder writes host batches");
    int added = 0;
    while (batch.size() < batch.capacity()) {
      if (!ready_) {
        if (!next_frame()) break;
      }
      if (batch.layout() != layout_)
        throw Error(Errc::InvalidArgument, name_, "batch layout differs from the decoder's");
      write(batch, batch.size());
      ready_ = false;
      batch.resize(batch.size() + 1);
      ++added;
    }
    return added;
  }

 private:
  void damaged(int ret, const Packet* packet) {
    if (ret == AVERROR(ENOMEM)) detail::throw_av_error(ret, name_, "decoding");
    if (!conceal_) {
      std::string where = packet && packet->pts() != kNoTimestamp ? " (packet pts " + std::to_string(packet->pts()) + ")" : "";
      throw Error(Errc::InvalidData, name_, "the video stream is damaged: " + detail::av_error_text(ret) + where);
    }
    ++errors_;
    log(Verbosity::Info, "%s: skipped a damaged packet: %s", name_.c_str(), detail::av_error_text(ret).c_str());
  }

  // Moves one decoded frame from libavcodec into frame_ (ready_ = true). Returns false if
  // none is available now.
  bool next_frame() {
    if (drained_) return false;
    const int ret = avcodec_receive_frame(ctx_.get(), frame_.get());
    if (ret == AVERROR(EAGAIN)) return false;
    if (ret == AVERROR_EOF) {
      drained_ = true;
      return false;
    }
    if (ret < 0) {
      damaged(ret, nullptr);
      return next_frame();
    }
    check_frame();
    // A picture libavcodec decoded with errors and concealed is damaged too: output is
    // exact or absent (decoder.hpp), and NVDEC's decode status says the same.
    if (frame_->decode_error_flags != 0 || (frame_->flags & AV_FRAME_FLAG_CORRUPT)) {
      const int64_t pts = frame_->best_effort_timestamp;
      if (!conceal_) {
        av_frame_unref(frame_.get());
        throw Error(Errc::InvalidData, name_,
                    "the video stream is damaged: a picture was decoded with errors" +
                        (pts != AV_NOPTS_VALUE ? " (pts " + std::to_string(pts) + ")" : std::string()));
      }
      ++errors_;
      log(Verbosity::Info, "%s: a picture was decoded with errors and concealed", name_.c_str());
    }
    ready_ = true;
    return true;
  }

  // Called when send() hits EAGAIN: the caller must receive before sending more, but
  // frames are only taken out through receive(); keep them in libavcodec by draining
  // into a small host queue.
  void pull_frames() {
    // With the send/receive API, EAGAIN on send means "receive first". We hold at most
    // one frame outside libavcodec (frame_), so the caller's receive() loop is what
    // drains; reaching here means send() was called twice without a receive in between.
    throw Error(Errc::Internal, name_, "decoder output full: call receive() between send() calls");
  }

  bool frame_ready() override { return ready_ || next_frame(); }

  void reset() override {
    avcodec_flush_buffers(ctx_.get());
    av_frame_unref(frame_.get());
    ready_ = eof_sent_ = drained_ = false;
  }

  void check_frame() {
    if (delivered_ == 0 && (frame_->width != layout_.width || frame_->height != layout_.height)) {
      // The container's size can differ from the coded pictures' (e.g. cropping set in a
      // later SPS): the frames decide, as in the ffmpeg program.
      layout_ = make_layout(layout_.format, frame_->width, frame_->height, layout_.bit_depth);
      return;
    }
    if (frame_->width != layout_.width || frame_->height != layout_.height)
      throw Error(Errc::Unsupported, name_,
                  "the frame size changes mid-stream (" + std::to_string(layout_.width) + "x" +
                      std::to_string(layout_.height) + " to " + std::to_string(frame_->width) + "x" +
                      std::to_string(frame_->height) + "); decode the parts separately");
  }

  void write(FrameBatch& batch, int i) {
    const AVFrame* f = frame_.get();
    const auto* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
    const int depth = desc ? desc->comp[0].depth : 8;
    const int shift = depth > 8 ? 16 - depth : 0;
    const FrameLayout& l = layout_;
    const int cw = (l.width + 1) / 2, ch = (l.height + 1) / 2;
    switch (l.format) {
      case PixelFormat::NV12:
        copy_plane8(f->data[0], f->linesize[0], batch.plane(i, 0), l.planes[0].pitch, l.planes[0].row_bytes, l.height);
        interleave<uint8_t>(f->data[1], f->linesize[1], f->data[2], f->linesize[2], batch.plane(i, 1),
                            l.planes[1].pitch, cw, ch, 0);
        break;
      case PixelFormat::P016:
        copy_plane16(f->data[0], f->linesize[0], batch.plane(i, 0), l.planes[0].pitch, l.width, l.height, shift);
        interleave<uint16_t>(f->data[1], f->linesize[1], f->data[2], f->linesize[2], batch.plane(i, 1),
                             l.planes[1].pitch, cw, ch, shift);
        break;
      case PixelFormat::YUV444P:
        for (int p = 0; p < 3; ++p)
          copy_plane8(f->data[p], f->linesize[p], batch.plane(i, p), l.planes[p].pitch, l.planes[p].row_bytes, l.height);
        break;
      case PixelFormat::YUV444P16:
        for (int p = 0; p < 3; ++p)
          copy_plane16(f->data[p], f->linesize[p], batch.plane(i, p), l.planes[p].pitch, l.width, l.height, shift);
        break;
      default:
        throw Error(Errc::Internal, name_, "unexpected native format");
    }
    FrameInfo& info = batch.info(i);
    info.pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
    info.duration = f->pkt_duration;
    info.index = delivered_++;
    info.keyframe = f->key_frame != 0;
    av_frame_unref(frame_.get());
  }

  std::string name_;
  std::string description_;
  FrameLayout layout_{};
  detail::CodecContextPtr ctx_;
  detail::FramePtr frame_;
  bool conceal_ = false;
  bool ready_ = false;
  bool eof_sent_ = false;
  bool drained_ = false;
  int64_t errors_ = 0;
  int64_t delivered_ = 0;
};

}  // namespace

std::unique_ptr<Decoder> detail::open_libav_decoder(const Demuxer& demux, const DecodeOptions& options, std::string why) {
  return std::make_unique<CpuDecoder>(demux, options, std::move(why));
}

}  // namespace cuframe
