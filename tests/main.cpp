// Test main: GoogleTest plus a listener that fails any test leaving a CUDA error behind
// (a kernel fault or a failed launch that a test did not notice).
#include <gtest/gtest.h>

#include "cuframe/log.hpp"
#include "support/gpu.hpp"

namespace {

class CudaErrorListener : public testing::EmptyTestEventListener {
  void OnTestEnd(const testing::TestInfo& info) override {
    const std::string err = cuframe::test::take_cuda_error();
    if (!err.empty()) {
      ADD_FAILURE() << info.test_suite_name() << "." << info.name() << " left a CUDA error behind: " << err;
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  cuframe::set_verbosity(cuframe::Verbosity::Errors);  // FFmpeg's log off, as in the CLI
  testing::UnitTest::GetInstance()->listeners().Append(new CudaErrorListener);
  return RUN_ALL_TESTS();
}
