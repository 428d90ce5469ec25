// CPU-only build: the pattern kernel needs a GPU.
#include "cuframe/error.hpp"
#include "cuframe/kernels/pattern.hpp"

namespace cuframe::kernels {

void fill_pattern(void*, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, std::uint32_t, const CudaStream&) {
  throw Error(Errc::Unsupported, "fill_pattern", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}

}  // namespace cuframe::kernels
