// cuframe/output_file.hpp — an output that is either complete or absent.
//
// A regular file is written to a temporary file beside it and renamed over the target
// by commit(); if the writer is destroyed without commit() (an error, an exception), the
// temporary file is removed and the target is untouched. Anything else — "-" (stdout),
// a pipe, /dev/null, a device — is written in place and never removed or replaced.
#pragma once

#include <cstddef>
#include <string>

namespace cuframe {

class OutputFile {
 public:
  /// Opens `path` ("-" is stdout). Throws Errc::Io / NotFound naming the path.
  explicit OutputFile(std::string path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  /// Writes all bytes. Throws Errc::Io naming the path (a closed pipe: "the reader closed
  /// the pipe"; a full disk: "no space left on device").
  void write(const void* data, std::size_t bytes);
  /// Flushes and, for a regular file, renames the temporary file into place.
  void commit();

  const std::string& path() const noexcept { return path_; }
  /// True when writing through a temporary file (the target is, or will be, a regular file).
  bool atomic() const noexcept { return !temp_.empty(); }
  /// The descriptor written to (the temporary file when atomic(): readable and seekable,
  /// which MP4's faststart pass needs).
  int fd() const noexcept { return fd_; }
  /// The temporary file's path when atomic() (libraries that open files by name write
  /// there), empty otherwise.
  const std::string& temp_path() const noexcept { return temp_; }
  std::size_t bytes_written() const noexcept { return written_; }

 private:
  std::string path_;
  std::string temp_;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool committed_ = false;
  std::size_t written_ = 0;
};

}  // namespace cuframe
