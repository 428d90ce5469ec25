// cuframe/input.hpp — where compressed bytes come from.
//
// | kind   | made by                    | seekable            | notes                            |
// |--------|----------------------------|---------------------|----------------------------------|
// | File   | InputSource::file(path)    | yes                 | "-" means stdin                  |
// | Memory | InputSource::memory(bytes) | yes                 | caller owns the bytes and keeps  |
// |        |                            |                     | them alive while they are read   |
// | Stdin  | InputSource::standard_input() | if it is a file | a pipe is read once, in order    |
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace cuframe {

class InputSource {
 public:
  enum class Kind { File, Memory, Stdin };

  /// A file by path. "-" is standard input.
  static InputSource file(std::string path);
  /// A buffer the caller owns; `name` is used in error messages.
  static InputSource memory(std::span<const std::byte> bytes, std::string name = "<memory>");
  /// Standard input (a pipe, a terminal or a redirected file).
  static InputSource standard_input();

  Kind kind() const noexcept { return kind_; }
  /// Name for messages: the path, "-" for stdin, or the memory buffer's name.
  const std::string& name() const noexcept { return name_; }
  std::span<const std::byte> bytes() const noexcept { return bytes_; }

 private:
  InputSource(Kind kind, std::string name, std::span<const std::byte> bytes)
      : kind_(kind), name_(std::move(name)), bytes_(bytes) {}
  Kind kind_;
  std::string name_;
  std::span<const std::byte> bytes_;
};

}  // namespace cuframe
