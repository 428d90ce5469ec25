// Internal: the output side of a transcode — encoder, muxer, copied audio, timestamps.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/demuxer.hpp"
#include "cuframe/encoder.hpp"
#include "cuframe/frame.hpp"
#include "cuframe/muxer.hpp"
#include "cuframe/pipeline.hpp"
#include "pipeline/trace.hpp"

namespace cuframe::detail {

// Live latency (TranscodeStats::latency_ms): when each packet was read, by pts, until its
// encoded packet is written. Read on the decode thread, written on the encode thread.
class LatencyLog {
 public:
  void read(int64_t pts);
  // The latency of the packet of `pts`, when it was read; forgets it and older ones.
  void written(int64_t pts, std::vector<double>& latency_ms);

 private:
  std::mutex m_;
  std::map<int64_t, Clock::time_point> read_at_;
};

// The encoder and the muxer of one transcode. plan(), then open(), then frames and packets.
class Output {
 public:
  Output(const TranscodeOptions& options, Muxer& mux, TranscodeStats& stats)
      : options_(options), mux_(mux), stats_(stats) {}

  // The encoder's parameters for frames of `decoded` from the video stream `v`.
  void plan(const FrameLayout& decoded, const VideoStreamInfo& v);
  // Opens the encoder and the container; copies the audio of `source` when `audio_available`.
  // `input_buffers`: the distinct frame buffers the encoder will be given, reused
  // (EncodeOptions::input_buffers: ring x chunk in stream mode, 0 for a resident device clip).
  void open(const Demuxer* source, bool audio_available, int input_buffers);

  Encoder& encoder() { return *encoder_; }
  int64_t last_pts() const { return last_pts_; }
  LatencyLog& latency() { return latency_; }

  // Timestamps in the encoder's time base, increasing (frames without one get the next).
  void fix_timestamps(FrameBatch& b);
  // `r` in the encoder's memory: `r` itself or a copy into `staging` queued on `stream`.
  const FrameBatch& encoder_input(FrameBatch& r, std::optional<FrameBatch>& staging, const CudaStream* stream);
  // The encoder's packets so far into the muxer.
  void write_packets();
  // The audio packets `d` holds into the muxer.
  void copy_audio(Demuxer& d);

 private:
  bool live() const { return options_.mode == PipelineMode::Live; }

  const TranscodeOptions& options_;
  Muxer& mux_;
  TranscodeStats& stats_;
  std::unique_ptr<Encoder> encoder_;
  EncodeParams params_;
  int64_t last_pts_ = kNoTimestamp;
  int64_t frame_duration_ = 1;
  Rational stream_tb_{1, 90000};  // of the decoded frames' pts
  Packet audio_packet_, out_packet_;
  LatencyLog latency_;
};

}  // namespace cuframe::detail
