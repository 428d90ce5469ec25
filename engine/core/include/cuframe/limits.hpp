// cuframe/limits.hpp — limits that protect the machine from hostile or absurd input.
//
// All are checked before anything is allocated for a stream, and all can be raised by
// the caller. Exceeding one throws cuframe::Error with Errc::LimitExceeded, naming the
// limit, the value found and how to raise it.
#pragma once

#include <cstdint>

namespace cuframe {

struct Limits {
  int max_width = 16384;                        ///< widest frame accepted
  int max_height = 16384;                       ///< tallest frame accepted
  int64_t max_pixels = int64_t{8192} * 8192;    ///< width * height
  int64_t max_resident_frames = 1'000'000;      ///< frames held at once in resident mode
  /// Device memory budget in bytes for resident mode; 0 = free device memory minus a
  /// margin, decided when the clip is opened.
  int64_t memory_budget_bytes = 0;
};

}  // namespace cuframe
