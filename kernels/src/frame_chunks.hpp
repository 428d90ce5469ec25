// Internal: batches of more frames than a grid's z dimension holds (GPU review item 12).
// The frame index of every kernel is blockIdx.z, and grid z is at most 65535 on sm_90: a
// batch of more frames (a resident clip) is launched in pieces of at most 65535 frames,
// each with its planes advanced to its first frame.
#pragma once

#include <algorithm>
#include <cstddef>

namespace cuframe::kernels::detail {

constexpr int kMaxGridZ = 65535;

/// `p` (any plane with `base` and `frame_stride`) from frame `first` on.
template <typename Plane>
Plane from_frame(Plane p, int first) {
  if (p.base) p.base += static_cast<std::size_t>(first) * p.frame_stride;
  return p;
}

/// Calls launch(first, count) for consecutive pieces of at most kMaxGridZ frames.
template <typename Launch>
void for_each_frame_piece(int frames, Launch&& launch) {
  for (int first = 0; first < frames; first += kMaxGridZ) launch(first, std::min(kMaxGridZ, frames - first));
}

}  // namespace cuframe::kernels::detail
