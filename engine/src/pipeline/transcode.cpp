// The transcode pipeline (Note [Pipeline stages] in cuframe/pipeline.hpp): the public
// entry points and what both modes share of a run.
#include "cuframe/pipeline.hpp"

#include <algorithm>

#include "pipeline/plan.hpp"
#include "pipeline/run.hpp"

namespace cuframe {

const char* to_string(PipelineMode m) noexcept {
  switch (m) {
    case PipelineMode::Stream: return "stream";
    case PipelineMode::Resident: return "resident";
    case PipelineMode::Live: return "live";
  }
  return "stream";
}

namespace detail {

void Run::make_streams() {
  if (frame_memory == MemoryKind::Device || output.encoder().backend() == EncoderBackend::Nvenc) {
    ops_stream.emplace(options.decode.device);
    encode_stream.emplace(options.decode.device);
    trace.start_gpu(options.decode.device, *ops_stream);
  }
}

void Run::encode(Slot& s) {
  FrameBatch& r = *s.result;
  output.fix_timestamps(r);
  const CudaStream* stream = encode_stream ? &*encode_stream : nullptr;
  if (s.ops_done && stream) s.ops_done->wait_on(*stream);  // the ops' hand-off (Note [Pipeline events])
  const FrameBatch& in = output.encoder_input(r, s.staging, stream);
  output.encoder().send(in, stream);
  if (s.released) {
    s.released->record(*encode_stream);
    s.release_pending = true;
  }
  if (s.ops_begin) trace.gpu_span("ops (gpu)", s.chunk, r.size(), *s.ops_begin, *s.ops_done);
  output.write_packets();
  encoded += r.size();
  if (options.progress) options.progress({encoded, total, since(start)});
}

void Run::sample_memory() {
  const AllocationStats a = allocation_stats();
  stats.peak_host_bytes = std::max(stats.peak_host_bytes, a.live_host_bytes);
  stats.peak_device_bytes = std::max(stats.peak_device_bytes, a.live_device_bytes);
}

}  // namespace detail

namespace {

TranscodeStats run_pipeline(const InputSource& input, Muxer& mux, const TranscodeOptions& options) {
  detail::check_chunk_and_ring(options);
  detail::Run run(input, options, mux);
  if (options.mode == PipelineMode::Resident) {
    detail::run_resident(run);
  } else {
    detail::run_stream(run);
  }
  mux.finish();
  run.stats.frames = run.encoded;
  run.stats.seconds = detail::since(run.start);
  run.stats.timeline = run.trace.take();
  return run.stats;
}

MuxOptions live_mux(const TranscodeOptions& options) {
  MuxOptions m = options.mux;
  if (options.mode == PipelineMode::Live) m.flush_packets = true;
  return m;
}

}  // namespace

TranscodeStats transcode(const InputSource& input, const std::string& output, const TranscodeOptions& options) {
  Muxer mux(output, live_mux(options));
  return run_pipeline(input, mux, options);
}

TranscodeStats transcode_to_memory(const InputSource& input, std::vector<std::byte>& bytes,
                                   const TranscodeOptions& options) {
  Muxer mux = Muxer::memory(live_mux(options));
  TranscodeStats stats = run_pipeline(input, mux, options);
  bytes = mux.take_bytes();
  return stats;
}

}  // namespace cuframe
