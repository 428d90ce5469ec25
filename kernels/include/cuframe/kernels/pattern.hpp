// cuframe/kernels/pattern.hpp — a deterministic test pattern over a pitched batch.
//
// Used to poison outputs before a kernel runs (tests) and by `cuframe devices
// --selftest` to prove that kernels built for this GPU launch and that memory is shared
// with the driver API. The value of byte x of row y of plane image z is
// pattern_byte(x, y, z, seed).
#pragma once

#include <cstddef>
#include <cstdint>

#include "cuframe/cuda_stream.hpp"

namespace cuframe::kernels {

/// The pattern, shared by the GPU kernel and CPU checks (Note [Shared per-pixel math]).
#if defined(__CUDACC__)
__host__ __device__
#endif
inline std::uint8_t pattern_byte(std::uint32_t x, std::uint32_t y, std::uint32_t z, std::uint32_t seed) {
  std::uint32_t h = x * 0x9E3779B1u ^ (y + 0x7F4A7C15u) * 0x85EBCA77u ^ (z + seed) * 0xC2B2AE3Du;
  h ^= h >> 15;
  h *= 0x2C1B3C6Du;
  h ^= h >> 12;
  return static_cast<std::uint8_t>(h);
}

/// Fills `images` images of `height` rows of `width_bytes` bytes, `pitch` bytes apart,
/// images `image_stride` bytes apart, on `stream` (Note [Stream rule] in
/// cuframe/cuda_stream.hpp: required, since the memory is device memory). One launch for
/// the whole batch (image index in blockIdx.z). Asynchronous: does not synchronise.
/// Only in CUDA builds (cuframe::cuda_built()).
void fill_pattern(void* device_ptr, std::size_t pitch, std::size_t width_bytes, std::size_t height,
                  std::size_t image_stride, std::size_t images, std::uint32_t seed, const CudaStream& stream);

}  // namespace cuframe::kernels
