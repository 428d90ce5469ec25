// Internal: kernels::convert_to_yuv for the formats beyond rgb24/bgr24 (rgba, gray, rgbp,
// rgbpf32, rgbpf16), called from its dispatch in color.cpp.
#pragma once

#include "cuframe/cuda_stream.hpp"
#include "cuframe/frame.hpp"

namespace cuframe::kernels::detail {

/// True for the formats convert_to_yuv_any() takes.
bool to_yuv_any_takes(PixelFormat format) noexcept;

/// Same contract as kernels::convert_to_yuv (checks done here too).
void convert_to_yuv_any(const FrameBatch& src, FrameBatch& dst, ColorMatrix matrix, ColorRange range,
                        const CudaStream* stream);

}  // namespace cuframe::kernels::detail
