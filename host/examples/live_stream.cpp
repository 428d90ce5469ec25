// Process a live stream: MPEG-TS on stdin, every frame resized and encoded as soon as
// it is decoded (chunks of one frame, zero-latency encoder), MPEG-TS out.
//
//   some_camera | example_live_stream OUT.ts
//
// Prints the per-frame latency (packet read -> encoded packet written).
#include <algorithm>
#include <cstdio>

#include "cuframe/cuframe.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ... | %s OUT.ts\n", argv[0]);
    return 2;
  }
  try {
    using namespace cuframe;
    TranscodeOptions options;
    options.mode = PipelineMode::Live;
    options.ops = parse_ops("resize=320x180");
    options.mux.format = ContainerFormat::Ts;
    TranscodeStats stats = transcode(InputSource::standard_input(), argv[1], options);
    std::vector<double> l = stats.latency_ms;
    std::sort(l.begin(), l.end());
    std::printf("live: %lld frames, encoder %s\n", static_cast<long long>(stats.frames), stats.encoder.c_str());
    if (!l.empty())
      std::printf("latency per frame: median %.2f ms, max %.2f ms over %zu frames\n", l[l.size() / 2], l.back(), l.size());
    return 0;
  } catch (const cuframe::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
