// cuframe/decoder.hpp — video decoding: backends, choice, and a streaming reader.
//
// Backends:
// | backend | where frames land         | codecs                                     | state |
// |---------|---------------------------|--------------------------------------------|-------|
// | Cpu     | host memory (FrameBatch)  | everything libavcodec decodes              | done  |
// | Nvdec   | device memory             | H.264, HEVC, VP8, VP9, AV1, MPEG-2/4 per the GPU's caps | done on the virtual GPU; not yet run on a real one |
//
// Output is the native format of the stream (see frame.hpp): NV12 for 8-bit 4:2:0, P016
// for 10/12-bit 4:2:0, YUV444P / YUV444P16 for 4:4:4. Frames come in presentation order,
// exactly the frames libavcodec outputs (what it drops — before the first keyframe,
// discard-flagged packets of MP4 edit lists — is dropped here too), cropped as the
// stream says, with their timestamps.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/demuxer.hpp"
#include "cuframe/frame.hpp"

namespace cuframe {

enum class Backend { Auto, Cpu, Nvdec };
const char* to_string(Backend) noexcept;

struct DecodeOptions {
  /// Auto: NVDEC where the GPU can decode the stream, else the CPU (the choice and its
  /// reason are in Decoder::description() and logged with --verbose). Cpu/Nvdec: that
  /// backend or an error saying why not.
  Backend backend = Backend::Auto;
  int device = 0;
  /// CPU decoder threads; 0 = libavcodec chooses (as the ffmpeg program does: cores + 1).
  int threads = 0;
  /// false (default): a packet that fails to decode is an error (Errc::InvalidData) —
  /// output is either exact or absent. true: skip it like the ffmpeg program does (its
  /// frame is lost or concealed) and count it in Decoder::errors().
  bool conceal_errors = false;
  /// Frame size limits (checked against the coded pictures; VideoReader copies the
  /// demuxer's limits here).
  Limits limits;
};

/// The native output format for a stream, or Errc::Unsupported naming the pixel format.
PixelFormat native_format(const VideoStreamInfo& stream);

/// One decode session. Feed packets in decode order, take frames in presentation order.
class Decoder {
 public:
  virtual ~Decoder() = default;
  Decoder() = default;
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  virtual Backend backend() const noexcept = 0;
  /// What decodes and why it was chosen, e.g. "libavcodec hevc on the CPU, 2 threads
  /// (Auto: no NVDEC backend in this build)".
  virtual const std::string& description() const noexcept = 0;
  /// Layout of the frames receive() writes. Final once frame_ready() has returned true
  /// for the first frame (the coded stream, not the container, decides the size).
  virtual const FrameLayout& layout() const noexcept = 0;
  /// Makes the next frame ready if the decoder has one; false if it needs more packets
  /// (or is finished).
  virtual bool frame_ready() = 0;

  /// Feeds one packet; nullptr signals the end of the stream (then receive() drains).
  /// Damaged packets are an error (Errc::InvalidData naming the input).
  virtual void send(const Packet* packet) = 0;
  /// Appends decoded frames to `batch` until it is full or no frame is ready; returns how
  /// many were added. `batch` must have layout() and the backend's memory kind. Device
  /// batches (NVDEC) need `stream` (Note [Stream rule]): the copies are queued on it and
  /// the frames are ready in stream order, without the host waiting; host batches are
  /// complete on return.
  virtual int receive(FrameBatch& batch, const CudaStream* stream = nullptr) = 0;
  /// True once the end of stream was sent and every frame was received.
  virtual bool finished() const noexcept = 0;
  /// Packets skipped because they failed to decode (only with conceal_errors).
  virtual int64_t errors() const noexcept = 0;
  /// Drops all decoder state (after the demuxer seeks); the layout stays.
  virtual void reset() = 0;
};

/// Opens a decoder for the demuxer's video stream.
std::unique_ptr<Decoder> open_decoder(const Demuxer& demuxer, const DecodeOptions& options = {});

struct ReaderOptions {
  DecodeOptions decode;
  DemuxOptions demux;
  int batch_frames = 32;  ///< frames per batch (the streaming chunk size)
};

/// Demux + decode as an iterator over batches of frames: memory stays bounded by one
/// batch whatever the length of the video.
///
///   VideoReader reader(InputSource::file("in.mp4"));
///   FrameBatch batch = reader.make_batch();
///   while (reader.read(batch)) { /* batch.size() frames */ }
class VideoReader {
 public:
  explicit VideoReader(const InputSource& input, const ReaderOptions& options = {});
  ~VideoReader();
  VideoReader(VideoReader&&) noexcept;
  VideoReader& operator=(VideoReader&&) noexcept;

  const MediaInfo& info() const noexcept;
  const Decoder& decoder() const noexcept;
  /// A batch of options.batch_frames frames in the decoder's layout and memory.
  FrameBatch make_batch() const;
  /// Replaces the batch's frames with the next ones; false when the video is over (the
  /// batch is then empty). Device frames (NVDEC) are complete when it returns: the reader
  /// waits for its own stream once per batch.
  bool read(FrameBatch& batch);
  /// The same, with the copies of device frames queued on `stream` and no host wait: the
  /// frames are ready in `stream`'s order (Note [Stream rule]). Host batches ignore it.
  bool read(FrameBatch& batch, const CudaStream& stream);
  /// Frames delivered so far.
  int64_t frames_read() const noexcept;

  /// Frame-accurate seek: the next read() starts with frame `index` (0-based, presentation
  /// order, exactly the frame decoding from the start would give at that position).
  /// Seeks to the keyframe before it and decodes forward, discarding; correct with
  /// B-frames, open GOPs and edit lists. The frame index is built on first use by one
  /// scan of the packets (no decoding) and reused. Inputs without usable timestamps (raw
  /// elementary streams) are decoded from the start instead. Errc::InvalidArgument past
  /// the last frame; Errc::Unsupported on a pipe.
  void seek(int64_t index);
  /// Seeks to the first frame whose timestamp is >= `pts` (stream time base).
  void seek_pts(int64_t pts);
  /// Frames in the video, from the frame index (builds it if needed).
  int64_t frame_count();
  /// Frame indices (presentation order) of the keyframes, ascending: where a decode can
  /// start without reading earlier packets (builds the index if needed).
  std::vector<int64_t> keyframe_indices();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuframe
