// Run in parallel: several inputs decoded at once, one decode session per input (on a
// GPU, each session keeps one NVDEC engine busy; on the CPU, one libavcodec decoder).
//
//   example_parallel_decode IN...
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "cuframe/cuframe.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s IN...\n", argv[0]);
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::atomic<long long> total{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> sessions;
  for (int i = 1; i < argc; ++i)
    sessions.emplace_back([&, path = std::string(argv[i])] {
      try {
        cuframe::ReaderOptions options;
        options.decode.threads = 1;  // the parallelism is across inputs
        cuframe::VideoReader reader(cuframe::InputSource::file(path), options);
        cuframe::FrameBatch batch = reader.make_batch();
        long long frames = 0;
        while (reader.read(batch)) frames += batch.size();
        total += frames;
        std::printf("%s: %lld frames (%s)\n", path.c_str(), frames, reader.decoder().description().c_str());
      } catch (const cuframe::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        ++failed;
      }
    });
  for (auto& t : sessions) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("all: %lld frames from %d inputs in %.2f s (%.1f fps aggregate)\n", total.load(), argc - 1, secs,
              static_cast<double>(total.load()) / secs);
  return failed ? 1 : 0;
}
