#include "cuframe/resident.hpp"

#include <algorithm>
#include <string>

#include "cuframe/error.hpp"
#include "cuframe/log.hpp"
#include "memory.hpp"

namespace cuframe {

namespace {
std::string mib(int64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }
}  // namespace

int64_t default_memory_budget(MemoryKind memory, int device) {
  const int64_t avail = memory == MemoryKind::Device ? detail::device_free_bytes(device) : detail::host_available_bytes();
  const int64_t margin = std::max<int64_t>(avail / 10, int64_t{512} << 20);
  return std::max<int64_t>(0, avail - margin);
}

struct ResidentClip::Impl {
  MediaInfo info;
  std::string description;
  FrameBatch frames;
};

ResidentClip::ResidentClip() : impl_(std::make_unique<Impl>()) {}
ResidentClip::~ResidentClip() = default;
ResidentClip::ResidentClip(ResidentClip&&) noexcept = default;
ResidentClip& ResidentClip::operator=(ResidentClip&&) noexcept = default;

ResidentClip ResidentClip::load(const InputSource& input, const ResidentOptions& options) {
  if (input.kind() == InputSource::Kind::Stdin)
    throw Error(Errc::Unsupported, input.name(),
                "resident mode needs the video's length before it allocates, which standard input cannot tell: "
                "use streaming mode (--mode stream), or pass a file");
  ReaderOptions ro;
  ro.decode = options.decode;
  ro.demux = options.demux;
  VideoReader reader(input, ro);
  const int64_t count = reader.frame_count();
  const Limits& limits = options.demux.limits;
  if (count == 0) throw Error(Errc::InvalidData, input.name(), "the video has no frames");
  if (count > limits.max_resident_frames)
    throw Error(Errc::LimitExceeded, input.name(),
                std::to_string(count) + " frames exceed max_resident_frames (" + std::to_string(limits.max_resident_frames) +
                    "): use streaming mode, or raise the limit");
  if (count > 0x7FFFFFFF) throw Error(Errc::LimitExceeded, input.name(), "more than 2^31 frames");

  const FrameLayout& layout = reader.decoder().layout();
  const MemoryKind memory = reader.decoder().backend() == Backend::Nvdec ? MemoryKind::Device : MemoryKind::Host;
  const auto needed = static_cast<int64_t>(layout.frame_stride) * count;
  const int64_t budget =
      limits.memory_budget_bytes > 0 ? limits.memory_budget_bytes : default_memory_budget(memory, options.decode.device);
  if (needed > budget)
    throw Error(Errc::LimitExceeded, input.name(),
                "the decoded video needs " + std::to_string(needed) + " bytes (" + mib(needed) + ": " +
                    std::to_string(count) + " frames of " + std::to_string(layout.frame_stride) + " bytes) but the " +
                    (memory == MemoryKind::Device ? "device" : "host") + " memory budget is " + std::to_string(budget) +
                    " bytes (" + mib(budget) + "): use streaming mode (--mode stream), or raise the budget");

  ResidentClip clip;
  Impl& m = *clip.impl_;
  m.info = reader.info();
  m.description = reader.decoder().description();
  m.frames = FrameBatch(layout, static_cast<int>(count), memory, options.decode.device);
  m.frames.color = reader.info().video.color;
  m.frames.time_base = reader.info().video.time_base;
  log(Verbosity::Info, "%s: resident: %lld frames, %s in one allocation", input.name().c_str(),
      static_cast<long long>(count), mib(needed).c_str());
  // Decode straight into consecutive views of the one allocation.
  const int chunk = std::max(1, ro.batch_frames);
  int64_t done = 0;
  while (done < count) {
    FrameBatch part = m.frames.view(static_cast<int>(done), static_cast<int>(std::min<int64_t>(chunk, count - done)));
    if (!reader.read(part)) break;
    done += part.size();
  }
  if (done != count)
    throw Error(Errc::Internal, input.name(),
                "decoded " + std::to_string(done) + " frames where the index promised " + std::to_string(count));
  m.frames.resize(static_cast<int>(count));
  return clip;
}

int64_t ResidentClip::size() const noexcept { return impl_->frames.size(); }
const MediaInfo& ResidentClip::info() const noexcept { return impl_->info; }
const std::string& ResidentClip::decoder_description() const noexcept { return impl_->description; }
FrameBatch& ResidentClip::frames() noexcept { return impl_->frames; }
const FrameBatch& ResidentClip::frames() const noexcept { return impl_->frames; }
std::size_t ResidentClip::bytes() const noexcept { return impl_->frames.bytes(); }

FrameBatch ResidentClip::slice(int64_t begin, int64_t count) const {
  if (begin < 0 || count <= 0 || begin + count > size())
    throw Error(Errc::InvalidArgument, impl_->info.video.codec_name,
                "slice [" + std::to_string(begin) + ", " + std::to_string(begin + count) + ") outside the clip's " +
                    std::to_string(size()) + " frames");
  return impl_->frames.view(static_cast<int>(begin), static_cast<int>(count));
}

}  // namespace cuframe
