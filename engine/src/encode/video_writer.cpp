// VideoWriter: conversion to the encoder's YUV on the frames' memory, encoder, muxer.
#include "cuframe/video_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <utility>

#include "cuframe/demuxer.hpp"
#include "cuframe/error.hpp"
#include "cuframe/kernels/color.hpp"
#include "cuframe/kernels/geometry.hpp"

namespace cuframe {

namespace {

constexpr int kChunk = 32;  // frames converted and staged per step (scratch batches' capacity)

bool raw_video(ContainerFormat f) { return f == ContainerFormat::H264 || f == ContainerFormat::Hevc; }
bool yuv420(PixelFormat f) { return f == PixelFormat::NV12 || f == PixelFormat::P016; }
bool yuv444(PixelFormat f) { return f == PixelFormat::YUV444P || f == PixelFormat::YUV444P16; }

const char* matrix_tag(ColorMatrix m) {
  switch (m) {
    case ColorMatrix::BT601: return "smpte170m";
    case ColorMatrix::BT709: return "bt709";
    case ColorMatrix::BT2020: return "bt2020nc";
    default: return "unknown";
  }
}

bool convertible_matrix(ColorMatrix m) {
  return m == ColorMatrix::BT601 || m == ColorMatrix::BT709 || m == ColorMatrix::BT2020;
}

// The batch's frames in `dst` (same layout), infos included: host memcpy or a copy queued on `stream`.
void copy_batch(const FrameBatch& src, FrameBatch& dst, const CudaStream* stream) {
  dst.resize(src.size());
  const std::size_t bytes = src.layout().frame_stride * static_cast<std::size_t>(src.size());
  if (src.memory() != MemoryKind::Device && dst.memory() != MemoryKind::Device) std::memcpy(dst.data(), src.data(), bytes);
  else stream->copy_async(dst.data(), src.data(), bytes);
  for (int i = 0; i < src.size(); ++i) dst.info(i) = src.info(i);
  dst.color = src.color;
  dst.time_base = src.time_base;
}

// A scratch batch of `layout` on `memory`, made once and reused (remade only if the layout changes).
FrameBatch& scratch(std::optional<FrameBatch>& b, const FrameLayout& layout, MemoryKind memory, int device) {
  if (!b || !(b->layout() == layout) || b->memory() != memory || b->device() != device)
    b.emplace(layout, kChunk, memory, device);
  return *b;
}

}  // namespace

WriterSettings WriterSettings::like(const MediaInfo& info) {
  const VideoStreamInfo& v = info.video;
  WriterSettings s;
  if (v.fps.num > 0 && v.fps.den > 0) s.frame_rate = v.fps;
  if (v.time_base.num > 0 && v.time_base.den > 0) {
    s.time_base = v.time_base;
    s.use_timestamps = true;
  }
  s.sar = v.sar;
  s.color = v.color;
  if (convertible_matrix(v.color.matrix)) s.matrix = v.color.matrix;
  s.range = v.color.range;
  return s;
}

WriterSettings WriterSettings::like(const InputSource& source, bool copy_audio) {
  Demuxer d(source);
  WriterSettings s = like(d.info());
  s.source = source;
  s.copy_audio = copy_audio;
  return s;
}

struct VideoWriter::Impl {
  WriterSettings s;
  std::string path;
  bool to_memory = false;
  std::optional<Muxer> mux;
  std::optional<Demuxer> source;
  std::unique_ptr<Encoder> encoder;
  EncodeParams params;
  ColorMatrix matrix = ColorMatrix::BT601;
  ColorRange range = ColorRange::Limited;
  int in_width = 0, in_height = 0;  // what write() takes (before crop_to_even)
  bool opened = false, closed = false;
  std::exception_ptr failure;
  int64_t frames = 0;
  int64_t last_pts = kNoTimestamp;
  int64_t frame_duration = 1;
  std::string description, fallback;
  std::vector<std::byte> bytes;
  // Scratch, per memory kind, allocated at the first batch that needs it.
  std::optional<FrameBatch> crop_host, crop_dev, rgb_host, rgb_dev, yuv_host, yuv_dev, pinned;
  std::optional<CudaStream> own_stream;
  Packet packet, audio_packet;

  Muxer make_muxer() const {
    MuxOptions mo;
    mo.format = s.container;
    if (to_memory) {
      if (mo.format == ContainerFormat::Auto) mo.format = ContainerFormat::Mp4;
      return Muxer::memory(mo);
    }
    if (path == "-" && mo.format == ContainerFormat::Auto) mo.format = ContainerFormat::Mp4;
    return Muxer(path, mo);
  }

  void open(const FrameBatch& first) {
    const FrameLayout& l = first.layout();
    in_width = s.width > 0 ? s.width : l.width;
    in_height = s.height > 0 ? s.height : l.height;
    int w = in_width, h = in_height;
    if ((w | h) & 1) {
      if (!s.crop_to_even)
        throw Error(Errc::InvalidArgument, mux->name(),
                    "odd frame size " + std::to_string(w) + "x" + std::to_string(h) +
                        " cannot be encoded as 4:2:0: crop it to " + std::to_string(w & ~1) + "x" + std::to_string(h & ~1) +
                        " (ops crop=0:0:" + std::to_string(w & ~1) + ":" + std::to_string(h & ~1) +
                        ", or WriterSettings::crop_to_even)");
      w &= ~1, h &= ~1;
    }
    params.width = w;
    params.height = h;
    params.bit_depth = s.bit_depth;
    params.format = s.bit_depth > 8 ? PixelFormat::P016 : PixelFormat::NV12;
    // RGB -> YUV: the settings', the like source's (in s.matrix / s.range), else DESIGN.md's default.
    matrix = s.matrix.value_or(h >= 720 ? ColorMatrix::BT709 : ColorMatrix::BT601);
    range = s.range.value_or(ColorRange::Limited);
    const bool passthrough = yuv420(l.format);
    params.color = s.color.value_or(ColorInfo{});
    if (passthrough && !s.color) params.color = first.color;
    if (!passthrough || !s.color) {
      const ColorMatrix m = passthrough ? first.color.matrix : matrix;
      const ColorRange r = passthrough ? first.color.range : range;
      params.color.matrix = m;
      params.color.range = r;
      params.color.matrix_tag = matrix_tag(m);
      params.color.range_tag = r == ColorRange::Full ? "pc" : "tv";
      params.color.matrix_from_stream = params.color.range_from_stream = true;
      if (!passthrough) {
        params.color.chroma_location = ChromaLocation::Left;
        params.color.chroma_location_tag = "left";
      }
    }
    const Rational fps = s.frame_rate.num > 0 && s.frame_rate.den > 0 ? s.frame_rate : Rational{25, 1};
    params.frame_rate = fps;
    params.time_base = s.time_base.num > 0 && s.time_base.den > 0 ? s.time_base : Rational{fps.den, fps.num};
    // Raw Annex-B keeps no timestamps: frames are counted at 1/fps (as the pipeline's output does).
    if (raw_video(mux->format())) params.time_base = Rational{fps.den, fps.num};
    frame_duration = std::max<int64_t>(
        1, std::llround(static_cast<double>(params.time_base.den) * fps.den /
                        (static_cast<double>(params.time_base.num) * fps.num)));
    params.sar = s.sar;
    params.global_header = wants_global_header(mux->format());

    EncodeOptions e = s.encode;
    e.input_buffers = 0;  // scratch buffers are reused at once: NVENC copies every frame
    if (first.memory() == MemoryKind::Device && e.backend == EncoderBackend::Auto) e.device = first.device();
    if (std::string problem = validate_encode_options(params, e); !problem.empty())
      throw Error(Errc::InvalidArgument, mux->name(), problem);
    if (s.source) {
      DemuxOptions dopt;
      dopt.keep_audio = s.copy_audio;
      source.emplace(*s.source, dopt);
    }
    encoder = open_encoder(params, e);
    description = encoder->description();
    fallback = encoder->fallback_reason();
    mux->add_video({e.codec, params, encoder->extradata()}, source ? &*source : nullptr);
    if (source && s.copy_audio && !raw_video(mux->format()))
      for (int index : source->audio_streams()) mux->add_copy(*source, index);
    mux->begin();
    opened = true;
  }

  void stamp(FrameBatch& b, const Rational& tb) {
    for (int i = 0; i < b.size(); ++i) {
      FrameInfo& f = b.info(i);
      int64_t pts = kNoTimestamp;
      if (s.use_timestamps && f.pts != kNoTimestamp) {
        pts = f.pts;
        if (tb.num > 0 && tb.den > 0 && !(tb == params.time_base))
          pts = static_cast<int64_t>(std::llround(static_cast<long double>(f.pts) * tb.num * params.time_base.den /
                                                  (static_cast<long double>(tb.den) * params.time_base.num)));
      } else {
        pts = frames * frame_duration;
      }
      if (last_pts != kNoTimestamp && pts <= last_pts) pts = last_pts + frame_duration;
      f.pts = pts;
      f.duration = frame_duration;
      f.index = frames;
      last_pts = pts;
      ++frames;
    }
  }

  void drain() {
    while (encoder->receive(packet)) mux->write_video(packet);
  }

  // One piece of at most kChunk frames.
  void write_piece(const FrameBatch& piece, const CudaStream* stream) {
    const bool device = piece.memory() == MemoryKind::Device;
    const MemoryKind mem = device ? MemoryKind::Device : MemoryKind::Host;
    const int dev = piece.device();
    const FrameBatch* src = &piece;
    if (src->layout().width != params.width || src->layout().height != params.height) {
      FrameBatch& c = scratch(device ? crop_dev : crop_host,
                              kernels::cropped_layout(src->layout(), 0, 0, params.width, params.height), mem, dev);
      kernels::crop(*src, c, 0, 0, stream);
      src = &c;
    }
    if (yuv444(src->layout().format)) {
      FrameBatch& r = scratch(device ? rgb_dev : rgb_host,
                              kernels::converted_layout(src->layout(), PixelFormat::RGB24), mem, dev);
      kernels::convert_color(*src, r, {}, stream);
      src = &r;
    }
    const FrameLayout yl = make_layout(params.format, params.width, params.height, params.bit_depth);
    FrameBatch& yuv = scratch(device ? yuv_dev : yuv_host, yl, mem, dev);
    if (yuv420(src->layout().format)) {
      if (src->layout().format != params.format || src->layout().bit_depth != params.bit_depth)
        throw Error(Errc::Unsupported, mux->name(),
                    std::string("frames in ") + to_string(src->layout().format) + " for an encoder fed " +
                        to_string(params.format) + " " + std::to_string(params.bit_depth) + "-bit (set WriterSettings::bit_depth)");
      copy_batch(*src, yuv, stream);
    } else {
      kernels::convert_to_yuv(*src, yuv, matrix, range, stream);
    }
    stamp(yuv, piece.time_base);
    const bool wants_device = encoder->backend() == EncoderBackend::Nvenc;
    const FrameBatch* in = &yuv;
    if (wants_device != device) {
      // NVENC reads device frames, libavcodec host frames: one copy through a batch made once.
      FrameBatch& st = scratch(wants_device ? yuv_dev : pinned, yl, wants_device ? MemoryKind::Device : MemoryKind::Pinned,
                               device ? dev : s.encode.device);
      if (!stream) {
        if (!own_stream) own_stream.emplace(device ? dev : s.encode.device);
        stream = &*own_stream;
      }
      copy_batch(yuv, st, stream);
      if (!wants_device) stream->synchronize();  // the CPU encoder reads the host copy next
      in = &st;
    }
    encoder->send(*in, stream);
    drain();
    if (stream) stream->synchronize();  // the caller may reuse the batch; the scratch is reused next
  }

  void write(const FrameBatch& b, const CudaStream* stream) {
    if (b.empty()) return;
    if (!mux) mux.emplace(make_muxer());
    if (!opened) open(b);
    if (b.layout().width != in_width || b.layout().height != in_height)
      throw Error(Errc::InvalidArgument, mux->name(),
                  "frames of " + std::to_string(b.layout().width) + "x" + std::to_string(b.layout().height) +
                      " for a writer of " + std::to_string(in_width) + "x" + std::to_string(in_height));
    if (b.memory() == MemoryKind::Device && !stream) {
      if (!own_stream || own_stream->device() != b.device()) own_stream.emplace(b.device());
      stream = &*own_stream;
    }
    for (int i = 0; i < b.size(); i += kChunk) write_piece(b.view(i, std::min(kChunk, b.size() - i)), stream);
  }

  void copy_audio() {
    if (!source || !s.copy_audio || raw_video(mux->format())) return;
    Packet video;
    while (true) {
      while (source->read_audio(audio_packet)) mux->write_copy(audio_packet);
      if (!source->read(video)) break;
    }
    while (source->read_audio(audio_packet)) mux->write_copy(audio_packet);
  }

  void finish() {
    if (!opened) {
      // No frame was written: there is no stream to describe, so no file either.
      throw Error(Errc::InvalidArgument, path.empty() ? "<memory>" : path, "no frames were written");
    }
    encoder->flush();
    drain();
    copy_audio();
    mux->finish();
    if (to_memory) bytes = mux->take_bytes();
  }

  // After an error: nothing is left behind (the muxer's temporary file goes with it).
  void abandon() noexcept {
    encoder.reset();
    mux.reset();
    source.reset();
  }
};

VideoWriter::VideoWriter() : impl_(std::make_unique<Impl>()) {}

VideoWriter::VideoWriter(std::string path, const WriterSettings& settings) : VideoWriter() {
  impl_->s = settings;
  impl_->path = std::move(path);
  if (settings.bit_depth != 8 && settings.bit_depth != 10)
    throw Error(Errc::InvalidArgument, impl_->path, "bit_depth must be 8 (nv12) or 10 (p016)");
  impl_->mux.emplace(impl_->make_muxer());  // the container is told (and refused) now
}

VideoWriter VideoWriter::memory(const WriterSettings& settings) {
  VideoWriter w;
  w.impl_->s = settings;
  w.impl_->to_memory = true;
  if (settings.bit_depth != 8 && settings.bit_depth != 10)
    throw Error(Errc::InvalidArgument, "<memory>", "bit_depth must be 8 (nv12) or 10 (p016)");
  w.impl_->mux.emplace(w.impl_->make_muxer());
  return w;
}

VideoWriter::~VideoWriter() {
  if (impl_) impl_->abandon();
}
VideoWriter::VideoWriter(VideoWriter&&) noexcept = default;
VideoWriter& VideoWriter::operator=(VideoWriter&&) noexcept = default;

void VideoWriter::write(const FrameBatch& batch, const CudaStream* stream) {
  Impl& m = *impl_;
  if (m.closed) throw Error(Errc::InvalidArgument, m.to_memory ? "<memory>" : m.path, "write() on a closed VideoWriter");
  if (m.failure) std::rethrow_exception(m.failure);
  try {
    m.write(batch, stream);
  } catch (...) {
    m.failure = std::current_exception();
    m.abandon();
    throw;
  }
}

void VideoWriter::close() {
  Impl& m = *impl_;
  if (m.closed) return;
  m.closed = true;
  if (m.failure) std::rethrow_exception(m.failure);
  try {
    m.finish();
  } catch (...) {
    m.failure = std::current_exception();
    m.abandon();
    throw;
  }
  m.encoder.reset();
  m.source.reset();
}

bool VideoWriter::is_open() const noexcept { return impl_ && !impl_->closed && !impl_->failure; }
int64_t VideoWriter::frames_written() const noexcept { return impl_ ? impl_->frames : 0; }
const std::string& VideoWriter::description() const noexcept { return impl_->description; }
const std::string& VideoWriter::fallback_reason() const noexcept { return impl_->fallback; }
const EncodeParams& VideoWriter::params() const noexcept { return impl_->params; }
std::vector<std::byte> VideoWriter::take_bytes() { return std::move(impl_->bytes); }

}  // namespace cuframe
