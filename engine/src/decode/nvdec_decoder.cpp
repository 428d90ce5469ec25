// The NVDEC decode backend (Video Codec SDK through ffnvcodec; see Note [Driver loading]).
//
// Note [NVDEC flow]: packets (Annex-B for H.264/HEVC) go to the CUVID parser, which calls
// back synchronously from cuvidParseVideoData:
//   - the sequence callback checks the coded stream against the GPU's caps (the first
//     point where the coded size is known: Auto falls back to libavcodec on what it
//     refuses, decode/decoder.cpp), then creates the decoder or takes one from the cache
//     on an exact match (Note [Decoder cache]). A callback for an unchanged format returns
//     at once; a real change before any output reconfigures within the creation maximum;
//   - the decode callback submits the picture;
//   - the display callback queues the picture (index, timestamp, fields) in the ready
//     queue, which holds every decode surface plus the display delay: a flush that
//     displays all of them at once fits.
// receive() maps each ready picture with the caller's stream as output_stream, copies
// the real width and height into the caller's batch on that stream, records an event and
// unmaps; the next map on any stream waits for that event on the device, so the output
// surface is never rewritten under a copy (the host never waits: no synchronization per
// frame or inside a callback). A decode surface the parser is about to decode into while
// its picture still waits in the ready queue (a bump of the DPB followed by a new picture
// in one parse call) is first copied into a staging ring on the decoder's own stream.
// Targets and display areas are even (odd sizes are rounded up, never scaled), so chroma
// starts at pitch x the even target height. Timestamps: every packet gets a synthetic,
// strictly increasing timestamp, mapped back to the packet's pts (its dts when it has no
// pts, as libavcodec's best-effort timestamp) through a side table, so streams without
// pts keep their timing. Damage: cuvidGetDecodeStatus for H.264/HEVC at display (the only
// codecs SDK 11.1 reports it for); for every codec, a packet that gives no picture (after
// the first); for MPEG-2/MPEG-4, a picture decoded and never displayed. Callbacks never throw: the first error is kept
// and send() rethrows it after cuvidParseVideoData returns.
#include <algorithm>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/decoder.hpp"
#include "cuframe/error.hpp"
#include "cuframe/log.hpp"
#include "decode/backends.hpp"
#include "decode/nvdec_cache.hpp"
#include "decode/nvdec_format.hpp"
#include "ffmpeg_util.hpp"
#include "native.hpp"
#include "nv/api.hpp"
#include "nv/context.hpp"

namespace cuframe {

namespace {

using detail::ContextScope;
using detail::nv_api;
using detail::NvdecKey;
using detail::ParserPtr;
using detail::SideEntry;
using detail::chroma_name;
using detail::libav_crop_left;
using detail::nv_codec;
using detail::size_text;

constexpr unsigned kDisplayDelay = 2;    // the header recommends 2..4
constexpr unsigned kSurfaceMargin = 4;   // over min_num_decode_surfaces, for the display delay
constexpr int kMaxSideTable = 4096;      // timestamps of packets whose picture never showed

// A picture the parser displayed, waiting for receive().
struct Ready {
  int picture = 0;
  CUVIDPROCPARAMS proc{};
  FrameInfo info{};
  int staged = -1;  // staging slot when it had to be copied out early
};

class NvdecDecoder final : public Decoder {
 public:
  NvdecDecoder(const Demuxer& demux, const DecodeOptions& options, std::string why)
      : name_(demux.name()), device_(options.device), limits_(options.limits), conceal_(options.conceal_errors) {
    const detail::NvApi& api = nv_api();
    if (!api.cuda || !api.cuda_initialised)
      throw Error(Errc::DriverMissing, name_, "NVDEC needs the NVIDIA driver: " + api.problem);
    if (!api.cuvid || !api.cuvid->cuvidGetDecoderCaps)
      throw Error(Errc::DriverMissing, name_, "libnvcuvid.so.1 (NVDEC) cannot be loaded");
    const VideoStreamInfo& v = demux.video();
    codec_ = nv_codec(v.codec);
    if (codec_ == cudaVideoCodec_NumCodecs)
      throw Error(Errc::Unsupported, name_, "NVDEC does not decode " + v.codec_name);
    codec_name_ = v.codec_name;
    layout_ = make_layout(native_format(v), v.width, v.height, v.bit_depth);
    ctx_.emplace(device_);
    ContextScope scope(ctx_->get());
    // The container's claim, checked early; the coded stream is checked again at its
    // sequence header (check_caps), where Auto can still fall back.
    if (v.chroma != ChromaFormat::Yuv420 && v.chroma != ChromaFormat::Yuv444)
      throw Error(Errc::Unsupported, name_, std::string("NVDEC output for ") + to_string(v.chroma) + " is not supported (4:2:0 and 4:4:4 are)");
    check_caps(v.chroma == ChromaFormat::Yuv444 ? cudaVideoChromaFormat_444 : cudaVideoChromaFormat_420,
               static_cast<unsigned>(v.bit_depth - 8), 0, 0);
    make_parser();
    setup_annexb(demux);
    description_ = "NVDEC " + v.codec_name + " on GPU " + std::to_string(device_) + (why.empty() ? "" : " (" + why + ")");
  }

  ~NvdecDecoder() override {
    ContextScope scope(ctx_->get());
    parser_.reset();
    release_decoder(eos_done_ && !failed_);
  }

  Backend backend() const noexcept override { return Backend::Nvdec; }
  const std::string& description() const noexcept override { return description_; }
  const FrameLayout& layout() const noexcept override { return layout_; }
  bool finished() const noexcept override { return eos_done_ && ready_.empty(); }
  int64_t errors() const noexcept override { return errors_; }
  bool frame_ready() override { return !ready_.empty(); }

  void reset() override {
    ContextScope scope(ctx_->get());
    parser_.reset();
    make_parser();
    for (const Ready& r : ready_)
      if (r.staged >= 0) free_slots_.push_back(r.staged);
    ready_.clear();
    side_.clear();
    undisplayed_.clear();
    eos_sent_ = eos_done_ = header_sent_ = false;
    if (bsf_) av_bsf_flush(bsf_.get());
  }

  void send(const Packet* packet) override {
    if (eos_sent_) throw Error(Errc::InvalidArgument, name_, "packet sent after the end of the stream");
    ContextScope scope(ctx_->get());
    try {
      if (!header_sent_ && !sequence_header_.empty()) {
        parse(sequence_header_.data(), sequence_header_.size(), 0, std::nullopt);
        header_sent_ = true;
      }
      if (!packet) {
        eos_sent_ = true;
        parse(nullptr, 0, CUVID_PKT_ENDOFSTREAM, std::nullopt);
        if (checks_undisplayed() && !undisplayed_.empty())
          damaged(std::to_string(undisplayed_.size()) + " picture(s) decoded but never displayed");
        eos_done_ = true;
        return;
      }
      const int64_t ts = next_ts_++;
      side_[ts] = SideEntry{packet->pts() != kNoTimestamp ? packet->pts() : packet->dts(), packet->duration(),
                            packet->keyframe(), packet->discard()};
      while (static_cast<int>(side_.size()) > kMaxSideTable) side_.erase(side_.begin());
      const int64_t decodes_before = decodes_;
      if (!bsf_) {
        parse(packet->data().data(), packet->data().size(), CUVID_PKT_ENDOFPICTURE, ts);
      } else {
        // H.264/HEVC as stored in MP4/MKV (length-prefixed) -> Annex-B for the parser.
        // A packet the filter refuses is damaged, as libavcodec's decoder would say.
        auto filtered = [&](int ret) {
          if (ret == AVERROR(ENOMEM)) detail::av_check(ret, name_, "converting a packet to Annex-B");
          if (ret >= 0) return true;
          av_bsf_flush(bsf_.get());
          damaged(detail::av_error_text(ret) + pts_text(packet->pts()));
          return false;
        };
        AVPacket* in = annexb_in_.get();
        detail::av_check(av_packet_ref(in, detail::native(*packet)), name_, "referencing a packet");
        if (filtered(av_bsf_send_packet(bsf_.get(), in))) {
          for (;;) {
            AVPacket* out = annexb_out_.get();
            const int ret = av_bsf_receive_packet(bsf_.get(), out);
            if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) break;
            if (!filtered(ret)) break;
            parse(out->data, static_cast<size_t>(out->size), CUVID_PKT_ENDOFPICTURE, ts);
            av_packet_unref(out);
          }
        }
      }
      // A packet that gave no picture was refused by the parser (after the first picture:
      // before it, the parser skips to a random-access point as libavcodec does).
      if (decodes_ == decodes_before && decodes_ > 0 && !packet->data().empty())
        damaged("a packet gave no picture" + pts_text(packet->pts()));
    } catch (...) {
      failed_ = true;
      throw;
    }
  }

  int receive(FrameBatch& batch, const CudaStream* stream) override {
    if (batch.memory() != MemoryKind::Device)
      throw Error(Errc::InvalidArgument, name_, "the NVDEC decoder writes device batches");
    if (!stream) throw Error(Errc::InvalidArgument, name_, "NVDEC's receive() needs a CudaStream for a device batch");
    if (ready_.empty()) return 0;
    if (batch.layout() != layout_) throw Error(Errc::InvalidArgument, name_, "batch layout differs from the decoder's");
    ContextScope scope(ctx_->get());
    int added = 0;
    try {
      while (!ready_.empty() && batch.size() < batch.capacity()) {
        Ready& r = ready_.front();
        const int i = batch.size();
        if (r.staged >= 0) {
          staged_[static_cast<size_t>(r.staged)].wait_on(*stream);
          stream->copy_async(batch.plane(i, 0), staging_.plane(r.staged, 0), layout_.frame_stride);
          free_slots_.push_back(r.staged);
        } else {
          copy_out(r, batch, i, *stream);
        }
        batch.info(i) = r.info;
        batch.resize(i + 1);
        ready_.pop_front();
        ++added;
      }
    } catch (...) {
      failed_ = true;
      throw;
    }
    return added;
  }

 private:
  bool has_decode_status() const { return codec_ == cudaVideoCodec_H264 || codec_ == cudaVideoCodec_HEVC; }
  bool checks_undisplayed() const { return codec_ == cudaVideoCodec_MPEG2 || codec_ == cudaVideoCodec_MPEG4; }
  static std::string pts_text(int64_t pts) { return pts != kNoTimestamp ? " (packet pts " + std::to_string(pts) + ")" : ""; }

  // Damaged input: an error, or counted and reported when the caller conceals errors
  // (as the CPU path does, decoder.hpp).
  void damaged(const std::string& what) {
    if (!conceal_) throw Error(Errc::InvalidData, name_, "the video stream is damaged: NVDEC: " + what);
    ++errors_;
    log(Verbosity::Info, "%s: NVDEC: damaged input concealed: %s", name_.c_str(), what.c_str());
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

  // Whether the GPU decodes this codec, chroma and depth, and (when coded_w > 0) this
  // coded size and output format; Errc::Unsupported naming the capability otherwise.
  void check_caps(cudaVideoChromaFormat chroma, unsigned depth_minus8, unsigned coded_w, unsigned coded_h,
                  std::optional<cudaVideoSurfaceFormat> output = std::nullopt) {
    CUVIDDECODECAPS caps{};
    caps.eCodecType = codec_;
    caps.eChromaFormat = chroma;
    caps.nBitDepthMinus8 = depth_minus8;
    CUFRAME_CHECK(nv_api().cuvid->cuvidGetDecoderCaps(&caps));
    const std::string what = codec_name_ + " " + chroma_name(chroma) + " " + std::to_string(depth_minus8 + 8) + "-bit";
    if (!caps.bIsSupported) throw Error(Errc::Unsupported, name_, "this GPU's NVDEC cannot decode " + what);
    if (coded_w == 0) return;
    if (coded_w > caps.nMaxWidth || coded_h > caps.nMaxHeight || coded_w < caps.nMinWidth || coded_h < caps.nMinHeight)
      throw Error(Errc::Unsupported, name_,
                  "this GPU's NVDEC decodes " + what + " coded sizes from " + size_text(caps.nMinWidth, caps.nMinHeight) +
                      " to " + size_text(caps.nMaxWidth, caps.nMaxHeight) + ", not " + size_text(coded_w, coded_h));
    const uint64_t mbs = static_cast<uint64_t>((coded_w + 15) / 16) * ((coded_h + 15) / 16);
    if (caps.nMaxMBCount > 0 && mbs > caps.nMaxMBCount)
      throw Error(Errc::Unsupported, name_,
                  "this GPU's NVDEC decodes " + what + " up to " + std::to_string(caps.nMaxMBCount) +
                      " macroblocks, not " + std::to_string(mbs) + " (" + size_text(coded_w, coded_h) + ")");
    if (output && !(caps.nOutputFormatMask & (1u << static_cast<unsigned>(*output))))
      throw Error(Errc::Unsupported, name_,
                  "this GPU's NVDEC cannot output " + what + " as surface format " +
                      std::to_string(static_cast<int>(*output)) + " (nOutputFormatMask " +
                      std::to_string(caps.nOutputFormatMask) + ")");
  }

  void make_parser() {
    CUVIDPARSERPARAMS p{};
    p.CodecType = codec_;
    p.ulMaxNumDecodeSurfaces = 1;  // raised by the sequence callback's return value
    p.ulClockRate = 0;
    p.ulErrorThreshold = 100;      // damaged pictures reach the decode callback (their status is checked)
    p.ulMaxDisplayDelay = kDisplayDelay;
    p.pUserData = this;
    p.pfnSequenceCallback = &NvdecDecoder::on_sequence;
    p.pfnDecodePicture = &NvdecDecoder::on_decode;
    p.pfnDisplayPicture = &NvdecDecoder::on_display;
    CUvideoparser parser = nullptr;
    CUFRAME_CHECK(nv_api().cuvid->cuvidCreateVideoParser(&parser, &p));
    parser_.reset(parser);
  }

  void parse(const uint8_t* data, size_t size, unsigned long flags, std::optional<int64_t> ts) {
    CUVIDSOURCEDATAPACKET pkt{};
    pkt.payload = data;
    pkt.payload_size = static_cast<unsigned long>(size);
    pkt.flags = flags;
    if (ts) {
      pkt.flags |= CUVID_PKT_TIMESTAMP;
      pkt.timestamp = *ts;
    }
    const CUresult r = nv_api().cuvid->cuvidParseVideoData(parser_.get(), &pkt);
    if (pending_) std::rethrow_exception(std::exchange(pending_, nullptr));
    if (r != CUDA_SUCCESS)
      throw Error(Errc::InvalidData, name_, "NVDEC could not parse the stream: " + detail::cu_error_text(r));
  }

  // ---- parser callbacks (never throw; the first error is the one kept) ----
  void keep(std::exception_ptr e) {
    if (!pending_) pending_ = std::move(e);
  }
  static int CUDAAPI on_sequence(void* user, CUVIDEOFORMAT* f) {
    auto* self = static_cast<NvdecDecoder*>(user);
    if (self->pending_) return 0;
    try {
      return self->sequence(*f);
    } catch (...) {
      self->keep(std::current_exception());
      return 0;
    }
  }
  static int CUDAAPI on_decode(void* user, CUVIDPICPARAMS* pic) {
    auto* self = static_cast<NvdecDecoder*>(user);
    if (self->pending_ || !self->decoder_) return 0;
    try {
      self->decode(*pic);
      return 1;
    } catch (...) {
      self->keep(std::current_exception());
      return 0;
    }
  }
  static int CUDAAPI on_display(void* user, CUVIDPARSERDISPINFO* disp) {
    auto* self = static_cast<NvdecDecoder*>(user);
    if (self->pending_ || !self->decoder_) return 0;
    try {
      if (disp) self->display(*disp);
      return 1;
    } catch (...) {
      self->keep(std::current_exception());
      return 0;
    }
  }

  int sequence(const CUVIDEOFORMAT& f) {
    const int left = libav_crop_left(f.display_area.left, f.chroma_format, f.bit_depth_luma_minus8 > 0 ? 2 : 1);
    const int w = f.display_area.right - left;
    const int h = f.display_area.bottom - f.display_area.top;
    if (w <= 0 || h <= 0) throw Error(Errc::InvalidData, name_, "NVDEC: the stream's display area is empty");
    if (static_cast<int64_t>(w) * h > limits_.max_pixels || w > limits_.max_width || h > limits_.max_height)
      throw Error(Errc::LimitExceeded, name_, "the stream's frame size " + size_text(w, h) + " exceeds the limits");
    if (f.chroma_format != cudaVideoChromaFormat_420 && f.chroma_format != cudaVideoChromaFormat_444)
      throw Error(Errc::Unsupported, name_,
                  std::string("NVDEC output for ") + chroma_name(f.chroma_format) + " is not supported (4:2:0 and 4:4:4 are)");
    const unsigned depth = f.bit_depth_luma_minus8;
    const PixelFormat fmt = f.chroma_format == cudaVideoChromaFormat_444
                                ? (depth ? PixelFormat::YUV444P16 : PixelFormat::YUV444P)
                                : (depth ? PixelFormat::P016 : PixelFormat::NV12);
    NvdecKey key;
    key.device = device_;
    key.codec = f.codec;
    key.chroma = f.chroma_format;
    key.depth_minus8 = depth;
    key.output = fmt == PixelFormat::NV12 ? cudaVideoSurfaceFormat_NV12
                 : fmt == PixelFormat::P016 ? cudaVideoSurfaceFormat_P016
                 : fmt == PixelFormat::YUV444P ? cudaVideoSurfaceFormat_YUV444
                                               : cudaVideoSurfaceFormat_YUV444_16Bit;
    key.coded_width = f.coded_width;
    key.coded_height = f.coded_height;
    // Even target and display area, inside the coded picture: NVDEC never scales.
    key.target_width = static_cast<unsigned>(w + 1) & ~1u;
    key.target_height = static_cast<unsigned>(h + 1) & ~1u;
    key.right = std::min<int>(left + static_cast<int>(key.target_width), static_cast<int>(f.coded_width));
    key.bottom = std::min<int>(f.display_area.top + static_cast<int>(key.target_height), static_cast<int>(f.coded_height));
    key.left = std::max(0, key.right - static_cast<int>(key.target_width));
    key.top = std::max(0, key.bottom - static_cast<int>(key.target_height));
    key.surfaces = std::min(32u, f.min_num_decode_surfaces + kSurfaceMargin);

    if (decoder_ && key == key_) return static_cast<int>(key_.surfaces);  // nothing changed: no reconfigure
    check_caps(f.chroma_format, depth, f.coded_width, f.coded_height, key.output);
    if (frames_out_ > 0 && (w != layout_.width || h != layout_.height))
      throw Error(Errc::Unsupported, name_, "the frame size changes mid-stream; decode the parts separately");
    layout_ = make_layout(fmt, w, h, static_cast<int>(depth) + 8);
    if (decoder_) {
      // A real change within the stream: the waiting pictures are copied out first
      // (reconfiguring drops them), then the decoder is reconfigured within its creation
      // maximum, or replaced.
      for (Ready& r : ready_) stage(r);
      const bool fits = key_.codec == key.codec && key_.chroma == key.chroma && key_.depth_minus8 == key.depth_minus8 &&
                        key_.output == key.output && key.coded_width <= max_width_ &&
                        key.coded_height <= max_height_ && key.surfaces <= key_.surfaces;
      if (fits) {
        reconfigure(key);
      } else {
        release_decoder(false);
        create(key);
      }
    } else if (CUvideodecoder cached = detail::NvdecDecoderCache::get().take(key)) {
      decoder_ = cached;
      key_ = key;
      max_width_ = key.coded_width;
      max_height_ = key.coded_height;
    } else {
      create(key);
    }
    ready_capacity_ = static_cast<size_t>(key_.surfaces + kDisplayDelay + 1);
    return static_cast<int>(key_.surfaces);
  }

  static void set_area(auto& area, const NvdecKey& k) {
    area.left = static_cast<short>(k.left);
    area.top = static_cast<short>(k.top);
    area.right = static_cast<short>(k.right);
    area.bottom = static_cast<short>(k.bottom);
  }

  void create(const NvdecKey& k) {
    CUVIDDECODECREATEINFO ci{};
    ci.ulWidth = k.coded_width;
    ci.ulHeight = k.coded_height;
    ci.ulNumDecodeSurfaces = k.surfaces;
    ci.CodecType = k.codec;
    ci.ChromaFormat = k.chroma;
    ci.ulCreationFlags = cudaVideoCreate_PreferCUVID;
    ci.bitDepthMinus8 = k.depth_minus8;
    ci.ulMaxWidth = k.coded_width;  // the cache matches exactly, so no room is reserved
    ci.ulMaxHeight = k.coded_height;
    set_area(ci.display_area, k);
    ci.OutputFormat = k.output;
    ci.DeinterlaceMode = cudaVideoDeinterlaceMode_Weave;
    ci.ulTargetWidth = k.target_width;
    ci.ulTargetHeight = k.target_height;
    ci.ulNumOutputSurfaces = 2;
    CUvideodecoder d = nullptr;
    CUFRAME_CHECK(nv_api().cuvid->cuvidCreateDecoder(&d, &ci));
    decoder_ = d;
    key_ = k;
    max_width_ = k.coded_width;
    max_height_ = k.coded_height;
  }

  void reconfigure(const NvdecKey& k) {
    CUVIDRECONFIGUREDECODERINFO ri{};
    ri.ulWidth = k.coded_width;
    ri.ulHeight = k.coded_height;
    ri.ulTargetWidth = k.target_width;
    ri.ulTargetHeight = k.target_height;
    ri.ulNumDecodeSurfaces = key_.surfaces;  // the creation count stays
    set_area(ri.display_area, k);
    CUFRAME_CHECK(nv_api().cuvid->cuvidReconfigureDecoder(decoder_, &ri));
    const unsigned surfaces = key_.surfaces;
    key_ = k;
    key_.surfaces = surfaces;
    reconfigured_ = true;
  }

  // Back to the cache after a clean end (and never after a reconfigure, which changed
  // what it was created as), destroyed otherwise. The context is current.
  void release_decoder(bool clean) {
    if (!decoder_) return;
    if (clean && !reconfigured_)
      detail::NvdecDecoderCache::get().give(key_, decoder_);
    else
      nv_api().cuvid->cuvidDestroyDecoder(decoder_);
    decoder_ = nullptr;
    reconfigured_ = false;
  }

  void decode(CUVIDPICPARAMS& pic) {
    // The parser reuses a surface whose picture waits in the ready queue: copy it out first.
    for (Ready& r : ready_)
      if (r.picture == pic.CurrPicIdx && r.staged < 0) stage(r);
    CUFRAME_CHECK(nv_api().cuvid->cuvidDecodePicture(decoder_, &pic));
    ++decodes_;
    if (checks_undisplayed()) undisplayed_.insert(pic.CurrPicIdx);
  }

  void display(const CUVIDPARSERDISPINFO& d) {
    undisplayed_.erase(d.picture_index);
    SideEntry side;
    if (auto it = side_.find(d.timestamp); it != side_.end()) {
      side = it->second;
      side_.erase(it);
    }
    if (side.discard) return;  // the container asked for this frame to be dropped
    if (has_decode_status()) {
      CUVIDGETDECODESTATUS st{};
      CUFRAME_CHECK(nv_api().cuvid->cuvidGetDecodeStatus(decoder_, d.picture_index, &st));
      if (st.decodeStatus == cuvidDecodeStatus_Error || st.decodeStatus == cuvidDecodeStatus_Error_Concealed)
        damaged(std::string(st.decodeStatus == cuvidDecodeStatus_Error ? "a picture failed to decode"
                                                                        : "a picture was concealed") +
                pts_text(side.pts));
    }
    if (ready_.size() >= ready_capacity_)
      throw Error(Errc::Internal, name_, "NVDEC ready queue overflow: receive() frames between send() calls");
    Ready r;
    r.picture = d.picture_index;
    r.proc.progressive_frame = d.progressive_frame;
    r.proc.top_field_first = d.top_field_first;
    r.proc.unpaired_field = d.repeat_first_field < 0;
    r.info.pts = side.pts;
    r.info.duration = side.duration;
    r.info.keyframe = side.keyframe;
    r.info.index = frames_out_++;
    ready_.push_back(r);
  }

  // Maps picture r, copies its real width and height into frame i of dst on `stream`,
  // and unmaps (Note [NVDEC flow]).
  void copy_out(Ready& r, FrameBatch& dst, int i, const CudaStream& stream) {
    const auto& api = nv_api();
    if (last_copy_) last_copy_->wait_on(stream);  // the output surface may be the one still read
    CUVIDPROCPARAMS proc = r.proc;
    proc.output_stream = static_cast<CUstream>(stream.get());
    CUdeviceptr src = 0;
    unsigned pitch = 0;
    CUFRAME_CHECK(api.cuvid->cuvidMapVideoFrame(decoder_, r.picture, &src, &pitch, &proc));
    const size_t luma_rows = key_.target_height;  // even (Note [NVDEC flow])
    CUresult status = CUDA_SUCCESS;
    for (int p = 0; p < layout_.plane_count && status == CUDA_SUCCESS; ++p) {
      CUDA_MEMCPY2D m{};
      m.srcMemoryType = CU_MEMORYTYPE_DEVICE;
      m.srcDevice = src + static_cast<CUdeviceptr>(p == 0 ? 0 : (layout_.plane_count == 2 ? luma_rows : p * luma_rows) * pitch);
      m.srcPitch = pitch;
      m.dstMemoryType = CU_MEMORYTYPE_DEVICE;
      m.dstDevice = reinterpret_cast<CUdeviceptr>(dst.plane(i, p));
      m.dstPitch = layout_.planes[p].pitch;
      m.WidthInBytes = layout_.planes[p].row_bytes;
      m.Height = static_cast<size_t>(layout_.planes[p].rows);
      status = api.cuda->cuMemcpy2DAsync(&m, proc.output_stream);
    }
    if (status == CUDA_SUCCESS) {
      if (!last_copy_) last_copy_.emplace(device_);
      last_copy_->record(stream);
    }
    const CUresult unmap = api.cuvid->cuvidUnmapVideoFrame(decoder_, src);
    CUFRAME_CHECK(status);
    CUFRAME_CHECK(unmap);
  }

  // Copies waiting picture r into a staging slot on the decoder's own stream.
  void stage(Ready& r) {
    if (r.staged >= 0) return;
    if (!own_stream_) own_stream_.emplace(device_);
    if (staging_.capacity() == 0 || staging_.layout() != layout_) {
      const int n = static_cast<int>(std::max<size_t>(ready_capacity_, 1));
      staging_ = FrameBatch(layout_, n, MemoryKind::Device, device_);
      staged_.clear();
      for (int s = 0; s < n; ++s) staged_.emplace_back(device_);
      free_slots_.clear();
      for (int s = n - 1; s >= 0; --s) free_slots_.push_back(s);
    }
    if (free_slots_.empty()) throw Error(Errc::Internal, name_, "NVDEC staging ring overflow");
    const int slot = free_slots_.back();
    free_slots_.pop_back();
    staging_.resize(staging_.capacity());
    copy_out(r, staging_, slot, *own_stream_);
    staged_[static_cast<size_t>(slot)].record(*own_stream_);
    r.staged = slot;
  }

  std::string name_;
  std::string description_;
  std::string codec_name_;
  int device_ = 0;
  Limits limits_;
  bool conceal_ = false;
  std::optional<detail::PrimaryContext> ctx_;
  ParserPtr parser_;
  CUvideodecoder decoder_ = nullptr;
  NvdecKey key_{};
  unsigned max_width_ = 0, max_height_ = 0;
  bool reconfigured_ = false;
  cudaVideoCodec codec_ = cudaVideoCodec_H264;
  FrameLayout layout_{};
  std::deque<Ready> ready_;
  size_t ready_capacity_ = 16;
  std::optional<CudaEvent> last_copy_;
  std::optional<CudaStream> own_stream_;
  FrameBatch staging_;
  std::vector<CudaEvent> staged_;
  std::vector<int> free_slots_;
  std::map<int64_t, SideEntry> side_;
  int64_t next_ts_ = 1;
  int64_t decodes_ = 0;
  std::set<int> undisplayed_;
  int64_t frames_out_ = 0;
  int64_t errors_ = 0;
  bool header_sent_ = false, eos_sent_ = false, eos_done_ = false, failed_ = false;
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
