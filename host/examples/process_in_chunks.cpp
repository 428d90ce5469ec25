// Process a long video in chunks: memory stays bounded by the chunk, whatever the length.
//
//   example_process_in_chunks IN [CHUNK]
//
// Prints the mean luma of every chunk (a stand-in for any per-chunk analysis).
#include <cstdio>
#include <cstdlib>

#include "cuframe/cuframe.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s IN [CHUNK]\n", argv[0]);
    return 2;
  }
  try {
    using namespace cuframe;
    ReaderOptions options;
    options.decode.backend = Backend::Cpu;  // host frames: this example reads pixels on the CPU
    options.batch_frames = argc > 2 ? std::atoi(argv[2]) : 32;
    VideoReader reader(InputSource::file(argv[1]), options);
    FrameBatch chunk = reader.make_batch();  // allocated once, reused for every chunk
    int index = 0;
    while (reader.read(chunk)) {
      const FrameLayout& l = chunk.layout();
      const bool wide = l.format == PixelFormat::P016 || l.format == PixelFormat::YUV444P16;
      double sum = 0;
      for (int f = 0; f < chunk.size(); ++f)
        for (int y = 0; y < l.height; ++y) {
          const std::byte* row = chunk.plane(f, 0) + static_cast<size_t>(y) * l.planes[0].pitch;
          for (int x = 0; x < l.width; ++x)
            sum += wide ? reinterpret_cast<const uint16_t*>(row)[x] / 257.0 : static_cast<double>(row[x]);
        }
      std::printf("chunk %d: frames %lld..%lld, mean luma %.2f\n", index++, static_cast<long long>(chunk.info(0).index),
                  static_cast<long long>(chunk.info(chunk.size() - 1).index),
                  sum / (static_cast<double>(chunk.size()) * l.width * l.height));
    }
    std::printf("total: %lld frames in %d chunks\n", static_cast<long long>(reader.frames_read()), index);
    return 0;
  } catch (const cuframe::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
