// Test support: compare two videos frame by frame (decoded on the CPU by cuframe, which
// the decode tests prove bit-exact against FFmpeg): frame counts, sizes, timestamps and
// a PSNR computed here (float64, from the total squared error over all planes).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "cuframe/decoder.hpp"

namespace cuframe::test {

struct VideoComparison {
  int64_t frames_a = 0, frames_b = 0;
  int width_a = 0, height_a = 0, width_b = 0, height_b = 0;
  PixelFormat format_a = PixelFormat::NV12, format_b = PixelFormat::NV12;
  double psnr_db = 0;             ///< over all compared samples; +inf when identical
  double psnr_y_db = 0;           ///< luma only
  double worst_frame_psnr_db = 0; ///< lowest per-frame PSNR
  double max_pts_diff_s = 0;      ///< largest |pts_a - pts_b| in seconds over compared frames
  bool identical = true;
};

inline double psnr_of(double sse, double samples, double peak) {
  if (sse == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(peak * peak * samples / sse);
}

/// Decodes both inputs in lockstep. Sizes and formats must match for the pixel
/// comparison (else only the counts are filled). Samples are compared at the lower of
/// the two bit depths (16-bit MSB-aligned samples shifted down).
inline VideoComparison compare_videos(const InputSource& a, const InputSource& b) {
  ReaderOptions ro;
  ro.decode.backend = Backend::Cpu;
  ro.batch_frames = 1;
  VideoReader ra(a, ro), rb(b, ro);
  FrameBatch fa = ra.make_batch(), fb = rb.make_batch();
  VideoComparison c;
  const FrameLayout& la = fa.layout();
  const FrameLayout& lb = fb.layout();
  c.width_a = la.width;
  c.height_a = la.height;
  c.width_b = lb.width;
  c.height_b = lb.height;
  c.format_a = la.format;
  c.format_b = lb.format;
  const bool comparable = la.width == lb.width && la.height == lb.height && la.format == lb.format;
  const bool wide = la.format == PixelFormat::P016 || la.format == PixelFormat::YUV444P16;
  const int depth = wide ? std::min(ra.info().video.bit_depth, rb.info().video.bit_depth) : 8;
  const double peak = (1 << depth) - 1;
  double sse = 0, n = 0, sse_y = 0, n_y = 0;
  c.worst_frame_psnr_db = std::numeric_limits<double>::infinity();
  for (;;) {
    const bool ga = ra.read(fa), gb = rb.read(fb);
    c.frames_a += ga ? fa.size() : 0;
    c.frames_b += gb ? fb.size() : 0;
    if (!ga || !gb) {
      while (ga && ra.read(fa)) c.frames_a += fa.size();
      while (gb && rb.read(fb)) c.frames_b += fb.size();
      break;
    }
    const double ta = static_cast<double>(fa.info(0).pts) * fa.time_base.num / fa.time_base.den;
    const double tb = static_cast<double>(fb.info(0).pts) * fb.time_base.num / fb.time_base.den;
    c.max_pts_diff_s = std::max(c.max_pts_diff_s, std::fabs(ta - tb));
    if (!comparable) continue;
    double f_sse = 0, f_n = 0;
    for (int p = 0; p < la.plane_count; ++p) {
      const PlaneLayout& pa = la.planes[p];
      const PlaneLayout& pb = lb.planes[p];
      for (int y = 0; y < pa.rows; ++y) {
        const auto* rowa = reinterpret_cast<const uint8_t*>(fa.plane(0, p)) + y * pa.pitch;
        const auto* rowb = reinterpret_cast<const uint8_t*>(fb.plane(0, p)) + y * pb.pitch;
        if (!wide) {
          for (size_t x = 0; x < pa.row_bytes; ++x) {
            const double d = static_cast<double>(rowa[x]) - rowb[x];
            f_sse += d * d;
            if (p == 0) sse_y += d * d;
          }
        } else {
          const auto* sa = reinterpret_cast<const uint16_t*>(rowa);
          const auto* sb = reinterpret_cast<const uint16_t*>(rowb);
          for (size_t x = 0; x < pa.row_bytes / 2; ++x) {
            const double d = static_cast<double>(sa[x] >> (16 - depth)) - (sb[x] >> (16 - depth));
            f_sse += d * d;
            if (p == 0) sse_y += d * d;
          }
        }
        const double count = static_cast<double>(wide ? pa.row_bytes / 2 : pa.row_bytes);
        f_n += count;
        if (p == 0) n_y += count;
      }
    }
    sse += f_sse;
    n += f_n;
    c.worst_frame_psnr_db = std::min(c.worst_frame_psnr_db, psnr_of(f_sse, f_n, peak));
  }
  c.identical = comparable && sse == 0 && c.frames_a == c.frames_b;
  c.psnr_db = n > 0 ? psnr_of(sse, n, peak) : 0;
  c.psnr_y_db = n_y > 0 ? psnr_of(sse_y, n_y, peak) : 0;
  return c;
}

}  // namespace cuframe::test
