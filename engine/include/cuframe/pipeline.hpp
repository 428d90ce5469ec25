// cuframe/pipeline.hpp — decode → ops → encode → mux: what `cuframe transcode` runs.
//
// Note [Pipeline stages]: three stages, each on its own host thread (and, on the GPU
// path, its own CUDA stream): decode (demux + decoder, audio packets go straight to the
// muxer), ops (OpChain) and encode (encoder + muxer). They hand chunks of `chunk` frames
// to each other through a ring of `ring` chunk slots allocated before the first frame:
// (defaults per executor, Note [Stream memory]),
// a slot holds the decoded batch, the op chain's buffers and the encoder's input, and
// goes back to the decode stage when its packets are written. When the ring is full the
// decoder waits (back-pressure): memory is bounded by the chunk size and ring depth,
// whatever the length of the video. While the encoder works on chunk k-1, the ops run on
// chunk k and the decoder fills chunk k+1.
//
// Modes (DESIGN.md): Stream (the ring above), Resident (the whole video is decoded into
// one allocation, refused up front when it does not fit the budget, the ops run over all
// frames as one batch, then every frame is encoded), and Live (stream mode with chunks of
// one frame, a zero-latency encoder and every packet flushed; per-frame latency is
// measured from the packet read to its encoded packet written).
//
// Cancel: when *cancel becomes true the decoder stops reading, the frames in flight are
// encoded and the container is finished: a valid, shorter output; stats.interrupted says
// so. Errors: the first exception of any stage stops all of them and is rethrown from
// transcode(); the output is then removed (only a regular file cuframe created).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cuframe/decoder.hpp"
#include "cuframe/encoder.hpp"
#include "cuframe/input.hpp"
#include "cuframe/muxer.hpp"
#include "cuframe/ops.hpp"

namespace cuframe {

enum class PipelineMode { Stream, Resident, Live };
const char* to_string(PipelineMode) noexcept;  ///< "stream", "resident", "live"

struct TranscodeProgress {
  int64_t frames = 0;        ///< frames encoded so far
  int64_t total = -1;        ///< expected frames, -1 when unknown (pipes, live)
  double seconds = 0.0;      ///< since the start
};

struct TranscodeOptions {
  std::vector<Op> ops;
  PipelineMode mode = PipelineMode::Stream;
  /// Frames per chunk (stream mode; live mode uses 1). 0: the executor's default, 32 on
  /// the GPU and 8 on the CPU executor (Note [Stream memory]).
  int chunk = 0;
  /// Chunk slots in flight (at least 2). 0: the executor's default, 3 on the GPU and 2 on
  /// the CPU executor.
  int ring = 0;
  DecodeOptions decode;      ///< backend Auto: NVDEC when usable, else libavcodec
  /// Resident mode: decode sessions at once, each on a keyframe-aligned segment (Note
  /// [Segmented decode], engine/src/read/resident.cpp); 0 = one per decode engine (every
  /// NVDEC engine of the GPU, 2 on the CPU). Stream and live modes decode with one session.
  int decode_sessions = 0;
  EncodeOptions encode;      ///< codec, backend, rate control, ...
  MuxOptions mux;            ///< container (Auto: from the output's extension)
  bool copy_audio = true;    ///< copy audio streams unchanged (dropped with a notice when the container cannot hold them)
  Limits limits;             ///< input limits; memory_budget_bytes / max_resident_frames for resident mode
  bool trace = false;        ///< record TranscodeStats::timeline (Note [Pipeline trace])
  const std::atomic<bool>* cancel = nullptr;           ///< set to stop early (Ctrl-C)
  std::function<void(const TranscodeProgress&)> progress;  ///< called from the encode thread, at most every chunk
  std::function<void(const std::string&)> notice;          ///< human notices (fallbacks, dropped streams)
};

struct StageStats {
  std::string name;          ///< "decode", "ops", "encode"
  double busy_s = 0.0;       ///< time spent working (not waiting)
  int64_t chunks = 0;
};

/// Note [Pipeline trace]: with TranscodeOptions::trace, every stage records one span per
/// chunk: when it started and finished working on that chunk (waiting for a free slot or
/// for the previous stage is not counted), in seconds since the transcode started, on the
/// host clock. Where a stage's work runs on a CUDA stream, a second span with the stage
/// name plus " (gpu)" gives when the device ran it, from CUDA events. Spans of different
/// stages that cross in time are the overlap of Note [Pipeline stages] made visible;
/// `cuframe transcode --trace FILE` writes them in the Chrome trace format (Perfetto,
/// chrome://tracing).
struct StageSpan {
  std::string stage;         ///< "decode", "ops", "encode", "ops (gpu)"
  int64_t chunk = 0;         ///< 0, 1, 2, ... in decode order
  int frames = 0;
  double start_s = 0.0;
  double end_s = 0.0;
};

struct TranscodeStats {
  int64_t frames = 0;
  double seconds = 0.0;
  bool interrupted = false;
  std::string decoder;       ///< description of the decoder used
  int decode_sessions = 1;   ///< decode sessions that worked at once
  std::string encoder;       ///< description of the encoder used
  std::string encoder_fallback;  ///< why NVENC was not used ("" if it was, or not asked)
  std::vector<StageStats> stages;
  int64_t peak_host_bytes = 0;    ///< engine host buffers alive at once (frames, chains)
  int64_t peak_device_bytes = 0;  ///< engine device buffers alive at once
  std::vector<double> latency_ms; ///< live mode: per frame, packet read → packet written
  std::vector<StageSpan> timeline;///< with TranscodeOptions::trace (Note [Pipeline trace])
  int width = 0, height = 0;      ///< output frame size
  int ring_chunks = 0;            ///< stream and live modes: the ring's slots (0 in resident mode)
  int chunk_frames = 0;           ///< stream and live modes: frames per chunk
};

/// Note [Stream memory]: the bytes stream and live modes allocate for frames, in the
/// decoder's memory, before the first chunk is decoded: `ring` slots, each holding a
/// decoded chunk of `chunk` frames of `decoded` and the op chain's buffers
/// (planned_chain_bytes()). transcode() refuses with Errc::LimitExceeded, before opening
/// the output, when this is over Limits::memory_budget_bytes (0: the default budget of
/// cuframe/resident.hpp). Throws what layout_after() throws for ops that do not apply.
/// The defaults are the executor's (a CLI contract, docs/cli.md): frames in device memory
/// (the GPU) get chunks of 32 frames and a ring of 3, sized for kernel batches and for
/// decode, ops and encode to overlap; frames in host memory (the CPU executor) get chunks
/// of 8 and a ring of 2. On the CPU the stages share the cores with libavcodec's and the
/// encoder's own threads, so a deeper ring buys no speed, only memory: a 1080p NV12 ring
/// of 2 x 8 frames is about 50 MiB against 300 MiB for 3 x 32, which keeps a CPU
/// transcode's peak memory near the ffmpeg program's.
int64_t stream_memory_needed(const std::vector<Op>& ops, const FrameLayout& decoded, int chunk, int ring);

/// What a transcode of frames of `decoded` will produce and allocate, decided before
/// anything is opened or allocated (transcode() calls it once the decoder's layout is
/// known). Throws Errc::InvalidArgument for chunk/ring out of range or ops that do not
/// apply (layout_after), Errc::LimitExceeded for an ops result over options.limits
/// (max_width, max_height, max_pixels: a resize is no way around them) and for memory
/// over `budget_bytes`: stream and live modes' ring (Note [Stream memory]), or resident
/// mode's op buffers for all `frames` at once (the clip itself is ResidentClip's check).
/// `frame_memory` is where the decoder puts frames (MemoryKind::Device: the GPU path), which
/// chooses the default chunk and ring.
struct TranscodePlan {
  FrameLayout output;          ///< the encoder's frames
  int64_t frame_bytes = 0;     ///< what the plan allocates for frames (ring, or resident op buffers)
  int chunk = 0;               ///< stream and live modes: frames per chunk (0 in resident mode)
  int ring = 0;                ///< stream and live modes: chunk slots (0 in resident mode)
};
TranscodePlan plan_transcode(const TranscodeOptions& options, const FrameLayout& decoded, int64_t frames,
                             int64_t budget_bytes, MemoryKind frame_memory);

/// Transcodes `input` into `output` (a path, or "-" for stdout). Throws cuframe::Error.
TranscodeStats transcode(const InputSource& input, const std::string& output, const TranscodeOptions& options);

/// Same, into memory: the container's bytes (options.mux.format must be set).
TranscodeStats transcode_to_memory(const InputSource& input, std::vector<std::byte>& bytes,
                                   const TranscodeOptions& options);

}  // namespace cuframe
