// The NVENC session: the Encoder of the NVENC backend (Video Codec SDK 11.1 through
// ffnvcodec; Note [Driver loading]). Its function table and handles are nvenc_api.hpp's,
// the capability probe nvenc_probe.hpp's, its settings nvenc_plan.hpp's.
//
// STATUS: written against the SDK 11.1 headers and compiled, but NOT YET RUN on a GPU
// with NVENC: the machines lent to the session that wrote it (H100, H200) have no NVENC,
// so only the "no NVENC on this GPU" path has hardware to meet. The encode round-trip
// tests decide whether Auto may pick it.
//
// Note [NVENC flow]: one session per Encoder, on the device's primary context (shared
// with the CUDA runtime, NVDEC and the kernels). Synchronous mode (enableEncodeAsync 0)
// with picture-type decision in the driver (enablePTD 1).
//   Inputs (nvenc_inputs.cpp): a registration costs a driver call at each end, so each
//   buffer is registered once and kept for the session, never evicted. The caller says
//   how many distinct buffers its frames come from (EncodeOptions::input_buffers; the
//   stream pipeline's ring x chunk slots, 96 by default): the first that many (at most
//   kMaxRegistrations; kDefaultRegistrations when unknown) are registered as they come,
//   keyed by pointer and pitch, and NVENC reads them where they are. A frame from any
//   other address (resident mode: every frame of the clip has its own) is copied on the
//   send() stream into a pool of the session's own buffers, allocated and registered all
//   at once at the first such frame, one for each picture the session can hold (its
//   bitstream buffers): no allocation, registration or unregistration per frame. A pool
//   buffer is reused once its picture's output was locked (then NVENC has read it). With
//   look-ahead every frame goes to the pool: "input frames must remain available to the
//   encoder until encode completion" (nvEncodeAPI.h, enableLookahead), while the caller
//   may overwrite its buffer after send().
//   send(): the input is mapped (once for all the pictures in flight that use it) and
//   submitted with the next bitstream buffer of a ring created once. The caller's stream
//   is the session's IO stream (nvEncSetIOCudaStreams), so NVENC reads the frame, or the
//   pool copy, after the work queued before it, and the default stream is never used.
//   NV_ENC_ERR_NEED_MORE_INPUT (a B-frame waiting for its backward reference, or
//   look-ahead filling) keeps the picture pending; NV_ENC_SUCCESS makes every pending
//   picture's output ready ("After receiving NV_ENC_SUCCESS status the client can call
//   NvEncLockBitstream() API on the output buffers in the same order in which it has
//   called NvEncEncodePicture()", nvEncodeAPI.h, NV_ENC_ERR_NEED_MORE_INPUT), and they
//   are locked in submission order — which is decode order — copied into Packets,
//   unlocked, and their inputs released (what libavcodec/nvenc.c does). Any other status
//   submitted nothing: the picture is not pending. A picture leaves pending_ only once
//   its output was locked, so after a failed lock the EOS drain of the destructor locks
//   exactly the outputs that still hold their pictures, never one twice (on a GPU, a
//   lock of an output that holds no picture need not return).
//   Frames NVENC holds back for reordering are copied into its own buffers during
//   nvEncEncodePicture (nvEncodeAPI.h, "Synchronous Encoding"), so without look-ahead a
//   batch may be reused by work queued on the same stream once send() returns.
//   flush(): an EOS picture (NV_ENC_PIC_FLAG_EOS) drains what is pending.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "cuframe/encoder.hpp"
#include "cuframe/error.hpp"
#include "encode/backends.hpp"
#include "encode/nvenc_api.hpp"
#include "encode/nvenc_inputs.hpp"
#include "encode/nvenc_plan.hpp"
#include "encode/nvenc_probe.hpp"
#include "nv/api.hpp"
#include "nv/context.hpp"

namespace cuframe::detail {

namespace nvenc {

namespace {

using CodecCaps = NvencCodecCaps;

// The caller's buffers registered at most (Note [NVENC flow]): with EncodeOptions::
// input_buffers unknown, what libavcodec/nvenc.c allows; when known, a bound on the
// driver resources one session holds.
constexpr int kDefaultRegistrations = 64;
constexpr int kMaxRegistrations = 256;

GUID preset_guid(const std::string& preset) {
  switch (preset[1]) {
    case '1': return NV_ENC_PRESET_P1_GUID;
    case '2': return NV_ENC_PRESET_P2_GUID;
    case '3': return NV_ENC_PRESET_P3_GUID;
    case '5': return NV_ENC_PRESET_P5_GUID;
    case '6': return NV_ENC_PRESET_P6_GUID;
    case '7': return NV_ENC_PRESET_P7_GUID;
    default: return NV_ENC_PRESET_P4_GUID;
  }
}

NV_ENC_TUNING_INFO tuning_info(const std::string& tuning) {
  if (tuning == "ll") return NV_ENC_TUNING_INFO_LOW_LATENCY;
  if (tuning == "ull") return NV_ENC_TUNING_INFO_ULTRA_LOW_LATENCY;
  if (tuning == "lossless") return NV_ENC_TUNING_INFO_LOSSLESS;
  return NV_ENC_TUNING_INFO_HIGH_QUALITY;
}

uint32_t clamp_qp(double v) { return static_cast<uint32_t>(std::clamp(v + 0.5, 0.0, 51.0)); }

void write_vui(const NvencPlan& plan, NV_ENC_CONFIG_H264_VUI_PARAMETERS& vui) {
  vui.videoFormat = 5;  // unspecified
  vui.videoFullRangeFlag = plan.full_range ? 1 : 0;
  vui.colourPrimaries = static_cast<uint32_t>(plan.color_primaries);
  vui.transferCharacteristics = static_cast<uint32_t>(plan.transfer);
  vui.colourMatrix = static_cast<uint32_t>(plan.matrix);
  vui.colourDescriptionPresentFlag = plan.color_primaries != 2 || plan.transfer != 2 || plan.matrix != 2 ? 1 : 0;
  vui.videoSignalTypePresentFlag = vui.colourDescriptionPresentFlag || vui.videoFullRangeFlag ? 1 : 0;
  vui.chromaSampleLocationFlag = plan.chroma_sample_location != 0 ? 1 : 0;
  vui.chromaSampleLocationTop = static_cast<uint32_t>(plan.chroma_sample_location);
  vui.chromaSampleLocationBot = static_cast<uint32_t>(plan.chroma_sample_location);
}

// Note [NVENC timestamps]: pts is FrameInfo::pts, passed through NVENC as
// inputTimeStamp/outputTimeStamp. Packets leave in decode order, so dts is computed: with
// a reordering delay of d = frameIntervalP - 1 pictures (the number of B-frames between
// references, what libavcodec/nvenc.c uses), the k-th packet's dts is the (k-d)-th
// smallest input pts, and for the first d packets the smallest pts minus (d-k) frame
// durations. For constant frame rates this is libavcodec's "input pts minus d frames";
// for variable ones it still keeps dts <= pts whenever the reorder depth is at most d.
// dts is kept strictly increasing (duplicate input pts) and never above pts.
class NvencEncoder final : public Encoder {
 public:
  NvencEncoder(const EncodeParams& params, const EncodeOptions& options, std::string fallback_reason)
      : params_(params),
        options_(options),
        plan_(plan_nvenc(params, options)),
        subject_("encoder " + plan_.codec + " (nvenc)"),
        fallback_reason_(std::move(fallback_reason)) {
    const DeviceProbe probe = probe_cached(options.device);
    if (!probe.problem.empty()) throw Error(probe.code, subject_, "NVENC cannot be used: " + probe.problem);
    if (std::string why = hardware_problem(plan_, params, options, probe); !why.empty())
      throw Error(Errc::Unsupported, subject_, "NVENC cannot be used: " + why);
    const CodecCaps& caps = caps_for(probe, plan_);
    plan_.b_frames = nvenc_b_frames(plan_, options, caps);

    ctx_.emplace(options.device);
    ContextScope scope(ctx_->get());
    const NVENCSTATUS st = open_session(ctx_->get(), session_);
    if (st != NV_ENC_SUCCESS) throw_status(st, nullptr, "nvEncOpenEncodeSessionEx", __FILE__, __LINE__);
    initialize(caps);
    create_bitstreams();
    inputs_.emplace(session_.get(), ctx_->get(), input_settings());
    read_extradata();
    description_ = "NVENC " + plan_.codec + " on GPU " + std::to_string(options.device) + " (" + to_string(plan_) + ")";
  }

  ~NvencEncoder() override {
    if (!ctx_) return;
    ContextScope scope(ctx_->get());
    if (session_.get() && !flushed_ && !pending_.empty()) {
      // The SDK asks for an EOS before the session is destroyed; what comes out is dropped.
      try {
        NV_ENC_PIC_PARAMS eos{};
        eos.version = NV_ENC_PIC_PARAMS_VER;
        eos.encodePicFlags = NV_ENC_PIC_FLAG_EOS;
        if (fns().nvEncEncodePicture(session_.get(), &eos) == NV_ENC_SUCCESS) drain(/*keep=*/false);
      } catch (...) {
      }
    }
    pending_.clear();
    inputs_.reset();  // unmaps, then unregisters
    bitstreams_.clear();
    session_.reset();
  }

  EncoderBackend backend() const noexcept override { return EncoderBackend::Nvenc; }
  const std::string& description() const noexcept override { return description_; }
  const std::string& fallback_reason() const noexcept override { return fallback_reason_; }
  std::span<const std::uint8_t> extradata() const noexcept override { return extradata_; }

  void send(const FrameBatch& batch, const CudaStream* stream) override {
    if (flushed_) throw Error(Errc::InvalidArgument, subject_, "frames sent after flush()");
    if (failed_) throw Error(Errc::InvalidArgument, subject_, "the encoder failed earlier; open a new one");
    if (!stream)
      throw Error(Errc::InvalidArgument, subject_,
                  "NVENC's send() needs a CudaStream: its work is queued on it, never on the default stream");
    if (batch.empty()) return;
    check_batch(batch, *stream);
    ContextScope scope(ctx_->get());
    try {
      set_stream(*stream);
      const std::size_t pitch = batch.layout().planes[0].pitch;
      for (int i = 0; i < batch.size(); ++i)
        encode_one(reinterpret_cast<CUdeviceptr>(batch.plane(i, 0)), pitch, batch.info(i));
    } catch (...) {
      failed_ = true;
      throw;
    }
  }

  void flush() override {
    if (flushed_) return;
    if (failed_) throw Error(Errc::InvalidArgument, subject_, "the encoder failed earlier; open a new one");
    flushed_ = true;
    ContextScope scope(ctx_->get());
    try {
      NV_ENC_PIC_PARAMS eos{};
      eos.version = NV_ENC_PIC_PARAMS_VER;
      eos.encodePicFlags = NV_ENC_PIC_FLAG_EOS;
      CUFRAME_NVENC_CHECK(session_.get(), fns().nvEncEncodePicture(session_.get(), &eos));
      drain(/*keep=*/true);
    } catch (...) {
      failed_ = true;
      throw;
    }
  }

  bool receive(Packet& packet) override {
    if (ready_.empty()) return false;
    packet = std::move(ready_.front());
    ready_.pop_front();
    return true;
  }

 private:
  struct Pending {
    Input* input;
    void* bitstream;
  };

  void check_batch(const FrameBatch& batch, const CudaStream& stream) const {
    if (batch.memory() != MemoryKind::Device)
      throw Error(Errc::InvalidArgument, subject_, "NVENC reads device batches; this one is in host memory");
    if (batch.device() != options_.device || stream.device() != options_.device)
      throw Error(Errc::InvalidArgument, subject_,
                  "the batch (GPU " + std::to_string(batch.device()) + ") and stream (GPU " +
                      std::to_string(stream.device()) + ") must be on the encoder's GPU " +
                      std::to_string(options_.device));
    const FrameLayout& l = batch.layout();
    if (l.format != params_.format || l.width != params_.width || l.height != params_.height)
      throw Error(Errc::InvalidArgument, subject_,
                  std::string("batch of ") + to_string(l.format) + " " + std::to_string(l.width) + "x" +
                      std::to_string(l.height) + " frames, but the encoder was opened for " +
                      to_string(params_.format) + " " + std::to_string(params_.width) + "x" +
                      std::to_string(params_.height));
    const std::size_t pitch = l.planes[0].pitch;
    if (l.plane_count != 2 || l.planes[1].pitch != pitch || l.planes[1].offset != pitch * static_cast<std::size_t>(l.height))
      throw Error(Errc::Unsupported, subject_,
                  "NVENC needs the interleaved chroma plane right after the luma plane, with the same pitch "
                  "(offset pitch x height = " + std::to_string(pitch * static_cast<std::size_t>(l.height)) +
                      "); this batch's is at offset " + std::to_string(l.planes[1].offset) + " with pitch " +
                      std::to_string(l.planes[1].pitch));
    if (pitch % 4 != 0 || pitch > UINT32_MAX)
      throw Error(Errc::Unsupported, subject_, "pitch " + std::to_string(pitch) + " is not one NVENC accepts");
  }

  void initialize(const CodecCaps& caps) {
    void* enc = session_.get();
    const bool h264 = plan_.codec == "h264";
    const GUID codec_guid = h264 ? NV_ENC_CODEC_H264_GUID : NV_ENC_CODEC_HEVC_GUID;
    const GUID preset = preset_guid(plan_.preset);
    const NV_ENC_TUNING_INFO tuning = tuning_info(plan_.tuning);

    NV_ENC_PRESET_CONFIG preset_config{};
    preset_config.version = NV_ENC_PRESET_CONFIG_VER;
    preset_config.presetCfg.version = NV_ENC_CONFIG_VER;
    CUFRAME_NVENC_CHECK(enc, fns().nvEncGetEncodePresetConfigEx(enc, codec_guid, preset, tuning, &preset_config));
    config_ = preset_config.presetCfg;
    config_.version = NV_ENC_CONFIG_VER;

    NV_ENC_INITIALIZE_PARAMS init{};
    init.version = NV_ENC_INITIALIZE_PARAMS_VER;
    init.encodeGUID = codec_guid;
    init.presetGUID = preset;
    init.tuningInfo = tuning;
    init.encodeWidth = init.maxEncodeWidth = static_cast<uint32_t>(params_.width);
    init.encodeHeight = init.maxEncodeHeight = static_cast<uint32_t>(params_.height);
    set_aspect(init);
    if (params_.frame_rate.num > 0 && params_.frame_rate.den > 0) {
      init.frameRateNum = static_cast<uint32_t>(params_.frame_rate.num);
      init.frameRateDen = static_cast<uint32_t>(params_.frame_rate.den);
    } else {
      init.frameRateNum = static_cast<uint32_t>(params_.time_base.den);
      init.frameRateDen = static_cast<uint32_t>(params_.time_base.num);
    }
    init.enableEncodeAsync = 0;
    init.enablePTD = 1;
    init.encodeConfig = &config_;

    // GOP and B-frames.
    config_.gopLength = static_cast<uint32_t>(plan_.gop);
    config_.frameIntervalP = plan_.b_frames + 1;
    config_.frameFieldMode = NV_ENC_PARAMS_FRAME_FIELD_MODE_FRAME;

    // Rate control.
    NV_ENC_RC_PARAMS& rc = config_.rcParams;
    if (plan_.rate_control == "constqp") {
      rc.rateControlMode = NV_ENC_PARAMS_RC_CONSTQP;
      // I and B QPs from the P QP with libavcodec's defaults (i_qfactor -0.8, b_qfactor
      // 1.25, b_qoffset 1.25), as `ffmpeg -c:v h264_nvenc -qp N` does.
      rc.constQP.qpInterP = static_cast<uint32_t>(plan_.qp);
      rc.constQP.qpIntra = plan_.qp == 0 ? 0 : clamp_qp(plan_.qp * 0.8);
      rc.constQP.qpInterB = plan_.qp == 0 ? 0 : clamp_qp(plan_.qp * 1.25 + 1.25);
    } else if (plan_.rate_control == "cbr") {
      rc.rateControlMode = NV_ENC_PARAMS_RC_CBR;
      rc.averageBitRate = static_cast<uint32_t>(plan_.average_bitrate);
      rc.maxBitRate = static_cast<uint32_t>(plan_.average_bitrate);
    } else {
      rc.rateControlMode = NV_ENC_PARAMS_RC_VBR;
      rc.averageBitRate = static_cast<uint32_t>(plan_.average_bitrate);  // 0 with cq: constant quality
      rc.maxBitRate = static_cast<uint32_t>(plan_.max_bitrate);
      rc.targetQuality = static_cast<uint8_t>(plan_.average_bitrate == 0 ? plan_.cq : 0);
      rc.targetQualityLSB = 0;
    }
    rc.zeroReorderDelay = plan_.zero_reorder_delay ? 1 : 0;
    if (plan_.lookahead == 0) {
      rc.enableLookahead = 0;
      rc.lookaheadDepth = 0;
    }
    lookahead_depth_ = rc.enableLookahead ? rc.lookaheadDepth : 0;

    // Codec settings and VUI.
    const uint32_t global = params_.global_header ? 1 : 0;
    if (h264) {
      NV_ENC_CONFIG_H264& h = config_.encodeCodecConfig.h264Config;
      config_.profileGUID = plan_.profile == "high444p" ? NV_ENC_H264_PROFILE_HIGH_444_GUID : NV_ENC_H264_PROFILE_HIGH_GUID;
      h.idrPeriod = config_.gopLength;
      h.chromaFormatIDC = 1;
      h.disableSPSPPS = global;  // out of band: extradata()
      h.repeatSPSPPS = plan_.repeat_headers ? 1 : 0;
      if (plan_.tuning == "lossless") h.qpPrimeYZeroTransformBypassFlag = 1;
      h.useBFramesAsRef = bframe_ref_mode(h.useBFramesAsRef, caps);
      write_vui(plan_, h.h264VUIParameters);
    } else {
      NV_ENC_CONFIG_HEVC& h = config_.encodeCodecConfig.hevcConfig;
      config_.profileGUID = plan_.profile == "main10" ? NV_ENC_HEVC_PROFILE_MAIN10_GUID : NV_ENC_HEVC_PROFILE_MAIN_GUID;
      h.idrPeriod = config_.gopLength;
      h.chromaFormatIDC = 1;
      h.pixelBitDepthMinus8 = plan_.profile == "main10" ? 2 : 0;
      h.disableSPSPPS = global;
      h.repeatSPSPPS = plan_.repeat_headers ? 1 : 0;
      h.useBFramesAsRef = bframe_ref_mode(h.useBFramesAsRef, caps);
      write_vui(plan_, h.hevcVUIParameters);
    }
    buffer_format_ = plan_.input_format == "p010" ? NV_ENC_BUFFER_FORMAT_YUV420_10BIT : NV_ENC_BUFFER_FORMAT_NV12;

    CUFRAME_NVENC_CHECK(enc, fns().nvEncInitializeEncoder(enc, &init));
    reorder_delay_ = std::max(config_.frameIntervalP - 1, 0);
    frame_ticks_ = ticks_per_frame();
  }

  NV_ENC_BFRAME_REF_MODE bframe_ref_mode(NV_ENC_BFRAME_REF_MODE preset_mode, const CodecCaps& caps) const {
    if (plan_.b_frames < 2 || caps.bframe_ref_mode == 0) return NV_ENC_BFRAME_REF_MODE_DISABLED;
    if (preset_mode == NV_ENC_BFRAME_REF_MODE_EACH && caps.bframe_ref_mode != 1) return NV_ENC_BFRAME_REF_MODE_MIDDLE;
    return preset_mode;
  }

  void set_aspect(NV_ENC_INITIALIZE_PARAMS& init) const {
    int64_t dw = params_.width, dh = params_.height;
    if (params_.sar.num > 0 && params_.sar.den > 0) {
      dw *= params_.sar.num;
      dh *= params_.sar.den;
      const int64_t g = std::gcd(dw, dh);
      dw /= g;
      dh /= g;
    }
    if (dw > UINT32_MAX || dh > UINT32_MAX) {
      dw = params_.width;
      dh = params_.height;
    }
    init.darWidth = static_cast<uint32_t>(dw);
    init.darHeight = static_cast<uint32_t>(dh);
  }

  int64_t ticks_per_frame() const {
    const Rational fr = params_.frame_rate, tb = params_.time_base;
    if (fr.num <= 0 || fr.den <= 0 || tb.num <= 0 || tb.den <= 0) return 1;
    const int64_t num = static_cast<int64_t>(fr.den) * tb.den, den = static_cast<int64_t>(fr.num) * tb.num;
    return std::max<int64_t>(1, (num + den / 2) / den);
  }

  void create_bitstreams() {
    // Every picture in flight holds one: up to reorder + look-ahead pending, plus a margin.
    const int count = reorder_delay_ + 1 + lookahead_depth_ + 4;
    void* enc = session_.get();
    for (int i = 0; i < count; ++i) {
      NV_ENC_CREATE_BITSTREAM_BUFFER create{};
      create.version = NV_ENC_CREATE_BITSTREAM_BUFFER_VER;
      CUFRAME_NVENC_CHECK(enc, fns().nvEncCreateBitstreamBuffer(enc, &create));
      bitstreams_.emplace_back(enc, ctx_->get(), create.bitstreamBuffer);
    }
  }

  void read_extradata() {
    void* enc = session_.get();
    std::vector<std::uint8_t> buf(NV_MAX_SEQ_HDR_LEN);
    uint32_t size = 0;
    NV_ENC_SEQUENCE_PARAM_PAYLOAD payload{};
    payload.version = NV_ENC_SEQUENCE_PARAM_PAYLOAD_VER;
    payload.inBufferSize = static_cast<uint32_t>(buf.size());
    payload.spsppsBuffer = buf.data();
    payload.outSPSPPSPayloadSize = &size;
    CUFRAME_NVENC_CHECK(enc, fns().nvEncGetSequenceParams(enc, &payload));
    buf.resize(std::min<std::size_t>(size, buf.size()));
    extradata_ = std::move(buf);
  }

  void set_stream(const CudaStream& stream) {
    const auto s = static_cast<CUstream>(stream.get());
    if (stream_set_ && s == io_stream_) return;
    io_stream_ = s;
    CUFRAME_NVENC_CHECK(session_.get(), fns().nvEncSetIOCudaStreams(session_.get(), &io_stream_, &io_stream_));
    stream_set_ = true;
  }

  // Note [NVENC flow]: which inputs are registered, and the pool for the others.
  InputSettings input_settings() const {
    InputSettings in;
    in.layout = make_layout(params_.format, params_.width, params_.height, params_.bit_depth);
    in.format = buffer_format_;
    in.device = options_.device;
    if (lookahead_depth_ > 0) {
      in.registered_limit = 0;  // look-ahead reads frames until their encode completes
    } else if (options_.input_buffers < 0) {
      in.registered_limit = kDefaultRegistrations;
    } else {
      in.registered_limit = std::min(options_.input_buffers, kMaxRegistrations);
    }
    in.pool_size = static_cast<int>(bitstreams_.size());  // a picture in flight holds a bitstream
    in.subject = subject_;
    return in;
  }

  void encode_one(CUdeviceptr ptr, std::size_t pitch, const FrameInfo& info) {
    if (pending_.size() >= bitstreams_.size())
      throw Error(Errc::Internal, subject_, "NVENC holds more pictures than bitstream buffers");
    Input& input = inputs_->acquire(ptr, pitch, io_stream_);
    void* out = bitstreams_[next_bitstream_].get();
    pending_.push_back({&input, out});

    NV_ENC_PIC_PARAMS pic{};
    pic.version = NV_ENC_PIC_PARAMS_VER;
    pic.inputWidth = static_cast<uint32_t>(params_.width);
    pic.inputHeight = static_cast<uint32_t>(params_.height);
    pic.inputPitch = static_cast<uint32_t>(input.pitch);
    pic.inputBuffer = input.mapped.get();
    pic.outputBitstream = out;
    pic.bufferFmt = input.mapped_format;
    pic.pictureStruct = NV_ENC_PIC_STRUCT_FRAME;
    pic.inputTimeStamp = static_cast<uint64_t>(info.pts);
    pic.inputDuration = static_cast<uint64_t>(info.duration);
    pic.frameIdx = static_cast<uint32_t>(frames_sent_);
    const NVENCSTATUS st = fns().nvEncEncodePicture(session_.get(), &pic);
    if (st != NV_ENC_SUCCESS && st != NV_ENC_ERR_NEED_MORE_INPUT) {
      // Nothing was submitted: nothing of it stays pending (a drain would lock an output
      // that holds no picture).
      pending_.pop_back();
      Inputs::release(input);
      throw_status(st, session_.get(), "nvEncEncodePicture", __FILE__, __LINE__);
    }
    ++frames_sent_;
    next_bitstream_ = (next_bitstream_ + 1) % bitstreams_.size();
    input_pts_.push(info.pts);
    durations_.emplace(info.pts, info.duration);
    if (st == NV_ENC_ERR_NEED_MORE_INPUT) return;  // held for reordering (Note [NVENC flow])
    drain(/*keep=*/true);
  }

  // Locks every pending bitstream in submission order (= decode order), each one then
  // unlocked, its input released and it leaves pending_ — so that a lock that fails
  // leaves pending exactly the pictures whose outputs were not read (Note [NVENC flow]).
  // keep=false drops the packets (destructor).
  void drain(bool keep) {
    void* enc = session_.get();
    while (!pending_.empty()) {
      const Pending p = pending_.front();
      NV_ENC_LOCK_BITSTREAM lock{};
      lock.version = NV_ENC_LOCK_BITSTREAM_VER;
      lock.outputBitstream = p.bitstream;
      lock.doNotWait = 0;
      CUFRAME_NVENC_CHECK(enc, fns().nvEncLockBitstream(enc, &lock));
      pending_.pop_front();
      struct Done {
        void* session;
        Pending p;
        ~Done() {
          fns().nvEncUnlockBitstream(session, p.bitstream);
          Inputs::release(*p.input);
        }
      } done{enc, p};
      if (keep) emit(lock);
    }
  }

  void emit(const NV_ENC_LOCK_BITSTREAM& lock) {
    const auto pts = static_cast<int64_t>(lock.outputTimeStamp);
    int64_t dts = 0;
    if (input_pts_.empty()) {
      dts = pts;  // cannot happen: every output has its input in the heap
    } else if (packets_out_ < reorder_delay_) {
      dts = input_pts_.top() - (reorder_delay_ - packets_out_) * frame_ticks_;
    } else {
      dts = input_pts_.top();
      input_pts_.pop();
    }
    dts = std::min(dts, pts);
    if (packets_out_ > 0 && dts <= last_dts_) dts = last_dts_ + 1;
    last_dts_ = dts;
    ++packets_out_;

    int64_t duration = 0;
    if (auto it = durations_.find(pts); it != durations_.end()) {
      duration = it->second;
      durations_.erase(it);
    }
    if (duration <= 0) duration = frame_ticks_;

    // IDR only, as libavcodec/nvenc.c flags keyframes: a non-IDR I picture is not a
    // clean random-access point when B-frames may reference across it.
    const bool key = lock.pictureType == NV_ENC_PIC_TYPE_IDR;
    Packet packet;
    packet.assign({static_cast<const std::uint8_t*>(lock.bitstreamBufferPtr), lock.bitstreamSizeInBytes}, pts, dts,
                  duration, key);
    ready_.push_back(std::move(packet));
  }

  EncodeParams params_;
  EncodeOptions options_;
  NvencPlan plan_;
  std::string subject_;
  std::string fallback_reason_;
  std::string description_;
  std::vector<std::uint8_t> extradata_;

  // Destroyed in reverse order: the inputs (registrations, pool) and bitstream buffers
  // before the session, the session before the context.
  std::optional<PrimaryContext> ctx_;
  Session session_;
  std::vector<BitstreamBuffer> bitstreams_;
  std::optional<Inputs> inputs_;

  NV_ENC_CONFIG config_{};
  NV_ENC_BUFFER_FORMAT buffer_format_ = NV_ENC_BUFFER_FORMAT_NV12;
  CUstream io_stream_ = nullptr;
  bool stream_set_ = false;
  int reorder_delay_ = 0;
  int lookahead_depth_ = 0;
  int64_t frame_ticks_ = 1;
  std::size_t next_bitstream_ = 0;
  uint64_t frames_sent_ = 0;
  std::deque<Pending> pending_;
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<>> input_pts_;  // Note [NVENC timestamps]
  std::multimap<int64_t, int64_t> durations_;
  int64_t packets_out_ = 0;
  int64_t last_dts_ = 0;
  std::deque<Packet> ready_;
  bool flushed_ = false;
  bool failed_ = false;
};

}  // namespace

}  // namespace nvenc

std::unique_ptr<Encoder> open_nvenc_encoder(const EncodeParams& params, const EncodeOptions& options,
                                            std::string fallback_reason_for_description) {
  return std::make_unique<nvenc::NvencEncoder>(params, options, std::move(fallback_reason_for_description));
}

}  // namespace cuframe::detail
