// The decoded-chunk cache (cuframe/chunk_cache.hpp).
#include "cuframe/chunk_cache.hpp"

#include <sys/stat.h>

#include <condition_variable>
#include <exception>
#include <list>
#include <map>
#include <mutex>
#include <tuple>

#include "cuframe/error.hpp"

namespace cuframe {

namespace {

// Note [Chunk cache keys].
std::string source_id(const InputSource& input) {
  switch (input.kind()) {
    case InputSource::Kind::File: {
      struct stat st {};
      if (::stat(input.name().c_str(), &st) != 0) return "file:" + input.name();  // the reader will say why
      return "file:" + input.name() + "|" + std::to_string(st.st_size) + "|" + std::to_string(st.st_mtim.tv_sec) + "." +
             std::to_string(st.st_mtim.tv_nsec);
    }
    case InputSource::Kind::Memory:
      return "memory:" + input.name() + "|" + std::to_string(reinterpret_cast<std::uintptr_t>(input.bytes().data())) +
             "|" + std::to_string(input.bytes().size());
    case InputSource::Kind::Stdin: break;
  }
  return {};
}

using Key = std::tuple<std::string, int64_t, int>;

struct Entry {
  std::shared_ptr<const FrameBatch> batch;
  int64_t bytes = 0;
  bool loading = true;
  std::list<Key>::iterator lru;
};

struct OpenReader {
  std::unique_ptr<VideoReader> reader;
  int64_t position = 0;  // the frame the next read() starts with
};

}  // namespace

struct ChunkCache::Impl {
  ChunkCacheOptions options;
  mutable std::mutex lock;
  std::condition_variable loaded;
  std::map<Key, Entry> entries;
  std::list<Key> lru;  // front: most recently used
  std::list<std::pair<std::string, OpenReader>> readers;  // idle readers, front: most recent
  ChunkCacheStats stats;

  // An idle reader for the source (taken out of the list), or a new one. Outside the lock.
  OpenReader take_reader(const InputSource& input, const std::string& source) {
    {
      std::lock_guard<std::mutex> hold(lock);
      for (auto it = readers.begin(); it != readers.end(); ++it)
        if (it->first == source) {
          OpenReader r = std::move(it->second);
          readers.erase(it);
          return r;
        }
    }
    OpenReader r;
    r.reader = std::make_unique<VideoReader>(input, options.reader);
    return r;
  }

  void give_back(const std::string& source, OpenReader r) {
    std::lock_guard<std::mutex> hold(lock);
    readers.emplace_front(source, std::move(r));
    while (static_cast<int>(readers.size()) > std::max(0, options.open_readers)) readers.pop_back();
  }

  // Drops least recently used chunks until `incoming` more bytes fit. Under the lock.
  void make_room(int64_t incoming) {
    for (auto it = lru.end(); it != lru.begin() && stats.bytes + incoming > options.budget_bytes;) {
      --it;
      auto e = entries.find(*it);
      if (e == entries.end() || e->second.loading) continue;
      stats.bytes -= e->second.bytes;
      --stats.chunks;
      ++stats.evictions;
      entries.erase(e);
      it = lru.erase(it);
    }
  }

  std::shared_ptr<const FrameBatch> decode(const InputSource& input, const std::string& source, int64_t first,
                                           int count) {
    OpenReader r = take_reader(input, source);
    VideoReader& reader = *r.reader;
    const FrameLayout& layout = reader.decoder().layout();
    const int64_t bytes = static_cast<int64_t>(layout.frame_stride) * count;
    if (bytes > options.budget_bytes)
      throw Error(Errc::LimitExceeded, input.name(),
                  "a chunk of " + std::to_string(count) + " frames needs " + std::to_string(bytes) +
                      " bytes, more than the cache's whole budget of " + std::to_string(options.budget_bytes) +
                      " bytes: ask for fewer frames or give the cache a larger budget");
    if (r.position != first) {
      reader.seek(first);  // Errc::InvalidArgument past the end
      std::lock_guard<std::mutex> hold(lock);
      ++stats.seeks;
    }
    const MemoryKind memory = reader.decoder().backend() == Backend::Nvdec ? MemoryKind::Device : MemoryKind::Host;
    auto batch = std::make_shared<FrameBatch>(layout, count, memory, options.reader.decode.device);
    if (!reader.read(*batch))
      throw Error(Errc::InvalidArgument, input.name(),
                  "frame " + std::to_string(first) + " is past the end of the video (" +
                      std::to_string(reader.frames_read()) + " frames read)");
    r.position = first + batch->size();
    give_back(source, std::move(r));
    return batch;
  }
};

ChunkCache::ChunkCache(const ChunkCacheOptions& options) : impl_(std::make_unique<Impl>()) {
  if (options.budget_bytes <= 0) throw Error(Errc::InvalidArgument, "chunk cache", "the budget must be positive");
  impl_->options = options;
}

ChunkCache::~ChunkCache() = default;

std::shared_ptr<const FrameBatch> ChunkCache::get(const InputSource& input, int64_t first, int count) {
  Impl& m = *impl_;
  if (count < 1) throw Error(Errc::InvalidArgument, input.name(), "a chunk needs at least one frame");
  if (first < 0) throw Error(Errc::InvalidArgument, input.name(), "frame " + std::to_string(first) + " is negative");
  const std::string source = source_id(input);
  if (source.empty())
    throw Error(Errc::Unsupported, input.name(), "standard input cannot be cached (it cannot seek): read it with VideoReader");
  const Key key{source, first, count};
  {
    std::unique_lock<std::mutex> hold(m.lock);
    for (;;) {
      auto it = m.entries.find(key);
      if (it == m.entries.end()) break;
      if (!it->second.loading) {
        ++m.stats.hits;
        m.lru.splice(m.lru.begin(), m.lru, it->second.lru);
        return it->second.batch;
      }
      m.loaded.wait(hold);  // another thread decodes this chunk
    }
    Entry e;
    m.lru.push_front(key);
    e.lru = m.lru.begin();
    m.entries.emplace(key, std::move(e));
    ++m.stats.misses;
  }
  std::shared_ptr<const FrameBatch> batch;
  try {
    batch = m.decode(input, source, first, count);
  } catch (...) {
    std::lock_guard<std::mutex> hold(m.lock);
    auto it = m.entries.find(key);
    m.lru.erase(it->second.lru);
    m.entries.erase(it);
    m.loaded.notify_all();
    throw;
  }
  std::lock_guard<std::mutex> hold(m.lock);
  const int64_t bytes = static_cast<int64_t>(batch->bytes());
  m.make_room(bytes);
  Entry& e = m.entries.at(key);
  e.batch = batch;
  e.bytes = bytes;
  e.loading = false;
  m.stats.bytes += bytes;
  ++m.stats.chunks;
  m.loaded.notify_all();
  return batch;
}

ChunkCacheStats ChunkCache::stats() const {
  std::lock_guard<std::mutex> hold(impl_->lock);
  return impl_->stats;
}

void ChunkCache::clear() {
  std::lock_guard<std::mutex> hold(impl_->lock);
  Impl& m = *impl_;
  for (auto it = m.entries.begin(); it != m.entries.end();) {
    if (it->second.loading) {
      ++it;
      continue;
    }
    m.lru.erase(it->second.lru);
    it = m.entries.erase(it);
  }
  m.stats.bytes = 0;
  m.stats.chunks = 0;
  m.readers.clear();
}

}  // namespace cuframe
