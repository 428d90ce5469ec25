// cuframe/kernels/color.hpp — colour conversion of whole frame batches.
//
// | from \ to                  | rgb24 bgr24 rgba rgbp gray rgbpf32 rgbpf16 |
// |----------------------------|--------------------------------------------|
// | NV12, P016 (4:2:0)         | yes (bilinear chroma at the stream's siting)|
// | YUV444P, YUV444P16 (4:4:4) | yes                                         |
//
// Matrix (BT.601, BT.709, BT.2020-NCL) and range (limited, full) come from the source
// batch's ColorInfo unless overridden; 10/12-bit sources are converted at full
// precision. No tone mapping: PQ/HLG sources convert with their matrix and keep their
// transfer tag. ColorMatrix::Other and Identity (GBR) are refused with Errc::Unsupported.
//
// Executors: host batches run on the CPU executor (threads; returns when done). Device
// batches run as ONE kernel launch for the whole batch on `stream`: asynchronous, no
// synchronisation, no allocation; a device batch with a null stream is refused (Note
// [Stream rule] in cuframe/cuda_stream.hpp). Both executors call the same per-pixel code and give
// identical bytes (Note [Shared per-pixel math]).
//
// Output values: 8-bit outputs are round-half-even of the exact-in-float result,
// saturated; float outputs are clamped to [0, 1]; float16 is the float32 result rounded
// to nearest even.
#pragma once

#include <optional>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/frame.hpp"
#include "cuframe/kernels/detail/color_math.hpp"

namespace cuframe::kernels {

struct ColorSettings {
  std::optional<ColorMatrix> matrix;  ///< override the stream's (or default) matrix
  std::optional<ColorRange> range;    ///< override the stream's range
};

/// The layout `convert_color` writes for `src` converted to `format` (same frame size).
FrameLayout converted_layout(const FrameLayout& src, PixelFormat format);

/// Converts src.size() frames of `src` into `dst` (whose layout must be
/// converted_layout(src.layout(), format) and capacity >= src.size()); sets dst's size,
/// frame infos and colour description. Both batches in host memory (CPU executor, stream
/// ignored) or both on the device (GPU, `stream` required).
void convert_color(const FrameBatch& src, FrameBatch& dst, const ColorSettings& settings = {},
                   const CudaStream* stream = nullptr);

/// The transform for a source: matrix, range and bit depth on the sample scale (255 for
/// 8-bit formats, 65535 for MSB-aligned 16-bit ones), output scale 255 or 1.
detail::YuvToRgb make_yuv_to_rgb(ColorMatrix matrix, ColorRange range, int bit_depth, bool sixteen_bit_samples,
                                 double out_scale);
detail::ChromaSiting siting_of(ChromaLocation location) noexcept;

/// The deep-learning input path in ONE pass: crop `rect` of each source frame, resize
/// it bilinearly to dst's size, convert to RGB (the stream's matrix/range, or the
/// overrides), clamp to [0, 1] and normalise per channel, (v - mean[c]) / stddev[c],
/// written as planar float32 (rgbpf32) or float16 (rgbpf16). Sources: nv12, p016,
/// yuv444p, yuv444p16 (4:2:0 crops at even x, y). Luma and chroma are interpolated at
/// their own sample positions (chroma at the stream's siting); samples outside the crop
/// are never read (edges of the crop are replicated).
struct CropRect {
  int x = 0, y = 0, width = 0, height = 0;
};
struct Normalize {
  float mean[3] = {0.0f, 0.0f, 0.0f};
  float stddev[3] = {1.0f, 1.0f, 1.0f};
};
void crop_resize_normalize(const FrameBatch& src, FrameBatch& dst, const CropRect& rect, const Normalize& norm = {},
                           const ColorSettings& settings = {}, const CudaStream* stream = nullptr);

/// RGB -> YUV for the encoder: rgb24, bgr24, rgba (alpha ignored), rgbp, gray and
/// rgbpf32 / rgbpf16 (clamped to [0, 1], NaN as 0) batches to nv12 (8-bit) or p016
/// (`bit_depth` 10, 12 or 16, MSB-aligned), with `matrix` and `range`. Gray is full-range
/// luma (what convert_color writes): it goes back to `range` as luma, chroma neutral. Luma per pixel; 4:2:0 chroma at
/// the left siting (MPEG-2 default: columns filtered [1 2 1]/4 around even x, the two rows
/// averaged), edges replicated. dst.color is set to what was written.
FrameLayout yuv_layout(const FrameLayout& rgb, PixelFormat format, int bit_depth = 8);
void convert_to_yuv(const FrameBatch& src, FrameBatch& dst, ColorMatrix matrix, ColorRange range,
                    const CudaStream* stream = nullptr);

}  // namespace cuframe::kernels
