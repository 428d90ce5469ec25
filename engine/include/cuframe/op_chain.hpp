// cuframe/op_chain.hpp — a list of ops (cuframe/ops.hpp) planned once for a batch layout,
// then run on any number of batches without allocating.
//
// | op           | on YUV batches (nv12, p016, yuv444p, yuv444p16)       | in place |
// |--------------|--------------------------------------------------------|----------|
// | resize=WxH   | kernels::resize, luma and chroma planes                | no       |
// | crop=X:Y:W:H | kernels::crop (4:2:0: even X, Y, W, H)                 | no       |
// | gray         | kernels::neutral_chroma: chroma set to neutral         | yes      |
// | blur=SIGMA   | kernels::GaussianBlur                                  | no       |
// | flip=h|v     | kernels::flip                                          | no       |
// | rotate=D     | kernels::rotate (clockwise)                            | no       |
// | brightness=B | kernels::adjust_brightness_contrast, luma only         | yes      |
// | contrast=C   | kernels::adjust_brightness_contrast, luma only         | yes      |
//
// The frames stay YUV so that the encoder can take them: this is the op list of
// `cuframe transcode --ops`. Buffers for the out-of-place ops are allocated by the
// constructor (one per such op, `capacity` frames, in `memory`); run() allocates nothing.
// Host batches run on the CPU executor; device batches run asynchronously on `stream`
// (required for them: Note [Stream rule] in cuframe/cuda_stream.hpp).
#pragma once

#include <memory>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/frame.hpp"
#include "cuframe/ops.hpp"

namespace cuframe {

class OpChain {
 public:
  /// Throws Errc::InvalidArgument naming the op when it cannot apply to `input` (a crop
  /// outside the frame, odd 4:2:0 crop offsets, a zero-size result).
  OpChain(std::vector<Op> ops, const FrameLayout& input, int capacity, MemoryKind memory, int device = 0);
  ~OpChain();
  OpChain(OpChain&&) noexcept;
  OpChain& operator=(OpChain&&) noexcept;

  /// The layout of run()'s result.
  const FrameLayout& output_layout() const noexcept;
  const std::vector<Op>& ops() const noexcept;
  /// Bytes of the chain's own buffers.
  std::size_t bytes() const noexcept;

  /// Applies the ops to in.size() frames of `in` (in-place ops change `in`). Returns the
  /// batch that holds the result: `in` itself when every op is in place, else one of the
  /// chain's buffers (valid until the next run()). Frame infos and colour are carried.
  FrameBatch& run(FrameBatch& in, const CudaStream* stream = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The layout that `ops` turn `input` into (no allocation; same checks as OpChain).
FrameLayout layout_after(const std::vector<Op>& ops, const FrameLayout& input);

/// An upper bound of the bytes an OpChain of these ops allocates for `capacity` frames
/// (its buffers, and a blur's float scratch), without allocating; same checks as
/// layout_after(). For planning memory before committing to it.
std::size_t planned_chain_bytes(const std::vector<Op>& ops, const FrameLayout& input, int capacity);

}  // namespace cuframe
