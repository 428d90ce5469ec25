// Test support: small helpers shared by the suites.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "cuframe/error.hpp"
#include "cuframe/frame.hpp"

namespace cuframe::test {

/// The cuframe::Error `fn` throws, or nullopt if it returns normally.
inline std::optional<Error> error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

/// FNV-1a over the meaningful bytes (no pitch padding) of host frame i.
inline uint64_t frame_hash(const FrameBatch& b, int i) {
  uint64_t h = 1469598103934665603ull;
  const FrameLayout& l = b.layout();
  for (int p = 0; p < l.plane_count; ++p)
    for (int y = 0; y < l.planes[p].rows; ++y) {
      const auto* row = reinterpret_cast<const uint8_t*>(b.plane(i, p)) + y * l.planes[p].pitch;
      for (size_t x = 0; x < l.planes[p].row_bytes; ++x) h = (h ^ row[x]) * 1099511628211ull;
    }
  return h;
}

/// A parameter (a path) as a test name: every non-alphanumeric character becomes '_'.
inline std::string param_name(const testing::TestParamInfo<std::string>& p) {
  std::string n = p.param;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

}  // namespace cuframe::test
