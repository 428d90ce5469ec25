// A program that loads only the virtual libcuda.so.1, with dlopen, as ffnvcodec does, and
// checks that it alone is the whole device (ctest virtual_driver_*):
//   driver_only roundtrip   cuMemAlloc + cuMemcpyHtoD + cuMemcpyDtoH give the bytes back
//   driver_only host-read   a host memcpy from the device pointer kills the process, every time
//   driver_only no-wait     a host-to-device copy on one stream, read back on another stream
//                           without a wait, gives 0xA5 bytes
#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using CUresult = int;
using CUdeviceptr = unsigned long long;
using CUstream = void*;

struct Api {
  CUresult (*init)(unsigned);
  CUresult (*alloc)(CUdeviceptr*, size_t);
  CUresult (*htod)(CUdeviceptr, const void*, size_t);
  CUresult (*dtoh)(void*, CUdeviceptr, size_t);
  CUresult (*htod_async)(CUdeviceptr, const void*, size_t, CUstream);
  CUresult (*dtoh_async)(void*, CUdeviceptr, size_t, CUstream);
  CUresult (*stream_create)(CUstream*, unsigned);
  CUresult (*alloc_host)(void**, size_t);
  CUresult (*device_get)(int*, int);
  CUresult (*retain)(void**, int);
  CUresult (*push)(void*);
};

template <typename F>
bool load(void* lib, const char* name, F& fn) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  if (!fn) std::fprintf(stderr, "driver_only: libcuda.so.1 has no %s\n", name);
  return fn != nullptr;
}

int fail(const char* what) {
  std::fprintf(stderr, "driver_only: FAIL: %s\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return fail(dlerror());
  Api cu{};
  if (!load(lib, "cuInit", cu.init) || !load(lib, "cuMemAlloc_v2", cu.alloc) ||
      !load(lib, "cuMemcpyHtoD_v2", cu.htod) || !load(lib, "cuMemcpyDtoH_v2", cu.dtoh) ||
      !load(lib, "cuMemcpyHtoDAsync_v2", cu.htod_async) || !load(lib, "cuMemcpyDtoHAsync_v2", cu.dtoh_async) ||
      !load(lib, "cuStreamCreate", cu.stream_create) || !load(lib, "cuMemAllocHost_v2", cu.alloc_host) ||
      !load(lib, "cuDeviceGet", cu.device_get) || !load(lib, "cuDevicePrimaryCtxRetain", cu.retain) ||
      !load(lib, "cuCtxPushCurrent_v2", cu.push))
    return 1;
  if (cu.init(0) != 0) return fail("cuInit");
  int device = -1;
  void* ctx = nullptr;
  if (cu.device_get(&device, 0) != 0 || cu.retain(&ctx, device) != 0 || cu.push(ctx) != 0)
    return fail("the primary context");
  constexpr size_t n = 1 << 16;
  CUdeviceptr d = 0;
  if (cu.alloc(&d, n) != 0) return fail("cuMemAlloc");
  std::vector<std::uint8_t> src(n), back(n, 0);
  for (size_t i = 0; i < n; ++i) src[i] = static_cast<std::uint8_t>(i * 7 + 3);

  if (mode == "roundtrip") {
    if (cu.htod(d, src.data(), n) != 0 || cu.dtoh(back.data(), d, n) != 0) return fail("copies");
    if (back != src) return fail("the bytes did not come back");
    std::printf("driver_only: roundtrip ok (%zu bytes)\n", n);
    return 0;
  }
  if (mode == "host-read") {
    for (int i = 0; i < 3; ++i) {
      std::fflush(nullptr);
      const pid_t pid = fork();
      if (pid == 0) {
        std::uint8_t v = 0;
        std::memcpy(&v, reinterpret_cast<const void*>(d + static_cast<CUdeviceptr>(i) * 997), 1);  // must fault
        std::printf("driver_only: read %u from device memory on the host\n", v);
        _exit(0);
      }
      int status = 0;
      waitpid(pid, &status, 0);
      if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV) return fail("a host read of device memory did not fault");
    }
    std::printf("driver_only: host reads of device memory fault (3 of 3)\n");
    return 0;
  }
  if (mode == "no-wait") {
    CUstream a = nullptr, b = nullptr;
    if (cu.stream_create(&a, 1) != 0 || cu.stream_create(&b, 1) != 0) return fail("cuStreamCreate");
    void* pinned_src = nullptr;
    void* pinned_out = nullptr;
    if (cu.alloc_host(&pinned_src, n) != 0 || cu.alloc_host(&pinned_out, n) != 0) return fail("cuMemAllocHost");
    std::memcpy(pinned_src, src.data(), n);
    if (cu.htod_async(d, pinned_src, n, a) != 0) return fail("cuMemcpyHtoDAsync");
    if (cu.dtoh_async(back.data(), d, n, b) != 0) return fail("cuMemcpyDtoHAsync");  // no wait on a
    for (size_t i = 0; i < n; ++i)
      if (back[i] != 0xA5) return fail("a read without a wait saw the other stream's bytes");
    std::printf("driver_only: a read on another stream without a wait gives 0xA5\n");
    return 0;
  }
  return fail("usage: driver_only roundtrip|host-read|no-wait");
}
