// Structural comparison of two NVDEC traces (Note [NVDEC trace] in nvdec_trace.cpp).
#pragma once

#include <string>
#include <vector>

namespace cuframe::trace {

/// One difference: `what` names the aspect (calls, sequence, create, decode order, display
/// order, timestamps, map, error, pitch); `info` differences do not fail a comparison.
struct Difference {
  std::string what;
  std::string text;
  bool info = false;
};

/// Compares the traces in two JSON-lines files (EXPECTED usually the virtual model's,
/// ACTUAL a real GPU's). Looks at:
///   - the calls: how many of each kind, and their order up to the first divergence;
///   - the sequence callbacks' format fields and return values, the decoders created
///     and reconfigured (coded size, target, number of surfaces);
///   - the picture indices of the decode callbacks (CurrPicIdx), and the display order
///     as decode serials (the n-th decoded picture shown k-th), which does not depend on
///     the parser's choice of surfaces;
///   - the display timestamps;
///   - each map: that it maps the picture just displayed, and that its pitch holds the
///     target row. Pitch values that differ are reported as information only (the
///     hardware chooses them); so are the model's own notes (`dropped`, `unmatched`) and
///     `end_of_stream`'s `pending` count, which the two sides count differently.
/// A malformed line throws std::runtime_error naming the file and line.
std::vector<Difference> compare(const std::vector<std::string>& expected_lines,
                                const std::vector<std::string>& actual_lines);

/// Reads both files, prints every difference and a last line "trace: N differences (M
/// informational)"; returns 0 when there is none that counts, 1 when there is, 2 when a
/// file cannot be read or parsed.
int compare_files(const std::string& expected, const std::string& actual);

}  // namespace cuframe::trace
