// Internal (engine/src/encode/nvenc_plan.hpp) — what an NVENC session will be asked to do, decided without a GPU.
//
// plan_nvenc() turns EncodeParams + EncodeOptions into the settings of an NVENC session
// (preset, tuning, rate control, GOP, profile, VUI colour codes). It needs no driver and
// no SDK types, so it is compiled in every build and tested on machines without a GPU;
// the NVENC session (CUDA builds) applies the plan on top of the driver's preset and then
// checks the GPU's capabilities (sizes, 10-bit, B-frames), which only hardware can answer.
//
// Note [NVENC defaults]: the defaults are those of the `ffmpeg` program's h264_nvenc /
// hevc_nvenc (FFmpeg 5.1, the version Debian 12 ships; libavcodec/nvenc_h264.c,
// nvenc_hevc.c), except where cuframe has its own contract:
//
// | setting       | cuframe default                  | ffmpeg 5.1 h264_nvenc / hevc_nvenc     |
// |---------------|----------------------------------|----------------------------------------|
// | preset        | p4                               | p4 (`preset` option default)           |
// | tuning        | hq (ull with low_latency)        | hq (`tune` option default)             |
// | rate control  | vbr, constant quality cq 23/28,  | vbr 2 Mbit/s (`b` default 2M), cq 0    |
// |               | no bitrate target                | — cuframe's contract is constant       |
// |               |                                  | quality (cuframe/encoder.hpp), matching|
// |               |                                  | libx264 crf 23 / libx265 crf 28        |
// | gop           | 250                              | 250 (`g` default)                      |
// | b-frames      | 3 (0 with low_latency or gop<=1) | -1: the driver's preset decides; P3+   |
// |               |                                  | with hq tuning enable B-frames         |
// |               |                                  | (nvEncodeAPI.h, enableWeightedPred.)   |
// | lookahead     | the preset's (-1)                | rc-lookahead 0 = the preset's          |
// | profile       | high / main / main10             | main (h264_nvenc: cuframe uses high,   |
// |               |                                  | as libx264 does for 8-bit 4:2:0)       |
//
// B-frames are pinned to 3 instead of "whatever the driver's preset says" so that the
// plan, the packet timing (dts offset) and the bitstream do not depend on the driver
// version. A GPU that supports fewer (HEVC B-frames need Turing or newer) gets its
// maximum when the count was defaulted; an explicit b_frames above the GPU's maximum
// makes NVENC unusable for that request (and Auto falls back to libavcodec, saying why).
//
// Minimum frame sizes: NVENC refuses frames below 145x49 for H.264 (reported by several
// projects that measured it: "Frame Dimension less than the minimum supported value"
// from nvEncInitializeEncoder) and, by NVIDIA's documentation as quoted in the same
// reports, 129x33 for HEVC. The session also queries NV_ENC_CAPS_WIDTH_MIN/HEIGHT_MIN,
// which is authoritative on the GPU at hand.
#pragma once

#include <cstdint>
#include <string>

#include "cuframe/encoder.hpp"

namespace cuframe {

/// An NVENC session's settings (Note [NVENC defaults]). Strings are the names the
/// `ffmpeg` program uses for the same settings, so that --verbose output can be compared.
struct NvencPlan {
  std::string codec;         ///< "h264" or "hevc"
  std::string preset;        ///< "p1" (fastest) .. "p7" (best quality)
  std::string tuning;        ///< "hq", "ll", "ull" or "lossless"
  std::string rate_control;  ///< "vbr" (with cq > 0 and no bitrate: constant quality), "constqp", "cbr"
  int cq = 0;                ///< target quality 1..51 for constant-quality vbr; 0 = none (bitrate-driven)
  int qp = -1;               ///< P-frame QP for constqp (I and B follow ffmpeg's factors); -1 otherwise
  int64_t average_bitrate = 0;  ///< bits/s; 0 = none (constant quality)
  int64_t max_bitrate = 0;      ///< bits/s cap; 0 = none (vbr) — equal to average_bitrate for cbr
  int gop = 250;             ///< IDR interval in frames; 1 = intra only
  int b_frames = 0;          ///< B-frames between references, 0..4
  int lookahead = -1;        ///< -1: the preset's choice; 0: off
  bool zero_reorder_delay = false;  ///< low latency: no reordering delay (num_reorder_frames 0)
  std::string profile;       ///< "high", "high444p" (H.264 lossless), "main", "main10"
  std::string input_format;  ///< "nv12" or "p010" (P016 batches carrying 10-bit samples)
  int color_primaries = 2;   ///< ISO/IEC 23091-4 ColourPrimaries (1 bt709, 2 unspecified, 9 bt2020, ...)
  int transfer = 2;          ///< TransferCharacteristics (1 bt709, 16 PQ, 18 HLG, ...)
  int matrix = 2;            ///< MatrixCoefficients (1 bt709, 5 bt470bg, 6 smpte170m, 9 bt2020nc, ...)
  bool full_range = false;   ///< video_full_range_flag
  int chroma_sample_location = 0;  ///< ChromaSampleLocType 0..5 (0 = left, the default)
  bool repeat_headers = false;     ///< SPS/PPS on every IDR (params.global_header == false)
};

/// Decides the session settings. Throws Error(Errc::Unsupported) for what NVENC with the
/// SDK 11.1 headers cannot encode (AV1, 10-bit H.264, 12-bit, 4:4:4) and
/// Error(Errc::InvalidArgument) naming the parameter for out-of-range values (qp, cq,
/// bitrates, gop, b_frames, preset, tune, odd or too small sizes). Needs no GPU.
NvencPlan plan_nvenc(const EncodeParams& params, const EncodeOptions& options);

/// What a GPU's NVENC reports for one codec (nvEncGetEncodeCaps), as the session reads it.
struct NvencCodecCaps {
  bool supported = false;       ///< the codec's GUID is among nvEncGetEncodeGUIDs
  int max_width = 0, max_height = 0, min_width = 0, min_height = 0;
  bool ten_bit = false;         ///< NV_ENC_CAPS_SUPPORT_10BIT_ENCODE
  bool lossless = false;        ///< NV_ENC_CAPS_SUPPORT_LOSSLESS_ENCODE
  int max_b_frames = 0;         ///< NV_ENC_CAPS_NUM_MAX_BFRAMES
  int bframe_ref_mode = 0;      ///< NV_ENC_CAPS_SUPPORT_BFRAME_REF_MODE: 0 none, 1 each, 2 middle only
};

/// Why this GPU's NVENC (`caps`, on the GPU named `gpu`) cannot run `plan`: the codec is
/// missing, the size is outside its range, no 10-bit or lossless, more B-frames asked
/// for than it has. Empty when it can. Needs no GPU (the session calls it with the
/// queried caps; tests with made-up ones).
std::string nvenc_caps_problem(const NvencPlan& plan, const EncodeParams& params, const EncodeOptions& options,
                               const NvencCodecCaps& caps, const std::string& gpu);

/// The B-frames the session uses: a defaulted count is capped at what the GPU supports
/// (Note [NVENC defaults]); an explicit one stays (nvenc_caps_problem refuses it if too many).
int nvenc_b_frames(const NvencPlan& plan, const EncodeOptions& options, const NvencCodecCaps& caps);

/// One line for --verbose and Encoder::description(), e.g.
/// "h264 p4 hq vbr cq 23 gop 250 b 3 high nv12".
std::string to_string(const NvencPlan& plan);

}  // namespace cuframe
