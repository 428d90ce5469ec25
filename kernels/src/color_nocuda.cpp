// CPU-only build: device batches cannot exist, so this is never reached with valid input.
#include "color_impl.hpp"
#include "color_to_yuv_impl.hpp"
#include "fused_impl.hpp"
#include "cuframe/error.hpp"

namespace cuframe::kernels::detail {

void launch_convert(Src, Dst, const ConvertArgs&, int, void*) {
  throw Error(Errc::Unsupported, "colour conversion", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}

void launch_fused(Src, const FusedArgs&, int, void*) {
  throw Error(Errc::Unsupported, "crop_resize_normalize", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}

void launch_to_yuv(const ToYuvArgs&, int, void*) {
  throw Error(Errc::Unsupported, "colour conversion", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}

}  // namespace cuframe::kernels::detail
