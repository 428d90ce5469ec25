// Launchers of the planted-defect kernels (planted_kernels.cu); each returns
// cudaGetLastError() after the launch.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace cuframe::vgpu_test {

int launch_write_index(std::uint32_t* out, unsigned n, unsigned grid_x, unsigned grid_y, unsigned block_x,
                       cudaStream_t stream);
int launch_write_past_end(std::uint32_t* out, unsigned n, cudaStream_t stream);
int launch_reverse_in_block(std::uint32_t* data, unsigned blocks, cudaStream_t stream);
int launch_barrier_half(std::uint32_t* data, cudaStream_t stream);

}  // namespace cuframe::vgpu_test
