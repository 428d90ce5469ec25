#include "cuframe/kernels/filter.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cpu_pool.hpp"
#include "cpu_rows.hpp"
#include "cuframe/error.hpp"
#include "filter_impl.hpp"
#include "filter_testing.hpp"
#include "memory.hpp"

namespace cuframe::kernels {

using namespace detail;

namespace {

BlurWeights make_weights(double sigma, bool eight_bit) {
  // OpenCV's size rule (GaussianBlur with ksize = 0) and getGaussianKernel's weights.
  const int ksize = static_cast<int>(std::lround(sigma * (eight_bit ? 3 : 4) * 2 + 1)) | 1;
  BlurWeights w{};
  w.radius = ksize / 2;
  if (w.radius > kMaxBlurRadius) throw Error(Errc::InvalidArgument, "blur", "sigma too large");
  std::vector<double> g(static_cast<size_t>(w.radius) + 1);
  double sum = 0;
  for (int k = 0; k <= w.radius; ++k) {
    g[static_cast<size_t>(k)] = std::exp(-(k * k) / (2 * sigma * sigma));
    sum += k == 0 ? g[0] : 2 * g[static_cast<size_t>(k)];
  }
  for (int k = 0; k <= w.radius; ++k) w.w[k] = static_cast<float>(g[static_cast<size_t>(k)] / sum);
  return w;
}

int plane_w(const FrameLayout& l, int p) { return plane_kind(l.format, p).half ? (l.width + 1) / 2 : l.width; }
int plane_h(const FrameLayout& l, int p) { return plane_kind(l.format, p).half ? (l.height + 1) / 2 : l.height; }

GeometryJob plane_job(const FrameBatch& src, FrameBatch& dst, int p) {
  const FrameLayout& l = src.layout();
  GeometryJob j{};
  j.in = PlaneIn{reinterpret_cast<const std::uint8_t*>(src.plane(0, p)), l.frame_stride, l.planes[p].pitch, plane_w(l, p),
                 plane_h(l, p)};
  j.out = PlaneOutG{reinterpret_cast<std::uint8_t*>(dst.plane(0, p)), dst.layout().frame_stride, dst.layout().planes[p].pitch,
                    plane_w(l, p), plane_h(l, p)};
  j.frames = src.size();
  j.kind = plane_kind(l.format, p);
  return j;
}

// The plain per-sample form of both passes (blur_h / blur_v: the taps in the order the GPU
// kernels sum them from their tiles, Note [Blur tap order]), kept for the tests that prove
// Note [CPU blur rows] exact (filter_testing.hpp).
template <typename T>
void blur_cpu_per_sample(const BlurJob& b, const BlurWeights& w) {
  const GeometryJob& j = b.plane;
  const int ch = j.kind.channels;
  for (int z = 0; z < j.frames; ++z)
    for (int y = 0; y < j.in.height; ++y)
      for (int x = 0; x < j.in.width; ++x)
        for (int c = 0; c < ch; ++c) store<float>(b.scratch_out, z, x, y, c, ch, blur_h<T>(j.in, z, x, y, c, ch, w));
  for (int z = 0; z < j.frames; ++z)
    for (int y = 0; y < j.in.height; ++y)
      for (int x = 0; x < j.in.width; ++x)
        for (int c = 0; c < ch; ++c) store<T>(j.out, z, x, y, c, ch, blur_v(b.scratch_in, z, x, y, c, ch, w));
}

// Note [CPU blur rows]: both passes run a row at a time with the taps in the outer loop
// and the samples of the row in the inner one, in SIMD (Note [CPU rows in Highway]):
// blur_horizontal on a float copy of each source row, blur_vertical straight into the
// destination's samples; the columns within `radius` of an edge (where samples are
// clamped) go through blur_h, sample by sample. Each thread keeps the horizontal rows its
// output rows read in a ring of 2 * radius + 1 rows (row y in slot y mod the ring's
// size), so that a row is mixed once per thread and the float rows never leave its cache:
// with AVX-512 the blur was bound by the traffic of a float scratch plane through memory
// (25 MB each way for a 1080p RGB frame). A ring over 8 MiB (very large sigma on wide
// frames) gives way to the two passes through the scratch plane. Each output sample still
// sees exactly the operations of blur_h / blur_v in the same order (w0 * s, then + w_k *
// (s[-k] + s[+k]) for k = 1..r), so the result is bit for bit the per-sample one
// (tests/kernels/test_filter.cpp).
template <typename T>
void blur_horizontal_row(const GeometryJob& j, const BlurWeights& w, int z, int y, float* wide, float* acc) {
  const int ch = j.kind.channels, width = j.in.width, r = w.radius;
  const T* src = reinterpret_cast<const T*>(j.in.base + static_cast<std::size_t>(z) * j.in.frame_stride +
                                            static_cast<std::size_t>(y) * j.in.pitch);
  const int lo = std::min(r, width), hi = std::max(lo, width - r);  // interior columns [lo, hi)
  row_to_float(src, width * ch, wide);  // exact
  blur_horizontal(wide, lo * ch, hi * ch, ch, w.w, r, acc);
  for (int x = 0; x < lo; ++x)
    for (int c = 0; c < ch; ++c) acc[x * ch + c] = blur_h<T>(j.in, z, x, y, c, ch, w);
  for (int x = hi; x < width; ++x)
    for (int c = 0; c < ch; ++c) acc[x * ch + c] = blur_h<T>(j.in, z, x, y, c, ch, w);
}

constexpr std::size_t kMaxBlurRing = std::size_t{8} << 20;

template <typename T>
void blur_cpu_ring(const BlurJob& b, const BlurWeights& w) {
  const GeometryJob& j = b.plane;
  const int n = j.in.width * j.kind.channels, r = w.radius, height = j.in.height, slots = 2 * r + 1;
  auto rows = [&](int begin, int end) {
    thread_local std::vector<float> ring, wide_row;
    thread_local std::vector<int> held;  // the source row each slot holds, of `frame`
    thread_local std::vector<const float*> tap_rows;  // rows y - k (2k - 1) and y + k (2k), k = 1..r
    const std::size_t ring_size = static_cast<std::size_t>(slots) * static_cast<std::size_t>(n);
    if (ring.size() < ring_size) ring.resize(ring_size);
    if (wide_row.size() < static_cast<std::size_t>(n)) wide_row.resize(static_cast<std::size_t>(n));
    if (tap_rows.size() < static_cast<std::size_t>(slots)) tap_rows.resize(static_cast<std::size_t>(slots));
    held.assign(static_cast<std::size_t>(slots), -1);
    const float** taps = tap_rows.data();
    int frame = -1;
    for (int row = begin; row < end; ++row) {
      const int z = row / height, y = row % height;
      if (z != frame) {
        frame = z;
        std::fill(held.begin(), held.end(), -1);
      }
      auto mixed = [&](int yy) -> const float* {  // the horizontal pass of source row yy (clamped)
        yy = clampi(yy, 0, height - 1);
        const auto slot = static_cast<std::size_t>(yy % slots);
        float* h = ring.data() + slot * static_cast<std::size_t>(n);
        if (held[slot] != yy) {
          blur_horizontal_row<T>(j, w, z, yy, wide_row.data(), h);
          held[slot] = yy;
        }
        return h;
      };
      // the rows of one output row are at most `slots` consecutive rows: distinct slots
      const float* mid = mixed(y);
      for (int k = 1; k <= r; ++k) taps[2 * k - 1] = mixed(y - k), taps[2 * k] = mixed(y + k);
      T* out = reinterpret_cast<T*>(j.out.base + static_cast<std::size_t>(z) * j.out.frame_stride +
                                    static_cast<std::size_t>(y) * j.out.pitch);
      blur_vertical(mid, taps, w.w, r, n, out);
    }
  };
  parallel_for(j.frames * height, rows);
}

template <typename T>
void blur_cpu(const BlurJob& b, const BlurWeights& w) {
  const GeometryJob& j = b.plane;
  const int ch = j.kind.channels;
  const int width = j.in.width, r = w.radius;
  const int n = width * ch;
  if ((2 * static_cast<std::size_t>(r) + 1) * static_cast<std::size_t>(n) * sizeof(float) <= kMaxBlurRing)
    return blur_cpu_ring<T>(b, w);
  auto h_rows = [&](int begin, int end) {
    thread_local std::vector<float> wide_row;
    if (wide_row.size() < static_cast<std::size_t>(n)) wide_row.resize(static_cast<std::size_t>(n));
    for (int row = begin; row < end; ++row) {
      const int z = row / j.in.height, y = row % j.in.height;
      float* acc = reinterpret_cast<float*>(b.scratch_out.base + static_cast<std::size_t>(z) * b.scratch_out.frame_stride +
                                            static_cast<std::size_t>(y) * b.scratch_out.pitch);
      blur_horizontal_row<T>(j, w, z, y, wide_row.data(), acc);
    }
  };
  parallel_for(j.frames * j.in.height, h_rows);
  auto v_rows = [&](int begin, int end) {
    thread_local std::vector<const float*> tap_rows;  // rows y - k (2k - 1) and y + k (2k), k = 1..r
    if (tap_rows.size() < 2 * static_cast<std::size_t>(r) + 1) tap_rows.resize(2 * static_cast<std::size_t>(r) + 1);
    const float** taps = tap_rows.data();
    for (int row = begin; row < end; ++row) {
      const int z = row / j.in.height, y = row % j.in.height;
      auto scratch_row = [&](int yy) {
        yy = clampi(yy, 0, j.in.height - 1);
        return reinterpret_cast<const float*>(b.scratch_in.base + static_cast<std::size_t>(z) * b.scratch_in.frame_stride +
                                              static_cast<std::size_t>(yy) * b.scratch_in.pitch);
      };
      const float* mid = scratch_row(y);
      for (int k = 1; k <= r; ++k) taps[2 * k - 1] = scratch_row(y - k), taps[2 * k] = scratch_row(y + k);
      T* out = reinterpret_cast<T*>(j.out.base + static_cast<std::size_t>(z) * j.out.frame_stride +
                                    static_cast<std::size_t>(y) * j.out.pitch);
      blur_vertical(mid, taps, w.w, r, n, out);
    }
  };
  parallel_for(j.frames * j.in.height, v_rows);
}

}  // namespace

struct GaussianBlur::Impl {
  FrameLayout layout;
  int capacity = 0;
  MemoryKind memory = MemoryKind::Host;
  int device = 0;
  std::vector<BlurWeights> weights;  // per plane (4:2:0 chroma: sigma / 2)
  void* scratch = nullptr;           // float plane(s) for the largest plane, all frames
  std::size_t scratch_pitch = 0, scratch_stride = 0, scratch_bytes = 0;

  ~Impl() { cuframe::detail::deallocate(memory == MemoryKind::Device ? MemoryKind::Device : MemoryKind::Host, scratch, scratch_bytes, device); }
};

GaussianBlur::GaussianBlur(const FrameLayout& layout, int capacity, double sigma, MemoryKind memory, int device)
    : impl_(std::make_unique<Impl>()) {
  if (!(sigma > 0.0 && sigma <= 100.0)) throw Error(Errc::InvalidArgument, "blur", "sigma must be in (0, 100]");
  if (capacity <= 0) throw Error(Errc::InvalidArgument, "blur", "capacity must be at least 1");
  Impl& m = *impl_;
  m.layout = layout;
  m.capacity = capacity;
  m.memory = memory;
  m.device = device;
  std::size_t row = 0, rows = 0;
  for (int p = 0; p < layout.plane_count; ++p) {
    const PlaneKind k = plane_kind(layout.format, p);
    m.weights.push_back(make_weights(k.half ? sigma / 2 : sigma, k.type == SampleType::U8));
    row = std::max(row, static_cast<std::size_t>(plane_w(layout, p)) * k.channels * sizeof(float));
    rows = std::max(rows, static_cast<std::size_t>(plane_h(layout, p)));
  }
  m.scratch_pitch = (row + 255) / 256 * 256;
  m.scratch_stride = m.scratch_pitch * rows;
  m.scratch_bytes = m.scratch_stride * static_cast<std::size_t>(capacity);
  m.scratch = cuframe::detail::allocate(memory == MemoryKind::Device ? MemoryKind::Device : MemoryKind::Host, m.scratch_bytes, device);
}

GaussianBlur::~GaussianBlur() = default;
GaussianBlur::GaussianBlur(GaussianBlur&&) noexcept = default;
GaussianBlur& GaussianBlur::operator=(GaussianBlur&&) noexcept = default;
int GaussianBlur::radius() const noexcept { return impl_->weights.empty() ? 0 : impl_->weights[0].radius; }

namespace {
// detail::blur_per_sample (filter_testing.hpp) runs the CPU blur sample by sample on this
// thread; every other run takes the row path.
thread_local bool t_blur_per_sample = false;
}  // namespace

void GaussianBlur::run(const FrameBatch& src, FrameBatch& dst, const CudaStream* stream) {
  Impl& m = *impl_;
  const bool rows = !t_blur_per_sample;
  if (src.layout() != m.layout || dst.layout() != m.layout)
    throw Error(Errc::InvalidArgument, "blur", "batch layout differs from the planned one");
  if (src.size() > m.capacity || dst.capacity() < src.size())
    throw Error(Errc::InvalidArgument, "blur", "batch larger than the planned capacity");
  if (src.data() == dst.data()) throw Error(Errc::InvalidArgument, "blur", "source and destination may not alias");
  const bool device = m.memory == MemoryKind::Device;
  if ((src.memory() == MemoryKind::Device) != device || (dst.memory() == MemoryKind::Device) != device)
    throw Error(Errc::InvalidArgument, "blur", "batches are not in the planned memory");
  if (device && !stream) throw Error(Errc::InvalidArgument, "blur", "device batches need a stream");
  for (int p = 0; p < m.layout.plane_count; ++p) {
    BlurJob b{};
    b.plane = plane_job(src, dst, p);
    if (b.plane.frames == 0) continue;
    auto* s = static_cast<std::uint8_t*>(m.scratch);
    b.scratch_in = PlaneIn{s, m.scratch_stride, m.scratch_pitch, b.plane.in.width, b.plane.in.height};
    b.scratch_out = PlaneOutG{s, m.scratch_stride, m.scratch_pitch, b.plane.in.width, b.plane.in.height};
    const BlurWeights& w = m.weights[static_cast<size_t>(p)];
    if (device) {
      launch_blur(b, w, stream->get());
      continue;
    }
    switch (b.plane.kind.type) {
      case SampleType::U8: rows ? blur_cpu<std::uint8_t>(b, w) : blur_cpu_per_sample<std::uint8_t>(b, w); break;
      case SampleType::U16: rows ? blur_cpu<std::uint16_t>(b, w) : blur_cpu_per_sample<std::uint16_t>(b, w); break;
      case SampleType::F32: rows ? blur_cpu<float>(b, w) : blur_cpu_per_sample<float>(b, w); break;
    }
  }
  dst.resize(src.size());
  dst.color = src.color;
  dst.time_base = src.time_base;
  for (int i = 0; i < src.size(); ++i) dst.info(i) = src.info(i);
}

void neutral_chroma(FrameBatch& batch, const CudaStream* stream) {
  const PixelFormat f = batch.layout().format;
  const bool yuv = f == PixelFormat::NV12 || f == PixelFormat::P016 || f == PixelFormat::YUV444P || f == PixelFormat::YUV444P16;
  if (!yuv) throw Error(Errc::Unsupported, "gray", std::string("neutral chroma needs a YUV batch, not ") + to_string(f));
  const bool device = batch.memory() == MemoryKind::Device;
  if (device && !stream) throw Error(Errc::InvalidArgument, "gray", "device batches need a stream");
  for (int p = 1; p < batch.layout().plane_count; ++p) {
    GeometryJob j = plane_job(batch, batch, p);
    if (j.frames == 0) continue;
    const unsigned value = j.kind.type == SampleType::U8 ? 128u : 32768u;
    if (device) {
      launch_fill(j, value, stream->get());
      continue;
    }
    auto rows = [&](int begin, int end) {
      for (int r = begin; r < end; ++r) {
        const int z = r / j.out.height, y = r % j.out.height;
        for (int x = 0; x < j.out.width; ++x)
          for (int ch = 0; ch < j.kind.channels; ++ch) {
            if (j.kind.type == SampleType::U8)
              store<std::uint8_t>(j.out, z, x, y, ch, j.kind.channels, static_cast<std::uint8_t>(value));
            else
              store<std::uint16_t>(j.out, z, x, y, ch, j.kind.channels, static_cast<std::uint16_t>(value));
          }
      }
    };
    parallel_for(j.frames * j.out.height, rows);
  }
}

void adjust_brightness_contrast(FrameBatch& batch, double brightness, double contrast, const CudaStream* stream) {
  if (!(brightness >= -1.0 && brightness <= 1.0)) throw Error(Errc::InvalidArgument, "brightness", "must be in [-1, 1]");
  if (!(contrast >= 0.0 && contrast <= 10.0)) throw Error(Errc::InvalidArgument, "contrast", "must be in [0, 10]");
  const PixelFormat f = batch.layout().format;
  const bool yuv = f == PixelFormat::NV12 || f == PixelFormat::P016 || f == PixelFormat::YUV444P || f == PixelFormat::YUV444P16;
  const int planes = yuv ? 1 : batch.layout().plane_count;  // YUV: luma only
  const bool device = batch.memory() == MemoryKind::Device;
  if (device && !stream) throw Error(Errc::InvalidArgument, "brightness/contrast", "device batches need a stream");
  for (int p = 0; p < planes; ++p) {
    GeometryJob j = plane_job(batch, batch, p);
    if (j.frames == 0) continue;
    const float scale = j.kind.type == SampleType::U8 ? 255.0f : j.kind.type == SampleType::U16 ? 65535.0f : 1.0f;
    const auto b = static_cast<float>(brightness), c = static_cast<float>(contrast);
    if (device) {
      launch_brightness_contrast(j, scale, b, c, stream->get());
      continue;
    }
    auto rows = [&](int begin, int end) {
      for (int r = begin; r < end; ++r) {
        const int z = r / j.out.height, y = r % j.out.height;
        for (int x = 0; x < j.out.width; ++x)
          for (int ch = 0; ch < j.kind.channels; ++ch) {
            switch (j.kind.type) {
              case SampleType::U8:
                store<std::uint8_t>(j.out, z, x, y, ch, j.kind.channels,
                                    brightness_contrast(sample<std::uint8_t>(j.in, z, x, y, ch, j.kind.channels), scale, b, c));
                break;
              case SampleType::U16:
                store<std::uint16_t>(j.out, z, x, y, ch, j.kind.channels,
                                     brightness_contrast(sample<std::uint16_t>(j.in, z, x, y, ch, j.kind.channels), scale, b, c));
                break;
              case SampleType::F32:
                store<float>(j.out, z, x, y, ch, j.kind.channels,
                             brightness_contrast(sample<float>(j.in, z, x, y, ch, j.kind.channels), scale, b, c));
                break;
            }
          }
      }
    };
    parallel_for(j.frames * j.out.height, rows);
  }
}

namespace detail {

// Note [GPU blur tiles] (filter.cu) says why these sizes.
BlurTiles plan_blur_tiles(int width, int height, int channels, int sample_bytes, int radius) {
  const int r = radius;
  BlurTiles t{};
  // Horizontal: a tile holds (h_pixels + 2r) pixels of one row, as the source's samples.
  const int row_pixels = kBlurTileBytes / (channels * sample_bytes);
  t.h_pixels = std::min(row_pixels - 2 * r, std::max((kBlurMinTileSamples + channels - 1) / channels, 4 * r));
  t.h_threads = std::min(kBlurThreads, (std::min(t.h_pixels, width) * channels + 31) / 32 * 32);
  // Vertical: a tile holds v_columns float samples of (v_rows + 2r) scratch rows: the
  // widest (longest coalesced row pieces) that leaves room for 4r output rows, 4 at least
  // (16-byte pieces; past r = 341 they leave room for fewer).
  int columns = 32;
  while (columns > 4 && kBlurTileBytes / (4 * columns) < 6 * r) columns /= 2;
  while (columns > 1 && columns / 2 >= width * channels) columns /= 2;  // no wider than the row
  const int rows = kBlurTileBytes / (4 * columns);
  t.v_columns = columns;
  t.v_rows = std::min(rows - 2 * r, std::max(kBlurMinTileSamples / columns, 4 * r));
  t.v_threads_y = std::min(kBlurThreads / columns, std::min(t.v_rows, height));
  if (t.h_pixels < 1 || t.v_rows < 1 || width < 1 || height < 1)
    throw Error(Errc::InvalidArgument, "blur", "no GPU tile fits radius " + std::to_string(r));
  return t;
}

BlurLoads blur_global_loads(const BlurTiles& t, int width, int height, int radius) {
  // Each row's tiles load the samples of their spans (the same on every row), each column
  // tile's row tiles the rows of theirs (the same on every column).
  double h = 0, v = 0;
  for (int x0 = 0; x0 < width; x0 += t.h_pixels) {
    const TileSpan s = tile_span(x0, std::min(t.h_pixels, width - x0), radius, width);
    h += s.hi - s.lo;
  }
  for (int y0 = 0; y0 < height; y0 += t.v_rows) {
    const TileSpan s = tile_span(y0, std::min(t.v_rows, height - y0), radius, height);
    v += s.hi - s.lo;
  }
  return {h / width, v / height};
}

void blur_per_sample(GaussianBlur& blur, const FrameBatch& src, FrameBatch& dst) {
  struct PerSample {
    PerSample() { t_blur_per_sample = true; }
    ~PerSample() { t_blur_per_sample = false; }
  } scope;
  blur.run(src, dst, nullptr);
}
}  // namespace detail

}  // namespace cuframe::kernels
