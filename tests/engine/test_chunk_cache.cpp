// The decoded-chunk cache: the frames equal a plain decode, hits do not decode again,
// in-order chunks need no seek, the budget holds (LRU eviction, chunks held by callers
// stay valid), stale files are not served, and bad requests fail clearly.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "cuframe/chunk_cache.hpp"
#include "support/helpers.hpp"
#include "support/test_env.hpp"

namespace cuframe {
namespace {

namespace fs = std::filesystem;

ChunkCacheOptions cpu_options(int64_t budget = int64_t{1} << 30) {
  ChunkCacheOptions o;
  o.budget_bytes = budget;
  o.reader.decode.backend = Backend::Cpu;
  return o;
}

// Hashes of every frame of a file, decoding from the start.
std::vector<uint64_t> all_frame_hashes(const std::string& path) {
  ReaderOptions o;
  o.decode.backend = Backend::Cpu;
  VideoReader reader(InputSource::file(path), o);
  FrameBatch b = reader.make_batch();
  std::vector<uint64_t> h;
  while (reader.read(b))
    for (int i = 0; i < b.size(); ++i) h.push_back(test::frame_hash(b, i));
  return h;
}

void expect_frames(const FrameBatch& chunk, const std::vector<uint64_t>& all, int64_t first) {
  for (int i = 0; i < chunk.size(); ++i)
    EXPECT_EQ(test::frame_hash(chunk, i), all.at(static_cast<size_t>(first + i))) << "frame " << first + i;
}

const std::string& clip() {
  static const std::string p = test::sample("testsrc2.mp4").string();
  return p;
}

TEST(ChunkCache, HitsServeTheSameFramesWithoutDecoding) {
  const std::vector<uint64_t> all = all_frame_hashes(clip());
  ChunkCache cache(cpu_options());
  const auto a = cache.get(InputSource::file(clip()), 10, 8);
  ASSERT_EQ(a->size(), 8);
  expect_frames(*a, all, 10);
  const auto b = cache.get(InputSource::file(clip()), 10, 8);
  EXPECT_EQ(a.get(), b.get()) << "a hit returns the cached chunk itself";
  const ChunkCacheStats s = cache.stats();
  EXPECT_EQ(s.misses, 1);
  EXPECT_EQ(s.hits, 1);
  EXPECT_EQ(s.chunks, 1);
  EXPECT_EQ(s.bytes, static_cast<int64_t>(a->bytes()));
  // Another range of the same file is another chunk.
  const auto c = cache.get(InputSource::file(clip()), 10, 4);
  EXPECT_NE(c.get(), a.get());
  expect_frames(*c, all, 10);
  EXPECT_EQ(cache.stats().misses, 2);
}

TEST(ChunkCache, InOrderChunksContinueWithoutSeeking) {
  const std::vector<uint64_t> all = all_frame_hashes(clip());
  ChunkCache cache(cpu_options());
  for (int64_t first = 0; first < 24; first += 8) expect_frames(*cache.get(InputSource::file(clip()), first, 8), all, first);
  EXPECT_EQ(cache.stats().seeks, 0);
  expect_frames(*cache.get(InputSource::file(clip()), 40, 8), all, 40);
  expect_frames(*cache.get(InputSource::file(clip()), 3, 5), all, 3);
  EXPECT_EQ(cache.stats().seeks, 2);
  // The last chunk of the video is short.
  const int64_t n = static_cast<int64_t>(all.size());
  const auto tail = cache.get(InputSource::file(clip()), n - 3, 8);
  EXPECT_EQ(tail->size(), 3);
  expect_frames(*tail, all, n - 3);
}

TEST(ChunkCache, BudgetEvictsLeastRecentlyUsedAndHeldChunksStayValid) {
  const std::vector<uint64_t> all = all_frame_hashes(clip());
  int64_t chunk_bytes = 0;
  {
    ChunkCache probe(cpu_options());
    chunk_bytes = static_cast<int64_t>(probe.get(InputSource::file(clip()), 0, 4)->bytes());
  }
  ChunkCache cache(cpu_options(2 * chunk_bytes));  // room for two chunks
  const auto first = cache.get(InputSource::file(clip()), 0, 4);
  cache.get(InputSource::file(clip()), 4, 4);
  cache.get(InputSource::file(clip()), 0, 4);  // touch: now 4..7 is the oldest
  cache.get(InputSource::file(clip()), 8, 4);  // evicts 4..7
  ChunkCacheStats s = cache.stats();
  EXPECT_EQ(s.evictions, 1);
  EXPECT_EQ(s.chunks, 2);
  EXPECT_LE(s.bytes, 2 * chunk_bytes);
  cache.get(InputSource::file(clip()), 0, 4);
  EXPECT_EQ(cache.stats().hits, 2) << "0..3 was used recently and must have stayed";
  cache.get(InputSource::file(clip()), 4, 4);
  EXPECT_EQ(cache.stats().misses, 4) << "4..7 was the least recently used and must have gone";
  cache.clear();
  EXPECT_EQ(cache.stats().bytes, 0);
  expect_frames(*first, all, 0);  // held by us: still valid after eviction and clear()
}

TEST(ChunkCache, RewrittenFileIsDecodedAgain) {
  const fs::path copy = test::temp_dir() / "rewritten.mp4";
  fs::copy_file(clip(), copy);
  ChunkCache cache(cpu_options());
  const auto before = cache.get(InputSource::file(copy.string()), 0, 2);
  fs::remove(copy);
  fs::copy_file(test::sample("testsrc2_h265.mp4"), copy);
  const auto after = cache.get(InputSource::file(copy.string()), 0, 2);
  EXPECT_EQ(cache.stats().misses, 2) << "a file rewritten in place must not be served from the cache";
  expect_frames(*after, all_frame_hashes(copy.string()), 0);
}

TEST(ChunkCache, ConcurrentRequestsForOneChunkDecodeOnce) {
  ChunkCache cache(cpu_options());
  std::vector<std::shared_ptr<const FrameBatch>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] { got[t] = cache.get(InputSource::file(clip()), 20, 6); });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g.get(), got[0].get());
  EXPECT_EQ(cache.stats().misses, 1);
  EXPECT_EQ(cache.stats().hits, 3);
}

TEST(ChunkCache, BadRequestsFailClearly) {
  ChunkCache cache(cpu_options(1024));
  auto e = test::error_of([&] { cache.get(InputSource::file(clip()), 0, 4); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), Errc::LimitExceeded);
  EXPECT_NE(std::string(e->what()).find("budget"), std::string::npos) << e->what();

  ChunkCache big(cpu_options());
  e = test::error_of([&] { big.get(InputSource::file(clip()), 100000, 4); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), Errc::InvalidArgument) << e->what();
  e = test::error_of([&] { big.get(InputSource::file(clip()), 0, 0); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), Errc::InvalidArgument);
  e = test::error_of([&] { big.get(InputSource::standard_input(), 0, 4); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), Errc::Unsupported);
  e = test::error_of([&] { big.get(InputSource::file("/nonexistent/x.mp4"), 0, 4); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), Errc::NotFound);
  EXPECT_EQ(big.stats().chunks, 0) << "failed requests leave nothing behind";
  // The cache still works after failures.
  EXPECT_EQ(big.get(InputSource::file(clip()), 0, 4)->size(), 4);
}

}  // namespace
}  // namespace cuframe
