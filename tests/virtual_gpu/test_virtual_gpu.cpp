// The virtual GPU reports each class of defect it exists to catch (docs/VIRTUAL_GPU.md):
// a host read of device memory, launches over sm_90's limits, a missing event wait between
// two streams, a kernel's out-of-bounds access, a barrier not reached by every thread.
// Only in the virtual-gpu build. Sticky errors end a CUDA context, so those cases run in
// a death-test child and report through its exit code.
#include <gtest/gtest.h>

#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "planted_kernels.hpp"

namespace cuframe::vgpu_test {
namespace {

struct Device {
  Device() {
    EXPECT_EQ(cudaMalloc(reinterpret_cast<void**>(&p), bytes), cudaSuccess);
    EXPECT_EQ(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking), cudaSuccess);
    EXPECT_EQ(cudaStreamCreateWithFlags(&b, cudaStreamNonBlocking), cudaSuccess);
  }
  ~Device() {
    cudaStreamDestroy(a);
    cudaStreamDestroy(b);
    cudaFree(p);
  }
  static constexpr unsigned n = 4096;
  static constexpr std::size_t bytes = n * sizeof(std::uint32_t);
  std::uint32_t* p = nullptr;
  cudaStream_t a = nullptr, b = nullptr;
};

TEST(VirtualGpu, AllocationsAreAlignedAndPoisoned) {
  Device d;
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(d.p) % 256, 0u);
  std::vector<std::uint8_t> host(Device::bytes);
  ASSERT_EQ(cudaMemcpy(host.data(), d.p, Device::bytes, cudaMemcpyDeviceToHost), cudaSuccess);
  for (std::uint8_t v : host) ASSERT_EQ(v, 0xA5);
}

// Death tests re-execute the test binary: a forked child would share the parent's
// connection to its device process.
void fresh_process_death_tests() { GTEST_FLAG_SET(death_test_style, "threadsafe"); }

TEST(VirtualGpuDeathTest, HostReadOfDeviceMemoryFaultsEveryTime) {
  fresh_process_death_tests();
  Device d;
  for (int i = 0; i < 3; ++i) {
    EXPECT_DEATH(
        {
          std::uint32_t v = 0;
          std::memcpy(&v, d.p + i, sizeof v);  // the planted defect: a host read of device memory
          std::printf("%u\n", v);
        },
        "");
  }
  EXPECT_DEATH({ d.p[0] = 1; }, "");  // and a host write
}

TEST(VirtualGpu, KernelsRunAndCopiesRoundTrip) {
  Device d;
  ASSERT_EQ(launch_write_index(d.p, Device::n, Device::n / 256, 1, 256, d.a), cudaSuccess);
  std::vector<std::uint32_t> host(Device::n);
  ASSERT_EQ(cudaMemcpyAsync(host.data(), d.p, Device::bytes, cudaMemcpyDeviceToHost, d.a), cudaSuccess);
  for (unsigned i = 0; i < Device::n; ++i) ASSERT_EQ(host[i], i);
}

TEST(VirtualGpu, LaunchOverTheGridLimitIsALaunchError) {
  Device d;
  EXPECT_EQ(launch_write_index(d.p, Device::n, 1, 65536, 32, d.a), cudaErrorInvalidConfiguration);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "a launch error is not sticky";
  EXPECT_EQ(launch_write_index(d.p, Device::n, 1, 65535, 32, d.a), cudaSuccess) << "65535 is allowed";
  ASSERT_EQ(cudaStreamSynchronize(d.a), cudaSuccess);
}

TEST(VirtualGpu, BlockOver1024ThreadsIsALaunchError) {
  Device d;
  EXPECT_EQ(launch_write_index(d.p, Device::n, 1, 1, 1025, d.a), cudaErrorInvalidConfiguration);
  EXPECT_EQ(launch_write_index(d.p, Device::n, 4, 1, 1024, d.a), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(d.a), cudaSuccess);
}

TEST(VirtualGpu, MissingEventWaitBetweenStreamsReadsPoison) {
  Device d;
  std::uint32_t* pinned = nullptr;
  ASSERT_EQ(cudaMallocHost(reinterpret_cast<void**>(&pinned), Device::bytes), cudaSuccess);
  std::vector<std::uint32_t> src(Device::n, 7u), out(Device::n, 0u);
  std::memcpy(pinned, src.data(), Device::bytes);
  ASSERT_EQ(cudaMemcpyAsync(d.p, pinned, Device::bytes, cudaMemcpyHostToDevice, d.a), cudaSuccess);
  // The planted defect: stream b reads what stream a writes, without waiting for a.
  ASSERT_EQ(cudaMemcpyAsync(out.data(), d.p, Device::bytes, cudaMemcpyDeviceToHost, d.b), cudaSuccess);
  EXPECT_EQ(out[0], 0xA5A5A5A5u);
  EXPECT_EQ(out[Device::n - 1], 0xA5A5A5A5u);
  // With the wait, the bytes arrive.
  cudaEvent_t e = nullptr;
  ASSERT_EQ(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(e, d.a), cudaSuccess);
  ASSERT_EQ(cudaStreamWaitEvent(d.b, e, 0), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(out.data(), d.p, Device::bytes, cudaMemcpyDeviceToHost, d.b), cudaSuccess);
  EXPECT_EQ(out[0], 7u);
  EXPECT_EQ(out[Device::n - 1], 7u);
  cudaEventDestroy(e);
  cudaFreeHost(pinned);
}

TEST(VirtualGpu, CopyKindMustMatchThePointers) {
  Device d;
  std::vector<std::uint32_t> host(Device::n);
  EXPECT_EQ(cudaMemcpy(host.data(), d.p, Device::bytes, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(d.p, host.data(), Device::bytes + 4, cudaMemcpyHostToDevice), cudaErrorInvalidValue)
      << "a copy past the end of the allocation";
  cudaGetLastError();
}

TEST(VirtualGpu, BarrierMakesSharedMemoryWork) {
  Device d;
  ASSERT_EQ(launch_write_index(d.p, Device::n, Device::n / 256, 1, 256, d.a), cudaSuccess);
  ASSERT_EQ(launch_reverse_in_block(d.p, Device::n / 256, d.a), cudaSuccess);
  std::vector<std::uint32_t> host(Device::n);
  ASSERT_EQ(cudaMemcpyAsync(host.data(), d.p, Device::bytes, cudaMemcpyDeviceToHost, d.a), cudaSuccess);
  for (unsigned i = 0; i < Device::n; ++i) ASSERT_EQ(host[i], (i / 256) * 256 + 255 - i % 256) << i;
}

// The sticky cases, each in a child whose exit code is the error the device reported.
int sticky_status(int (*plant)(Device&)) {
  Device d;
  plant(d);
  const int sync = cudaStreamSynchronize(d.a);
  const int again = cudaMalloc(reinterpret_cast<void**>(&d.p), 16);  // every later call fails too
  std::exit(sync == again ? sync % 256 : 1);
}

TEST(VirtualGpuDeathTest, OutOfBoundsAccessIsAStickyIllegalAddress) {
  fresh_process_death_tests();
  EXPECT_EXIT(sticky_status([](Device& d) { return launch_write_past_end(d.p, Device::n, d.a); }),
              testing::ExitedWithCode(cudaErrorIllegalAddress % 256), "illegal address");
}

TEST(VirtualGpuDeathTest, BarrierNotReachedByAllThreadsIsALaunchFailure) {
  fresh_process_death_tests();
  EXPECT_EXIT(sticky_status([](Device& d) { return launch_barrier_half(d.p, d.a); }),
              testing::ExitedWithCode(cudaErrorLaunchFailure % 256), "not reached by every thread");
}

// CUFRAME_VIRTUAL_GPUS=2: CUDA's cross-device rules. Runs in a fresh child process (the
// device count is fixed when the device first answers); exit code 0 when every rule held.
[[noreturn]] void multi_device_rules() {
  auto check = [](bool ok, int code, const char* what) {
    if (!ok) {
      std::fprintf(stderr, "multi-device: %s\n", what);
      std::exit(code);
    }
  };
  int n = 0;
  check(cudaGetDeviceCount(&n) == cudaSuccess && n == 2, 1, "two devices");
  constexpr unsigned k = 1024;
  std::uint32_t *p0 = nullptr, *p1 = nullptr;
  cudaStream_t s0 = nullptr, s1 = nullptr;
  cudaEvent_t e1 = nullptr;
  check(cudaSetDevice(1) == cudaSuccess, 2, "cudaSetDevice(1)");
  check(cudaStreamCreateWithFlags(&s1, cudaStreamNonBlocking) == cudaSuccess, 3, "stream on device 1");
  check(cudaEventCreateWithFlags(&e1, cudaEventDisableTiming) == cudaSuccess, 3, "event on device 1");
  check(cudaMalloc(reinterpret_cast<void**>(&p1), k * 4) == cudaSuccess, 3, "memory on device 1");
  check(cudaSetDevice(0) == cudaSuccess, 4, "cudaSetDevice(0)");
  check(cudaStreamCreateWithFlags(&s0, cudaStreamNonBlocking) == cudaSuccess, 4, "stream on device 0");
  check(cudaMalloc(reinterpret_cast<void**>(&p0), k * 4) == cudaSuccess, 4, "memory on device 0");
  // The planted defects: a launch and an event record on device 1's stream from device 0.
  check(launch_write_index(p1, k, k / 256, 1, 256, s1) == cudaErrorInvalidResourceHandle, 5,
        "a launch on another device's stream must be refused");
  check(cudaEventRecord(e1, s1) == cudaErrorInvalidResourceHandle, 6,
        "an event recorded on another device's stream must be refused");
  cudaGetLastError();
  // What is allowed: work on device 1, a wait on its event and a copy from device 0.
  check(cudaSetDevice(1) == cudaSuccess && launch_write_index(p1, k, k / 256, 1, 256, s1) == cudaSuccess &&
            cudaEventRecord(e1, s1) == cudaSuccess,
        7, "a launch and a record on the current device");
  check(cudaSetDevice(0) == cudaSuccess && cudaStreamWaitEvent(s0, e1, 0) == cudaSuccess, 8,
        "a wait on another device's event");
  std::vector<std::uint32_t> host(k);
  check(cudaMemcpyAsync(p0, p1, k * 4, cudaMemcpyDeviceToDevice, s0) == cudaSuccess &&
            cudaMemcpyAsync(host.data(), p0, k * 4, cudaMemcpyDeviceToHost, s0) == cudaSuccess,
        9, "copies across devices");
  for (unsigned i = 0; i < k; ++i) check(host[i] == i, 10, "the bytes of device 1's kernel, copied through device 0");
  check(cudaEventQuery(e1) == cudaSuccess && cudaStreamSynchronize(s1) == cudaSuccess, 11,
        "a query and a synchronize of another device's work");
  std::exit(0);
}

TEST(VirtualGpuDeathTest, SeveralDevicesFollowCudasCrossDeviceRules) {
  fresh_process_death_tests();
  setenv("CUFRAME_VIRTUAL_GPUS", "2", 1);
  EXPECT_EXIT(multi_device_rules(), testing::ExitedWithCode(0), "");
  unsetenv("CUFRAME_VIRTUAL_GPUS");
}

}  // namespace
}  // namespace cuframe::vgpu_test
