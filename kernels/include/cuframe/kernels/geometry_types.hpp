// cuframe/kernels/geometry_types.hpp — the resize filter and the flip axis: one enum each,
// shared by the kernels (cuframe/kernels/geometry.hpp), their per-sample math
// (detail/geometry_math.hpp) and the ops (cuframe/ops.hpp).
#pragma once

namespace cuframe::kernels {

/// Follows OpenCV's cv::resize interpolations (INTER_NEAREST, INTER_LINEAR, INTER_CUBIC,
/// INTER_AREA); see detail/geometry_math.hpp.
enum class ResizeFilter : int { Nearest, Bilinear, Bicubic, Area };
enum class FlipAxis : int { Horizontal, Vertical };

}  // namespace cuframe::kernels
