// Internal, for tests: the CPU blur evaluated sample by sample with blur_h / blur_v (whose
// tap order the GPU kernels share, Note [Blur tap order]), bypassing Note [CPU blur rows],
// so that tests can prove the row path gives the same bytes. Host batches only.
#pragma once

#include "cuframe/kernels/filter.hpp"

namespace cuframe::kernels::detail {

void blur_per_sample(GaussianBlur& blur, const FrameBatch& src, FrameBatch& dst);

}  // namespace cuframe::kernels::detail
