// Internal: the CPU executor's SIMD row loops (color_rows.cpp, geometry_rows.cpp,
// filter_rows.cpp), each compiled for several instruction sets and chosen at run time.
//
// Note [CPU rows in Highway]: the row loops that carry the CPU executor's time are
// written once with Google Highway and compiled for each of its x86 targets (AVX3 =
// AVX-512, AVX2, SSE4 and the portable EMU128; on Arm NEON/SVE), and HWY_DYNAMIC_DISPATCH
// calls the best one this CPU supports (`cuframe --version` prints its name). They stay
// bit for bit equal to the shared per-sample math (Note [Shared per-pixel math]): each
// lane does the float operations of the scalar function in its order; Mul then Add,
// never MulAdd, which is an FMA on AVX2 and AVX-512 and would round once where the GPU
// rounds twice; the row files are compiled with -ffp-contract=off so that the compiler
// does not fuse them either; the last samples of a row that fill no whole vector go
// through the scalar function itself; and the rounding is Note [CPU to_u8 in SIMD]. The
// white-box tests run every row loop on every target this machine has
// (for_each_simd_target, cpu_simd_testing.hpp) against the per-sample functions.
#pragma once

#include <cstdint>

#include "cuframe/kernels/detail/color_math.hpp"

namespace cuframe::kernels::detail {

// --- geometry (Notes [CPU bilinear rows], [CPU bicubic rows], [CPU area rows]) ---

/// out[i] = to_sample(top[i] + wy * (bot[i] - top[i])), i < n: the vertical step of
/// bilinear_mix.
void bilinear_vertical(const float* top, const float* bot, float wy, int n, std::uint8_t* out);
void bilinear_vertical(const float* top, const float* bot, float wy, int n, std::uint16_t* out);
void bilinear_vertical(const float* top, const float* bot, float wy, int n, float* out);

/// out[i] = a + w[i] * (b - a) with a = wide[i0[i]], b = wide[i1[i]], i < n: the
/// horizontal step of bilinear_mix with its taps per sample.
void bilinear_horizontal(const float* wide, const std::int32_t* i0, const std::int32_t* i1, const float* w, int n,
                         float* out);

/// The same horizontal step by blocks, for downscales and moderate upscales: block b makes
/// `per_block` output samples from one vector of `lanes` source samples loaded at
/// wide[base[b]], picked by table lookup with the window-relative indices i0, i1 (and
/// weights w) of its lanes at [b * lanes, (b + 1) * lanes). Writes whole vectors: out needs
/// `lanes` floats of room past the row, wide as much past the source row. False (nothing
/// written) when the target's float vectors do not have `lanes` lanes.
bool bilinear_horizontal_blocks(const float* wide, const std::int32_t* base, const std::int32_t* i0,
                                const std::int32_t* i1, const float* w, int blocks, int per_block, int lanes, float* out);

/// Lanes of a float vector on the target the dispatch chooses now (1 on SCALAR).
int simd_float_lanes();

/// out[i] = to_sample(sum over k = 0..3 of w[k] * h[k][i], from 0 in that order), i < n.
void bicubic_vertical(const float* const h[4], const float w[4], int n, std::uint8_t* out);
void bicubic_vertical(const float* const h[4], const float w[4], int n, std::uint16_t* out);
void bicubic_vertical(const float* const h[4], const float w[4], int n, float* out);

/// out[i] = to_sample(area[i] > 0 ? acc[i] / area[i] : 0), i < n.
void area_quotient(const float* acc, const float* area, int n, std::uint8_t* out);
void area_quotient(const float* acc, const float* area, int n, std::uint16_t* out);
void area_quotient(const float* acc, const float* area, int n, float* out);

/// out[i] = float(in[i]), i < n.
void row_to_float(const std::uint8_t* in, int n, float* out);
void row_to_float(const std::uint16_t* in, int n, float* out);
void row_to_float(const float* in, int n, float* out);

// --- filter (Note [CPU blur rows]) ---

/// The horizontal pass of blur_h on samples [begin, end) of one row of floats `f`, whose
/// neighbours at +-k*step exist (interior columns): acc[i] = w[0] * f[i], then
/// acc[i] += w[k] * (f[i - k*step] + f[i + k*step]) for k = 1..r.
void blur_horizontal(const float* f, int begin, int end, int step, const float* w, int r, float* acc);

/// The vertical pass of blur_v over n samples, to samples: out[i] = to_sample(w[0] * mid[i]
/// + ... + w[k] * (up[k][i] + down[k][i]) ...), k = 1..r, where up[k] and down[k] are the
/// rows y - k and y + k (taps[2k - 1] and taps[2k]).
void blur_vertical(const float* mid, const float* const* taps, const float* w, int r, int n, std::uint8_t* out);
void blur_vertical(const float* mid, const float* const* taps, const float* w, int r, int n, std::uint16_t* out);
void blur_vertical(const float* mid, const float* const* taps, const float* w, int r, int n, float* out);

// --- colour (Note [CPU chroma rows]) ---

/// R, G, B bytes of n pixels from float Y, U, V rows: yuv_to_rgb then to_u8.
void rgb_bytes_row(const YuvToRgb& t, const float* Y, const float* U, const float* V, int n, std::uint8_t* R,
                   std::uint8_t* G, std::uint8_t* B);

/// Note [CPU chroma rows]'s integer horizontal mix of one 8-bit NV12 chroma row: for
/// luma column x = 2k + p (parity p), 4 times chroma_mix's inner half,
/// (4 - w4[p]) * c[k + j0[p]] + w4[p] * c[k + j0[p] + 1], for U into hu and V into hv
/// (2 * cw values each). `padded` is the interleaved row with one more U,V pair at each
/// end (the edge pairs repeated): c[-1] and c[cw] are those.
struct ChromaPattern {
  int j0[2];  // -1 or 0
  int w4[2];  // 0..3
};
void nv12_chroma_row(const std::uint8_t* padded, int cw, ChromaPattern pattern, std::uint16_t* hu, std::uint16_t* hv);

/// Where 8-bit RGB goes: interleaved R,G,B / B,G,R / R,G,B,255 at out0, or planar R, G, B
/// at out0, out1, out2.
enum class RgbStore { Rgb24, Bgr24, Rgba, Planar };

/// One row of 8-bit RGB from an 8-bit NV12 luma row and the integer chroma rows of
/// nv12_chroma_row above and below it: chroma (4 - wy4) * h0 + wy4 * h1 (16 times the
/// exact chroma_mix), then yuv_to_rgb and to_u8, n pixels.
void nv12_rgb_row(const YuvToRgb& t, const std::uint8_t* luma, const std::uint16_t* hu0, const std::uint16_t* hv0,
                  const std::uint16_t* hu1, const std::uint16_t* hv1, int wy4, int n, RgbStore store, std::uint8_t* out0,
                  std::uint8_t* out1, std::uint8_t* out2);

/// Highway's name of the target HWY_DYNAMIC_DISPATCH chooses on this CPU ("AVX3", "AVX2",
/// "SSE4", "NEON", "EMU128", ...).
const char* simd_target_name() noexcept;

}  // namespace cuframe::kernels::detail
