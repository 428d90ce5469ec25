// cuframe/resident.hpp — a whole video decoded into one allocation ("video in memory").
//
//   ResidentClip clip = ResidentClip::load(InputSource::file("in.mp4"));
//   FrameBatch all = clip.frames();          // every frame, one batch, no copy
//   FrameBatch part = clip.slice(100, 32);   // frames 100..131, no copy
//
// Frames land where the decoder writes them: device memory with NVDEC, host memory with
// the CPU backend. The memory needed (frames x frame stride, known from the frame index
// before anything is decoded) is checked against the budget and Limits before the one
// allocation is made; the error gives both numbers and what to do instead.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "cuframe/decoder.hpp"

namespace cuframe {

struct ResidentOptions {
  DecodeOptions decode;
  DemuxOptions demux;  ///< demux.limits.max_resident_frames and memory_budget_bytes apply
  /// Decode sessions working at once, each on a keyframe-aligned segment of the video
  /// written straight into its own part of the one allocation (so the frames are in
  /// order by position). 1: one session. 0: as many as the backend has engines (NVDEC
  /// engines of the GPU; 2 on the CPU). Segments never start off a keyframe.
  int sessions = 1;
  /// Called once the layout and frame count are known and the clip itself has passed the
  /// budget check, before anything is allocated, with the bytes of the budget the clip
  /// leaves; what it throws ends the load. For callers that will allocate beside the clip
  /// (transcode's op buffers) and want one check, up front, of both.
  std::function<void(const FrameLayout& layout, int64_t frames, int64_t budget_left)> before_allocating;
  /// Set (from any thread) to stop the load between chunks: load() then throws
  /// Errc::Interrupted and frees what it allocated (a Ctrl-C in a host application).
  const std::atomic<bool>* cancel = nullptr;
};

class ResidentClip {
 public:
  /// Decodes the whole video. Errc::LimitExceeded when it does not fit the budget
  /// (default: free device memory, or available host memory, minus 10% and at least
  /// 512 MiB) or exceeds Limits::max_resident_frames; Errc::Unsupported on stdin (the
  /// length must be known before allocating: use streaming, VideoReader).
  static ResidentClip load(const InputSource& input, const ResidentOptions& options = {});

  ResidentClip(ResidentClip&&) noexcept;
  ResidentClip& operator=(ResidentClip&&) noexcept;
  ~ResidentClip();

  int64_t size() const noexcept;
  const MediaInfo& info() const noexcept;
  const std::string& decoder_description() const noexcept;
  /// All frames as one batch (the allocation itself).
  FrameBatch& frames() noexcept;
  const FrameBatch& frames() const noexcept;
  /// Frames [begin, begin + count) without copying (a view: valid while the clip lives).
  FrameBatch slice(int64_t begin, int64_t count) const;
  /// Bytes of the one allocation.
  std::size_t bytes() const noexcept;
  /// Decode sessions that loaded it (segments; see ResidentOptions::sessions).
  int sessions_used() const noexcept;

 private:
  ResidentClip();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The budget ResidentClip::load uses when Limits::memory_budget_bytes is 0.
int64_t default_memory_budget(MemoryKind memory, int device);

}  // namespace cuframe
