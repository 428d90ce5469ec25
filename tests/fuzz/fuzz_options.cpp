// libFuzzer target: option and limit handling. The bytes are a `cuframe transcode` command
// line (words split at NUL, newline and space) plus, in their first 8 bytes, the frame
// the decoder would deliver. It drives the CLI's own option code (host/cli/options.cpp),
// then the engine's planning of that transcode: the ops' layouts, the limits, the memory
// budget of the ring (plan_transcode), the encoder's parameter checks and the NVENC plan.
// Only CLI11 parse errors and cuframe::Error are refusals; any other exception, a crash
// or a sanitizer report is a finding. Properties of what is accepted:
//   - a planned output frame is within the limits and the plan's bytes are positive;
//   - an encoder configuration validate_encode_options() accepts has a positive size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "cuframe/encoder.hpp"
#include "cuframe/error.hpp"
#include "encode/nvenc_plan.hpp"  // internal (engine/src)
#include "cuframe/op_chain.hpp"
#include "cuframe/pipeline.hpp"
#include "options.hpp"

namespace {

constexpr cuframe::PixelFormat kFormats[] = {cuframe::PixelFormat::NV12, cuframe::PixelFormat::P016,
                                             cuframe::PixelFormat::YUV444P, cuframe::PixelFormat::YUV444P16};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8 || size > 2048) return 0;
  // The decoded frame: width and height 1..70000 (past every limit), a native format.
  const int width = 1 + static_cast<int>((data[0] | data[1] << 8 | (data[2] & 1) << 16) % 70000);
  const int height = 1 + static_cast<int>((data[3] | data[4] << 8 | (data[5] & 1) << 16) % 70000);
  const cuframe::PixelFormat format = kFormats[data[6] % 4];
  const int depth = format == cuframe::PixelFormat::NV12 || format == cuframe::PixelFormat::YUV444P ? 8
                                                                                                     : (data[7] & 1 ? 12 : 10);
  std::vector<std::string> words = {"cuframe", "transcode"};
  std::string word;
  for (size_t i = 8; i <= size && words.size() < 40; ++i) {
    const char c = i < size ? static_cast<char>(data[i]) : '\0';
    if (c == '\0' || c == '\n' || c == ' ') {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else if (word.size() < 80) {
      word += c;
    }
  }
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());

  CLI::App app{"fuzz"};
  app.require_subcommand(1);
  CLI::App* sub = app.add_subcommand("transcode");
  cuframe::cli::TranscodeArgs args;
  cuframe::cli::add_transcode_options(*sub, args);
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
    return 0;
  }
  cuframe::TranscodeOptions options;
  try {
    options = cuframe::cli::make_transcode_options(args);
  } catch (const cuframe::Error&) {
    return 0;
  }

  cuframe::FrameLayout decoded;
  try {
    decoded = cuframe::make_layout(format, width, height, depth);
  } catch (const cuframe::Error&) {
    return 0;
  }
  try {
    const int64_t frames = 1 + (data[7] >> 1) * 1000;
    const cuframe::TranscodePlan plan = cuframe::plan_transcode(options, decoded, frames, int64_t{8} << 30,
                                                                     (data[7] & 1) ? cuframe::MemoryKind::Device : cuframe::MemoryKind::Host);
    const cuframe::FrameLayout& out = plan.output;
    const cuframe::Limits& lim = options.limits;
    if (out.width <= 0 || out.height <= 0 || out.width > lim.max_width || out.height > lim.max_height ||
        int64_t{out.width} * out.height > lim.max_pixels)
      std::abort();  // a plan past the limits
    if (plan.frame_bytes < 0 || plan.frame_bytes > (int64_t{8} << 30)) std::abort();  // past the budget
    cuframe::EncodeParams p;
    p.width = out.width;
    p.height = out.height;
    p.format = out.format;
    p.bit_depth = depth;
    const std::string problem = cuframe::validate_encode_options(p, options.encode);
    if (problem.empty() && (p.width <= 0 || p.height <= 0)) std::abort();
    if (problem.empty()) (void)cuframe::nvenc_unavailable_reason(p, options.encode);  // never throws
    try {
      (void)cuframe::to_string(cuframe::plan_nvenc(p, options.encode));
    } catch (const cuframe::Error&) {
    }
  } catch (const cuframe::Error&) {
  }
  return 0;
}
