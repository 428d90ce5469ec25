// The virtual NVML (tests/virtual_gpu/src/nvml.cpp) and how the engine uses it:
// driver_status() reads the driver's release from NVML once per process, however often it,
// devices() and query_codec_caps() are called (GPU review item 17: NVML's init can take a
// second on a node without persistence mode). Observed through the model's
// cfvg_nvml_init_count(), read from the copy of libnvidia-ml.so.1 the engine loaded. Only in
// the virtual-gpu build.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

#include "cuframe/device.hpp"
#include "support/gpu.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

namespace cuframe::vgpu_test {
namespace {

constexpr char kVirtualRelease[] = "580.00 (virtual)";
constexpr int kNvmlUninitialized = 1;

// The loaded libnvidia-ml.so.1 (nullptr when nothing loaded it), held for the scope.
class LoadedNvml {
 public:
  LoadedNvml() : lib_(dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_NOLOAD)) {}
  ~LoadedNvml() {
    if (lib_) dlclose(lib_);
  }
  LoadedNvml(const LoadedNvml&) = delete;
  LoadedNvml& operator=(const LoadedNvml&) = delete;

  bool loaded() const { return lib_ != nullptr; }
  template <typename Fn>
  Fn symbol(const char* name) const {
    return lib_ ? reinterpret_cast<Fn>(dlsym(lib_, name)) : nullptr;
  }
  /// nvmlInit calls that succeeded in this process; -1 when the counter is missing.
  long inits() const {
    auto count = symbol<long (*)()>("cfvg_nvml_init_count");
    return count ? count() : -1;
  }

 private:
  void* lib_;
};

TEST(VirtualNvml, DriverStatusInitialisesNvmlOncePerProcess) {
  CUFRAME_GPU_TEST();
  EXPECT_EQ(driver_status().driver_release, kVirtualRelease);
  const LoadedNvml nvml;
  ASSERT_TRUE(nvml.loaded()) << "driver_status() did not load the virtual libnvidia-ml.so.1";
  ASSERT_GE(nvml.inits(), 1) << "libnvidia-ml.so.1 is not the virtual NVML (no cfvg_nvml_init_count)";

  constexpr int kCalls = 50;
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(driver_status().driver_release, kVirtualRelease);
  const size_t gpus = static_cast<size_t>(driver_status().device_count);
  ASSERT_GE(gpus, 1u);
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(devices().size(), gpus);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(query_codec_caps(0).decode_problem, "");
  EXPECT_EQ(nvml.inits(), 1) << "nvmlInit_v2 ran " << nvml.inits() << " times in this process, over "
                             << 2 * kCalls + 5 << " calls of driver_status(), devices() and query_codec_caps(): "
                             << "the release must be read once per process";

  // The engine shut NVML down after reading: a query now finds it uninitialised.
  auto get = nvml.symbol<int (*)(char*, unsigned)>("nvmlSystemGetDriverVersion");
  ASSERT_NE(get, nullptr);
  char buf[96] = {};
  EXPECT_EQ(get(buf, sizeof buf), kNvmlUninitialized) << "nvmlInit_v2 without its nvmlShutdown";
}

TEST(VirtualNvml, DevicesCommandShowsTheRelease) {
  CUFRAME_GPU_TEST();
  const test::ProcessResult text = test::run_process({test::cli_path(), "devices"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(std::string("CUDA 13.0, release ") + kVirtualRelease + "\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("GPU 0: cuframe virtual GPU (H100 model), sm_90"), std::string::npos) << text.out;

  const test::ProcessResult json = test::run_process({test::cli_path(), "devices", "--json", "--caps"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j.at("driver_release").get<std::string>(), kVirtualRelease);
  EXPECT_EQ(j.at("problem").get<std::string>(), "");
  EXPECT_FALSE(j.at("devices").empty());
}

}  // namespace
}  // namespace cuframe::vgpu_test
