// libFuzzer target: the --ops parser. Properties: it never crashes, it refuses with
// cuframe::Error only, and what it accepts prints back to text that parses to the same ops.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cuframe/error.hpp"
#include "cuframe/ops.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<cuframe::Op> ops;
  try {
    ops = cuframe::parse_ops(text);
  } catch (const cuframe::Error&) {
    return 0;
  }
  std::string again;
  for (const auto& op : ops) {
    if (!again.empty()) again += ',';
    again += cuframe::to_string(op);
  }
  if (cuframe::parse_ops(again) != ops) std::abort();  // round trip must hold
  return 0;
}
