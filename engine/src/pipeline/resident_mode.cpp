// Resident mode: the whole video decoded into one allocation, the ops over all of it as
// one batch, then every frame encoded (cuframe/pipeline.hpp, cuframe/resident.hpp).
#include <algorithm>
#include <optional>

#include "cuframe/demuxer.hpp"
#include "cuframe/error.hpp"
#include "cuframe/resident.hpp"
#include "pipeline/run.hpp"

namespace cuframe::detail {

namespace {

ResidentClip load_clip(Run& run) {
  const TranscodeOptions& options = run.options;
  ResidentOptions ro;
  ro.decode = options.decode;
  ro.demux.limits = options.limits;
  ro.sessions = options.decode_sessions;
  ro.before_allocating = [&](const FrameLayout& layout, int64_t frames, int64_t budget_left) {
    // the op buffers too, before the clip is allocated (no ring: the memory kind chooses nothing)
    plan_transcode(options, layout, frames, budget_left, MemoryKind::Host);
  };
  const auto t_dec = Clock::now();
  ResidentClip clip = ResidentClip::load(run.input, ro);
  run.stats.stages.push_back({"decode", since(t_dec), 1});
  run.trace.span("decode", 0, static_cast<int>(clip.size()), t_dec);
  run.stats.decoder = clip.decoder_description();
  run.stats.decode_sessions = clip.sessions_used();
  if (clip.size() == 0) throw Error(Errc::InvalidData, run.input.name(), "the video stream has no decodable frame");
  return clip;
}

// Audio comes from a second pass over the container (the clip keeps video only).
void open_audio_source(const Run& run, std::optional<Demuxer>& audio_source) {
  if (run.input.kind() == InputSource::Kind::Stdin)
    throw Error(Errc::Unsupported, run.input.name(),
                "resident mode reads standard input once and cannot copy its audio: pass --no-audio or "
                "--mode stream");
  DemuxOptions d;
  d.limits = run.options.limits;
  d.keep_audio = true;
  audio_source.emplace(run.input, d);
}

// The ops over all frames at once; returns their result.
FrameBatch& run_ops(Run& run, FrameBatch& frames, std::optional<OpChain>& chain) {
  const TranscodeOptions& options = run.options;
  const auto t_ops = Clock::now();
  FrameBatch* result = &frames;
  if (!options.ops.empty()) {
    chain.emplace(options.ops, frames.layout(), frames.capacity(), run.frame_memory, options.decode.device);
    result = &chain->run(frames, run.ops_stream ? &*run.ops_stream : nullptr);
    if (run.ops_stream) run.ops_stream->synchronize();
  }
  run.stats.stages.push_back({"ops", since(t_ops), 1});
  if (chain) run.trace.span("ops", 0, static_cast<int>(result->size()), t_ops);
  return *result;
}

// Every frame of `result` to the encoder in chunks, with the audio of `audio_source`.
void encode_all(Run& run, FrameBatch& result, Demuxer* audio_source) {
  const auto t_enc = Clock::now();
  const int chunk = std::max(1, run.options.chunk);
  Packet packet;
  Slot slot;
  for (int64_t i = 0; i < result.size(); i += chunk) {
    if (run.cancelled()) {
      run.stats.interrupted = true;
      break;
    }
    FrameBatch view = result.view(static_cast<int>(i), static_cast<int>(std::min<int64_t>(chunk, result.size() - i)));
    view.color = result.color;
    view.time_base = result.time_base;
    slot.result = &view;
    slot.chunk = i / chunk;
    const auto t0 = Clock::now();
    run.encode(slot);
    run.trace.span("encode", slot.chunk, view.size(), t0);
    if (audio_source) {
      // Audio up to the video written so far keeps the muxer's interleaving queue short.
      while (audio_source->read(packet)) {
        run.output.copy_audio(*audio_source);
        if (packet.pts() != kNoTimestamp && packet.pts() >= run.output.last_pts()) break;
      }
    }
  }
  run.output.encoder().flush();
  run.output.write_packets();
  if (audio_source) {
    while (audio_source->read(packet)) run.output.copy_audio(*audio_source);
    run.output.copy_audio(*audio_source);
  }
  run.stats.stages.push_back({"encode", since(t_enc), 1});
}

}  // namespace

void run_resident(Run& run) {
  ResidentClip clip = load_clip(run);
  FrameBatch& frames = clip.frames();
  run.frame_memory = frames.memory();
  run.total = clip.size();
  std::optional<Demuxer> audio_source;
  const bool has_audio = run.options.copy_audio && !clip.info().audio.empty();
  if (has_audio) open_audio_source(run, audio_source);
  run.output.plan(frames.layout(), clip.info().video);
  // The encoder gets each frame of a device clip at its own address, those of a host clip
  // through one staging batch of a chunk (EncodeOptions::input_buffers).
  const int input_buffers = run.frame_memory == MemoryKind::Device ? 0 : std::max(1, run.options.chunk);
  run.output.open(audio_source ? &*audio_source : nullptr, has_audio, input_buffers);
  run.make_streams();
  std::optional<OpChain> chain;
  FrameBatch& result = run_ops(run, frames, chain);
  run.sample_memory();
  encode_all(run, result, audio_source ? &*audio_source : nullptr);
}

}  // namespace cuframe::detail
