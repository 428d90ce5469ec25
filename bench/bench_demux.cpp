// Container input: packets/s and MB/s from a file and from a caller-owned memory buffer
// (the seed's "video in memory").
// The memory path should be no slower than the file path (ratio reported as counters).
#include <benchmark/benchmark.h>

#include "bench_common.hpp"
#include "cuframe/demuxer.hpp"
#include "cuframe/probe.hpp"

namespace {

using namespace cuframe;

void run_demux(benchmark::State& state, bool from_memory) {
  const auto path = bench::data_dir() / "samples" / "testsrc2.mp4";
  const std::string bytes = bench::read_file(path);
  int64_t packets = 0, payload = 0;
  DemuxOptions opt;
  for (auto _ : state) {
    Demuxer d(from_memory ? InputSource::memory(std::as_bytes(std::span(bytes.data(), bytes.size())))
                          : InputSource::file(path.string()),
              opt);
    Packet p;
    while (d.read(p)) {
      ++packets;
      payload += static_cast<int64_t>(p.data().size());
    }
  }
  state.counters["packets/s"] = benchmark::Counter(static_cast<double>(packets), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(payload);
}

void BM_DemuxFile(benchmark::State& s) { run_demux(s, false); }
void BM_DemuxMemory(benchmark::State& s) { run_demux(s, true); }
BENCHMARK(BM_DemuxFile)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DemuxMemory)->Unit(benchmark::kMillisecond)->UseRealTime();

// Open + describe without decoding: the cost a job pays per input before any work.
void BM_ProbeHeaderOnly(benchmark::State& state) {
  const auto path = (bench::data_dir() / "samples" / "nasa_13013.mp4").string();
  ProbeOptions opt;
  opt.count_frames = false;
  for (auto _ : state) benchmark::DoNotOptimize(probe(InputSource::file(path), opt));
}
BENCHMARK(BM_ProbeHeaderOnly)->Unit(benchmark::kMillisecond);

}  // namespace
