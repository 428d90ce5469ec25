// CPU-only build: there is no device memory.
#include <cstddef>
#include <cstdint>

#include "cuframe/error.hpp"

namespace cuframe::detail {

void* allocate_device(std::size_t, int) {
  throw Error(Errc::Unsupported, "device memory", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}
void* allocate_pinned(std::size_t) {
  throw Error(Errc::Unsupported, "pinned memory", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}
void free_device(void*, int) noexcept {}
void free_pinned(void*) noexcept {}
std::int64_t device_free_bytes(int) { return 0; }
void copy_bytes_sync(void*, const void*, std::size_t) {
  throw Error(Errc::Unsupported, "device memory", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}

}  // namespace cuframe::detail
