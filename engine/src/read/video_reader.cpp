// The streaming reader (demux + decode, batch by batch).
#include "cuframe/decoder.hpp"
#include "cuframe/device.hpp"
#include "cuframe/error.hpp"
#include "cuframe/log.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace cuframe {

// Note [Frame index]: one scan of the packets (no decoding) gives the presentation
// timestamps of the frames a full decode outputs — packets from the first keyframe on
// (in decode order), minus those the container flags discard, sorted by pts — and the
// keyframes (pts, dts). Seeking to frame i picks the last keyframe whose pts <= pts[i]
// (so open-GOP leading pictures seek from the keyframe before), seeks the demuxer there
// and decodes forward, discarding frames until pts[i]. Tests check every sample against
// decoding from the start.
struct FrameIndex {
  bool built = false;
  bool usable = false;              // every presented packet has a pts
  std::vector<int64_t> pts;         // presentation order
  std::vector<std::pair<int64_t, int64_t>> keyframes;  // (pts, dts) in decode order
};

struct VideoReader::Impl {
  InputSource source;
  Demuxer demux;
  std::unique_ptr<Decoder> decoder;
  ReaderOptions options;
  Packet packet;
  int64_t frames = 0;
  bool input_done = false;
  FrameIndex index;
  int64_t next_index = 0;
  // After a seek: drop frames until this pts (index path) or this many frames (fallback).
  std::optional<int64_t> skip_until_pts;
  int64_t skip_frames = 0;
  std::optional<FrameBatch> scratch;  // one frame, allocated at the first seek
  std::optional<CudaStream> stream;   // read()'s own, for a decoder that writes device frames

  Impl(const InputSource& input, const ReaderOptions& o) : source(input), demux(input, o.demux), options(o) {
    if (options.batch_frames <= 0) throw Error(Errc::InvalidArgument, input.name(), "batch size must be at least 1");
    options.decode.limits = options.demux.limits;
    decoder = open_decoder(demux, options.decode);
    // Decode up to the first frame so that the layout is the coded pictures' own.
    while (!decoder->frame_ready() && !decoder->finished()) feed();
    if (decoder->backend() == Backend::Nvdec) stream.emplace(options.decode.device);
  }

  bool read(FrameBatch& batch, const CudaStream* s);

  void build_index() {
    if (index.built) return;
    index.built = true;
    Demuxer scan(source, options.demux);
    Packet p;
    bool key_seen = false;
    index.usable = true;
    while (scan.read(p)) {
      if (!key_seen && !p.keyframe()) continue;
      key_seen = true;
      if (p.keyframe()) index.keyframes.emplace_back(p.pts(), p.dts());
      if (p.discard()) continue;
      if (p.pts() == kNoTimestamp) index.usable = false;
      index.pts.push_back(p.pts());
    }
    std::sort(index.pts.begin(), index.pts.end());
    if (std::adjacent_find(index.pts.begin(), index.pts.end()) != index.pts.end()) index.usable = false;
  }

  void restart(int64_t target_index) {
    // Decode from the start and drop `target_index` frames.
    demux = Demuxer(source, options.demux);
    decoder->reset();
    input_done = false;
    skip_until_pts.reset();
    skip_frames = target_index;
  }

  void seek_to(int64_t target_index) {
    build_index();
    const auto count = static_cast<int64_t>(index.pts.size());
    if (target_index < 0 || target_index >= count)
      throw Error(Errc::InvalidArgument, demux.name(),
                  "frame " + std::to_string(target_index) + " is past the end (the video has " + std::to_string(count) +
                      " frames)");
    if (source.kind() == InputSource::Kind::Stdin)
      throw Error(Errc::Unsupported, demux.name(), "cannot seek in standard input");
    next_index = target_index;
    if (!index.usable || !demux.seekable()) {
      restart(target_index);
      return;
    }
    const int64_t target = index.pts[static_cast<size_t>(target_index)];
    // The last keyframe (decode order) presented at or before the target.
    std::optional<std::pair<int64_t, int64_t>> key;
    for (const auto& k : index.keyframes)
      if (k.first != kNoTimestamp && k.first <= target) key = k;
    if (!key) {
      restart(target_index);
      return;
    }
    demux.seek(key->second != kNoTimestamp ? key->second : key->first);
    decoder->reset();
    input_done = false;
    skip_frames = 0;
    skip_until_pts = target;
  }

  void feed() {
    if (input_done)
      throw Error(Errc::Internal, demux.name(), "decoder neither finished nor produced a frame after end of stream");
    if (demux.read(packet)) {
      decoder->send(&packet);
    } else {
      input_done = true;
      decoder->send(nullptr);
    }
  }
};

VideoReader::VideoReader(const InputSource& input, const ReaderOptions& options)
    : impl_(std::make_unique<Impl>(input, options)) {}
VideoReader::~VideoReader() = default;
VideoReader::VideoReader(VideoReader&&) noexcept = default;
VideoReader& VideoReader::operator=(VideoReader&&) noexcept = default;

const MediaInfo& VideoReader::info() const noexcept { return impl_->demux.info(); }
const Decoder& VideoReader::decoder() const noexcept { return *impl_->decoder; }
int64_t VideoReader::frames_read() const noexcept { return impl_->frames; }

FrameBatch VideoReader::make_batch() const {
  const MemoryKind memory = impl_->decoder->backend() == Backend::Nvdec ? MemoryKind::Device : MemoryKind::Host;
  FrameBatch batch(impl_->decoder->layout(), impl_->options.batch_frames, memory, impl_->options.decode.device);
  batch.color = info().video.color;
  batch.time_base = info().video.time_base;
  return batch;
}

bool VideoReader::read(FrameBatch& batch) {
  Impl& m = *impl_;
  const bool more = m.read(batch, m.stream ? &*m.stream : nullptr);
  if (m.stream) m.stream->synchronize();  // device frames are complete on return (decoder.hpp)
  return more;
}

bool VideoReader::read(FrameBatch& batch, const CudaStream& stream) { return impl_->read(batch, &stream); }

bool VideoReader::Impl::read(FrameBatch& batch, const CudaStream* s) {
  Impl& m = *this;
  batch.resize(0);
  batch.color = demux.info().video.color;
  batch.time_base = demux.info().video.time_base;
  // After a seek, frames before the target go through a one-frame scratch batch.
  while (m.skip_until_pts || m.skip_frames > 0) {
    if (!m.scratch || m.scratch->layout() != batch.layout())
      m.scratch.emplace(batch.layout(), 1, batch.memory(), batch.device());
    m.scratch->resize(0);
    if (m.decoder->receive(*m.scratch, s) == 0) {
      if (m.decoder->finished()) {
        m.skip_until_pts.reset();
        m.skip_frames = 0;
        break;
      }
      m.feed();
      continue;
    }
    const int64_t pts = m.scratch->info(0).pts;
    if (m.skip_frames > 0) {
      --m.skip_frames;
      continue;
    }
    if (pts < *m.skip_until_pts) continue;
    // The target frame: keep it as the batch's first.
    m.skip_until_pts.reset();
    if (s) s->synchronize();  // copy_frame is synchronous and stream-less (the seek's edge)
    copy_frame(*m.scratch, 0, batch, 0);
    batch.resize(1);
  }
  while (batch.size() < batch.capacity()) {
    if (m.decoder->receive(batch, s) > 0) continue;
    // No frame ready: feed the decoder, or stop when it is drained.
    if (m.decoder->finished()) break;
    m.feed();
  }
  for (int i = 0; i < batch.size(); ++i) batch.info(i).index = m.next_index++;
  m.frames += batch.size();
  return batch.size() > 0;
}

void VideoReader::seek(int64_t index) { impl_->seek_to(index); }

void VideoReader::seek_pts(int64_t pts) {
  Impl& m = *impl_;
  m.build_index();
  const auto it = std::lower_bound(m.index.pts.begin(), m.index.pts.end(), pts);
  m.seek_to(static_cast<int64_t>(it - m.index.pts.begin()));
}

std::vector<int64_t> VideoReader::keyframe_indices() {
  Impl& m = *impl_;
  m.build_index();
  std::vector<int64_t> out;
  for (const auto& k : m.index.keyframes) {
    if (k.first == kNoTimestamp) continue;
    const auto it = std::lower_bound(m.index.pts.begin(), m.index.pts.end(), k.first);
    if (it != m.index.pts.end() && *it == k.first) out.push_back(it - m.index.pts.begin());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.empty() || out.front() != 0) out.insert(out.begin(), 0);
  return out;
}

int64_t VideoReader::frame_count() {
  impl_->build_index();
  return static_cast<int64_t>(impl_->index.pts.size());
}

}  // namespace cuframe
