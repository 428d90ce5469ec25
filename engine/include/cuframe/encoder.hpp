// cuframe/encoder.hpp — video encoders: NVENC from device frames, libavcodec
// (libx264, libx265, SVT-AV1) from host frames, behind one interface.
//
// Note [Encoder choice]: open_encoder() picks NVENC when the GPU has it for the codec,
// profile, bit depth and size (its capability query decides), else libavcodec. The
// choice and the reason for a fallback are in Encoder::description() and
// Encoder::fallback_reason(); the CLI prints them with --verbose and always names the
// backend in its summary line. A fallback is never silent. Asking for Nvenc explicitly
// when it cannot be used is an error, not a fallback.
//
// Quality defaults follow the `ffmpeg` program so comparisons are like for like:
// libx264 preset medium crf 23, libx265 medium crf 28, SVT-AV1 preset 10 crf 35 (its
// ffmpeg defaults), NVENC preset p4 with constant quality (cq 23 for H.264, 28 for HEVC).
//
// Input frames: nv12 (8-bit) or p016 (10-bit, MSB-aligned) batches. NVENC reads device
// batches: each buffer the caller reuses is registered with it once (up to
// EncodeOptions::input_buffers), other frames are copied into the encoder's own buffers;
// libavcodec reads host batches. Timestamps (FrameInfo::pts in the params' time base) go
// through unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/demuxer.hpp"
#include "cuframe/encode_params.hpp"
#include "cuframe/frame.hpp"
#include "cuframe/media_info.hpp"

namespace cuframe {

enum class EncoderBackend { Auto, Cpu, Nvenc };
const char* to_string(EncoderBackend) noexcept;  ///< "auto", "cpu", "nvenc"

enum class RateControl {
  Default,   ///< the backend's constant-quality default (crf / cq)
  Crf,       ///< constant quality: `quality` (crf for x264/x265/SVT-AV1, cq for NVENC)
  ConstQp,   ///< constant quantiser: `qp`
  Vbr,       ///< variable bitrate: `bitrate`, capped at `max_bitrate` when set
  Cbr,       ///< constant bitrate: `bitrate`
};

struct EncodeOptions {
  Codec codec = Codec::H264;                 ///< H264, HEVC or AV1
  EncoderBackend backend = EncoderBackend::Auto;
  int device = 0;                            ///< CUDA device for NVENC
  RateControl rate_control = RateControl::Default;
  int quality = -1;                          ///< crf / cq; -1: the backend's default
  int qp = -1;                               ///< ConstQp: 0..51 (H.264/HEVC), 0..63 (AV1)
  int64_t bitrate = 0;                       ///< bits/s for Vbr and Cbr
  int64_t max_bitrate = 0;                   ///< bits/s, 0 = none (Vbr); Cbr uses bitrate
  std::string preset;                        ///< "" = default ("medium" / "p4" / "10")
  std::string tune;                          ///< "" = none; x264/x265 tunes, NVENC hq|ll|ull|lossless
  int gop = -1;                              ///< keyframe interval in frames; -1 default (250)
  int b_frames = -1;                         ///< -1 default; 0 disables
  bool low_latency = false;                  ///< live: no B-frames, no look-ahead, a packet per frame
  int threads = 0;                           ///< libavcodec threads, 0 = automatic
  /// NVENC: how many distinct device buffers send()'s frames come from, each reused over
  /// and over (a pipeline's ring of slots: ring x chunk frames). Each is registered with
  /// NVENC once, for the encoder's life (at most 256); a frame anywhere else is copied, on
  /// send()'s stream, into one of a few buffers of the encoder's own (as many as the
  /// pictures NVENC may hold at once, allocated at the first such frame). 0: no buffer is
  /// reused (a resident clip, every frame at its own address): every frame is copied.
  /// -1: unknown (the first 64 buffers are registered). libavcodec ignores it.
  int input_buffers = -1;
};

class Encoder {
 public:
  virtual ~Encoder() = default;
  Encoder() = default;
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  virtual EncoderBackend backend() const noexcept = 0;
  /// e.g. "libx264 (preset medium, crf 23)" or "NVENC h264 on GPU 0 (p4, cq 23)".
  virtual const std::string& description() const noexcept = 0;
  /// Why Auto did not pick NVENC ("no NVENC on NVIDIA H100 80GB HBM3"), empty otherwise.
  virtual const std::string& fallback_reason() const noexcept = 0;
  /// Codec configuration (SPS/PPS, ...) for containers with global headers; may be
  /// empty until the first packet for some backends.
  virtual std::span<const std::uint8_t> extradata() const noexcept = 0;

  /// Encodes batch.size() frames, in order. Device batches for NVENC (work queued on
  /// `stream`, required for them: Note [Stream rule]), host batches for libavcodec (stream
  /// ignored). Packets become available through receive().
  virtual void send(const FrameBatch& batch, const CudaStream* stream = nullptr) = 0;
  /// End of stream: drains the encoder. send() is not allowed afterwards.
  virtual void flush() = 0;
  /// Next encoded packet (pts/dts/duration in the params' time base); false when none
  /// is ready now.
  virtual bool receive(Packet& packet) = 0;
};

/// Opens an encoder (Note [Encoder choice]). Throws Errc::InvalidArgument for
/// parameters the codec refuses (sizes, bitrates, qp range) before anything is written,
/// Errc::Unsupported for an unknown codec or a backend that cannot be used.
std::unique_ptr<Encoder> open_encoder(const EncodeParams& params, const EncodeOptions& options = {});

/// Checks options against params without opening anything: the first problem as a
/// message, or empty. open_encoder() calls it first.
std::string validate_encode_options(const EncodeParams& params, const EncodeOptions& options);

/// Why NVENC cannot encode this request on options.device — no NVIDIA driver, no
/// libnvidia-encode, a GPU without NVENC (H100, H200), a capability the GPU lacks, a
/// setting NVENC refuses (Note [NVENC defaults]), or a CPU-only build — as one line;
/// empty when it can. Never throws. May open and close a short NVENC session to query the
/// GPU's capabilities (once per device and process).
std::string nvenc_unavailable_reason(const EncodeParams& params, const EncodeOptions& options);

}  // namespace cuframe
