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

/// Note [Blur tap order]: the one order of a blur's operations, w[0] * s(0) first, then
/// + w[k] * (s(-k) + s(+k)) for k = 1..r, where at(d) gives the sample at offset d along
/// the pass. blur_h, blur_v and the GPU kernels' shared-memory tiles (Note [GPU blur
/// tiles] in kernels/src/filter.cu) all sum through it, so that their results are bit for
/// bit the same; the CPU row path repeats it by hand (Note [CPU blur rows]).
template <typename At>
CF_HD float blur_taps(const BlurWeights& bw, const At& at) {
  float acc = fmul(bw.w[0], at(0));
  for (int k = 1; k <= bw.radius; ++k) acc = fadd(acc, fmul(bw.w[k], fadd(at(-k), at(k))));
  return acc;
}

/// Horizontal pass: weighted sum along x, edges replicated.
template <typename T>
CF_HD float blur_h(const PlaneIn& in, int z, int x, int y, int c, int channels, const BlurWeights& bw) {
  return blur_taps(bw, [&](int d) { return sample<T>(in, z, x + d, y, c, channels); });
}

/// Vertical pass over the float scratch plane (channels interleaved as in the source).
CF_HD float blur_v(const PlaneIn& scratch, int z, int x, int y, int c, int channels, const BlurWeights& bw) {
  return blur_taps(bw, [&](int d) { return sample<float>(scratch, z, x, y + d, c, channels); });
}

/// (in - 0.5) * contrast + 0.5 + brightness on [0, 1]; `scale` is the sample maximum.
CF_HD float brightness_contrast(float v, float scale, float brightness, float contrast) {
  const float n = fdiv(v, scale);
  const float o = fadd(fadd(fmul(fadd(n, -0.5f), contrast), 0.5f), brightness);
  return fmul(clampf(o, 0.0f, 1.0f), scale);
}

}  // namespace cuframe::kernels::detail
