// cuframe/kernels/geometry.hpp — resize, crop, flip and rotate of whole frame batches.
//
// | format                      | resize | crop | flip | rotate |
// |-----------------------------|--------|------|------|--------|
// | nv12, p016 (4:2:0)          | yes    | even x, y | yes | yes (90/180/270) |
// | yuv444p, yuv444p16          | yes    | yes  | yes  | yes    |
// | rgb24, bgr24, rgba, rgbp, gray, rgbpf32 | yes | yes | yes | yes |
//
// Resize follows OpenCV's cv::resize conventions (see detail/geometry_math.hpp) so the
// two can be compared: nearest, bilinear, bicubic (a = -0.75) and area (for
// downscaling), edges replicated; 4:2:0 chroma planes are resized as half-size planes.
// Crop, flip and rotate copy samples exactly.
//
// Executors as in color.hpp: host batches on the CPU executor, device batches with one
// launch per plane for the whole batch on `stream`, asynchronously. dst must have the
// layout the matching *_layout() function gives and capacity >= src.size(); frame infos
// and colour are carried over.
#pragma once

#include "cuframe/cuda_stream.hpp"
#include "cuframe/frame.hpp"
#include "cuframe/kernels/geometry_types.hpp"

namespace cuframe::kernels {

FrameLayout resized_layout(const FrameLayout& src, int width, int height);
void resize(const FrameBatch& src, FrameBatch& dst, ResizeFilter filter, const CudaStream* stream = nullptr);

/// A crop of w x h at (x, y); 4:2:0 formats need even x and y.
FrameLayout cropped_layout(const FrameLayout& src, int x, int y, int w, int h);
void crop(const FrameBatch& src, FrameBatch& dst, int x, int y, const CudaStream* stream = nullptr);

void flip(const FrameBatch& src, FrameBatch& dst, FlipAxis axis, const CudaStream* stream = nullptr);

/// Clockwise rotation by 90, 180 or 270 degrees (90/270 swap width and height).
FrameLayout rotated_layout(const FrameLayout& src, int degrees);
void rotate(const FrameBatch& src, FrameBatch& dst, int degrees, const CudaStream* stream = nullptr);

}  // namespace cuframe::kernels
