// libFuzzer target: demux + CPU decode from a memory buffer into batches, a seek, and a
// colour conversion of the first batch — the engine's no-GPU path end to end.
#include <cstddef>
#include <cstdint>
#include <span>

#include "cuframe/decoder.hpp"
#include "cuframe/error.hpp"
#include "cuframe/kernels/color.hpp"
#include "cuframe/log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    cuframe::set_verbosity(cuframe::Verbosity::Quiet);
    return true;
  }();
  (void)quiet;
  using namespace cuframe;
  ReaderOptions o;
  o.batch_frames = 4;
  o.decode.threads = 1;
  o.decode.backend = Backend::Cpu;
  o.decode.conceal_errors = (size & 1) != 0;  // both policies
  o.demux.limits.max_width = 4096;
  o.demux.limits.max_height = 4096;
  o.demux.limits.max_pixels = 640 * 368;
  try {
    VideoReader reader(InputSource::memory(std::as_bytes(std::span(data, size)), "fuzz"), o);
    FrameBatch batch = reader.make_batch();
    int batches = 0;
    bool converted = false;
    while (batches < 8 && reader.read(batch)) {  // iteration limit
      ++batches;
      if (!converted) {
        converted = true;
        FrameBatch rgb(kernels::converted_layout(batch.layout(), PixelFormat::RGB24), batch.capacity(), MemoryKind::Host);
        kernels::ColorSettings s;
        s.matrix = ColorMatrix::BT709;  // tags may be anything; the conversion must not care
        kernels::convert_color(batch, rgb, s);
      }
    }
    if (reader.frames_read() > 2) {
      reader.seek(reader.frames_read() / 2);
      reader.read(batch);
    }
  } catch (const Error&) {
  }
  return 0;
}
