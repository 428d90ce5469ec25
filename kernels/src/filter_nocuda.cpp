// CPU-only build: device batches cannot exist, so these are never reached with valid input.
#include "cuframe/error.hpp"
#include "filter_impl.hpp"

namespace cuframe::kernels::detail {

void launch_blur(const BlurJob&, const BlurWeights&, void*) {
  throw Error(Errc::Unsupported, "blur", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}
void launch_brightness_contrast(const GeometryJob&, float, float, float, void*) {
  throw Error(Errc::Unsupported, "brightness/contrast", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}

void launch_fill(const GeometryJob&, unsigned, void*) {
  throw Error(Errc::Unsupported, "gray", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}

}  // namespace cuframe::kernels::detail
