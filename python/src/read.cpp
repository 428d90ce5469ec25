// cuframe.load (Clip), cuframe.VideoReader and cuframe.ChunkCache.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <future>

#include "binding.hpp"

namespace cuframe::py {

namespace {

/// Frames per decode chunk when a load converts while decoding: small on the CPU (the
/// peak memory is the result plus one chunk), a kernel batch on the GPU.
int load_chunk(MemoryKind memory) { return memory == MemoryKind::Device ? 32 : 8; }

ReaderOptions reader_options(const DeviceChoice& d, int batch) {
  ReaderOptions o;
  o.decode.backend = d.backend;
  o.decode.device = d.device;
  o.batch_frames = batch;
  return o;
}

MemoryKind memory_of(const VideoReader& r) {
  return r.decoder().backend() == Backend::Nvdec ? MemoryKind::Device : MemoryKind::Host;
}

std::shared_ptr<CudaStream> stream_for(MemoryKind memory, int device) {
  if (memory != MemoryKind::Device) return nullptr;
  use_device(device);
  return std::make_shared<CudaStream>(device);
}

struct PyClip {
  PyBatch frames;
  MediaInfo info;
  std::string decoder;
};

/// The state a clip's memory lives in: the frames, and the bytes of a memory source.
struct ClipMemory {
  std::shared_ptr<const void> frames;
  std::shared_ptr<const std::string> source_bytes;
};

PyClip load(const nb::object& src, const std::string& name, const std::string& format, const std::string& device,
            int64_t start, std::optional<int64_t> count, const nb::dict& settings) {
  Source source = make_source(src, name);
  const DeviceChoice choice = parse_device(device);
  if (start < 0) throw Error(Errc::InvalidArgument, "start", "must be >= 0");
  if (count && *count < 0) throw Error(Errc::InvalidArgument, "count", "must be >= 0");
  ToSettings s = parse_to_settings(PixelFormat::NV12, settings);  // the format is set below
  const bool plain = settings.size() == 0;
  // The whole video, native: ResidentClip (one allocation, several decode sessions), on a
  // thread of its own so that a Ctrl-C here cancels it.
  if (format == "native" && start == 0 && !count && plain) {
    ResidentOptions ro;
    ro.decode.backend = choice.backend;
    ro.decode.device = choice.device;
    ro.sessions = 0;
    std::atomic<bool> cancel{false};
    ro.cancel = &cancel;
    std::shared_ptr<ResidentClip> clip;
    run_interruptible([&] { clip = std::make_shared<ResidentClip>(ResidentClip::load(source.input, ro)); }, cancel);
    nb::gil_scoped_release release;
    const MemoryKind memory = clip->frames().memory();
    auto stream = stream_for(memory, choice.device);
    auto owner = std::make_shared<ClipMemory>(ClipMemory{clip, source.bytes});
    PyClip out{make_batch(owner, clip->frames(), 0, static_cast<int>(clip->size()), stream), clip->info(),
               clip->decoder_description()};
    out.info.video.frames = clip->size();
    return out;
  }
  LongCall call;
  VideoReader reader(source.input, reader_options(choice, 1));  // load sizes its own chunks below
  const MemoryKind memory = memory_of(reader);
  const int dev = reader.decoder().backend() == Backend::Nvdec ? choice.device : 0;
  if (memory == MemoryKind::Device) use_device(dev);
  const int64_t total = reader.frame_count();
  if (start >= total && !(start == 0 && total == 0))
    throw Error(Errc::InvalidArgument, source.input.name(),
                "start=" + std::to_string(start) + " is past the last frame (the video has " + std::to_string(total) +
                    " frames)");
  const int64_t n = std::min(count.value_or(total - start), total - start);
  if (n > 0x7FFFFFFF) throw Error(Errc::LimitExceeded, source.input.name(), "more than 2^31 frames");
  const FrameLayout& decoded = reader.decoder().layout();
  s.format = format == "native" ? decoded.format : parse_format(format);
  // Chunks sized for where the frames are (the backend Auto chose, not the one asked for).
  const int chunk = load_chunk(memory);
  FrameBatch scratch(decoded, chunk, memory, dev);
  std::optional<Converter> conv;
  if (!s.empty_for(decoded.format)) conv.emplace(decoded, s, chunk, memory, dev);
  const FrameLayout layout = conv ? conv->output() : decoded;
  const int64_t needed = static_cast<int64_t>(layout.frame_stride) * n;
  const int64_t budget = default_memory_budget(memory, dev);
  if (needed > budget)
    throw Error(Errc::LimitExceeded, source.input.name(),
                std::to_string(n) + " frames of " + to_string(layout.format) + " need " + std::to_string(needed >> 20) +
                    " MiB but the " + (memory == MemoryKind::Device ? "device" : "host") + " memory budget is " +
                    std::to_string(budget >> 20) + " MiB: load fewer frames (start=, count=) or read in chunks with "
                    "cuframe.VideoReader");
  auto stream = stream_for(memory, dev);
  auto all = std::make_shared<FrameBatch>(layout, static_cast<int>(std::max<int64_t>(n, 1)), memory, dev);
  if (start > 0) reader.seek(start);
  // Note [Python load pipeline]: chunk after chunk, frames are decoded straight into
  // their place in `all`, or into a scratch batch and converted into their place: the
  // peak is the result plus two chunks. On the CPU the conversion of chunk k runs on a
  // second thread while chunk k+1 decodes (libavcodec's frame threads leave a core
  // free on small machines); device chunks convert asynchronously on the stream anyway.
  const bool overlap = conv && memory != MemoryKind::Device;
  FrameBatch scratch2 = overlap ? FrameBatch(decoded, chunk, memory, dev) : FrameBatch();
  std::future<void> converting;
  struct Wait {  // the conversion in flight is finished before its buffers go
    std::future<void>& f;
    ~Wait() {
      if (f.valid()) f.wait();
    }
  } wait{converting};
  int64_t pos = 0;
  for (int k = 0; pos < n; ++k) {
    call.check();
    const int want = static_cast<int>(std::min<int64_t>(chunk, n - pos));
    FrameBatch place = all->view(static_cast<int>(pos), want);
    FrameBatch part = conv ? (overlap && k % 2 ? scratch2 : scratch).view(0, want) : FrameBatch();
    FrameBatch& into = conv ? part : place;
    const bool got = stream ? reader.read(into, *stream) : reader.read(into);
    if (!got || into.size() == 0) break;
    pos += into.size();
    if (!conv) {
      all->color = place.color;
      continue;
    }
    auto convert = [&conv, &all, &stream, part = std::move(part), place = std::move(place)]() mutable {
      conv->run(part, place, stream.get());
      for (int i = 0; i < part.size(); ++i) place.info(i) = part.info(i);
      all->color = place.color;
    };
    if (converting.valid()) converting.get();
    if (overlap) converting = std::async(std::launch::async, std::move(convert));
    else convert();
  }
  if (converting.valid()) converting.get();
  all->resize(static_cast<int>(pos));
  all->time_base = reader.info().video.time_base;
  auto owner = std::make_shared<ClipMemory>(ClipMemory{all, source.bytes});
  PyClip out{make_batch(owner, *all, 0, static_cast<int>(pos), stream), reader.info(), reader.decoder().description()};
  out.info.video.frames = total;
  return out;
}

/// cuframe.VideoReader: batches with bounded memory from a pool (Note [Python lifetimes]).
/// One thread at a time: every method takes the reader's mutex, after releasing the GIL.
class PyReader {
 public:
  PyReader(const nb::object& src, const std::string& name, int batch, const std::string& format,
           const std::string& device, const std::string& mode, const nb::dict& settings)
      : source_(make_source(src, name)) {
    if (mode != "stream" && mode != "live") throw Error(Errc::InvalidArgument, "mode=" + mode, "use \"stream\" or \"live\"");
    if (batch < 1 || batch > 4096) throw Error(Errc::InvalidArgument, "batch", "must be 1..4096");
    const DeviceChoice choice = parse_device(device);
    const int frames = mode == "live" ? 1 : batch;
    ToSettings s = parse_to_settings(PixelFormat::NV12, settings);  // the format is set below
    nb::gil_scoped_release release;
    reader_ = std::make_unique<VideoReader>(source_.input, reader_options(choice, frames));
    memory_ = memory_of(*reader_);
    device_ = reader_->decoder().backend() == Backend::Nvdec ? choice.device : 0;
    stream_ = stream_for(memory_, device_);
    const FrameLayout& decoded = reader_->decoder().layout();
    s.format = format == "native" ? decoded.format : parse_format(format);
    if (!s.empty_for(decoded.format)) {
      conv_.emplace(decoded, s, frames, memory_, device_);
      scratch_ = reader_->make_batch();
    }
    capacity_ = frames;
  }

  std::optional<PyBatch> next() {
    LongCall call;
    std::lock_guard lock(mutex_);
    VideoReader& r = open();
    Pooled out = take_from_pool();
    FrameBatch& f = *out.frames;
    bool got;
    if (conv_) {
      got = stream_ ? r.read(scratch_, *stream_) : r.read(scratch_);
      if (got && scratch_.size() > 0) {
        conv_->run(scratch_, f, stream_.get());
        for (int i = 0; i < scratch_.size(); ++i) f.info(i) = scratch_.info(i);
      }
      f.resize(got ? scratch_.size() : 0);
      f.time_base = scratch_.time_base;
    } else {
      got = stream_ ? r.read(f, *stream_) : r.read(f);
    }
    if (!got || f.size() == 0) return std::nullopt;
    if (f.time_base.num == 0) f.time_base = r.info().video.time_base;
    BatchState parent;
    parent.consumers = out.consumers;
    return make_batch(out.frames, f, 0, f.size(), stream_, &parent);
  }

  int64_t frame_count() {
    nb::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    return open().frame_count();
  }
  void seek(int64_t index) {
    nb::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    open().seek(index);
  }
  std::vector<int64_t> keyframes() {
    nb::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    return open().keyframe_indices();
  }
  nb::object info() {
    MediaInfo info;
    {
      nb::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      info = open().info();
      if (info.video.frames < 0 && source_.input.kind() != InputSource::Kind::Stdin) {
        try {  // the frame index knows it (a pipe cannot be indexed: then -1 stays)
          info.video.frames = open().frame_count();
        } catch (const Error&) {
        }
      }
    }
    return media_info_object(info);
  }
  std::string decoder() {
    nb::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    return open().decoder().description();
  }
  int64_t frames_read() {
    nb::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    return open().frames_read();
  }
  void close() {
    nb::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    pool_.clear();
    reader_.reset();
  }

 private:
  struct Pooled {
    std::shared_ptr<FrameBatch> frames;
    std::shared_ptr<ConsumerStreams> consumers;
  };
  VideoReader& open() {
    if (!reader_) throw Error(Errc::InvalidArgument, source_.input.name(), "the reader is closed");
    return *reader_;
  }
  /// A batch no one outside the pool holds (use_count() == 1), or a new one. Device
  /// batches exported to other streams are reused only after those streams' work (Note
  /// [Python streams]). Batches idle beyond the one reused are freed, so the pool is as
  /// large as what the caller holds, plus one.
  Pooled take_from_pool() {
    std::optional<Pooled> free;
    std::vector<Pooled> keep;
    for (Pooled& p : pool_) {
      if (p.frames.use_count() > 1) keep.push_back(std::move(p));
      else if (!free) free = std::move(p);
    }
    pool_ = std::move(keep);
    if (!free) {
      const FrameLayout layout = conv_ ? conv_->output() : reader_->decoder().layout();
      free = Pooled{std::make_shared<FrameBatch>(layout, capacity_, memory_, device_),
                    memory_ == MemoryKind::Device ? std::make_shared<ConsumerStreams>() : nullptr};
    }
    if (free->consumers) {
      std::lock_guard lock(free->consumers->mutex);
      for (std::uintptr_t s : free->consumers->streams) {
        if (!reuse_event_) reuse_event_.emplace(device_);
        reuse_event_->record_foreign(s);
        reuse_event_->wait_on(*stream_);
      }
      free->consumers->streams.clear();
    }
    pool_.push_back(*free);
    return *free;
  }

  std::mutex mutex_;
  Source source_;
  std::unique_ptr<VideoReader> reader_;
  std::optional<Converter> conv_;
  FrameBatch scratch_;
  std::vector<Pooled> pool_;
  std::shared_ptr<CudaStream> stream_;
  std::optional<CudaEvent> reuse_event_;
  MemoryKind memory_ = MemoryKind::Host;
  int device_ = 0;
  int capacity_ = 1;
};

class PyChunkCache {
 public:
  PyChunkCache(int64_t budget, const std::string& device) {
    ChunkCacheOptions o;
    o.budget_bytes = budget;
    const DeviceChoice d = parse_device(device);
    o.reader.decode.backend = d.backend;
    o.reader.decode.device = d.device;
    cache_ = std::make_unique<ChunkCache>(o);
  }
  PyBatch get(const nb::object& src, const std::string& name, int64_t first, int count) {
    // A memory source's key is its address (Note [Chunk cache keys]): keep one copy of
    // each bytes object alive for the cache's life.
    Source s = source_for(src, name);
    std::shared_ptr<const FrameBatch> chunk;
    {
      nb::gil_scoped_release release;
      chunk = cache_->get(s.input, first, count);
    }
    std::shared_ptr<CudaStream> stream = stream_for(chunk->memory(), chunk->device());
    BatchState shared;
    shared.read_only = true;  // every later hit gets the same frames
    return make_batch(chunk, *chunk, 0, chunk->size(), stream, &shared);
  }
  nb::dict stats() const {
    const ChunkCacheStats st = cache_->stats();
    nb::dict d;
    d["hits"] = st.hits;
    d["misses"] = st.misses;
    d["evictions"] = st.evictions;
    d["seeks"] = st.seeks;
    d["bytes"] = st.bytes;
    d["chunks"] = st.chunks;
    return d;
  }
  void clear() {
    cache_->clear();
    memory_sources_.clear();  // chunks held by callers keep their own frames
  }

 private:
  Source source_for(const nb::object& src, const std::string& name) {
    if (!nb::isinstance<nb::bytes>(src)) return make_source(src, name);
    const nb::bytes b = nb::borrow<nb::bytes>(src);
    for (const Source& s : memory_sources_)
      if (s.bytes->size() == b.size() && std::memcmp(s.bytes->data(), b.c_str(), b.size()) == 0) return s;
    memory_sources_.push_back(make_source(src, name));
    return memory_sources_.back();
  }
  std::unique_ptr<ChunkCache> cache_;
  std::vector<Source> memory_sources_;
};

}  // namespace

void bind_read(nb::module_& m) {
  nb::class_<PyClip>(m, "_Clip")
      .def_ro("frames", &PyClip::frames)
      .def_prop_ro("info", [](const PyClip& c) { return media_info_object(c.info); })
      .def_ro("decoder", &PyClip::decoder);
  m.def("_load", &load, nb::arg("src"), nb::arg("name"), nb::arg("format"), nb::arg("device"), nb::arg("start"),
        nb::arg("count").none(), nb::arg("settings"));

  nb::class_<PyReader>(m, "_Reader")
      .def(nb::init<const nb::object&, const std::string&, int, const std::string&, const std::string&,
                    const std::string&, const nb::dict&>())
      .def("next", &PyReader::next)
      .def("frame_count", &PyReader::frame_count)
      .def("seek", &PyReader::seek)
      .def("keyframes", &PyReader::keyframes)
      .def("info", &PyReader::info)
      .def("decoder", &PyReader::decoder)
      .def("frames_read", &PyReader::frames_read)
      .def("close", &PyReader::close);

  nb::class_<PyChunkCache>(m, "_ChunkCache")
      .def(nb::init<int64_t, const std::string&>())
      .def("get", &PyChunkCache::get)
      .def("stats", &PyChunkCache::stats)
      .def("clear", &PyChunkCache::clear);

  m.def("_probe", [](const nb::object& src, const std::string& name, bool count_frames) {
    Source s = make_source(src, name);
    ProbeOptions o;
    o.count_frames = count_frames;
    MediaInfo info;
    {
      nb::gil_scoped_release release;
      info = probe(s.input, o);
    }
    return media_info_object(info);
  });
}

}  // namespace cuframe::py
