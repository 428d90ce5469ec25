// cuframe/chunk_cache.hpp — decoded chunks kept in memory for repeated access.
//
//   ChunkCache cache({.budget_bytes = 2ll << 30});
//   auto a = cache.get(InputSource::file("in.mp4"), 300, 32);  // decoded: seek + decode
//   auto b = cache.get(InputSource::file("in.mp4"), 300, 32);  // the same frames, no decode
//
// A chunk is frames [first, first + count) of one input, in presentation order, exactly
// what VideoReader::seek(first) followed by reads gives. It lives where the decoder wrote
// it: device memory with NVDEC, host memory on the CPU path. The cache holds at most
// `budget_bytes` of chunks and evicts the least recently used ones first; a chunk handed
// out stays valid while the caller holds its pointer, even once evicted (its bytes then
// count against nothing and are freed when the last holder lets go).
//
// Note [Chunk cache keys]: the key is (source, first, count). A file's source is its
// path together with its size and modification time, so a file rewritten in place is
// decoded again rather than served stale; a memory input's source is its name, address
// and size. Standard input cannot be cached (it cannot seek). Chunks of different ranges
// are cached separately, even when they overlap.
//
// The cache keeps one open reader per recently used source (at most `open_readers`), so
// chunks asked for in order (k, k+1, ...) continue the decode without a seek. It is
// thread-safe: get() from several threads decodes different sources at once; a chunk
// asked for by two threads at once is decoded once, the second waiting for the first.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cuframe/decoder.hpp"
#include "cuframe/input.hpp"

namespace cuframe {

struct ChunkCacheOptions {
  int64_t budget_bytes = int64_t{1} << 30;  ///< bytes of chunks kept (default 1 GiB)
  ReaderOptions reader;                     ///< how misses are decoded (backend, device, limits)
  int open_readers = 4;                     ///< decode sessions kept open for sequential access
};

struct ChunkCacheStats {
  int64_t hits = 0;        ///< get() served from the cache
  int64_t misses = 0;      ///< get() that decoded
  int64_t evictions = 0;   ///< chunks dropped to stay within the budget
  int64_t seeks = 0;       ///< misses that had to seek (not a continuation of the last chunk)
  int64_t bytes = 0;       ///< bytes of the chunks held now
  int64_t chunks = 0;      ///< chunks held now
};

class ChunkCache {
 public:
  explicit ChunkCache(const ChunkCacheOptions& options = {});
  ~ChunkCache();
  ChunkCache(const ChunkCache&) = delete;
  ChunkCache& operator=(const ChunkCache&) = delete;

  /// Frames [first, first + count) of `input`. Fewer than `count` frames when the video
  /// ends first; Errc::InvalidArgument when `first` is past the end or count < 1;
  /// Errc::LimitExceeded when one chunk alone is larger than the budget; Errc::Unsupported
  /// for standard input; decode errors as VideoReader gives them.
  std::shared_ptr<const FrameBatch> get(const InputSource& input, int64_t first, int count);

  ChunkCacheStats stats() const;
  /// Drops every chunk and closes the readers (chunks held by callers stay valid).
  void clear();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuframe
