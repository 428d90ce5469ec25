// Internal, for tests: the CPU blur evaluated sample by sample with blur_h / blur_v (the
// GPU kernels' functions), bypassing Note [CPU blur rows], so that tests can prove the
// row path gives the same bytes. (Declared in cuframe/kernels/filter.hpp, which must
// befriend it.)
#pragma once

#include "cuframe/kernels/filter.hpp"
