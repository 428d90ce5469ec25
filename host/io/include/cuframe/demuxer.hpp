// cuframe/demuxer.hpp — container input with libavformat: packets of the video stream.
//
// A Demuxer opens an InputSource, selects the best video stream, describes it
// (MediaInfo, without the frame count, which needs a decode: see probe()), and hands out
// its packets in decode order, as stored (NVDEC's decoder rewrites H.264/HEVC to Annex-B
// itself).
//
// Not thread-safe: one thread reads a Demuxer at a time. Errors throw cuframe::Error
// naming the input.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cuframe/input.hpp"
#include "cuframe/limits.hpp"
#include "cuframe/media_info.hpp"

namespace cuframe {

namespace detail {
struct NativeAccess;  // cuframe's own code reaches the FFmpeg objects behind these (not installed)
}  // namespace detail

struct DemuxOptions {
  /// Stream index to read; -1 picks the best video stream.
  int stream_index = -1;
  /// Also read the audio streams, for copying them into an output: their packets are
  /// kept aside by read() and taken with read_audio() (see Demuxer::audio_streams()).
  bool keep_audio = false;
  Limits limits;
};

/// One compressed packet. Reused across Demuxer::read calls so that steady-state reading
/// allocates nothing; data() is valid until the next read into the same Packet.
class Packet {
 public:
  Packet();
  ~Packet();
  Packet(Packet&&) noexcept;
  Packet& operator=(Packet&&) noexcept;
  Packet(const Packet&) = delete;
  Packet& operator=(const Packet&) = delete;

  std::span<const std::uint8_t> data() const noexcept;
  int64_t pts() const noexcept;       ///< in the stream's time base; INT64_MIN if unknown
  int64_t dts() const noexcept;       ///< in the stream's time base; INT64_MIN if unknown
  int64_t duration() const noexcept;  ///< in the stream's time base; 0 if unknown
  int64_t pos() const noexcept;       ///< byte offset in the input; -1 if unknown
  bool keyframe() const noexcept;
  /// The container asks for this packet's frame to be dropped after decoding
  /// (e.g. before the start of an MP4 edit list).
  bool discard() const noexcept;
  int stream_index() const noexcept;  ///< the container's stream this packet belongs to

  /// Replaces the contents with a copy of `bytes` and the given timing (encoders use it).
  void assign(std::span<const std::uint8_t> bytes, int64_t pts, int64_t dts, int64_t duration, bool keyframe);

 private:
  friend struct detail::NativeAccess;
  void* native_;  // the FFmpeg packet
};

inline constexpr int64_t kNoTimestamp = INT64_MIN;

class Demuxer {
 public:
  explicit Demuxer(const InputSource& input, const DemuxOptions& options = {});
  ~Demuxer();
  Demuxer(Demuxer&&) noexcept;
  Demuxer& operator=(Demuxer&&) noexcept;
  Demuxer(const Demuxer&) = delete;
  Demuxer& operator=(const Demuxer&) = delete;

  /// Container and stream description (video.frames is -1: the demuxer does not decode).
  const MediaInfo& info() const noexcept;
  const VideoStreamInfo& video() const noexcept { return info().video; }
  const std::string& name() const noexcept;


  /// Reads the next packet of the video stream into `packet`. Returns false at the end
  /// of the input; throws Errc::InvalidData on a truncated or corrupt container and
  /// Errc::Io on a read error.
  bool read(Packet& packet);
  /// With DemuxOptions::keep_audio: the next audio packet read() met (in file order), or
  /// false when none is waiting. Drain it after each read() to keep the queue short.
  bool read_audio(Packet& packet);
  /// Container stream indices of the audio streams (all of them, whether kept or not).
  std::vector<int> audio_streams() const;

  /// Bytes of input consumed so far (for progress).
  int64_t bytes_read() const noexcept;

  /// True for files and memory buffers (and stdin redirected from a file); false for pipes.
  bool seekable() const noexcept;
  /// Repositions so that the next packet read is the keyframe at or before `pts` (stream
  /// time base). Throws Errc::Unsupported on a non-seekable input.
  void seek(int64_t pts);

 private:
  friend struct detail::NativeAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuframe
