// cuframe/kernels/filter.hpp — Gaussian blur and brightness/contrast of frame batches.
//
// GaussianBlur is planned once (weights, scratch) for a layout, a batch capacity and a
// sigma, then run on any number of batches without allocating. It is separable (a
// horizontal then a vertical pass through a float scratch plane), with OpenCV's kernel
// size rule (radius = round(6 sigma + 1) / 2 for 8-bit samples, round(8 sigma + 1) / 2
// otherwise) and replicated edges. 4:2:0 chroma planes are blurred with sigma / 2 (they
// have half the resolution). Formats: as in geometry.hpp.
//
// adjust_brightness_contrast applies out = (in - 0.5) * contrast + 0.5 + brightness on
// samples normalised to [0, 1], saturated: to every channel of RGB/gray formats, and to
// the luma plane only of YUV formats (chroma is unchanged).
//
// Executors as in color.hpp: host batches on the CPU executor, device batches as
// asynchronous launches on `stream`.
#pragma once

#include <memory>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/frame.hpp"

namespace cuframe::kernels {

class GaussianBlur {
 public:
  /// sigma in (0, 100]. `memory` is where the batches it will run on live.
  GaussianBlur(const FrameLayout& layout, int capacity, double sigma, MemoryKind memory, int device = 0);
  ~GaussianBlur();
  GaussianBlur(GaussianBlur&&) noexcept;
  GaussianBlur& operator=(GaussianBlur&&) noexcept;

  /// Blurs src.size() frames of `src` into `dst` (same layout; may not alias).
  void run(const FrameBatch& src, FrameBatch& dst, const CudaStream* stream = nullptr);
  int radius() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// "gray" on YUV batches (nv12, p016, yuv444p, yuv444p16), in place: chroma set to its
/// neutral value (128, or 32768 for 16-bit samples), luma untouched — the frames stay
/// encodable YUV, as `ffmpeg -vf hue=s=0` leaves them. Asynchronous on `stream` for
/// device batches. Other formats: Errc::Unsupported (convert to gray with convert_color).
void neutral_chroma(FrameBatch& batch, const CudaStream* stream = nullptr);

/// In place on `batch`. brightness in [-1, 1], contrast in [0, 10].
void adjust_brightness_contrast(FrameBatch& batch, double brightness, double contrast,
                                const CudaStream* stream = nullptr);

}  // namespace cuframe::kernels
