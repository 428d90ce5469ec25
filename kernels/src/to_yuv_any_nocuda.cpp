// CPU-only build: device batches cannot exist, so this is never reached with valid input.
#include "cuframe/error.hpp"
#include "to_yuv_any_impl.hpp"

namespace cuframe::kernels::detail {

void launch_to_yuv_any(YuvSrc, const ToYuvAnyArgs&, int, void*) {
  throw Error(Errc::Unsupported, "colour conversion", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}

}  // namespace cuframe::kernels::detail
