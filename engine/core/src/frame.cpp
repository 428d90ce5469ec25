#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <new>
#include <string>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include "cuframe/error.hpp"
#include "cuframe/frame.hpp"
#include "memory.hpp"

namespace cuframe {

namespace detail {
std::atomic<std::int64_t> g_device_allocs{0}, g_device_bytes{0}, g_host_allocs{0}, g_host_bytes{0};
std::atomic<std::int64_t> g_live_device{0}, g_live_host{0};
void* allocate_device(std::size_t bytes, int device);          // memory_cuda.cpp / memory_cpu.cpp
void* allocate_pinned(std::size_t bytes);
void free_device(void* p, int device) noexcept;
void free_pinned(void* p) noexcept;

void copy_bytes_sync(void* dst, const void* src, std::size_t bytes);  // memory_cuda.cpp / memory_cpu.cpp

void* allocate(MemoryKind kind, std::size_t bytes, int device) {
  if (bytes == 0) bytes = 256;
  switch (kind) {
    case MemoryKind::Host: {
      // Note [Huge host batches]: a whole video in host memory is gigabytes, and touching
      // it for the first time costs one page fault per 4 KiB page (about 0.5 s per GiB,
      // as much as converting the frames). Batches of 64 MiB and more are aligned to 2 MiB
      // and marked for transparent huge pages, which cuts the faults 512-fold where the
      // kernel allows it (THP "madvise" or "always"); elsewhere the advice is ignored.
      constexpr std::size_t huge = std::size_t{2} << 20;
      const bool big = bytes >= (std::size_t{64} << 20);
      const std::size_t align = big ? huge : 256;
      void* p = std::aligned_alloc(align, (bytes + align - 1) / align * align);
#ifdef __linux__
      if (p && big) (void)madvise(p, (bytes + align - 1) / align * align, MADV_HUGEPAGE);
#endif
      if (!p) throw Error(Errc::OutOfMemory, "host memory", "cannot allocate " + std::to_string(bytes) + " bytes");
      ++g_host_allocs;
      g_host_bytes += static_cast<std::int64_t>(bytes);
      g_live_host += static_cast<std::int64_t>(bytes);
      return p;
    }
    case MemoryKind::Pinned: {
      void* p = allocate_pinned(bytes);
      ++g_host_allocs;
      g_host_bytes += static_cast<std::int64_t>(bytes);
      g_live_host += static_cast<std::int64_t>(bytes);
      return p;
    }
    case MemoryKind::Device: {
      void* p = allocate_device(bytes, device);
      ++g_device_allocs;
      g_device_bytes += static_cast<std::int64_t>(bytes);
      g_live_device += static_cast<std::int64_t>(bytes);
      return p;
    }
  }
  throw Error(Errc::Internal, "allocate", "unknown memory kind");
}

void deallocate(MemoryKind kind, void* p, std::size_t bytes, int device) noexcept {
  if (!p) return;
  if (bytes == 0) bytes = 256;
  switch (kind) {
    case MemoryKind::Host: std::free(p); g_live_host -= static_cast<std::int64_t>(bytes); break;
    case MemoryKind::Pinned: free_pinned(p); g_live_host -= static_cast<std::int64_t>(bytes); break;
    case MemoryKind::Device: free_device(p, device); g_live_device -= static_cast<std::int64_t>(bytes); break;
  }
}

std::int64_t host_available_bytes() {
  std::FILE* f = std::fopen("/proc/meminfo", "r");
  if (!f) return 0;
  char line[256];
  long long kb = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "MemAvailable: %lld kB", &kb) == 1) break;
  std::fclose(f);
  return static_cast<std::int64_t>(kb) * 1024;
}
}  // namespace detail

AllocationStats allocation_stats() noexcept {
  return {detail::g_device_allocs.load(), detail::g_device_bytes.load(), detail::g_host_allocs.load(),
          detail::g_host_bytes.load(),        detail::g_live_device.load(),  detail::g_live_host.load()};
}

const char* to_string(PixelFormat f) noexcept {
  switch (f) {
    case PixelFormat::NV12: return "nv12";
    case PixelFormat::P016: return "p016";
    case PixelFormat::YUV444P: return "yuv444p";
    case PixelFormat::YUV444P16: return "yuv444p16";
    case PixelFormat::RGB24: return "rgb24";
    case PixelFormat::BGR24: return "bgr24";
    case PixelFormat::RGBA: return "rgba";
    case PixelFormat::RGBP: return "rgbp";
    case PixelFormat::Gray8: return "gray";
    case PixelFormat::RGBPF32: return "rgbpf32";
    case PixelFormat::RGBPF16: return "rgbpf16";
  }
  return "unknown";
}

std::size_t FrameLayout::packed_bytes() const noexcept {
  std::size_t n = 0;
  for (int p = 0; p < plane_count; ++p) n += planes[p].row_bytes * static_cast<std::size_t>(planes[p].rows);
  return n;
}

FrameLayout make_layout(PixelFormat format, int width, int height, int bit_depth) {
  if (width <= 0 || height <= 0 || width > 65536 || height > 65536)
    throw Error(Errc::InvalidArgument, "frame layout",
                "frame size " + std::to_string(width) + "x" + std::to_string(height) + " is out of range");
  FrameLayout l;
  l.format = format;
  l.width = width;
  l.height = height;
  l.bit_depth = bit_depth;
  const auto w = static_cast<std::size_t>(width), h = static_cast<std::size_t>(height);
  const std::size_t cw = (w + 1) / 2, ch = (h + 1) / 2;
  auto set = [&](int n, std::initializer_list<std::pair<std::size_t, std::size_t>> planes) {
    l.plane_count = n;
    std::size_t offset = 0;
    int i = 0;
    for (auto [row_bytes, rows] : planes) {
      PlaneLayout& p = l.planes[i++];
      p.row_bytes = row_bytes;
      p.rows = static_cast<int>(rows);
      p.pitch = (row_bytes + 255) / 256 * 256;
      p.offset = offset;
      offset += p.pitch * rows;
    }
    l.frame_stride = (offset + 255) / 256 * 256;
  };
  switch (format) {
    case PixelFormat::NV12: set(2, {{w, h}, {2 * cw, ch}}); break;
    case PixelFormat::P016: set(2, {{2 * w, h}, {4 * cw, ch}}); break;
    case PixelFormat::YUV444P: set(3, {{w, h}, {w, h}, {w, h}}); break;
    case PixelFormat::YUV444P16: set(3, {{2 * w, h}, {2 * w, h}, {2 * w, h}}); break;
    case PixelFormat::RGB24:
    case PixelFormat::BGR24: set(1, {{3 * w, h}}); break;
    case PixelFormat::RGBA: set(1, {{4 * w, h}}); break;
    case PixelFormat::RGBP: set(3, {{w, h}, {w, h}, {w, h}}); break;
    case PixelFormat::Gray8: set(1, {{w, h}}); break;
    case PixelFormat::RGBPF32: set(3, {{4 * w, h}, {4 * w, h}, {4 * w, h}}); break;
    case PixelFormat::RGBPF16: set(3, {{2 * w, h}, {2 * w, h}, {2 * w, h}}); break;
  }
  return l;
}

FrameBatch::FrameBatch(const FrameLayout& layout, int capacity, MemoryKind memory, int device)
    : layout_(layout), memory_(memory), device_(device), capacity_(capacity) {
  if (capacity <= 0) throw Error(Errc::InvalidArgument, "frame batch", "capacity must be at least 1");
  if (layout.frame_stride == 0) throw Error(Errc::InvalidArgument, "frame batch", "empty frame layout");
  data_ = static_cast<std::byte*>(detail::allocate(memory, bytes(), device));
  info_storage_.resize(static_cast<std::size_t>(capacity));
  infos_ = info_storage_.data();
}

std::size_t FrameBatch::checked(int frame) const {
  if (frame < 0 || frame >= capacity_)
    throw Error(Errc::InvalidArgument, "frame batch",
                "frame " + std::to_string(frame) + " outside 0.." + std::to_string(capacity_ - 1));
  return static_cast<std::size_t>(frame);
}

FrameBatch FrameBatch::view(int begin, int count) const {
  if (begin < 0 || count <= 0 || begin + count > capacity_)
    throw Error(Errc::InvalidArgument, "frame batch",
                "view [" + std::to_string(begin) + ", " + std::to_string(begin + count) + ") outside 0.." +
                    std::to_string(capacity_));
  FrameBatch v;
  v.layout_ = layout_;
  v.memory_ = memory_;
  v.device_ = device_;
  v.capacity_ = count;
  v.size_ = std::max(0, std::min(count, size_ - begin));
  v.data_ = data_ + static_cast<std::size_t>(begin) * layout_.frame_stride;
  v.owns_ = false;
  v.infos_ = infos_ + begin;
  v.color = color;
  v.time_base = time_base;
  return v;
}

FrameBatch::~FrameBatch() { release(); }

void FrameBatch::release() noexcept {
  if (owns_) detail::deallocate(memory_, data_, bytes(), device_);
  data_ = nullptr;
}

FrameBatch::FrameBatch(FrameBatch&& o) noexcept
    : color(std::move(o.color)),
      time_base(o.time_base),
      layout_(o.layout_),
      memory_(o.memory_),
      device_(o.device_),
      capacity_(o.capacity_),
      size_(o.size_),
      data_(o.data_),
      owns_(o.owns_),
      info_storage_(std::move(o.info_storage_)),
      infos_(o.owns_ ? info_storage_.data() : o.infos_) {
  o.data_ = nullptr;
  o.infos_ = nullptr;
  o.capacity_ = o.size_ = 0;
}

FrameBatch& FrameBatch::operator=(FrameBatch&& o) noexcept {
  if (this != &o) {
    release();
    color = std::move(o.color);
    time_base = o.time_base;
    layout_ = o.layout_;
    memory_ = o.memory_;
    device_ = o.device_;
    capacity_ = o.capacity_;
    size_ = o.size_;
    data_ = o.data_;
    owns_ = o.owns_;
    info_storage_ = std::move(o.info_storage_);
    infos_ = owns_ ? info_storage_.data() : o.infos_;
    o.data_ = nullptr;
    o.infos_ = nullptr;
    o.capacity_ = o.size_ = 0;
  }
  return *this;
}

void copy_frame(const FrameBatch& src, int i, FrameBatch& dst, int j) {
  if (src.layout() != dst.layout()) throw Error(Errc::InvalidArgument, "copy_frame", "layouts differ");
  const std::size_t n = src.layout().frame_stride;
  if (src.memory() != MemoryKind::Device && dst.memory() != MemoryKind::Device) {
    std::memcpy(dst.plane(j, 0), src.plane(i, 0), n);
  } else {
    detail::copy_bytes_sync(dst.plane(j, 0), src.plane(i, 0), n);
  }
  dst.info(j) = src.info(i);
}

void FrameBatch::resize(int frames) {
  if (frames < 0 || frames > capacity_)
    throw Error(Errc::InvalidArgument, "frame batch",
                "size " + std::to_string(frames) + " outside 0.." + std::to_string(capacity_));
  size_ = frames;
}

}  // namespace cuframe
