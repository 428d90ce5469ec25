// Stream and live modes: a ring of chunk slots through three stage threads (Note
// [Pipeline stages] in cuframe/pipeline.hpp).
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "cuframe/decoder.hpp"
#include "cuframe/demuxer.hpp"
#include "cuframe/error.hpp"
#include "cuframe/log.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/run.hpp"
#include "pipeline/stage_queue.hpp"

namespace cuframe::detail {

namespace {

// Frames the input should hold, -1 when unknown.
int64_t expected_frames(const InputSource& input, const VideoStreamInfo& v) {
  if (input.kind() == InputSource::Kind::Stdin && v.frames <= 0) return -1;
  if (v.frames > 0) return v.frames;
  return v.duration_s > 0 && v.fps.value() > 0 ? static_cast<int64_t>(v.duration_s * v.fps.value() + 0.5) : -1;
}

// The input of stream and live modes: one demuxer, one decoder session.
class StreamInput {
 public:
  explicit StreamInput(Run& run) : run_(run) {}

  // Opens both and decodes up to the first frame, so that the decoder's layout is known.
  void open();
  // Decodes into `b` until it is full, the stream ends or the run is cancelled.
  void fill(FrameBatch& b);
  void drain_audio() {
    if (demux_) run_.output.copy_audio(*demux_);
  }
  bool input_done() const { return input_done_; }
  Decoder& decoder() { return *decoder_; }
  const Demuxer& demuxer() const { return *demux_; }

 private:
  void feed();

  Run& run_;
  std::optional<Demuxer> demux_;
  std::unique_ptr<Decoder> decoder_;
  std::optional<CudaStream> stream_;  // NVDEC copies decoded frames on it
  Packet packet_;
  bool input_done_ = false;
};

void StreamInput::open() {
  const TranscodeOptions& options = run_.options;
  DemuxOptions d;
  d.limits = options.limits;
  d.keep_audio = options.copy_audio;
  demux_.emplace(run_.input, d);
  DecodeOptions dec = options.decode;
  dec.limits = options.limits;
  if (run_.live() && dec.threads == 0) dec.threads = 1;  // frame threads would hold frames back
  decoder_ = open_decoder(*demux_, dec);
  while (!decoder_->frame_ready() && !decoder_->finished()) feed();
  if (!decoder_->frame_ready())
    throw Error(Errc::InvalidData, run_.input.name(), "the video stream has no decodable frame");
  run_.frame_memory = decoder_->backend() == Backend::Nvdec ? MemoryKind::Device : MemoryKind::Host;
  if (run_.frame_memory == MemoryKind::Device) stream_.emplace(dec.device);
  run_.stats.decoder = decoder_->description();
  run_.total = expected_frames(run_.input, demux_->video());
}

// One packet into the decoder (or the end of stream).
void StreamInput::feed() {
  if (input_done_) throw Error(Errc::Internal, run_.input.name(), "decoder stalled after the end of the stream");
  if (demux_->read(packet_)) {
    if (run_.live()) run_.output.latency().read(packet_.pts());
    decoder_->send(&packet_);
  } else {
    input_done_ = true;
    decoder_->send(nullptr);
  }
}

void StreamInput::fill(FrameBatch& b) {
  b.resize(0);
  while (b.size() < b.capacity() && !run_.cancelled()) {
    if (decoder_->frame_ready()) {
      decoder_->receive(b, stream_ ? &*stream_ : nullptr);
      continue;
    }
    if (decoder_->finished()) break;
    feed();
    drain_audio();
  }
  // NVDEC's copies into the chunk: one wait per chunk, on the decode thread, never inside
  // a decoder callback (Note [NVDEC flow]).
  if (stream_) stream_->synchronize();
  drain_audio();
}

// The slots and the queues that pass them on: free -> decode -> ops -> encode -> free.
struct Ring {
  explicit Ring(std::size_t depth) : slots(depth), free_q(depth), ops_q(depth), enc_q(depth) {}
  void stop_all() {
    free_q.close();
    ops_q.close();
    enc_q.close();
  }

  std::vector<Slot> slots;
  BoundedQueue<Slot*> free_q, ops_q, enc_q;
  Failure failure;
};

void make_events(const Run& run, Slot& s) {
  if (!run.ops_stream) return;
  const int device = run.options.decode.device;
  s.ops_done.emplace(device, run.options.trace);
  s.released.emplace(device);
  if (run.options.trace) s.ops_begin.emplace(device, true);
}

// Every slot's buffers, before the first chunk (Note [Stream memory]).
void allocate_slots(const Run& run, Ring& ring, const FrameLayout& decoded, int chunk) {
  const TranscodeOptions& options = run.options;
  for (Slot& s : ring.slots) {
    s.decoded = FrameBatch(decoded, chunk, run.frame_memory, options.decode.device);
    if (!options.ops.empty()) s.chain.emplace(options.ops, decoded, chunk, run.frame_memory, options.decode.device);
    make_events(run, s);
  }
  for (Slot& s : ring.slots) ring.free_q.push(&s);
}

void decode_stage(Run& run, StreamInput& in, Ring& ring, StageStats& st) {
  try {
    run.bind_thread();
    int64_t next_chunk = 0;
    while (!ring.failure.failed()) {
      if (run.cancelled()) {
        run.stats.interrupted = true;
        break;
      }
      std::optional<Slot*> s = ring.free_q.pop();
      if (!s) break;
      Slot& slot = **s;
      if (slot.release_pending) {
        slot.released->synchronize();  // the encoder's reads of this slot (Note [Pipeline events])
        slot.release_pending = false;
      }
      const auto t0 = Clock::now();
      in.fill(slot.decoded);
      st.busy_s += since(t0);
      if (slot.decoded.size() == 0) break;
      slot.chunk = next_chunk++;
      run.trace.span("decode", slot.chunk, slot.decoded.size(), t0);
      ++st.chunks;
      if (!ring.ops_q.push(&slot)) break;
    }
    if (run.cancelled() && !in.input_done()) run.stats.interrupted = true;  // read on this thread's join
  } catch (...) {
    ring.failure.set(std::current_exception());
    ring.stop_all();
  }
  ring.ops_q.close();
}

void ops_stage(Run& run, Ring& ring, StageStats& st) {
  try {
    run.bind_thread();
    for (;;) {
      std::optional<Slot*> s = ring.ops_q.pop();
      if (!s) break;
      const auto t0 = Clock::now();
      Slot& slot = **s;
      if (slot.ops_begin) slot.ops_begin->record(*run.ops_stream);
      slot.result = slot.chain ? &slot.chain->run(slot.decoded, run.ops_stream ? &*run.ops_stream : nullptr)
                               : &slot.decoded;
      if (slot.ops_done) slot.ops_done->record(*run.ops_stream);  // the hand-off (Note [Pipeline events])
      run.trace.span("ops", slot.chunk, slot.decoded.size(), t0);
      st.busy_s += since(t0);
      ++st.chunks;
      if (!ring.enc_q.push(&slot)) break;
    }
  } catch (...) {
    ring.failure.set(std::current_exception());
    ring.stop_all();
  }
  ring.enc_q.close();
}

// Encode (and mux); runs on the thread that joins the others.
void encode_stage(Run& run, Ring& ring, StageStats& st) {
  try {
    run.bind_thread();
    for (;;) {
      std::optional<Slot*> s = ring.enc_q.pop();
      if (!s) break;
      const auto t0 = Clock::now();
      Slot& slot = **s;
      run.encode(slot);
      run.sample_memory();
      run.trace.span("encode", slot.chunk, slot.result->size(), t0);
      st.busy_s += since(t0);
      ++st.chunks;
      if (!ring.free_q.push(&slot)) break;
    }
  } catch (...) {
    ring.failure.set(std::current_exception());
    ring.stop_all();
  }
}

}  // namespace

void run_stream(Run& run) {
  StreamInput in(run);
  in.open();
  const FrameLayout decoded = in.decoder().layout();
  const int64_t budget = memory_budget(run.options, run.frame_memory);
  // refusals before the output exists; the ring's size is the executor's (Note [Stream memory])
  const TranscodePlan plan = plan_transcode(run.options, decoded, run.total, budget, run.frame_memory);
  run.stats.ring_chunks = plan.ring;
  run.stats.chunk_frames = plan.chunk;
  log(Verbosity::Info, "%s: stream: a ring of %d chunks of %d frames (%s memory), %lld MiB of frames and op buffers",
      run.input.name().c_str(), plan.ring, plan.chunk, run.frame_memory == MemoryKind::Device ? "device" : "host",
      static_cast<long long>((plan.frame_bytes + (1 << 20) - 1) >> 20));
  run.output.plan(decoded, in.demuxer().video());
  // The encoder is given the frames of the slots' buffers only (decoded, op results or
  // staging), over and over.
  run.output.open(&in.demuxer(), run.options.copy_audio, plan.ring * plan.chunk);
  run.make_streams();
  Ring ring(static_cast<std::size_t>(plan.ring));
  allocate_slots(run, ring, decoded, plan.chunk);
  StageStats st_dec{"decode", 0, 0}, st_ops{"ops", 0, 0}, st_enc{"encode", 0, 0};
  std::thread dec_thread([&] { decode_stage(run, in, ring, st_dec); });
  std::thread ops_thread([&] { ops_stage(run, ring, st_ops); });
  encode_stage(run, ring, st_enc);
  ring.stop_all();
  dec_thread.join();
  ops_thread.join();
  ring.failure.rethrow();
  const auto t0 = Clock::now();
  run.output.encoder().flush();
  run.output.write_packets();
  in.drain_audio();
  st_enc.busy_s += since(t0);
  run.stats.stages = {st_dec, st_ops, st_enc};
}

}  // namespace cuframe::detail
