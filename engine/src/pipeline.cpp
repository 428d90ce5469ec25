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
struct Slot {
  FrameBatch decoded;
  std::optional<OpChain> chain;
  std::optional<FrameBatch> staging;
  FrameBatch* result = nullptr;
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

  Run(const InputSource& in, const TranscodeOptions& o, Muxer& m) : input(in), options(o), mux(m) {}

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

  // The encoder's input for a chunk: the ops' result, staged into the encoder's memory.
  const FrameBatch& encoder_input(Slot& s) {
    FrameBatch& r = *s.result;
    const bool wants_device = encoder->backend() == EncoderBackend::Nvenc;
    const bool on_device = r.memory() == MemoryKind::Device;
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
    }
  }

  // ------------------------------------------------------------------ stream / live
  void run_stream() {
    open_input();
    const FrameLayout decoded = decoder->layout();
    plan_output(decoded, demux->video());
    open_encoder_and_output(demux->video(), &*demux, options.copy_audio);
    make_streams();
    const int chunk = live() ? 1 : options.chunk;
    const int ring = std::max(2, options.ring);
    std::vector<Slot> slots(static_cast<size_t>(ring));
    for (Slot& s : slots) {
      s.decoded = FrameBatch(decoded, chunk, frame_memory, options.decode.device);
      if (!options.ops.empty()) s.chain.emplace(options.ops, decoded, chunk, frame_memory, options.decode.device);
    }
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
          slot.result = slot.chain ? &slot.chain->run(slot.decoded, ops_stream ? &*ops_stream : nullptr)
                                   : &slot.decoded;
          if (ops_stream) ops_stream->synchronize();  // hand-off to the encode thread (Note [Pipeline stages])
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
    const auto t_dec = Clock::now();
    ResidentClip clip = ResidentClip::load(input, ro);
    const double dec_s = since(t_dec);
    stats.decoder = clip.decoder_description();
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
      encode(slot);
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

TranscodeStats run_pipeline(const InputSource& input, Muxer& mux, const TranscodeOptions& options) {
  if (options.chunk < 1 || options.chunk > 4096)
    throw Error(Errc::InvalidArgument, "--chunk " + std::to_string(options.chunk), "chunk size must be 1..4096 frames");
  if (options.ring < 1 || options.ring > 64)
    throw Error(Errc::InvalidArgument, "ring " + std::to_string(options.ring), "ring depth must be 1..64 chunks");
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
