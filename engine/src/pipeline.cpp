// The transcode pipeline (Note [Pipeline stages] in cuframe/pipeline.hpp).
#include "cuframe/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/error.hpp"
#include "cuframe/log.hpp"
#include "cuframe/op_chain.hpp"
#include "cuframe/resident.hpp"

namespace cuframe {

const char* to_string(PipelineMode m) noexcept {
  switch (m) {
    case PipelineMode::Stream: return "stream";
    case PipelineMode::Resident: return "resident";
    case PipelineMode::Live: return "live";
  }
  return "stream";
}

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A closable FIFO with a fixed capacity: push() waits while full, pop() while empty.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}
  bool push(T v) {
    std::unique_lock<std::mutex> hold(m_);
    not_full_.wait(hold, [&] { return closed_ || q_.size() < capacity_; });
    if (closed_) return false;
    q_.push_back(std::move(v));
    not_empty_.notify_one();
    return true;
  }
  std::optional<T> pop() {
    std::unique_lock<std::mutex> hold(m_);
    not_empty_.wait(hold, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return std::nullopt;
    T v = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return v;
  }
  /// Consumers still get what is queued; producers are refused.
  void close() {
    std::lock_guard<std::mutex> hold(m_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  size_t capacity_;
  std::deque<T> q_;
  bool closed_ = false;
  std::mutex m_;
  std::condition_variable not_empty_, not_full_;
};

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

class Failure {
 public:
  void set(std::exception_ptr e) {
    std::lock_guard<std::mutex> hold(m_);
    if (!first_) first_ = std::move(e);
    failed_ = true;
  }
  bool failed() const { return failed_.load(); }
  void rethrow() {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::mutex m_;
  std::exception_ptr first_;
  std::atomic<bool> failed_{false};
};

struct Run {
  const InputSource& input;
  const TranscodeOptions& options;
  Muxer& mux;
  TranscodeStats stats;
  Clock::time_point start = Clock::now();
  std::optional<Demuxer> demux;
  std::unique_ptr<Decoder> decoder;
  std::unique_ptr<Encoder> encoder;
  EncodeParams params;
  MemoryKind frame_memory = MemoryKind::Host;
  int64_t total = -1;
  int64_t encoded = 0;
  int64_t last_pts = kNoTimestamp;
  int64_t frame_duration = 1;
  Rational stream_tb{1, 90000};  // of the decoded frames' pts
  Packet packet, audio_packet, out_packet;
  bool input_done = false;
  // Live latency: packet pts -> when it was read.
  std::mutex latency_lock;
  std::map<int64_t, Clock::time_point> read_at;
  std::optional<CudaStream> ops_stream, encode_stream;
  // Note [Pipeline trace].
  std::mutex trace_lock;
  std::optional<CudaEvent> gpu_origin;  // recorded when the GPU streams start
  double gpu_origin_s = 0.0;            // host time of gpu_origin

  Run(const InputSource& in, const TranscodeOptions& o, Muxer& m) : input(in), options(o), mux(m) {}

  void span(const char* stage, int64_t chunk, int frames, Clock::time_point t0) {
    if (!options.trace) return;
    const double a = std::chrono::duration<double>(t0 - start).count();
    const double b = since(start);
    std::lock_guard<std::mutex> hold(trace_lock);
    stats.timeline.push_back({stage, chunk, frames, a, b});
  }

  // The device-side span of a slot's ops (Note [Pipeline trace]); its events are done.
  void gpu_span(const Slot& slot, int frames) {
    if (!options.trace || !gpu_origin || !slot.ops_begin) return;
    slot.ops_done->synchronize();
    const double a = gpu_origin_s + slot.ops_begin->elapsed_ms_since(*gpu_origin) / 1000.0;
    const double b = gpu_origin_s + slot.ops_done->elapsed_ms_since(*gpu_origin) / 1000.0;
    std::lock_guard<std::mutex> hold(trace_lock);
    stats.timeline.push_back({"ops (gpu)", slot.chunk, frames, a, b});
  }

  bool live() const { return options.mode == PipelineMode::Live; }
  bool cancelled() const { return options.cancel && options.cancel->load(); }
  void notice(const std::string& s) const {
    if (options.notice) options.notice(s);
  }

  void drain_audio() {
    if (!demux) return;
    while (demux->read_audio(audio_packet)) mux.write_copy(audio_packet);
  }

  // One packet into the decoder (or the end of stream).
  void feed() {
    if (input_done) throw Error(Errc::Internal, input.name(), "decoder stalled after the end of the stream");
    if (demux->read(packet)) {
      if (live()) {
        std::lock_guard<std::mutex> hold(latency_lock);
        read_at.emplace(packet.pts(), Clock::now());
      }
      decoder->send(&packet);
    } else {
      input_done = true;
      decoder->send(nullptr);
    }
  }

  void open_input() {
    DemuxOptions d;
    d.limits = options.limits;
    d.keep_audio = options.copy_audio && options.mode != PipelineMode::Resident;
    demux.emplace(input, d);
    DecodeOptions dec = options.decode;
    dec.limits = options.limits;
    if (live() && dec.threads == 0) dec.threads = 1;  // frame threads would hold frames back
    decoder = open_decoder(*demux, dec);
    while (!decoder->frame_ready() && !decoder->finished()) feed();
    if (!decoder->frame_ready())
      throw Error(Errc::InvalidData, input.name(), "the video stream has no decodable frame");
    frame_memory = decoder->backend() == Backend::Nvdec ? MemoryKind::Device : MemoryKind::Host;
    stats.decoder = decoder->description();
    const VideoStreamInfo& v = demux->video();
    total = v.frames > 0 ? v.frames
                         : (v.duration_s > 0 && v.fps.value() > 0 ? static_cast<int64_t>(v.duration_s * v.fps.value() + 0.5) : -1);
    if (input.kind() == InputSource::Kind::Stdin && v.frames <= 0) total = -1;
  }

  void plan_output(const FrameLayout& decoded, const VideoStreamInfo& v) {
    const FrameLayout out = layout_after(options.ops, decoded);
    params.width = out.width;
    params.height = out.height;
    params.format = out.format;
    params.bit_depth = out.format == PixelFormat::NV12 || out.format == PixelFormat::YUV444P ? 8 : v.bit_depth;
    params.color = v.color;
    params.time_base = v.time_base.num > 0 ? v.time_base : Rational{1, 90000};
    stream_tb = params.time_base;
    // Raw Annex-B keeps no timestamps: the encoder counts frames (1/fps), so that the
    // stream's timing information says the frame rate, as the ffmpeg program writes it.
    const bool raw = mux.format() == ContainerFormat::H264 || mux.format() == ContainerFormat::Hevc;
    if (raw && v.fps.num > 0 && v.fps.den > 0) params.time_base = Rational{v.fps.den, v.fps.num};
    params.frame_rate = v.fps;
    params.sar = v.sar;
    params.global_header = wants_global_header(mux.format());
    stats.width = out.width;
    stats.height = out.height;
    if (v.fps.num > 0 && v.fps.den > 0) {
      // One frame in the stream's time base, for streams whose frames lack timestamps.
      const double d = static_cast<double>(params.time_base.den) * v.fps.den /
                       (static_cast<double>(params.time_base.num) * v.fps.num);
      frame_duration = std::max<int64_t>(1, static_cast<int64_t>(d + 0.5));
    }
  }

  void open_encoder_and_output(const VideoStreamInfo& v, const Demuxer* source, bool audio_available) {
    EncodeOptions e = options.encode;
    if (live()) e.low_latency = true;
    if (std::string problem = validate_encode_options(params, e); !problem.empty())
      throw Error(Errc::InvalidArgument, mux.name(), problem);
    encoder = open_encoder(params, e);
    stats.encoder = encoder->description();
    stats.encoder_fallback = encoder->fallback_reason();
    mux.add_video(*encoder, params, e.codec, source);
    if (source && audio_available) {
      const bool raw = mux.format() == ContainerFormat::H264 || mux.format() == ContainerFormat::Hevc;
      for (int index : source->audio_streams()) {
        if (raw) {
          notice(std::string("audio stream ") + std::to_string(index) + " dropped: a raw " + to_string(mux.format()) +
                 " output holds video only");
          continue;
        }
        mux.add_copy(*source, index);
      }
    }
    (void)v;
    mux.begin();
  }

  // The encoder's input for a chunk: the ops' result, staged into the encoder's memory
  // (Note [Pipeline events]).
  const FrameBatch& encoder_input(Slot& s) {
    FrameBatch& r = *s.result;
    const bool wants_device = encoder->backend() == EncoderBackend::Nvenc;
    const bool on_device = r.memory() == MemoryKind::Device;
    if (s.ops_done && encode_stream) s.ops_done->wait_on(*encode_stream);
    if (wants_device == on_device) return r;
    if (!s.staging)
      s.staging.emplace(r.layout(), r.capacity(), wants_device ? MemoryKind::Device : MemoryKind::Pinned,
                        options.decode.device);
    FrameBatch& st = *s.staging;
    st.resize(r.size());
    encode_stream->copy_async(st.data(), r.data(), r.layout().frame_stride * static_cast<size_t>(r.size()));
    if (!wants_device) encode_stream->synchronize();  // the CPU encoder reads the host copy next
    for (int i = 0; i < r.size(); ++i) st.info(i) = r.info(i);
    st.color = r.color;
    st.time_base = r.time_base;
    return st;
  }

  void fix_timestamps(FrameBatch& b) {
    for (int i = 0; i < b.size(); ++i) {
      FrameInfo& f = b.info(i);
      if (f.pts != kNoTimestamp && !(stream_tb == params.time_base)) {
        const long double t = static_cast<long double>(f.pts) * stream_tb.num * params.time_base.den /
                              (static_cast<long double>(stream_tb.den) * params.time_base.num);
        f.pts = static_cast<int64_t>(std::llround(t));
        f.duration = 0;
      }
      if (f.pts == kNoTimestamp || (last_pts != kNoTimestamp && f.pts <= last_pts))
        f.pts = last_pts == kNoTimestamp ? 0 : last_pts + frame_duration;
      last_pts = f.pts;
    }
  }

  void write_packets() {
    while (encoder->receive(out_packet)) {
      const int64_t pts = out_packet.pts();
      mux.write_video(out_packet);
      if (live()) {
        std::lock_guard<std::mutex> hold(latency_lock);
        auto it = read_at.find(pts);
        if (it != read_at.end()) {
          stats.latency_ms.push_back(1000.0 * std::chrono::duration<double>(Clock::now() - it->second).count());
          read_at.erase(read_at.begin(), std::next(it));
        }
      }
    }
  }

  void encode(Slot& s) {
    FrameBatch& r = *s.result;
    fix_timestamps(r);
    const FrameBatch& in = encoder_input(s);
    encoder->send(in, encode_stream ? &*encode_stream : nullptr);
    if (s.released) {
      s.released->record(*encode_stream);
      s.release_pending = true;
    }
    gpu_span(s, r.size());
    write_packets();
    encoded += r.size();
    if (options.progress) options.progress({encoded, total, since(start)});
  }

  void sample_memory() {
    const AllocationStats a = allocation_stats();
    stats.peak_host_bytes = std::max(stats.peak_host_bytes, a.live_host_bytes);
    stats.peak_device_bytes = std::max(stats.peak_device_bytes, a.live_device_bytes);
  }

  void make_streams() {
    if (frame_memory == MemoryKind::Device || encoder->backend() == EncoderBackend::Nvenc) {
      ops_stream.emplace(options.decode.device);
      encode_stream.emplace(options.decode.device);
      if (options.trace) {
        // One wait at the start puts the device's clock on the host's (Note [Pipeline trace]).
        gpu_origin.emplace(options.decode.device, /*timing=*/true);
        gpu_origin->record(*ops_stream);
        gpu_origin->synchronize();
        gpu_origin_s = since(start);
      }
    }
  }

  void make_events(Slot& s) const {
    if (!ops_stream) return;
    const int device = options.decode.device;
    s.ops_done.emplace(device, options.trace);
    s.released.emplace(device);
    if (options.trace) s.ops_begin.emplace(device, true);
  }

  int64_t budget() const {
    return options.limits.memory_budget_bytes > 0 ? options.limits.memory_budget_bytes
                                                  : default_memory_budget(frame_memory, options.decode.device);
  }

  // ------------------------------------------------------------------ stream / live
  void run_stream() {
    open_input();
    const FrameLayout decoded = decoder->layout();
    const int chunk = live() ? 1 : options.chunk;
    const int ring = std::max(2, options.ring);
    plan_transcode(options, decoded, total, budget());  // refusals before the output exists
    plan_output(decoded, demux->video());
    open_encoder_and_output(demux->video(), &*demux, options.copy_audio);
    make_streams();
    std::vector<Slot> slots(static_cast<size_t>(ring));
    for (Slot& s : slots) {
      s.decoded = FrameBatch(decoded, chunk, frame_memory, options.decode.device);
      if (!options.ops.empty()) s.chain.emplace(options.ops, decoded, chunk, frame_memory, options.decode.device);
      make_events(s);
    }
    int64_t next_chunk = 0;
    BoundedQueue<Slot*> free_q(slots.size()), ops_q(slots.size()), enc_q(slots.size());
    for (Slot& s : slots) free_q.push(&s);
    Failure failure;
    StageStats st_dec{"decode", 0, 0}, st_ops{"ops", 0, 0}, st_enc{"encode", 0, 0};
    auto stop_all = [&] {
      free_q.close();
      ops_q.close();
      enc_q.close();
    };

    std::thread dec_thread([&] {
      try {
        while (!failure.failed()) {
          if (cancelled()) {
            stats.interrupted = true;
            break;
          }
          std::optional<Slot*> s = free_q.pop();
          if (!s) break;
          if ((*s)->release_pending) {
            (*s)->released->synchronize();  // the encoder's reads of this slot (Note [Pipeline events])
            (*s)->release_pending = false;
          }
          const auto t0 = Clock::now();
          FrameBatch& b = (*s)->decoded;
          b.resize(0);
          while (b.size() < b.capacity() && !cancelled()) {
            if (decoder->frame_ready()) {
              decoder->receive(b);
              continue;
            }
            if (decoder->finished()) break;
            feed();
            drain_audio();
          }
          drain_audio();
          st_dec.busy_s += since(t0);
          if (b.size() == 0) break;
          (*s)->chunk = next_chunk++;
          span("decode", (*s)->chunk, b.size(), t0);
          ++st_dec.chunks;
          if (!ops_q.push(*s)) break;
        }
        if (cancelled() && !input_done) stats.interrupted = true;  // read on this thread's join
      } catch (...) {
        failure.set(std::current_exception());
        stop_all();
      }
      ops_q.close();
    });

    std::thread ops_thread([&] {
      try {
        for (;;) {
          std::optional<Slot*> s = ops_q.pop();
          if (!s) break;
          const auto t0 = Clock::now();
          Slot& slot = **s;
          if (slot.ops_begin) slot.ops_begin->record(*ops_stream);
          slot.result = slot.chain ? &slot.chain->run(slot.decoded, ops_stream ? &*ops_stream : nullptr)
                                   : &slot.decoded;
          if (slot.ops_done) slot.ops_done->record(*ops_stream);  // the hand-off (Note [Pipeline events])
          span("ops", slot.chunk, slot.decoded.size(), t0);
          st_ops.busy_s += since(t0);
          ++st_ops.chunks;
          if (!enc_q.push(*s)) break;
        }
      } catch (...) {
        failure.set(std::current_exception());
        stop_all();
      }
      enc_q.close();
    });

    // Encode (and mux) on this thread.
    try {
      for (;;) {
        std::optional<Slot*> s = enc_q.pop();
        if (!s) break;
        const auto t0 = Clock::now();
        encode(**s);
        sample_memory();
        span("encode", (*s)->chunk, (*s)->result->size(), t0);
        st_enc.busy_s += since(t0);
        ++st_enc.chunks;
        if (!free_q.push(*s)) break;
      }
    } catch (...) {
      failure.set(std::current_exception());
      stop_all();
    }
    stop_all();
    dec_thread.join();
    ops_thread.join();
    failure.rethrow();
    const auto t0 = Clock::now();
    encoder->flush();
    write_packets();
    drain_audio();
    st_enc.busy_s += since(t0);
    stats.stages = {st_dec, st_ops, st_enc};
  }

  // ------------------------------------------------------------------------ resident
  void run_resident() {
    ResidentOptions ro;
    ro.decode = options.decode;
    ro.demux.limits = options.limits;
    ro.sessions = options.decode_sessions;
    ro.before_allocating = [&](const FrameLayout& layout, int64_t frames, int64_t budget_left) {
      plan_transcode(options, layout, frames, budget_left);  // the op buffers too, before the clip is allocated
    };
    const auto t_dec = Clock::now();
    ResidentClip clip = ResidentClip::load(input, ro);
    const double dec_s = since(t_dec);
    span("decode", 0, static_cast<int>(clip.size()), t_dec);
    stats.decoder = clip.decoder_description();
    stats.decode_sessions = clip.sessions_used();
    if (clip.size() == 0) throw Error(Errc::InvalidData, input.name(), "the video stream has no decodable frame");
    FrameBatch& frames = clip.frames();
    frame_memory = frames.memory();
    total = clip.size();
    // Audio comes from a second pass over the container (the clip keeps video only).
    std::optional<Demuxer> audio_source;
    const bool has_audio = options.copy_audio && !clip.info().audio.empty();
    if (has_audio) {
      if (input.kind() == InputSource::Kind::Stdin)
        throw Error(Errc::Unsupported, input.name(),
                    "resident mode reads standard input once and cannot copy its audio: pass --no-audio or "
                    "--mode stream");
      DemuxOptions d;
      d.limits = options.limits;
      d.keep_audio = true;
      audio_source.emplace(input, d);
    }
    plan_output(frames.layout(), clip.info().video);
    open_encoder_and_output(clip.info().video, audio_source ? &*audio_source : nullptr, has_audio);
    make_streams();
    const auto t_ops = Clock::now();
    std::optional<OpChain> chain;
    FrameBatch* result = &frames;
    if (!options.ops.empty()) {
      chain.emplace(options.ops, frames.layout(), frames.capacity(), frame_memory, options.decode.device);
      result = &chain->run(frames, ops_stream ? &*ops_stream : nullptr);
      if (ops_stream) ops_stream->synchronize();
    }
    const double ops_s = since(t_ops);
    if (chain) span("ops", 0, static_cast<int>(result->size()), t_ops);
    sample_memory();
    const auto t_enc = Clock::now();
    const int chunk = std::max(1, options.chunk);
    Slot slot;
    for (int64_t i = 0; i < result->size(); i += chunk) {
      if (cancelled()) {
        stats.interrupted = true;
        break;
      }
      FrameBatch view = result->view(static_cast<int>(i), static_cast<int>(std::min<int64_t>(chunk, result->size() - i)));
      view.color = result->color;
      view.time_base = result->time_base;
      slot.result = &view;
      slot.chunk = i / chunk;
      const auto t0 = Clock::now();
      encode(slot);
      span("encode", slot.chunk, view.size(), t0);
      if (audio_source) {
        // Audio up to the video written so far keeps the muxer's interleaving queue short.
        while (audio_source->read(packet)) {
          drain_audio_from(*audio_source);
          if (packet.pts() != kNoTimestamp && packet.pts() >= last_pts) break;
        }
      }
    }
    encoder->flush();
    write_packets();
    if (audio_source) {
      while (audio_source->read(packet)) drain_audio_from(*audio_source);
      drain_audio_from(*audio_source);
    }
    stats.stages = {{"decode", dec_s, 1}, {"ops", ops_s, 1}, {"encode", since(t_enc), 1}};
  }

  void drain_audio_from(Demuxer& d) {
    while (d.read_audio(audio_packet)) mux.write_copy(audio_packet);
  }
};

}  // namespace

int64_t stream_memory_needed(const std::vector<Op>& ops, const FrameLayout& decoded, int chunk, int ring) {
  const auto c = static_cast<int64_t>(std::max(chunk, 1));
  const int64_t per_slot = static_cast<int64_t>(decoded.frame_stride) * c +
                           static_cast<int64_t>(planned_chain_bytes(ops, decoded, static_cast<int>(c)));
  return per_slot * std::max(ring, 2);
}

namespace {
void check_chunk_and_ring(const TranscodeOptions& options) {
  if (options.chunk < 1 || options.chunk > 4096)
    throw Error(Errc::InvalidArgument, "--chunk " + std::to_string(options.chunk), "chunk size must be 1..4096 frames");
  if (options.ring < 1 || options.ring > 64)
    throw Error(Errc::InvalidArgument, "ring " + std::to_string(options.ring), "ring depth must be 1..64 chunks");
}
}  // namespace

TranscodePlan plan_transcode(const TranscodeOptions& options, const FrameLayout& decoded, int64_t frames,
                             int64_t budget_bytes) {
  check_chunk_and_ring(options);
  TranscodePlan plan;
  plan.output = layout_after(options.ops, decoded);
  const Limits& lim = options.limits;
  const FrameLayout& o = plan.output;
  const int64_t pixels = int64_t{o.width} * o.height;
  if (o.width > lim.max_width || o.height > lim.max_height || pixels > lim.max_pixels)
    throw Error(Errc::LimitExceeded, "--ops",
                "the ops make " + std::to_string(o.width) + "x" + std::to_string(o.height) +
                    " frames, over the limits (max_width " + std::to_string(lim.max_width) + ", max_height " +
                    std::to_string(lim.max_height) + ", max_pixels " + std::to_string(lim.max_pixels) + ")");
  const auto mib = [](int64_t b) { return std::to_string((std::max<int64_t>(b, 0) + (1 << 20) - 1) >> 20) + " MiB"; };
  if (options.mode == PipelineMode::Resident) {
    const int capacity = static_cast<int>(std::clamp<int64_t>(frames, 1, lim.max_resident_frames));
    plan.frame_bytes = static_cast<int64_t>(planned_chain_bytes(options.ops, decoded, capacity));
    if (plan.frame_bytes > budget_bytes)
      throw Error(Errc::LimitExceeded, "--ops",
                  "resident mode needs " + mib(plan.frame_bytes) + " for the ops' buffers of all " +
                      std::to_string(capacity) + " frames beside the clip, more than the " + mib(budget_bytes) +
                      " left of the memory budget: use --mode stream");
    return plan;
  }
  const int chunk = options.mode == PipelineMode::Live ? 1 : options.chunk;
  const int ring = std::max(2, options.ring);
  plan.frame_bytes = stream_memory_needed(options.ops, decoded, chunk, ring);
  if (plan.frame_bytes > budget_bytes)
    throw Error(Errc::LimitExceeded, "--chunk " + std::to_string(chunk),
                "stream mode needs " + mib(plan.frame_bytes) + " for its ring of " + std::to_string(ring) + " chunks of " +
                    std::to_string(chunk) + " frames of " + std::to_string(decoded.width) + "x" +
                    std::to_string(decoded.height) + " " + to_string(decoded.format) +
                    " (with the ops' buffers), more than the memory budget of " + mib(budget_bytes) +
                    ": use a smaller --chunk");
  return plan;
}

namespace {

TranscodeStats run_pipeline(const InputSource& input, Muxer& mux, const TranscodeOptions& options) {
  check_chunk_and_ring(options);
  Run run(input, options, mux);
  if (options.mode == PipelineMode::Resident) {
    run.run_resident();
  } else {
    run.run_stream();
  }
  mux.finish();
  run.stats.frames = run.encoded;
  run.stats.seconds = since(run.start);
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
