// cuframe/muxer.hpp — encoded video (and copied audio) into a container, written to a
// file, to stdout or a pipe, or to a memory buffer the caller gets back.
//
// | format | container                   | video codecs      | seekable output      | pipe / stdout          |
// |--------|-----------------------------|-------------------|----------------------|------------------------|
// | mp4    | ISO BMFF (libavformat mp4)  | h264, hevc, av1   | faststart (moov first) | fragmented MP4       |
// | mkv    | Matroska                    | h264, hevc, av1   | cues written at end  | streamed, no cues      |
// | ts     | MPEG-TS                     | h264, hevc        | same                 | same                   |
// | h264   | raw Annex-B elementary      | h264              | same                 | same                   |
// | hevc   | raw Annex-B elementary      | hevc              | same                 | same                   |
//
// Note [Complete or absent]: a regular file is written to a temporary file and moved into
// place by finish() (OutputFile); a muxer destroyed without finish() leaves nothing
// behind. stdout, pipes and devices are written in place and never removed. Interrupted
// work (Ctrl-C) calls finish() with what was done: a valid, shorter file.
//
// The video stream's header carries the frame rate, time base, sample aspect ratio and
// colour tags of its VideoStreamSpec; from the source stream (add_video's `source`) come
// rotation (display matrix) and HDR mastering-display / content-light metadata. Audio streams are copied
// packet for packet with add_copy().
//
// Thread safety: write_video() and write_copy() may be called from different threads
// (interleaving is done under a lock); the other calls from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <span>

#include "cuframe/demuxer.hpp"
#include "cuframe/encode_params.hpp"
#include "cuframe/media_info.hpp"

namespace cuframe {

enum class ContainerFormat { Auto, Mp4, Mkv, Ts, H264, Hevc };
const char* to_string(ContainerFormat) noexcept;  ///< "auto", "mp4", "mkv", "ts", "h264", "hevc"
/// "mp4", "mkv", "ts", "h264", "hevc" (also "mov", "m4v", "matroska", "mpegts", "264",
/// "265", "h265"); throws Errc::InvalidArgument naming the choices otherwise.
ContainerFormat parse_container(std::string_view name);
/// From a path's extension (.mp4 .m4v .mov .mkv .ts .m2ts .264 .h264 .265 .h265 .hevc);
/// Auto when unknown.
ContainerFormat container_for_path(std::string_view path);
/// True for containers that keep codec parameters out of band (MP4, MKV): the encoder
/// should be opened with EncodeParams::global_header.
bool wants_global_header(ContainerFormat format) noexcept;

/// The video stream a muxer writes: its codec, the encoder's parameters (size, pixel
/// format, colour tags, time base, frame rate, sample aspect ratio) and the encoder's codec
/// configuration (Encoder::extradata(); copied by add_video, may be empty).
struct VideoStreamSpec {
  Codec codec = Codec::H264;
  EncodeParams params;
  std::span<const std::uint8_t> extradata;
};

struct MuxOptions {
  ContainerFormat format = ContainerFormat::Auto;  ///< Auto: from the path's extension
  bool flush_packets = false;  ///< live: every packet leaves at once (no muxer buffering)
  bool fragmented = false;     ///< MP4 as fragments even to a seekable file
};

class Muxer {
 public:
  /// Writes to `path` ("-" is stdout; a pipe or device is written in place). Nothing is
  /// created until begin(). Throws Errc::InvalidArgument when the format cannot be told.
  Muxer(std::string path, const MuxOptions& options);
  /// Writes to memory; take the bytes with take_bytes() after finish().
  static Muxer memory(const MuxOptions& options);
  ~Muxer();
  Muxer(Muxer&&) noexcept;
  Muxer& operator=(Muxer&&) noexcept;
  Muxer(const Muxer&) = delete;
  Muxer& operator=(const Muxer&) = delete;

  ContainerFormat format() const noexcept;
  const std::string& name() const noexcept;
  /// True when the output is a pipe or stdout (MP4 is written fragmented).
  bool streaming() const noexcept;

  /// The video stream described by `stream`. `source` (optional) gives rotation and HDR
  /// metadata to carry over. Returns the stream index.
  int add_video(const VideoStreamSpec& stream, const Demuxer* source = nullptr);
  /// A stream copied unchanged from `source` (its container index `input_stream`);
  /// returns the output index. Streams the container cannot hold are refused with
  /// Errc::Unsupported naming the codec (pass --no-audio to drop them).
  int add_copy(const Demuxer& source, int input_stream);

  /// Creates the output and writes the container header.
  void begin();
  /// A packet from the encoder (time base of the video params).
  void write_video(Packet& packet);
  /// A packet from the source stream given to add_copy (the source's time base).
  void write_copy(Packet& packet);
  /// Writes the trailer (MP4: moves the index to the front) and moves the file into place.
  void finish();

  /// Memory output after finish(): the container's bytes.
  std::vector<std::byte> take_bytes();
  int64_t packets_written() const noexcept;

 private:
  Muxer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuframe
