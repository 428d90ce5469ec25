// The NVDEC decode backend (Video Codec SDK through ffnvcodec; see Note [Driver loading]).
//
// STATUS: written against the SDK 11.1 headers and compiled, but NOT YET RUN ON A GPU —
// no GPU machine was lent to the session that wrote it. Backend::Auto does not choose it
// until a GPU run has proven it (CUFRAME_NVDEC_EXPERIMENTAL=1 lets Auto try it).
//
// Note [NVDEC flow]: packets (Annex-B for H.264/HEVC) go to the CUVID parser, which calls
// back synchronously from cuvidParseVideoData: the sequence callback (re)configures the
// decoder (minimum surfaces + a margin; cached decoders are reconfigured, not
// recreated), the decode callback submits a picture, the display callback delivers
// pictures in display order. A displayed surface may be reused by the parser as soon as
// the callback returns, so it is mapped on our stream and copied at once into a device
// staging ring (allocated once); receive() then copies staged frames into the caller's
// batch. Callbacks never throw: they store the exception, and send() rethrows after
// cuvidParseVideoData returns.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cuframe/decoder.hpp"
#include "cuframe/error.hpp"
#include "decode/backends.hpp"
#include "ffmpeg_util.hpp"
#include "native.hpp"
#include "nv/api.hpp"

namespace cuframe {

namespace {

using detail::ContextScope;
using detail::nv_api;

cudaVideoCodec nv_codec(Codec c) {
  switch (c) {
    case Codec::H264: return cudaVideoCodec_H264;
    case Codec::HEVC: return cudaVideoCodec_HEVC;
    case Codec::VP8: return cudaVideoCodec_VP8;
    case Codec::VP9: return cudaVideoCodec_VP9;
    case Codec::AV1: return cudaVideoCodec_AV1;
    case Codec::MPEG2: return cudaVideoCodec_MPEG2;
    case Codec::MPEG4: return cudaVideoCodec_MPEG4;
    case Codec::Other: break;
  }
  return cudaVideoCodec_NumCodecs;
}

cudaVideoSurfaceFormat surface_format(PixelFormat f) {
  switch (f) {
    case PixelFormat::NV12: return cudaVideoSurfaceFormat_NV12;
    case PixelFormat::P016: return cudaVideoSurfaceFormat_P016;
    case PixelFormat::YUV444P: return cudaVideoSurfaceFormat_YUV444;
    default: return cudaVideoSurfaceFormat_YUV444_16Bit;
  }
}

// Note [Decoder cache]: decoder objects are expensive to create (tens of ms) and are
// reused across files: a finished session returns its decoder here; the next session
// with the same codec, chroma format, bit depth and output format whose coded size fits
// the cached maximum reconfigures it instead of creating one.
struct CachedDecoder {
  int device;
  cudaVideoCodec codec;
  cudaVideoChromaFormat chroma;
  unsigned depth_minus8;
  cudaVideoSurfaceFormat output;
  unsigned max_width, max_height, surfaces;
  CUvideodecoder handle;
};

class DecoderCache {
 public:
  static DecoderCache& get() {
    static DecoderCache cache;
    return cache;
  }
  std::optional<CachedDecoder> take(int device, cudaVideoCodec codec, cudaVideoChromaFormat chroma, unsigned depth,
                                    cudaVideoSurfaceFormat out, unsigned w, unsigned h, unsigned surfaces) {
    std::lock_guard lock(m_);
    for (auto it = items_.begin(); it != items_.end(); ++it)
      if (it->device == device && it->codec == codec && it->chroma == chroma && it->depth_minus8 == depth &&
          it->output == out && it->max_width >= w && it->max_height >= h && it->surfaces >= surfaces) {
        CachedDecoder d = *it;
        items_.erase(it);
        return d;
      }
    return std::nullopt;
  }
  void give(const CachedDecoder& d) {
    std::lock_guard lock(m_);
    items_.push_back(d);
    while (items_.size() > 8) {  // bounded: the oldest goes
      nv_api().cuvid->cuvidDestroyDecoder(items_.front().handle);
      items_.erase(items_.begin());
    }
  }

 private:
  std::mutex m_;
  std::vector<CachedDecoder> items_;
};

class NvdecDecoder final : public Decoder {
 public:
  NvdecDecoder(const Demuxer& demux, const DecodeOptions& options, std::string why)
      : name_(demux.name()), device_(options.device), limits_(options.limits) {
    const detail::NvApi& api = nv_api();
    if (!api.cuda || !api.cuda_initialised)
      throw Error(Errc::DriverMissing, name_, "NVDEC needs the NVIDIA driver: " + api.problem);
    if (!api.cuvid) throw Error(Errc::DriverMissing, name_, "libnvcuvid.so.1 (NVDEC) cannot be loaded");
    const VideoStreamInfo& v = demux.video();
    codec_ = nv_codec(v.codec);
    if (codec_ == cudaVideoCodec_NumCodecs)
      throw Error(Errc::Unsupported, name_, "NVDEC does not decode " + v.codec_name);
    layout_ = make_layout(native_format(v), v.width, v.height, v.bit_depth);
    CUFRAME_CHECK(api.cuda->cuDeviceGet(&cu_device_, device_));
    CUFRAME_CHECK(api.cuda->cuDevicePrimaryCtxRetain(&ctx_, cu_device_));
    ContextScope scope(ctx_);
    check_caps(v);
    CUFRAME_CHECK(api.cuda->cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING));
    make_parser();
    setup_annexb(demux);
    description_ = "NVDEC " + v.codec_name + " on GPU " + std::to_string(device_) + (why.empty() ? "" : " (" + why + ")");
  }

  ~NvdecDecoder() override {
    const detail::NvApi& api = nv_api();
    ContextScope scope(ctx_);
    if (parser_) api.cuvid->cuvidDestroyVideoParser(parser_);
    if (decoder_) DecoderCache::get().give(cached_);
    if (stream_) api.cuda->cuStreamDestroy(stream_);
    staging_ = FrameBatch();
    if (ctx_) api.cuda->cuDevicePrimaryCtxRelease(cu_device_);
  }

  Backend backend() const noexcept override { return Backend::Nvdec; }
  const std::string& description() const noexcept override { return description_; }
  const FrameLayout& layout() const noexcept override { return layout_; }
  bool finished() const noexcept override { return eos_done_ && queued_ == 0; }
  int64_t errors() const noexcept override { return 0; }
  bool frame_ready() override { return queued_ > 0; }

  void reset() override {
    ContextScope scope(ctx_);
    if (parser_) nv_api().cuvid->cuvidDestroyVideoParser(parser_);
    parser_ = nullptr;
    make_parser();
    queued_ = head_ = 0;
    eos_sent_ = eos_done_ = false;
    header_sent_ = false;
    discard_pts_.clear();
    if (bsf_) av_bsf_flush(bsf_.get());
  }

  void send(const Packet* packet) override {
    if (eos_sent_) throw Error(Errc::InvalidArgument, name_, "packet sent after the end of the stream");
    ContextScope scope(ctx_);
    if (!header_sent_ && !sequence_header_.empty()) {
      parse(sequence_header_.data(), sequence_header_.size(), 0, kNoTimestamp);
      header_sent_ = true;
    }
    if (!packet) {
      eos_sent_ = true;
      parse(nullptr, 0, CUVID_PKT_ENDOFSTREAM, kNoTimestamp);
      eos_done_ = true;
      return;
    }
    if (packet->discard() && packet->pts() != kNoTimestamp) discard_pts_.insert(packet->pts());
    if (!bsf_) {
      parse(packet->data().data(), packet->data().size(), CUVID_PKT_ENDOFPICTURE, packet->pts());
      return;
    }
    // H.264/HEVC as stored in MP4/MKV (length-prefixed) -> Annex-B for the parser.
    AVPacket* in = annexb_in_.get();
    detail::av_check(av_packet_ref(in, detail::native(*packet)), name_, "referencing a packet");
    detail::av_check(av_bsf_send_packet(bsf_.get(), in), name_, "converting a packet to Annex-B");
    for (;;) {
      AVPacket* out = annexb_out_.get();
      const int ret = av_bsf_receive_packet(bsf_.get(), out);
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) break;
      detail::av_check(ret, name_, "converting a packet to Annex-B");
      parse(out->data, static_cast<size_t>(out->size), CUVID_PKT_ENDOFPICTURE, out->pts);
      av_packet_unref(out);
    }
  }

  int receive(FrameBatch& batch) override {
    if (batch.memory() != MemoryKind::Device)
      throw Error(Errc::InvalidArgument, name_, "the NVDEC decoder writes device batches");
    int added = 0;
    ContextScope scope(ctx_);
    while (queued_ > 0 && batch.size() < batch.capacity()) {
      if (batch.layout() != layout_) throw Error(Errc::InvalidArgument, name_, "batch layout differs from the decoder's");
      const int slot = head_;
      const int i = batch.size();
      CUFRAME_CHECK(nv_api().cuda->cuMemcpyDtoDAsync(reinterpret_cast<CUdeviceptr>(batch.plane(i, 0)),
                                                     reinterpret_cast<CUdeviceptr>(staging_.plane(slot, 0)),
                                                     layout_.frame_stride, stream_));
      batch.info(i) = staging_.info(slot);
      batch.resize(i + 1);
      head_ = (head_ + 1) % staging_.capacity();
      --queued_;
      ++added;
    }
    // The batch is complete when this returns (Note [NVDEC flow]; events replace this
    // wait once the pipeline hands batches between streams).
    if (added > 0) CUFRAME_CHECK(nv_api().cuda->cuStreamSynchronize(stream_));
    return added;
  }

 private:
  static cudaVideoChromaFormat nv_chroma(ChromaFormat c) {
    return c == ChromaFormat::Yuv444 ? cudaVideoChromaFormat_444 : cudaVideoChromaFormat_420;
  }

  void setup_annexb(const Demuxer& demux) {
    const AVCodecParameters* par = detail::codec_parameters(demux);
    bsf_ = detail::make_annexb_filter(par, AVRational{demux.video().time_base.num, demux.video().time_base.den}, name_);
    const AVCodecParameters* out = bsf_ ? bsf_->par_out : par;
    if (bsf_) {
      annexb_in_ = detail::make_packet();
      annexb_out_ = detail::make_packet();
    }
    // Parameter sets (or MPEG-4 VOL headers) go to the parser before the first packet.
    if (out->extradata && out->extradata_size > 0 && par->codec_id != AV_CODEC_ID_AV1)
      sequence_header_.assign(out->extradata, out->extradata + out->extradata_size);
  }

  void check_caps(const VideoStreamInfo& v) {
    CUVIDDECODECAPS caps{};
    caps.eCodecType = codec_;
    caps.eChromaFormat = nv_chroma(v.chroma);
    caps.nBitDepthMinus8 = static_cast<unsigned>(v.bit_depth - 8);
    CUFRAME_CHECK(nv_api().cuvid->cuvidGetDecoderCaps(&caps));
    const std::string what = v.codec_name + " " + v.profile + " " + std::to_string(v.bit_depth) + "-bit " +
                             to_string(v.chroma);
    if (!caps.bIsSupported) throw Error(Errc::Unsupported, name_, "this GPU's NVDEC cannot decode " + what);
    if (static_cast<unsigned>(v.width) > caps.nMaxWidth || static_cast<unsigned>(v.height) > caps.nMaxHeight ||
        v.width < caps.nMinWidth || v.height < caps.nMinHeight)
      throw Error(Errc::Unsupported, name_,
                  "this GPU's NVDEC decodes " + what + " from " + std::to_string(caps.nMinWidth) + "x" +
                      std::to_string(caps.nMinHeight) + " to " + std::to_string(caps.nMaxWidth) + "x" +
                      std::to_string(caps.nMaxHeight) + ", not " + std::to_string(v.width) + "x" + std::to_string(v.height));
  }

  void make_parser() {
    CUVIDPARSERPARAMS p{};
    p.CodecType = codec_;
    p.ulMaxNumDecodeSurfaces = 1;  // raised by the sequence callback's return value
    p.ulClockRate = 0;
    p.ulMaxDisplayDelay = 1;
    p.pUserData = this;
    p.pfnSequenceCallback = &NvdecDecoder::on_sequence;
    p.pfnDecodePicture = &NvdecDecoder::on_decode;
    p.pfnDisplayPicture = &NvdecDecoder::on_display;
    CUFRAME_CHECK(nv_api().cuvid->cuvidCreateVideoParser(&parser_, &p));
  }

  void parse(const uint8_t* data, size_t size, unsigned long flags, int64_t pts) {
    CUVIDSOURCEDATAPACKET pkt{};
    pkt.payload = data;
    pkt.payload_size = static_cast<unsigned long>(size);
    pkt.flags = flags;
    if (pts != kNoTimestamp) {
      pkt.flags |= CUVID_PKT_TIMESTAMP;
      pkt.timestamp = pts;
    }
    const CUresult r = nv_api().cuvid->cuvidParseVideoData(parser_, &pkt);
    if (pending_) {
      std::exception_ptr e = pending_;
      pending_ = nullptr;
      std::rethrow_exception(e);
    }
    if (r != CUDA_SUCCESS)
      throw Error(Errc::InvalidData, name_, "NVDEC could not parse the stream: " + detail::cu_error_text(r));
  }

  // ---- parser callbacks (never throw: Note [NVDEC flow]) ----
  static int CUDAAPI on_sequence(void* user, CUVIDEOFORMAT* f) {
    auto* self = static_cast<NvdecDecoder*>(user);
    try {
      return self->sequence(*f);
    } catch (...) {
      self->pending_ = std::current_exception();
      return 0;
    }
  }
  static int CUDAAPI on_decode(void* user, CUVIDPICPARAMS* pic) {
    auto* self = static_cast<NvdecDecoder*>(user);
    try {
      CUFRAME_CHECK(nv_api().cuvid->cuvidDecodePicture(self->decoder_, pic));
      return 1;
    } catch (...) {
      self->pending_ = std::current_exception();
      return 0;
    }
  }
  static int CUDAAPI on_display(void* user, CUVIDPARSERDISPINFO* disp) {
    auto* self = static_cast<NvdecDecoder*>(user);
    try {
      if (disp) self->display(*disp);
      return 1;
    } catch (...) {
      self->pending_ = std::current_exception();
      return 0;
    }
  }

  int sequence(const CUVIDEOFORMAT& f) {
    const int w = f.display_area.right - f.display_area.left;
    const int h = f.display_area.bottom - f.display_area.top;
    if (static_cast<int64_t>(w) * h > limits_.max_pixels || w > limits_.max_width || h > limits_.max_height)
      throw Error(Errc::LimitExceeded, name_, "the stream's frame size " + std::to_string(w) + "x" + std::to_string(h) +
                                                  " exceeds the limits");
    const unsigned surfaces = f.min_num_decode_surfaces + 4u;  // minimum + a small margin for pipelining
    const unsigned depth = f.bit_depth_luma_minus8;
    const PixelFormat fmt = f.chroma_format == cudaVideoChromaFormat_444
                                ? (depth ? PixelFormat::YUV444P16 : PixelFormat::YUV444P)
                                : (depth ? PixelFormat::P016 : PixelFormat::NV12);
    if (f.chroma_format != cudaVideoChromaFormat_420 && f.chroma_format != cudaVideoChromaFormat_444)
      throw Error(Errc::Unsupported, name_, "NVDEC output for this chroma format is not supported (4:2:0 and 4:4:4 are)");
    if (frames_out_ > 0 && (w != layout_.width || h != layout_.height))
      throw Error(Errc::Unsupported, name_, "the frame size changes mid-stream; decode the parts separately");
    layout_ = make_layout(fmt, w, h, static_cast<int>(depth) + 8);
    const cudaVideoSurfaceFormat out = surface_format(fmt);

    if (decoder_ && cached_.codec == f.codec && cached_.chroma == f.chroma_format && cached_.depth_minus8 == depth &&
        cached_.output == out && cached_.max_width >= f.coded_width && cached_.max_height >= f.coded_height &&
        cached_.surfaces >= surfaces) {
      reconfigure(f, w, h, cached_.surfaces);
    } else {
      if (decoder_) {
        nv_api().cuvid->cuvidDestroyDecoder(decoder_);
        decoder_ = nullptr;
      }
      if (auto c = DecoderCache::get().take(device_, f.codec, f.chroma_format, depth, out, f.coded_width,
                                            f.coded_height, surfaces)) {
        cached_ = *c;
        decoder_ = c->handle;
        reconfigure(f, w, h, cached_.surfaces);
      } else {
        create(f, w, h, surfaces, out);
      }
    }
    // Staging ring in the decoder's layout (allocated once per layout).
    if (staging_.capacity() == 0 || staging_.layout() != layout_) staging_ = FrameBatch(layout_, 16, MemoryKind::Device, device_);
    surface_height_ = static_cast<unsigned>(h);
    return static_cast<int>(cached_.surfaces);
  }

  void create(const CUVIDEOFORMAT& f, int w, int h, unsigned surfaces, cudaVideoSurfaceFormat out) {
    CUVIDDECODECREATEINFO ci{};
    ci.ulWidth = f.coded_width;
    ci.ulHeight = f.coded_height;
    ci.ulNumDecodeSurfaces = surfaces;
    ci.CodecType = f.codec;
    ci.ChromaFormat = f.chroma_format;
    ci.ulCreationFlags = cudaVideoCreate_PreferCUVID;
    ci.bitDepthMinus8 = f.bit_depth_luma_minus8;
    ci.ulIntraDecodeOnly = 0;
    // Room to reconfigure for larger streams later without recreating (Note [Decoder cache]).
    ci.ulMaxWidth = std::max<unsigned>(f.coded_width, 1920);
    ci.ulMaxHeight = std::max<unsigned>(f.coded_height, 1088);
    ci.display_area.left = static_cast<short>(f.display_area.left);
    ci.display_area.top = static_cast<short>(f.display_area.top);
    ci.display_area.right = static_cast<short>(f.display_area.right);
    ci.display_area.bottom = static_cast<short>(f.display_area.bottom);
    ci.OutputFormat = out;
    ci.DeinterlaceMode = cudaVideoDeinterlaceMode_Weave;
    ci.ulTargetWidth = static_cast<unsigned>(w);
    ci.ulTargetHeight = static_cast<unsigned>(h);
    ci.ulNumOutputSurfaces = 2;
    ci.vidLock = nullptr;
    CUFRAME_CHECK(nv_api().cuvid->cuvidCreateDecoder(&decoder_, &ci));
    cached_ = CachedDecoder{device_, f.codec, f.chroma_format, f.bit_depth_luma_minus8, out,
                            static_cast<unsigned>(ci.ulMaxWidth), static_cast<unsigned>(ci.ulMaxHeight), surfaces,
                            decoder_};
  }

  void reconfigure(const CUVIDEOFORMAT& f, int w, int h, unsigned surfaces) {
    CUVIDRECONFIGUREDECODERINFO ri{};
    ri.ulWidth = f.coded_width;
    ri.ulHeight = f.coded_height;
    ri.ulTargetWidth = static_cast<unsigned>(w);
    ri.ulTargetHeight = static_cast<unsigned>(h);
    ri.ulNumDecodeSurfaces = surfaces;
    ri.display_area.left = static_cast<short>(f.display_area.left);
    ri.display_area.top = static_cast<short>(f.display_area.top);
    ri.display_area.right = static_cast<short>(f.display_area.right);
    ri.display_area.bottom = static_cast<short>(f.display_area.bottom);
    CUFRAME_CHECK(nv_api().cuvid->cuvidReconfigureDecoder(decoder_, &ri));
  }

  void display(const CUVIDPARSERDISPINFO& d) {
    if (discard_pts_.count(d.timestamp)) return;  // the container asked for this frame to be dropped
    if (queued_ >= staging_.capacity())
      throw Error(Errc::Internal, name_, "NVDEC display queue overflow: receive() frames between send() calls");
    CUVIDPROCPARAMS proc{};
    proc.progressive_frame = d.progressive_frame;
    proc.top_field_first = d.top_field_first;
    proc.second_field = 0;
    proc.unpaired_field = d.repeat_first_field < 0;
    proc.output_stream = stream_;
    CUdeviceptr src = 0;
    unsigned pitch = 0;
    CUFRAME_CHECK(nv_api().cuvid->cuvidMapVideoFrame(decoder_, d.picture_index, &src, &pitch, &proc));
    const int slot = (head_ + queued_) % staging_.capacity();
    // Plane offsets in the mapped surface: chroma follows the luma plane, whose height is
    // rounded up to even.
    const size_t luma_rows = (surface_height_ + 1u) & ~1u;
    for (int p = 0; p < layout_.plane_count; ++p) {
      CUDA_MEMCPY2D m{};
      m.srcMemoryType = CU_MEMORYTYPE_DEVICE;
      m.srcDevice = src + static_cast<CUdeviceptr>(p == 0 ? 0 : (layout_.plane_count == 2 ? luma_rows : p * luma_rows) * pitch);
      m.srcPitch = pitch;
      m.dstMemoryType = CU_MEMORYTYPE_DEVICE;
      m.dstDevice = reinterpret_cast<CUdeviceptr>(staging_.plane(slot, p));
      m.dstPitch = layout_.planes[p].pitch;
      m.WidthInBytes = layout_.planes[p].row_bytes;
      m.Height = static_cast<size_t>(layout_.planes[p].rows);
      const CUresult r = nv_api().cuda->cuMemcpy2DAsync(&m, stream_);
      if (r != CUDA_SUCCESS) {
        nv_api().cuvid->cuvidUnmapVideoFrame(decoder_, src);
        CUFRAME_CHECK(r);
      }
    }
    // The surface is unmapped only after the copies have run (as the SDK's own sample
    // does); this per-frame wait is the one to replace with deferred unmapping.
    const CUresult sync = nv_api().cuda->cuStreamSynchronize(stream_);
    CUFRAME_CHECK(nv_api().cuvid->cuvidUnmapVideoFrame(decoder_, src));
    CUFRAME_CHECK(sync);
    FrameInfo& info = staging_.info(slot);
    info.pts = d.timestamp;
    info.duration = 0;
    info.index = frames_out_++;
    info.keyframe = false;
    ++queued_;
  }

  std::string name_;
  std::string description_;
  int device_ = 0;
  Limits limits_;
  CUdevice cu_device_ = 0;
  CUcontext ctx_ = nullptr;
  CUstream stream_ = nullptr;
  CUvideoparser parser_ = nullptr;
  CUvideodecoder decoder_ = nullptr;
  CachedDecoder cached_{};
  cudaVideoCodec codec_ = cudaVideoCodec_H264;
  FrameLayout layout_{};
  FrameBatch staging_;
  unsigned surface_height_ = 0;
  int head_ = 0, queued_ = 0;
  int64_t frames_out_ = 0;
  bool header_sent_ = false, eos_sent_ = false, eos_done_ = false;
  std::set<int64_t> discard_pts_;
  std::vector<uint8_t> sequence_header_;
  detail::BsfPtr bsf_;
  detail::PacketPtr annexb_in_, annexb_out_;
  std::exception_ptr pending_;
};

}  // namespace

std::unique_ptr<Decoder> detail::open_nvdec_decoder(const Demuxer& demux, const DecodeOptions& options, std::string why) {
  return std::make_unique<NvdecDecoder>(demux, options, std::move(why));
}

}  // namespace cuframe
