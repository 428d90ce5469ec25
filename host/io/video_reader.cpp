// Backend choice and the streaming reader (demux + decode, batch by batch).
#include "cuframe/decoder.hpp"
#include "cuframe/error.hpp"
#include "cuframe/log.hpp"

namespace cuframe {

std::unique_ptr<Decoder> open_cpu_decoder(const Demuxer& demux, const DecodeOptions& options, std::string why);

std::unique_ptr<Decoder> open_decoder(const Demuxer& demux, const DecodeOptions& options) {
  std::unique_ptr<Decoder> decoder;
  switch (options.backend) {
    case Backend::Nvdec:
      throw Error(Errc::Unsupported, demux.name(),
                  "the NVDEC backend is not part of this build yet; use --device cpu (or auto)");
    case Backend::Cpu:
      decoder = open_cpu_decoder(demux, options, "");
      break;
    case Backend::Auto:
      // Note [Backend choice]: NVDEC when the GPU can decode this codec/profile/depth/size,
      // libavcodec otherwise — and always say which and why.
      decoder = open_cpu_decoder(demux, options, "auto: no NVDEC backend in this build yet");
      break;
  }
  log(Verbosity::Info, "%s: decoding with %s", demux.name().c_str(), decoder->description().c_str());
  return decoder;
}

struct VideoReader::Impl {
  Demuxer demux;
  std::unique_ptr<Decoder> decoder;
  ReaderOptions options;
  Packet packet;
  int64_t frames = 0;
  bool input_done = false;

  Impl(const InputSource& input, const ReaderOptions& o) : demux(input, o.demux), options(o) {
    if (options.batch_frames <= 0) throw Error(Errc::InvalidArgument, input.name(), "batch size must be at least 1");
    decoder = open_decoder(demux, options.decode);
    // Decode up to the first frame so that the layout is the coded pictures' own.
    while (!decoder->frame_ready() && !decoder->finished()) feed();
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
  batch.resize(0);
  batch.color = info().video.color;
  batch.time_base = info().video.time_base;
  while (batch.size() < batch.capacity()) {
    if (m.decoder->receive(batch) > 0) continue;
    // No frame ready: feed the decoder, or stop when it is drained.
    if (m.decoder->finished()) break;
    m.feed();
  }
  m.frames += batch.size();
  return batch.size() > 0;
}

}  // namespace cuframe
