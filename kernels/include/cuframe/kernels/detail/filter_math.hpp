// Shared per-pixel math (installed for the CPU == GPU promise; stable within a minor
// version, not a general API): blur and brightness/contrast per-sample math shared by both executors.
#pragma once

#include "cuframe/kernels/detail/geometry_math.hpp"

namespace cuframe::kernels::detail {

constexpr int kMaxBlurRadius = 400;

struct BlurWeights {
  int radius;
  float w[kMaxBlurRadius + 1];  ///< w[k] for offset +-k, normalised (sum over -r..r is 1)
};

/// Horizontal pass: weighted sum along x, edges replicated.
template <typename T>
CF_HD float blur_h(const PlaneIn& in, int z, int x, int y, int c, int channels, const BlurWeights& bw) {
  float acc = fmul(bw.w[0], sample<T>(in, z, x, y, c, channels));
  for (int k = 1; k <= bw.radius; ++k)
    acc = fadd(acc, fmul(bw.w[k], fadd(sample<T>(in, z, x - k, y, c, channels), sample<T>(in, z, x + k, y, c, channels))));
  return acc;
}

/// Vertical pass over the float scratch plane (channels interleaved as in the source).
CF_HD float blur_v(const PlaneIn& scratch, int z, int x, int y, int c, int channels, const BlurWeights& bw) {
  float acc = fmul(bw.w[0], sample<float>(scratch, z, x, y, c, channels));
  for (int k = 1; k <= bw.radius; ++k)
    acc = fadd(acc, fmul(bw.w[k], fadd(sample<float>(scratch, z, x, y - k, c, channels),
                                       sample<float>(scratch, z, x, y + k, c, channels))));
  return acc;
}

/// (in - 0.5) * contrast + 0.5 + brightness on [0, 1]; `scale` is the sample maximum.
CF_HD float brightness_contrast(float v, float scale, float brightness, float contrast) {
  const float n = fdiv(v, scale);
  const float o = fadd(fadd(fmul(fadd(n, -0.5f), contrast), 0.5f), brightness);
  return fmul(clampf(o, 0.0f, 1.0f), scale);
}

}  // namespace cuframe::kernels::detail
