// Internal: CUFRAME_LAUNCH(grid, block, shared_bytes, stream, kernel)(args...) — the one way
// kernels launch. Under nvcc it is `kernel<<<grid, block, shared_bytes, stream>>>(args...)`;
// in the virtual-gpu build (.cu compiled as C++, docs/VIRTUAL_GPU.md) it hands the kernel
// and its arguments to the virtual device, which enforces sm_90's launch limits and
// reports a violation through cudaGetLastError, as the GPU does. The kernel comes last so
// that a template-id with commas needs no parentheses.
#pragma once

#if defined(CUFRAME_VIRTUAL_GPU)
#include "cuframe_vgpu/kernel.hpp"
#define CUFRAME_LAUNCH(grid, block, smem, stream, ...) \
  ::cuframe_vgpu::launch(#__VA_ARGS__, grid, block, smem, stream, &__VA_ARGS__)
#else
#define CUFRAME_LAUNCH(grid, block, smem, stream, ...) __VA_ARGS__<<<grid, block, smem, stream>>>
#endif
