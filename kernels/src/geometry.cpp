#include "cuframe/kernels/geometry.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "cpu_pool.hpp"
#include "cpu_rows.hpp"
#include "cuframe/error.hpp"
#include "geometry_impl.hpp"
#include "geometry_testing.hpp"

namespace cuframe::kernels {

using namespace detail;

namespace detail {

PlaneKind plane_kind(PixelFormat f, int p) {
  switch (f) {
    case PixelFormat::NV12: return p == 0 ? PlaneKind{1, SampleType::U8, 1, false} : PlaneKind{2, SampleType::U8, 2, true};
    case PixelFormat::P016: return p == 0 ? PlaneKind{1, SampleType::U16, 2, false} : PlaneKind{2, SampleType::U16, 4, true};
    case PixelFormat::YUV444P:
    case PixelFormat::RGBP:
    case PixelFormat::Gray8: return {1, SampleType::U8, 1, false};
    case PixelFormat::YUV444P16: return {1, SampleType::U16, 2, false};
    case PixelFormat::RGB24:
    case PixelFormat::BGR24: return {3, SampleType::U8, 3, false};
    case PixelFormat::RGBA: return {4, SampleType::U8, 4, false};
    case PixelFormat::RGBPF32: return {1, SampleType::F32, 4, false};
    case PixelFormat::RGBPF16: break;
  }
  throw Error(Errc::Unsupported, "geometry", std::string("resize/crop/flip/rotate do not take ") + to_string(f) + " yet");
}

}  // namespace detail

namespace {

int plane_w(const FrameLayout& l, int p) { return plane_kind(l.format, p).half ? (l.width + 1) / 2 : l.width; }
int plane_h(const FrameLayout& l, int p) { return plane_kind(l.format, p).half ? (l.height + 1) / 2 : l.height; }

GeometryJob job_for(const FrameBatch& src, FrameBatch& dst, int p) {
  const FrameLayout& sl = src.layout();
  const FrameLayout& dl = dst.layout();
  GeometryJob j{};
  j.in = PlaneIn{reinterpret_cast<const std::uint8_t*>(src.plane(0, p)), sl.frame_stride, sl.planes[p].pitch,
                 plane_w(sl, p), plane_h(sl, p)};
  j.out = PlaneOutG{reinterpret_cast<std::uint8_t*>(dst.plane(0, p)), dl.frame_stride, dl.planes[p].pitch,
                    plane_w(dl, p), plane_h(dl, p)};
  j.frames = src.size();
  j.kind = plane_kind(sl.format, p);
  return j;
}

void check_pair(const FrameBatch& src, FrameBatch& dst, const FrameLayout& expected, const CudaStream* stream,
                const char* op) {
  for (int p = 0; p < src.layout().plane_count; ++p) plane_kind(src.layout().format, p);
  if (dst.layout() != expected) throw Error(Errc::InvalidArgument, op, "destination layout does not match the operation");
  if (dst.capacity() < src.size()) throw Error(Errc::InvalidArgument, op, "destination batch is smaller than the source");
  const bool device = src.memory() == MemoryKind::Device;
  if (device != (dst.memory() == MemoryKind::Device))
    throw Error(Errc::InvalidArgument, op, "source and destination must both be on the device or both on the host");
  if (device && !stream) throw Error(Errc::InvalidArgument, op, "device batches need a stream");
}

void carry(const FrameBatch& src, FrameBatch& dst) {
  dst.resize(src.size());
  dst.color = src.color;
  dst.time_base = src.time_base;
  for (int i = 0; i < src.size(); ++i) dst.info(i) = src.info(i);
}

template <typename T, ResizeFilter I>
void resize_cpu(const GeometryJob& j) {
  auto rows = [&](int begin, int end) {
    for (int r = begin; r < end; ++r) {
      const int z = r / j.out.height, y = r % j.out.height;
      for (int x = 0; x < j.out.width; ++x)
        for (int c = 0; c < j.kind.channels; ++c)
          store<T>(j.out, z, x, y, c, j.kind.channels, resize_sample<T, I>(j.in, j.out, z, x, y, c, j.kind.channels));
    }
  };
  parallel_for(j.frames * j.out.height, rows);
}

template <Remap R>
void remap_cpu(const GeometryJob& j) {
  auto rows = [&](int begin, int end) {
    for (int r = begin; r < end; ++r) {
      const int z = r / j.out.height, y = r % j.out.height;
      if constexpr (R == Remap::Crop || R == Remap::FlipV) {
        // Whole rows move: one copy of what remap_pixel copies pixel by pixel.
        int sx, sy;
        remap_source<R>(0, y, j.in.width, j.in.height, j.ox, j.oy, sx, sy);
        std::memcpy(j.out.base + static_cast<std::size_t>(z) * j.out.frame_stride + static_cast<std::size_t>(y) * j.out.pitch,
                    j.in.base + static_cast<std::size_t>(z) * j.in.frame_stride + static_cast<std::size_t>(sy) * j.in.pitch +
                        static_cast<std::size_t>(sx) * j.kind.bytes_per_pixel,
                    static_cast<std::size_t>(j.out.width) * j.kind.bytes_per_pixel);
      } else {
        for (int x = 0; x < j.out.width; ++x) remap_pixel<R>(j.in, j.out, z, x, y, j.kind.bytes_per_pixel, j.ox, j.oy);
      }
    }
  };
  parallel_for(j.frames * j.out.height, rows);
}

// Note [CPU bilinear rows]: the bilinear resize in two passes per output row, as
// bilinear_mix is written: first the horizontal mix of each of the two source rows it
// reads (top and bottom), into float rows, with the taps of every output sample (source
// sample indices and weight) computed once per call, and the source row read as floats
// once (row_to_float; bilinear_horizontal_blocks: a vector of source samples and table
// lookups where the sources of a block of outputs fit one vector, else the gathers of
// bilinear_horizontal); then the
// vertical mix of those two float rows, a loop over contiguous samples (bilinear_vertical;
// both Note [CPU rows in Highway]). A source row's horizontal mix is kept while the next
// output rows read it again, so each source row is mixed about once per thread. The float
// operations on each sample are exactly those of resize_sample (the same taps, the same
// three steps of bilinear_mix, in the same order), so the result is bit for bit what the
// per-sample path and the GPU kernel give (tests/kernels/test_geometry.cpp checks both).
// The taps and the float rows live in per-thread buffers that only grow: no allocation
// per call in steady state.
struct SampleTaps {
  std::vector<std::int32_t> i0, i1;  // source sample indices (pixel * C + channel)
  std::vector<float> w;
};

template <typename T, int C>
void resize_bilinear_rows(const GeometryJob& j) {
  const float sx = static_cast<float>(j.in.width) / static_cast<float>(j.out.width);
  const float sy = static_cast<float>(j.in.height) / static_cast<float>(j.out.height);
  // locals: stores through T* could alias the job's fields
  const int width = j.out.width, samples = width * C, src_samples = j.in.width * C;
  thread_local SampleTaps taps;
  if (taps.w.size() < static_cast<std::size_t>(samples)) {
    taps.i0.resize(static_cast<std::size_t>(samples));
    taps.i1.resize(static_cast<std::size_t>(samples));
    taps.w.resize(static_cast<std::size_t>(samples));
  }
  for (int x = 0; x < width; ++x) {
    const LinearTap tx = linear_tap(x, sx, j.in.width);
    for (int c = 0; c < C; ++c) {
      const auto s = static_cast<std::size_t>(x * C + c);
      taps.i0[s] = tx.i0 * C + c;
      taps.i1[s] = tx.i1 * C + c;
      taps.w[s] = tx.w;
    }
  }
  const std::int32_t* i0 = taps.i0.data();
  const std::int32_t* i1 = taps.i1.data();
  const float* wx = taps.w.data();
  // The same taps by blocks of vectors (bilinear_horizontal_blocks): the largest number of
  // output samples a block can make such that every block's sources fit one vector; none
  // below a quarter of a vector (large downscales: the gathers of bilinear_horizontal).
  thread_local std::vector<std::int32_t> block_base, block_i0, block_i1;
  thread_local std::vector<float> block_w;
  const int lanes = simd_float_lanes();
  int per_block = 0, blocks = 0;
  for (int m = lanes; lanes >= 4 && m >= std::max(2, lanes / 4) && per_block == 0; --m) {
    bool fits = true;
    for (int s0 = 0; s0 < samples && fits; s0 += m) {
      int lo = i0[s0], hi = i1[s0];
      for (int s = s0; s < std::min(samples, s0 + m); ++s) lo = std::min(lo, i0[s]), hi = std::max(hi, i1[s]);
      fits = hi - lo < lanes;
    }
    if (fits) per_block = m;
  }
  if (per_block > 0) {
    blocks = (samples + per_block - 1) / per_block;
    const auto cells = static_cast<std::size_t>(blocks) * static_cast<std::size_t>(lanes);
    block_base.resize(static_cast<std::size_t>(blocks));
    block_i0.assign(cells, 0);
    block_i1.assign(cells, 0);
    block_w.assign(cells, 0.0f);
    for (int b = 0; b < blocks; ++b) {
      const int s0 = b * per_block, count = std::min(per_block, samples - s0);
      int lo = i0[s0];
      for (int s = s0; s < s0 + count; ++s) lo = std::min(lo, i0[s]);
      block_base[static_cast<std::size_t>(b)] = lo;
      for (int l = 0; l < count; ++l) {
        const auto cell = static_cast<std::size_t>(b) * static_cast<std::size_t>(lanes) + static_cast<std::size_t>(l);
        block_i0[cell] = i0[s0 + l] - lo;
        block_i1[cell] = i1[s0 + l] - lo;
        block_w[cell] = wx[s0 + l];
      }
    }
  }
  const std::int32_t* bbase = block_base.data();
  const std::int32_t* bi0 = block_i0.data();
  const std::int32_t* bi1 = block_i1.data();
  const float* bw = block_w.data();
  auto rows = [&, i0, i1, wx, samples, src_samples, bbase, bi0, bi1, bw, blocks, per_block, lanes](int begin, int end) {
    // Room past each row for whole vectors (bilinear_horizontal_blocks).
    constexpr int kPad = 64;
    thread_local std::vector<float> mixed;
    const std::size_t need = 2 * static_cast<std::size_t>(samples + kPad) + static_cast<std::size_t>(src_samples + kPad);
    if (mixed.size() < need) mixed.resize(need);
    float* top = mixed.data();
    float* bot = top + samples + kPad;
    float* wide = bot + samples + kPad;
    auto mix = [&](int row, int z, float* out) {
      const std::uint8_t* base = j.in.base + static_cast<std::size_t>(z) * j.in.frame_stride;
      row_to_float(reinterpret_cast<const T*>(base + static_cast<std::size_t>(row) * j.in.pitch), src_samples, wide);
      if (blocks == 0 || !bilinear_horizontal_blocks(wide, bbase, bi0, bi1, bw, blocks, per_block, lanes, out))
        bilinear_horizontal(wide, i0, i1, wx, samples, out);
    };
    int top_row = -1, bot_row = -1, frame = -1;  // the source rows top and bot hold, of `frame`
    for (int r = begin; r < end; ++r) {
      const int z = r / j.out.height, y = r % j.out.height;
      const LinearTap ty = linear_tap(y, sy, j.in.height);
      if (z != frame) top_row = bot_row = -1, frame = z;
      if (ty.i0 != top_row) {
        if (ty.i0 == bot_row) {
          std::swap(top, bot);
          std::swap(top_row, bot_row);
        } else {
          mix(ty.i0, z, top);
          top_row = ty.i0;
        }
      }
      if (ty.i1 != bot_row) {
        mix(ty.i1, z, bot);
        bot_row = ty.i1;
      }
      bilinear_vertical(top, bot, ty.w, samples,
                        reinterpret_cast<T*>(j.out.base + static_cast<std::size_t>(z) * j.out.frame_stride +
                                             static_cast<std::size_t>(y) * j.out.pitch));
    }
  };
  parallel_for(j.frames * j.out.height, rows);
}

// Note [CPU area rows]: the area filter with its taps computed once per call: for each
// output column the source columns it covers and their coverage (area_cover), likewise
// for each output row, kept only where the coverage is positive, with the index clamped
// as sample() clamps it. An output sample then sums over its row taps and, within each,
// its column taps, in the order resize_sample's two loops visit them, with the same
// float operations (w = wx * hy, acc += w * s, area += w, acc / area), so the result is
// bit for bit the per-sample path's; all channels of a pixel share the taps. Each source
// row is read as floats once per output row that covers it, and the final division is
// done in SIMD (area_quotient, Note [CPU rows in Highway]). The tap lists live in
// per-thread vectors that only grow.
struct AreaTap {
  int i;
  float w;
};

void area_taps(int out_size, float scale, int in_size, std::vector<AreaTap>& taps, std::vector<int>& first) {
  taps.clear();
  first.resize(static_cast<std::size_t>(out_size) + 1);
  for (int d = 0; d < out_size; ++d) {
    first[static_cast<std::size_t>(d)] = static_cast<int>(taps.size());
    const AreaSpan s = area_span(d, scale);
    for (int i = static_cast<int>(ffloor(s.a0)); static_cast<float>(i) < s.a1; ++i) {
      const float w = area_cover(s, i);
      if (w > 0.0f) taps.push_back({clampi(i, 0, in_size - 1), w});
    }
  }
  first[static_cast<std::size_t>(out_size)] = static_cast<int>(taps.size());
}

template <typename T, int C>
void resize_area_rows(const GeometryJob& j) {
  const float sx = static_cast<float>(j.in.width) / static_cast<float>(j.out.width);
  const float sy = static_cast<float>(j.in.height) / static_cast<float>(j.out.height);
  thread_local std::vector<AreaTap> xt, yt;
  thread_local std::vector<int> xf, yf;
  area_taps(j.out.width, sx, j.in.width, xt, xf);
  area_taps(j.out.height, sy, j.in.height, yt, yf);
  const AreaTap* xtaps = xt.data();
  const AreaTap* ytaps = yt.data();
  const int* xfirst = xf.data();
  const int* yfirst = yf.data();
  // locals: stores through T* could alias the job's fields
  const int width = j.out.width, src_samples = j.in.width * C;
  auto rows = [&, xtaps, ytaps, xfirst, yfirst, width, src_samples](int begin, int end) {
    // The sums of a whole output row, built source row by source row: per sample the
    // terms are still added in resize_sample's order (row taps outer, column taps inner).
    thread_local std::vector<float> sums;
    const std::size_t need = static_cast<std::size_t>(width) * (2 * C + 1) + static_cast<std::size_t>(src_samples);
    if (sums.size() < need) sums.resize(need);
    float* acc = sums.data();
    float* area = acc + static_cast<std::size_t>(width) * C;
    float* area_of_sample = area + width;  // area[x] for each of the C samples of pixel x
    float* wide = area_of_sample + static_cast<std::size_t>(width) * C;  // the source row as floats (exact)
    for (int r = begin; r < end; ++r) {
      const int z = r / j.out.height, y = r % j.out.height;
      const std::uint8_t* frame = j.in.base + static_cast<std::size_t>(z) * j.in.frame_stride;
      T* out = reinterpret_cast<T*>(j.out.base + static_cast<std::size_t>(z) * j.out.frame_stride +
                                    static_cast<std::size_t>(y) * j.out.pitch);
      for (int i = 0; i < width * C; ++i) acc[i] = 0.0f;
      for (int x = 0; x < width; ++x) area[x] = 0.0f;
      for (int ty = yfirst[y]; ty < yfirst[y + 1]; ++ty) {
        const T* row = reinterpret_cast<const T*>(frame + static_cast<std::size_t>(ytaps[ty].i) * j.in.pitch);
        row_to_float(row, src_samples, wide);
        const float hy = ytaps[ty].w;
        for (int x = 0; x < width; ++x) {
          float a[C], s = area[x];
          for (int c = 0; c < C; ++c) a[c] = acc[x * C + c];
          for (int tx = xfirst[x]; tx < xfirst[x + 1]; ++tx) {
            const float w = fmul(xtaps[tx].w, hy);
            const float* px = wide + xtaps[tx].i * C;
            for (int c = 0; c < C; ++c) a[c] = fadd(a[c], fmul(w, px[c]));
            s = fadd(s, w);
          }
          for (int c = 0; c < C; ++c) acc[x * C + c] = a[c];
          area[x] = s;
        }
      }
      for (int x = 0; x < width; ++x)
        for (int c = 0; c < C; ++c) area_of_sample[x * C + c] = area[x];
      area_quotient(acc, area_of_sample, width * C, out);
    }
  };
  parallel_for(j.frames * j.out.height, rows);
}

// Note [CPU nearest rows]: nearest neighbour with the source column of each output column
// computed once per call and the source row once per output row, as resize_sample
// computes them (floor(d * scale), clamped as sample() clamps); the samples are then
// copied, which is what resize_sample's float round trip gives for every sample type
// (integers of at most 16 bits are exact in float, and to_sample rounds them to
// themselves).
template <typename T, int C>
void resize_nearest_rows(const GeometryJob& j) {
  const float sx = static_cast<float>(j.in.width) / static_cast<float>(j.out.width);
  const float sy = static_cast<float>(j.in.height) / static_cast<float>(j.out.height);
  thread_local std::vector<int> columns;
  if (columns.size() < static_cast<std::size_t>(j.out.width)) columns.resize(static_cast<std::size_t>(j.out.width));
  for (int x = 0; x < j.out.width; ++x)
    columns[static_cast<std::size_t>(x)] =
        clampi(static_cast<int>(ffloor(fmul(static_cast<float>(x), sx))), 0, j.in.width - 1) * C;
  const int* cols = columns.data();
  const int width = j.out.width;  // a local: stores through T* could alias the job's fields
  auto rows = [&, cols, width](int begin, int end) {
    for (int r = begin; r < end; ++r) {
      const int z = r / j.out.height, y = r % j.out.height;
      const int iy = clampi(static_cast<int>(ffloor(fmul(static_cast<float>(y), sy))), 0, j.in.height - 1);
      const T* src = reinterpret_cast<const T*>(j.in.base + static_cast<std::size_t>(z) * j.in.frame_stride +
                                                static_cast<std::size_t>(iy) * j.in.pitch);
      T* out = reinterpret_cast<T*>(j.out.base + static_cast<std::size_t>(z) * j.out.frame_stride +
                                    static_cast<std::size_t>(y) * j.out.pitch);
      for (int x = 0; x < width; ++x)
        for (int c = 0; c < C; ++c) out[x * C + c] = src[cols[x] + c];
    }
  };
  parallel_for(j.frames * j.out.height, rows);
}

// Note [CPU bicubic rows]: the bicubic resize as resize_sample computes it (a 4-tap
// horizontal sum on each of four source rows, then the 4-tap vertical sum of those), a
// row at a time: the column taps (cubic_taps, indices clamped as sample() clamps them)
// once per call; each source row's horizontal sums once into one of four cached float
// rows, reused while the next output rows read that row again; then the vertical sum over
// contiguous samples (bicubic_vertical, Note [CPU rows in Highway]). Every sum starts from
// 0.0f and adds its terms in resize_sample's order, so the result is its result bit for
// bit (tests/kernels/test_geometry.cpp).
struct CubicColumn {
  int o[4];  // sample offsets of the four source columns
  float w[4];
};

template <typename T, int C>
void resize_bicubic_rows(const GeometryJob& j) {
  const float sx = static_cast<float>(j.in.width) / static_cast<float>(j.out.width);
  const float sy = static_cast<float>(j.in.height) / static_cast<float>(j.out.height);
  thread_local std::vector<CubicColumn> columns;
  if (columns.size() < static_cast<std::size_t>(j.out.width)) columns.resize(static_cast<std::size_t>(j.out.width));
  for (int x = 0; x < j.out.width; ++x) {
    const CubicTaps t = cubic_taps(x, sx);
    CubicColumn& col = columns[static_cast<std::size_t>(x)];
    for (int k = 0; k < 4; ++k) col.o[k] = clampi(t.i0 + k, 0, j.in.width - 1) * C, col.w[k] = t.w[k];
  }
  const CubicColumn* cols = columns.data();
  // locals: stores through T* could alias the job's fields
  const int width = j.out.width, samples = width * C, src_samples = j.in.width * C;
  auto rows = [&, cols, width, samples, src_samples](int begin, int end) {
    thread_local std::vector<float> buffer;
    const std::size_t need = 4 * static_cast<std::size_t>(samples) + static_cast<std::size_t>(src_samples);
    if (buffer.size() < need) buffer.resize(need);
    float* wide = buffer.data() + 4 * static_cast<std::size_t>(samples);
    int held[4] = {-1, -1, -1, -1};  // the source row each cached row holds, of `frame`
    int frame = -1;
    for (int r = begin; r < end; ++r) {
      const int z = r / j.out.height, y = r % j.out.height;
      if (z != frame) held[0] = held[1] = held[2] = held[3] = -1, frame = z;
      const CubicTaps ty = cubic_taps(y, sy);
      int wanted[4];
      for (int k = 0; k < 4; ++k) wanted[k] = clampi(ty.i0 + k, 0, j.in.height - 1);
      const float* h[4];
      for (int k = 0; k < 4; ++k) {
        int slot = 0;
        while (slot < 4 && held[slot] != wanted[k]) ++slot;
        if (slot == 4) {  // not cached: mix it into a slot this row does not need
          slot = 0;
          while (held[slot] == wanted[0] || held[slot] == wanted[1] || held[slot] == wanted[2] || held[slot] == wanted[3])
            ++slot;
          const T* src = reinterpret_cast<const T*>(j.in.base + static_cast<std::size_t>(z) * j.in.frame_stride +
                                                    static_cast<std::size_t>(wanted[k]) * j.in.pitch);
          row_to_float(src, src_samples, wide);  // exact
          float* out = buffer.data() + static_cast<std::size_t>(slot) * samples;
          for (int x = 0; x < width; ++x) {
            const CubicColumn& col = cols[x];
            for (int c = 0; c < C; ++c) {
              float sum = 0.0f;
              for (int i = 0; i < 4; ++i) sum = fadd(sum, fmul(col.w[i], wide[col.o[i] + c]));
              out[x * C + c] = sum;
            }
          }
          held[slot] = wanted[k];
        }
        h[k] = buffer.data() + static_cast<std::size_t>(slot) * samples;
      }
      bicubic_vertical(h, ty.w, samples,
                       reinterpret_cast<T*>(j.out.base + static_cast<std::size_t>(z) * j.out.frame_stride +
                                            static_cast<std::size_t>(y) * j.out.pitch));
    }
  };
  parallel_for(j.frames * j.out.height, rows);
}

// The row path of filter I for T samples, C channels a pixel.
template <typename T, int C, ResizeFilter I>
void resize_rows(const GeometryJob& j) {
  if constexpr (I == ResizeFilter::Nearest) resize_nearest_rows<T, C>(j);
  else if constexpr (I == ResizeFilter::Bilinear) resize_bilinear_rows<T, C>(j);
  else if constexpr (I == ResizeFilter::Bicubic) resize_bicubic_rows<T, C>(j);
  else resize_area_rows<T, C>(j);
}

template <typename T, ResizeFilter I>
void resize_by_rows(const GeometryJob& j) {
  switch (j.kind.channels) {
    case 1: resize_rows<T, 1, I>(j); break;
    case 2: resize_rows<T, 2, I>(j); break;
    case 3: resize_rows<T, 3, I>(j); break;
    case 4: resize_rows<T, 4, I>(j); break;
    default: resize_cpu<T, I>(j); break;
  }
}

template <ResizeFilter I>
void resize_cpu_typed(const GeometryJob& j) {
  switch (j.kind.type) {
    case SampleType::U8: resize_by_rows<std::uint8_t, I>(j); break;
    case SampleType::U16: resize_by_rows<std::uint16_t, I>(j); break;
    case SampleType::F32: resize_by_rows<float, I>(j); break;
  }
}

void remap_all(const FrameBatch& src, FrameBatch& dst, Remap remap, int ox, int oy, const CudaStream* stream) {
  for (int p = 0; p < src.layout().plane_count; ++p) {
    GeometryJob j = job_for(src, dst, p);
    if (j.frames == 0) continue;
    j.ox = j.kind.half ? ox / 2 : ox;
    j.oy = j.kind.half ? oy / 2 : oy;
    if (src.memory() == MemoryKind::Device) {
      launch_remap(j, remap, stream->get());
      continue;
    }
    switch (remap) {
      case Remap::Crop: remap_cpu<Remap::Crop>(j); break;
      case Remap::FlipH: remap_cpu<Remap::FlipH>(j); break;
      case Remap::FlipV: remap_cpu<Remap::FlipV>(j); break;
      case Remap::Rot90: remap_cpu<Remap::Rot90>(j); break;
      case Remap::Rot180: remap_cpu<Remap::Rot180>(j); break;
      case Remap::Rot270: remap_cpu<Remap::Rot270>(j); break;
    }
  }
  carry(src, dst);
}

}  // namespace

namespace detail {
void bilinear_rows_u8_for_testing(const float* top, const float* bot, float wy, int n, std::uint8_t* out) {
  bilinear_vertical(top, bot, wy, n, out);
}

void bicubic_rows_u8_for_testing(const float* const rows[4], const float w[4], int n, std::uint8_t* out) {
  bicubic_vertical(rows, w, n, out);
}
}  // namespace detail

FrameLayout resized_layout(const FrameLayout& src, int width, int height) {
  return make_layout(src.format, width, height, src.bit_depth);
}

void resize(const FrameBatch& src, FrameBatch& dst, ResizeFilter filter, const CudaStream* stream) {
  check_pair(src, dst, resized_layout(src.layout(), dst.layout().width, dst.layout().height), stream, "resize");
  for (int p = 0; p < src.layout().plane_count; ++p) {
    const GeometryJob j = job_for(src, dst, p);
    if (j.frames == 0) continue;
    if (src.memory() == MemoryKind::Device) {
      launch_resize(j, filter, stream->get());
      continue;
    }
    switch (filter) {
      case ResizeFilter::Nearest: resize_cpu_typed<ResizeFilter::Nearest>(j); break;
      case ResizeFilter::Bilinear: resize_cpu_typed<ResizeFilter::Bilinear>(j); break;
      case ResizeFilter::Bicubic: resize_cpu_typed<ResizeFilter::Bicubic>(j); break;
      case ResizeFilter::Area: resize_cpu_typed<ResizeFilter::Area>(j); break;
    }
  }
  carry(src, dst);
}

FrameLayout cropped_layout(const FrameLayout& src, int x, int y, int w, int h) {
  if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > src.width || y + h > src.height)
    throw Error(Errc::InvalidArgument, "crop",
                "crop " + std::to_string(w) + "x" + std::to_string(h) + " at " + std::to_string(x) + "," + std::to_string(y) +
                    " does not fit the " + std::to_string(src.width) + "x" + std::to_string(src.height) + " frame");
  const bool is420 = src.format == PixelFormat::NV12 || src.format == PixelFormat::P016;
  if (is420 && (x % 2 || y % 2))
    throw Error(Errc::InvalidArgument, "crop", "4:2:0 frames crop at even x and y (the chroma grid)");
  return make_layout(src.format, w, h, src.bit_depth);
}

void crop(const FrameBatch& src, FrameBatch& dst, int x, int y, const CudaStream* stream) {
  check_pair(src, dst, cropped_layout(src.layout(), x, y, dst.layout().width, dst.layout().height), stream, "crop");
  remap_all(src, dst, Remap::Crop, x, y, stream);
}

void flip(const FrameBatch& src, FrameBatch& dst, FlipAxis axis, const CudaStream* stream) {
  check_pair(src, dst, src.layout(), stream, "flip");
  remap_all(src, dst, axis == FlipAxis::Horizontal ? Remap::FlipH : Remap::FlipV, 0, 0, stream);
}

FrameLayout rotated_layout(const FrameLayout& src, int degrees) {
  if (degrees != 90 && degrees != 180 && degrees != 270)
    throw Error(Errc::InvalidArgument, "rotate", "rotation must be 90, 180 or 270 degrees (got " + std::to_string(degrees) + ")");
  return degrees == 180 ? src : make_layout(src.format, src.height, src.width, src.bit_depth);
}

void rotate(const FrameBatch& src, FrameBatch& dst, int degrees, const CudaStream* stream) {
  check_pair(src, dst, rotated_layout(src.layout(), degrees), stream, "rotate");
  remap_all(src, dst, degrees == 90 ? Remap::Rot90 : degrees == 180 ? Remap::Rot180 : Remap::Rot270, 0, 0, stream);
}

}  // namespace cuframe::kernels
