#include "cuframe/input.hpp"

namespace cuframe {

InputSource InputSource::file(std::string path) {
  if (path == "-") return standard_input();
  return InputSource(Kind::File, std::move(path), {});
}

InputSource InputSource::memory(std::span<const std::byte> bytes, std::string name) {
  return InputSource(Kind::Memory, std::move(name), bytes);
}

InputSource InputSource::standard_input() { return InputSource(Kind::Stdin, "-", {}); }

}  // namespace cuframe
