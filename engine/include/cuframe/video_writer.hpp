// cuframe/video_writer.hpp — frames in any format to a finished video file, in one object.
//
//   ResidentClip clip = ResidentClip::load(InputSource::file("in.mp4"));
//   VideoWriter out("out.mp4", WriterSettings::like(clip.info()));
//   out.write(clip.frames());        // device or host frames, any format below
//   out.close();                     // the file is complete, or absent after an error
//
// A VideoWriter owns an encoder (Note [Encoder choice]: NVENC when the GPU has it, else
// libavcodec; description() and fallback_reason() say which and why) and a muxer
// (cuframe/muxer.hpp: file, "-" for stdout or a pipe, or memory). write() converts each
// batch to the encoder's YUV on the memory the frames are on — one kernel launch per
// batch on the GPU, the CPU executor for host frames — and feeds the encoder; device
// frames for a CPU encoder are copied through pinned staging allocated once, at the first
// batch (no allocation per frame or per batch afterwards).
//
// | write() takes          | how it becomes the encoder's nv12 / p016                        |
// |------------------------|-----------------------------------------------------------------|
// | nv12, p016             | as is when it is the encoder's format (tagged with batch.color) |
// | rgb24 bgr24 rgba rgbp  | kernels::convert_to_yuv, the writer's matrix and range          |
// | gray                   | luma back to the writer's range, chroma neutral                 |
// | rgbpf32 rgbpf16        | clamped to [0, 1], then as rgb                                  |
// | yuv444p, yuv444p16     | to rgb24 (its own colour description), then as rgb             |
//
// Colour: RGB -> YUV uses WriterSettings::matrix / range when set, else the `like`
// source's (WriterSettings::like), else BT.709 limited for height >= 720 and BT.601
// limited below (DESIGN.md's untagged default). The stream is tagged with what was used.
//
// Timing: by default frame i gets pts i in a time base of 1/frame_rate. With
// use_timestamps (set by like()), FrameInfo::pts in the batch's time_base are used,
// rescaled to the writer's; a timestamp not above the previous one becomes the previous
// plus one frame.
//
// Complete or absent (Note [Complete or absent] in cuframe/muxer.hpp): a regular file
// appears only when close() succeeds; a writer destroyed without close(), or whose
// close() or write() threw, leaves nothing behind. stdout and pipes are written in place.
//
// Threads: one thread uses a writer at a time. Errors throw cuframe::Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/encoder.hpp"
#include "cuframe/frame.hpp"
#include "cuframe/input.hpp"
#include "cuframe/media_info.hpp"
#include "cuframe/muxer.hpp"

namespace cuframe {

struct WriterSettings {
  /// Frame size; 0 = the first batch's. Every batch must have this size.
  int width = 0;
  int height = 0;
  Rational frame_rate{25, 1};
  /// Time base of the output stream; {0, 1} = 1 / frame_rate.
  Rational time_base{0, 1};
  /// Use the frames' FrameInfo::pts (in their batch's time_base) instead of numbering them.
  bool use_timestamps = false;
  /// Codec, backend, rate control, quality, preset, GOP (cuframe/encoder.hpp).
  EncodeOptions encode;
  /// Auto = from the path's extension; required for "-" and memory outputs (Auto: mp4).
  ContainerFormat container = ContainerFormat::Auto;
  /// 8 writes nv12; 10 writes p016 (HEVC and AV1; H.264 is 8-bit).
  int bit_depth = 8;
  std::optional<ColorMatrix> matrix;  ///< RGB -> YUV matrix (BT.601, BT.709, BT.2020)
  std::optional<ColorRange> range;    ///< and range of the output
  Rational sar{1, 1};
  /// Odd sizes cannot be 4:2:0: false refuses them (Errc::InvalidArgument naming the crop
  /// that fixes them), true drops the last column / row.
  bool crop_to_even = false;
  /// From like(): the source's colour tags (primaries, transfer, matrix, range).
  std::optional<ColorInfo> color;
  /// Rotation and HDR metadata to carry over, and audio to copy, come from this source
  /// (it is opened again by the writer; a memory source must outlive the writer).
  std::optional<InputSource> source;
  bool copy_audio = false;  ///< with `source`: its audio streams copied unchanged

  /// Frame rate, time base (use_timestamps), SAR and colour of `info`'s video stream (the
  /// size stays the first batch's, so resized frames need no other setting).
  static WriterSettings like(const MediaInfo& info);
  /// As like(info), plus rotation and HDR metadata from `source`, and its audio when
  /// `copy_audio`.
  static WriterSettings like(const InputSource& source, bool copy_audio = false);
};

class VideoWriter {
 public:
  /// Writes to `path` ("-" is stdout). Nothing is created before the first write().
  /// Throws Errc::InvalidArgument for settings that cannot work (unknown container,
  /// bit depth the codec cannot take).
  explicit VideoWriter(std::string path, const WriterSettings& settings = {});
  /// Writes to memory: take the container's bytes with take_bytes() after close().
  static VideoWriter memory(const WriterSettings& settings = {});
  ~VideoWriter();
  VideoWriter(VideoWriter&&) noexcept;
  VideoWriter& operator=(VideoWriter&&) noexcept;
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  /// Encodes batch.size() frames (a view works: FrameBatch::view). Host batches are
  /// converted on the CPU; device batches on the GPU, on `stream` when given, else on the
  /// writer's own stream. Returns when the frames have been read: the batch may be
  /// reused. The first call opens the encoder and the output. Throws Errc::InvalidArgument
  /// for a size other than the first batch's, an odd size without crop_to_even, or a
  /// closed writer; Errc::Io when the output cannot be written (disk full, pipe closed).
  void write(const FrameBatch& batch, const CudaStream* stream = nullptr);
  /// Drains the encoder, writes the trailer, moves the file into place. After an error
  /// in write() it throws that error again and leaves nothing behind. A second close()
  /// does nothing.
  void close();

  bool is_open() const noexcept;  ///< false after close() or an error
  int64_t frames_written() const noexcept;
  /// The encoder, e.g. "libx264 (preset medium, crf 23)"; empty before the first write().
  const std::string& description() const noexcept;
  /// Why NVENC was not used (Note [Encoder choice]); empty when it was, or before the first write().
  const std::string& fallback_reason() const noexcept;
  /// The encoder's input: nv12 or p016, and the colour it is tagged with (after the first write()).
  const EncodeParams& params() const noexcept;
  /// Memory output, after close().
  std::vector<std::byte> take_bytes();

 private:
  VideoWriter();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuframe
