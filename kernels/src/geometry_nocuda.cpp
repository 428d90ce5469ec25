// CPU-only build: device batches cannot exist, so these are never reached with valid input.
#include "cuframe/error.hpp"
#include "geometry_impl.hpp"

namespace cuframe::kernels::detail {

void launch_resize(const GeometryJob&, ResizeFilter, void*) {
  throw Error(Errc::Unsupported, "geometry", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}
void launch_remap(const GeometryJob&, Remap, void*) {
  throw Error(Errc::Unsupported, "geometry", "this is a CPU-only build of cuframe (CUFRAME_CUDA=OFF)");
}

}  // namespace cuframe::kernels::detail
