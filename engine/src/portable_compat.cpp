// Portable build only. Note [glibc floor]: the bundle must run on nodes with glibc 2.35
// (Ubuntu 22.04). The statically linked libstdc++ of Debian 12 calls arc4random (glibc
// 2.36) from std::random_device, which its string instantiations drag in. This local,
// hidden definition satisfies that reference, so no GLIBC_2.36 symbol version is needed.
#include <sys/random.h>

#include <cstdint>
#include <cerrno>
#include <cstdlib>

extern "C" __attribute__((visibility("hidden"))) std::uint32_t arc4random(void) {
  std::uint32_t v = 0;
  for (;;) {
    const ssize_t n = getrandom(&v, sizeof v, 0);
    if (n == static_cast<ssize_t>(sizeof v)) return v;
    if (n < 0 && errno != EINTR) std::abort();
  }
}
