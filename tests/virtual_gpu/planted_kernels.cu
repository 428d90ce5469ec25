// Kernels with planted defects, for the virtual GPU's own tests (test_virtual_gpu.cpp):
// compiled exactly as kernels/src/*.cu are in the virtual-gpu build.
#include <cuda_runtime.h>

#include <cstdint>

#include "launch.hpp"
#include "planted_kernels.hpp"

namespace cuframe::vgpu_test {
namespace {

__global__ void write_index(std::uint32_t* out, unsigned n) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = i;
}

// Writes one element past the end of `out`.
__global__ void write_past_end(std::uint32_t* out, unsigned n) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i <= n + 1024) out[i] = i;  // the planted defect: up to 1024 elements too far
}

// Reverses each block's slice through shared memory: correct only with the barrier.
__global__ void reverse_in_block(std::uint32_t* data) {
  __shared__ std::uint32_t tile[256];
  const unsigned t = threadIdx.x, base = blockIdx.x * blockDim.x;
  tile[t] = data[base + t];
  __syncthreads();
  data[base + t] = tile[blockDim.x - 1 - t];
}

// Half of the block returns before the barrier the other half waits at.
__global__ void barrier_half(std::uint32_t* data) {
  if (threadIdx.x % 2 == 1) return;  // the planted defect
  data[threadIdx.x] = 1;
  __syncthreads();
  data[threadIdx.x] = 2;
}

}  // namespace

int launch_write_index(std::uint32_t* out, unsigned n, unsigned grid_x, unsigned grid_y, unsigned block_x,
                       cudaStream_t stream) {
  CUFRAME_LAUNCH(dim3(grid_x, grid_y, 1), dim3(block_x, 1, 1), 0, stream, write_index)(out, n);
  return cudaGetLastError();
}

int launch_write_past_end(std::uint32_t* out, unsigned n, cudaStream_t stream) {
  CUFRAME_LAUNCH(dim3((n + 1024 + 255) / 256 + 1, 1, 1), dim3(256, 1, 1), 0, stream, write_past_end)(out, n);
  return cudaGetLastError();
}

int launch_reverse_in_block(std::uint32_t* data, unsigned blocks, cudaStream_t stream) {
  CUFRAME_LAUNCH(dim3(blocks, 1, 1), dim3(256, 1, 1), 0, stream, reverse_in_block)(data);
  return cudaGetLastError();
}

int launch_barrier_half(std::uint32_t* data, cudaStream_t stream) {
  CUFRAME_LAUNCH(dim3(1, 1, 1), dim3(64, 1, 1), 0, stream, barrier_half)(data);
  return cudaGetLastError();
}

}  // namespace cuframe::vgpu_test
