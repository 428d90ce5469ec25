// cuframe/frame.hpp — pixel formats, frame layouts, and the FrameBatch every stage
// (decoders, kernels, encoders) hands to the next.
//
// Note [Frame batch layout]: a FrameBatch is ONE allocation holding `capacity` frames of
// one format and size. Frame i starts at data() + i * frame_stride(); within a frame,
// plane p starts at planes[p].offset and its rows are planes[p].pitch bytes apart. Pitches
// are multiples of 256 bytes (what NVDEC/NVENC and 16-byte vector loads want), so a kernel
// can address any pixel of any frame from (base, frame_stride, offset, pitch) and take the
// frame index from blockIdx.z: one launch per op per batch, never one per frame.
//
// | format     | planes                       | sample          | FFmpeg name      |
// |------------|------------------------------|-----------------|------------------|
// | NV12       | Y, interleaved UV (h/2)      | uint8           | nv12             |
// | P016       | Y, interleaved UV (h/2)      | uint16 LE, MSB-aligned (10-bit v is v<<6) | p010le/p016le |
// | YUV444P    | Y, U, V                      | uint8           | yuv444p          |
// | YUV444P16  | Y, U, V                      | uint16 LE, MSB-aligned | yuv444p16le (from <16-bit: v<<(16-depth)) |
// | RGB24      | packed R,G,B                 | uint8           | rgb24            |
// | BGR24      | packed B,G,R                 | uint8           | bgr24            |
// | RGBA       | packed R,G,B,A (A=255)       | uint8           | rgba             |
// | RGBP       | R, G, B planes               | uint8           | (gbrp reordered) |
// | Gray8      | Y expanded to full range     | uint8           | gray             |
// | RGBPF32    | R, G, B planes in [0,1]      | float32         | (gbrpf32le reordered) |
// | RGBPF16    | R, G, B planes in [0,1]      | float16 (binary16), correctly rounded | — |
//
// 10/12-bit sources keep their depth in bit_depth; the samples are MSB-aligned so that
// every 16-bit consumer can ignore it, and exact values are recovered by >> (16-depth).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "cuframe/media_info.hpp"

namespace cuframe {

enum class PixelFormat : std::uint8_t { NV12, P016, YUV444P, YUV444P16, RGB24, BGR24, RGBA, RGBP, Gray8, RGBPF32, RGBPF16 };

/// "nv12", "p016", "yuv444p", "yuv444p16", "rgb24", "bgr24", "rgba", "rgbp", "gray",
/// "rgbpf32", "rgbpf16" (the CLI's --pix-fmt names).
const char* to_string(PixelFormat) noexcept;

/// Host: ordinary 256-byte-aligned memory. Pinned: page-locked host memory (fast,
/// asynchronous copies to and from the GPU; needs a usable GPU). Device: GPU memory of
/// the batch's device, in the device's primary context.
enum class MemoryKind : std::uint8_t { Host, Pinned, Device };

struct PlaneLayout {
  std::size_t offset = 0;       ///< from the start of the frame
  std::size_t pitch = 0;        ///< bytes between rows (multiple of 256)
  std::size_t row_bytes = 0;    ///< meaningful bytes per row
  int rows = 0;
  friend bool operator==(const PlaneLayout&, const PlaneLayout&) = default;
};

struct FrameLayout {
  PixelFormat format = PixelFormat::NV12;
  int width = 0;
  int height = 0;
  int bit_depth = 8;            ///< significant bits of the source (8, 10, 12, 16)
  int plane_count = 0;
  std::array<PlaneLayout, 3> planes{};
  std::size_t frame_stride = 0; ///< bytes from one frame to the next (multiple of 256)

  /// Bytes of one frame written tightly (no pitch): what `cuframe decode -o` writes.
  std::size_t packed_bytes() const noexcept;
  friend bool operator==(const FrameLayout&, const FrameLayout&) = default;
};

/// Pitches rounded up to 256 bytes. Odd sizes are allowed: subsampled chroma planes round
/// up ((w+1)/2 x (h+1)/2). Throws Errc::InvalidArgument for sizes <= 0 or > 65536.
FrameLayout make_layout(PixelFormat format, int width, int height, int bit_depth = 8);

/// Per-frame metadata carried beside the pixels.
struct FrameInfo {
  std::int64_t pts = 0;          ///< presentation timestamp, stream time base
  std::int64_t duration = 0;     ///< stream time base, 0 if unknown
  std::int64_t index = 0;        ///< position in presentation order from the stream start
  bool keyframe = false;
};

/// Device allocations are counted so that tests can prove steady state allocates nothing.
struct AllocationStats {
  std::int64_t device_allocations = 0;  ///< device allocations made since start
  std::int64_t device_bytes = 0;        ///< bytes of those
  std::int64_t host_allocations = 0;    ///< host (plain or pinned) allocations since start
  std::int64_t host_bytes = 0;
  std::int64_t live_device_bytes = 0;   ///< device bytes allocated and not yet freed
  std::int64_t live_host_bytes = 0;
};
/// Totals since process start (FrameBatch and every other engine buffer).
AllocationStats allocation_stats() noexcept;

/// A batch of frames in one allocation (Note [Frame batch layout]). Move-only. The
/// allocation happens once, in the constructor; nothing in the class allocates pixels
/// afterwards (pools reuse batches instead of making new ones).
class FrameBatch {
 public:
  FrameBatch() = default;
  FrameBatch(const FrameLayout& layout, int capacity, MemoryKind memory, int device = 0);
  ~FrameBatch();
  FrameBatch(FrameBatch&&) noexcept;
  FrameBatch& operator=(FrameBatch&&) noexcept;
  FrameBatch(const FrameBatch&) = delete;
  FrameBatch& operator=(const FrameBatch&) = delete;

  const FrameLayout& layout() const noexcept { return layout_; }
  MemoryKind memory() const noexcept { return memory_; }
  int device() const noexcept { return device_; }
  int capacity() const noexcept { return capacity_; }
  /// Frames currently held (0..capacity).
  int size() const noexcept { return size_; }
  void resize(int frames);  ///< 0..capacity; throws InvalidArgument otherwise
  bool empty() const noexcept { return size_ == 0; }

  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }
  std::byte* plane(int frame, int p) noexcept {
    return data_ + static_cast<std::size_t>(frame) * layout_.frame_stride + layout_.planes[p].offset;
  }
  const std::byte* plane(int frame, int p) const noexcept {
    return data_ + static_cast<std::size_t>(frame) * layout_.frame_stride + layout_.planes[p].offset;
  }
  std::size_t bytes() const noexcept { return layout_.frame_stride * static_cast<std::size_t>(capacity_); }

  FrameInfo& info(int frame) { return infos_[checked(frame)]; }
  const FrameInfo& info(int frame) const { return infos_[checked(frame)]; }

  /// Frames [begin, begin + count) of this batch as a batch that owns nothing: no copy,
  /// same memory, same frame infos. Valid while this batch lives. A view's size starts
  /// at count (the frames exist), capped by this batch's size. Used for resident-clip
  /// slices and to decode straight into part of a larger allocation.
  FrameBatch view(int begin, int count) const;
  bool owns_memory() const noexcept { return owns_; }
  ColorInfo color;               ///< colour description of every frame in the batch
  Rational time_base;            ///< of FrameInfo::pts and duration

 private:
  void release() noexcept;
  std::size_t checked(int frame) const;
  FrameLayout layout_{};
  MemoryKind memory_ = MemoryKind::Host;
  int device_ = 0;
  int capacity_ = 0;
  int size_ = 0;
  std::byte* data_ = nullptr;
  bool owns_ = true;
  std::vector<FrameInfo> info_storage_;
  FrameInfo* infos_ = nullptr;
};

/// Copies frame i of `src` into frame j of `dst` (same layout; any memory kinds), with
/// its FrameInfo. Synchronous: for the edges (seeking, tests), not for hot paths.
void copy_frame(const FrameBatch& src, int i, FrameBatch& dst, int j);

}  // namespace cuframe
