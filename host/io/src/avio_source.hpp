// Internal: custom AVIOContexts for inputs libavformat cannot open by URL —
// a caller-owned memory buffer and standard input.
#pragma once

extern "C" {
#include <libavformat/avio.h>
}

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace cuframe::detail {

/// Owns an AVIOContext (and its buffer) reading from memory or from a file descriptor.
class AvioSource {
 public:
  static std::unique_ptr<AvioSource> from_memory(std::span<const std::byte> bytes);
  /// Reads `fd` (not owned). Seekable when the descriptor is a regular file.
  static std::unique_ptr<AvioSource> from_fd(int fd);
  ~AvioSource();
  AvioSource(const AvioSource&) = delete;
  AvioSource& operator=(const AvioSource&) = delete;

  AVIOContext* context() const noexcept { return ctx_; }
  bool seekable() const noexcept { return seekable_; }
  int64_t size() const noexcept { return size_; }

 private:
  AvioSource() = default;
  static int read_memory(void* opaque, uint8_t* buf, int size);
  static int64_t seek_memory(void* opaque, int64_t offset, int whence);
  static int read_fd(void* opaque, uint8_t* buf, int size);
  static int64_t seek_fd(void* opaque, int64_t offset, int whence);
  void make_context(bool seekable);

  AVIOContext* ctx_ = nullptr;
  std::span<const std::byte> bytes_;
  int64_t pos_ = 0;
  int fd_ = -1;
  bool seekable_ = false;
  int64_t size_ = -1;
};

}  // namespace cuframe::detail
