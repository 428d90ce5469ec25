// Test support: small helpers shared by the suites.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstring>
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

/// The meaningful bytes of frame i, plane after plane (no pitch padding); a device frame
/// is copied to the host first.
inline std::string frame_bytes(const FrameBatch& device_or_host, int i) {
  std::optional<FrameBatch> copy;
  if (device_or_host.memory() == MemoryKind::Device) {
    copy.emplace(device_or_host.layout(), 1, MemoryKind::Host);
    copy->resize(1);
    copy_frame(device_or_host, i, *copy, 0);
    i = 0;
  }
  const FrameBatch& b = copy ? *copy : device_or_host;
  const FrameLayout& l = b.layout();
  std::string out;
  for (int p = 0; p < l.plane_count; ++p)
    for (int y = 0; y < l.planes[p].rows; ++y)
      out.append(reinterpret_cast<const char*>(b.plane(i, p) + y * l.planes[p].pitch), l.planes[p].row_bytes);
  return out;
}

/// FNV-1a over frame_bytes(frame i).
inline uint64_t frame_hash(const FrameBatch& device_or_host, int i) {
  uint64_t h = 1469598103934665603ull;
  for (const char c : frame_bytes(device_or_host, i)) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

constexpr std::uint8_t kPoison = 0xCD;

/// A host batch whose every byte (pitch padding and spare frames included) is kPoison.
inline FrameBatch poisoned(const FrameLayout& l, int capacity) {
  FrameBatch b(l, capacity, MemoryKind::Host);
  std::memset(b.data(), kPoison, b.bytes());
  return b;
}

/// Bytes outside the written pixels (pitch padding, frames past size()) are untouched.
inline void expect_guards_intact(const FrameBatch& b) {
  const FrameLayout& l = b.layout();
  const auto* base = reinterpret_cast<const std::uint8_t*>(b.data());
  std::size_t touched = 0;
  for (int f = 0; f < b.capacity(); ++f)
    for (int p = 0; p < l.plane_count; ++p)
      for (int y = 0; y < l.planes[p].rows; ++y) {
        const std::uint8_t* row = base + f * l.frame_stride + l.planes[p].offset + y * l.planes[p].pitch;
        for (std::size_t x = f < b.size() ? l.planes[p].row_bytes : 0; x < l.planes[p].pitch; ++x)
          touched += row[x] != kPoison;
      }
  EXPECT_EQ(touched, 0u) << "bytes outside the image were written";
}

/// A parameter (a path) as a test name: every non-alphanumeric character becomes '_'.
inline std::string param_name(const testing::TestParamInfo<std::string>& p) {
  std::string n = p.param;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

}  // namespace cuframe::test
