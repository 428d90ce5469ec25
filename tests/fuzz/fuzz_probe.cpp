// libFuzzer target: cuframe::probe on arbitrary bytes from memory (demux + the counting
// decode). Any cuframe::Error is a clean refusal; a crash, hang, leak or sanitizer report
// is a finding. Limits keep huge declared sizes from being allocated, like FFmpeg's own
// decoder fuzzer.
#include <cstddef>
#include <cstdint>
#include <span>

#include "cuframe/error.hpp"
#include "cuframe/log.hpp"
#include "cuframe/probe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    cuframe::set_verbosity(cuframe::Verbosity::Quiet);
    return true;
  }();
  (void)quiet;
  cuframe::ProbeOptions o;
  o.threads = 1;
  o.limits.max_width = 4096;
  o.limits.max_height = 4096;
  o.limits.max_pixels = 640 * 368;
  try {
    const auto info = cuframe::probe(
        cuframe::InputSource::memory(std::as_bytes(std::span(data, size)), "fuzz"), o);
    (void)cuframe::to_json(info);
  } catch (const cuframe::Error&) {
  }
  return 0;
}
