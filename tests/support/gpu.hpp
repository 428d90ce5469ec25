// Test support: GPU tests skip with a reason when no GPU is usable, and fail instead when
// CUFRAME_REQUIRE_GPU=1 (set by scripts/gpu-check.sh on GPU machines).
//
//   TEST(Nvdec, DecodesH264) {
//     CUFRAME_GPU_TEST();
//     ...
//   }
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace cuframe::test {

/// True when this build has CUDA and the driver offers a usable GPU; otherwise `why` says why not.
bool gpu_usable(std::string* why);
/// CUFRAME_REQUIRE_GPU=1 in the environment.
bool gpu_required();
/// Clears and returns the CUDA runtime's sticky/last error ("" when none, or no GPU).
std::string take_cuda_error();

}  // namespace cuframe::test

#define CUFRAME_GPU_TEST()                                                                     \
  do {                                                                                         \
    std::string cuframe_why_;                                                                  \
    if (!::cuframe::test::gpu_usable(&cuframe_why_)) {                                         \
      if (::cuframe::test::gpu_required()) {                                                   \
        FAIL() << "CUFRAME_REQUIRE_GPU=1 but no GPU is usable: " << cuframe_why_;              \
      } else {                                                                                 \
        GTEST_SKIP() << "no usable GPU (" << cuframe_why_ << "); CUFRAME_REQUIRE_GPU=1 makes this a failure"; \
      }                                                                                        \
    }                                                                                          \
  } while (0)
