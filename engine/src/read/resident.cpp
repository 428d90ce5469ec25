#include "cuframe/resident.hpp"

#include <algorithm>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/device.hpp"
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

// Note [Segmented decode]: a decode session uses one NVDEC engine (or a few CPU threads),
// so one file keeps a 7-engine GPU busy only when several sessions decode different
// parts of it. The frame index gives the keyframes; each session seeks to its segment's
// first keyframe (no earlier packet is needed there) and decodes straight into its part
// of the clip's one allocation, so the frames end up in order by position with no
// reordering and no copy. FrameBatch views of one allocation do not overlap, so the
// sessions share nothing but the read-only input.
struct ResidentClip::Impl {
  MediaInfo info;
  std::string description;
  FrameBatch frames;
  int sessions = 1;
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

  if (options.before_allocating) options.before_allocating(layout, count, budget - needed);
  ResidentClip clip;
  Impl& m = *clip.impl_;
  m.info = reader.info();
  m.description = reader.decoder().description();
  m.frames = FrameBatch(layout, static_cast<int>(count), memory, options.decode.device);
  m.frames.color = reader.info().video.color;
  m.frames.time_base = reader.info().video.time_base;
  log(Verbosity::Info, "%s: resident: %lld frames, %s in one allocation", input.name().c_str(),
      static_cast<long long>(count), mib(needed).c_str());
  // Segments [start, end) starting at keyframes; one session each (Note [Segmented decode]).
  int sessions = options.sessions;
  if (sessions <= 0) {
    // As many as there are engines: the GPU's NVDEC count (its caps say; MIG slices and
    // smaller GPUs have fewer than 7), or 2 on the CPU.
    sessions = 2;
    if (reader.decoder().backend() == Backend::Nvdec)
      sessions = std::max(1, query_codec_caps(options.decode.device).nvdec_engines);
  }
  const std::vector<int64_t> keys = sessions > 1 ? reader.keyframe_indices() : std::vector<int64_t>{0};
  std::vector<int64_t> starts = {0};
  for (int s = 1; s < sessions; ++s) {
    const int64_t want = count * s / sessions;
    const auto it = std::lower_bound(keys.begin(), keys.end(), want);
    if (it != keys.end() && *it > starts.back() && *it < count) starts.push_back(*it);
  }
  starts.push_back(count);
  const int segments = static_cast<int>(starts.size()) - 1;
  m.sessions = segments;
  log(Verbosity::Info, "%s: resident: %d decode session(s)", input.name().c_str(), segments);

  auto decode_segment = [&](VideoReader& r, int64_t begin, int64_t end) {
    if (begin > 0) r.seek(begin);
    const int chunk = std::max(1, ro.batch_frames);
    int64_t done = begin;
    while (done < end) {
      if (options.cancel && options.cancel->load())
        throw Error(Errc::Interrupted, input.name(), "the load was cancelled");
      FrameBatch part = m.frames.view(static_cast<int>(done), static_cast<int>(std::min<int64_t>(chunk, end - done)));
      if (!r.read(part)) break;
      done += part.size();
    }
    if (done != end)
      throw Error(Errc::Internal, input.name(),
                  "decoded frames " + std::to_string(begin) + ".." + std::to_string(done) + " where the index promised " +
                      std::to_string(end));
  };
  if (segments == 1) {
    decode_segment(reader, 0, count);
  } else {
    std::vector<std::exception_ptr> errors(static_cast<size_t>(segments));
    std::vector<std::thread> workers;
    ReaderOptions wo = ro;
    wo.decode.backend = reader.decoder().backend();  // the clip's memory kind is the first reader's
    if (wo.decode.backend != Backend::Nvdec && wo.decode.threads == 0)
      wo.decode.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / segments);
    for (int s = 0; s < segments; ++s)
      workers.emplace_back([&, s] {
        try {
          if (wo.decode.backend == Backend::Nvdec) use_device(wo.decode.device);
          VideoReader r(input, wo);
          decode_segment(r, starts[static_cast<size_t>(s)], starts[static_cast<size_t>(s) + 1]);
        } catch (...) {
          errors[static_cast<size_t>(s)] = std::current_exception();
        }
      });
    for (auto& w : workers) w.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }
  m.frames.resize(static_cast<int>(count));
  return clip;
}

int64_t ResidentClip::size() const noexcept { return impl_->frames.size(); }
const MediaInfo& ResidentClip::info() const noexcept { return impl_->info; }
const std::string& ResidentClip::decoder_description() const noexcept { return impl_->description; }
FrameBatch& ResidentClip::frames() noexcept { return impl_->frames; }
const FrameBatch& ResidentClip::frames() const noexcept { return impl_->frames; }
std::size_t ResidentClip::bytes() const noexcept { return impl_->frames.bytes(); }
int ResidentClip::sessions_used() const noexcept { return impl_->sessions; }

FrameBatch ResidentClip::slice(int64_t begin, int64_t count) const {
  if (begin < 0 || count <= 0 || begin + count > size())
    throw Error(Errc::InvalidArgument, impl_->info.video.codec_name,
                "slice [" + std::to_string(begin) + ", " + std::to_string(begin + count) + ") outside the clip's " +
                    std::to_string(size()) + " frames");
  return impl_->frames.view(static_cast<int>(begin), static_cast<int>(count));
}

}  // namespace cuframe
