// Internal: the state one transcode's stages share; stream_mode.cpp and resident_mode.cpp
// run the modes on it (Note [Pipeline stages] in cuframe/pipeline.hpp).
#pragma once

#include <cstdint>
#include <optional>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/frame.hpp"
#include "cuframe/input.hpp"
#include "cuframe/muxer.hpp"
#include "cuframe/op_chain.hpp"
#include "cuframe/pipeline.hpp"
#include "pipeline/output.hpp"
#include "pipeline/trace.hpp"

namespace cuframe::detail {

// One chunk in flight: its decoded frames, its op chain buffers and, where the encoder
// needs the frames in the other memory, a staging batch.
// Note [Pipeline events]: on the GPU path the stages hand a slot over with CUDA events,
// not by waiting on the host: the ops stage records `ops_done` after queueing its kernels,
// and the encode stage's stream waits for it on the device before NVENC (or the copy to
// host memory for a CPU encoder) reads the frames. The encode stage records `released`
// once its reads are queued; the decode stage waits for that event before the decoder
// writes into the slot again. The host waits only where a CPU library reads GPU results
// (the copy into pinned memory for libavcodec) and where a slot is reused.
struct Slot {
  FrameBatch decoded;
  std::optional<OpChain> chain;
  std::optional<FrameBatch> staging;
  FrameBatch* result = nullptr;
  int64_t chunk = 0;  // decode order
  std::optional<CudaEvent> ops_begin, ops_done, released;  // GPU path only
  bool release_pending = false;
};

struct Run {
  const InputSource& input;
  const TranscodeOptions& options;
  TranscodeStats stats;
  Clock::time_point start = Clock::now();
  Trace trace{options.trace, start};
  Output output;
  MemoryKind frame_memory = MemoryKind::Host;
  int64_t total = -1;  // expected frames, -1 when unknown
  int64_t encoded = 0;
  std::optional<CudaStream> ops_stream, encode_stream;

  Run(const InputSource& in, const TranscodeOptions& o, Muxer& mux) : input(in), options(o), output(o, mux, stats) {}

  bool live() const { return options.mode == PipelineMode::Live; }
  bool cancelled() const { return options.cancel && options.cancel->load(); }
  // Once the encoder is open: the streams of the GPU path, when frames or encoder are on it.
  void make_streams();
  // Makes the run's GPU current on the calling thread, when the run uses one: each
  // pipeline thread calls it first (use_device, GPU review item 14).
  void bind_thread() const {
    if (frame_memory == MemoryKind::Device || ops_stream || encode_stream) use_device(options.decode.device);
  }
  // One chunk's frames into the encoder and its packets into the muxer.
  void encode(Slot& s);
  void sample_memory();
};

void run_stream(Run& run);    // stream and live modes
void run_resident(Run& run);

}  // namespace cuframe::detail
