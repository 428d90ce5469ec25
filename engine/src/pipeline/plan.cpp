#include "pipeline/plan.hpp"

#include <algorithm>
#include <string>

#include "cuframe/error.hpp"
#include "cuframe/op_chain.hpp"
#include "cuframe/resident.hpp"

namespace cuframe {

namespace detail {

namespace {
// The executors' defaults (Note [Stream memory]).
constexpr int kGpuChunk = 32, kGpuRing = 3;
constexpr int kCpuChunk = 8, kCpuRing = 2;
}  // namespace

void check_chunk_and_ring(const TranscodeOptions& options) {
  if (options.chunk < 0 || options.chunk > 4096)
    throw Error(Errc::InvalidArgument, "--chunk " + std::to_string(options.chunk),
                "chunk size must be 1..4096 frames (0: the executor's default)");
  if (options.ring < 0 || options.ring > 64)
    throw Error(Errc::InvalidArgument, "ring " + std::to_string(options.ring),
                "ring depth must be 1..64 chunks (0: the executor's default)");
}

int stream_chunk(const TranscodeOptions& options, MemoryKind frame_memory) {
  if (options.mode == PipelineMode::Live) return 1;
  if (options.chunk > 0) return options.chunk;
  return frame_memory == MemoryKind::Device ? kGpuChunk : kCpuChunk;
}

int ring_depth(const TranscodeOptions& options, MemoryKind frame_memory) {
  if (options.ring > 0) return std::max(2, options.ring);
  return frame_memory == MemoryKind::Device ? kGpuRing : kCpuRing;
}

int64_t memory_budget(const TranscodeOptions& options, MemoryKind memory) {
  return options.limits.memory_budget_bytes > 0 ? options.limits.memory_budget_bytes
                                                : default_memory_budget(memory, options.decode.device);
}

}  // namespace detail

int64_t stream_memory_needed(const std::vector<Op>& ops, const FrameLayout& decoded, int chunk, int ring) {
  const auto c = static_cast<int64_t>(std::max(chunk, 1));
  const int64_t per_slot = static_cast<int64_t>(decoded.frame_stride) * c +
                           static_cast<int64_t>(planned_chain_bytes(ops, decoded, static_cast<int>(c)));
  return per_slot * std::max(ring, 2);
}

TranscodePlan plan_transcode(const TranscodeOptions& options, const FrameLayout& decoded, int64_t frames,
                             int64_t budget_bytes, MemoryKind frame_memory) {
  detail::check_chunk_and_ring(options);
  TranscodePlan plan;
  plan.output = layout_after(options.ops, decoded);
  const Limits& lim = options.limits;
  const FrameLayout& o = plan.output;
  const int64_t pixels = int64_t{o.width} * o.height;
  if (o.width > lim.max_width || o.height > lim.max_height || pixels > lim.max_pixels)
    throw Error(Errc::LimitExceeded, "--ops",
                "the ops make " + std::to_string(o.width) + "x" + std::to_string(o.height) +
                    " frames, over the limits (max_width " + std::to_string(lim.max_width) + ", max_height " +
                    std::to_string(lim.max_height) + ", max_pixels " + std::to_string(lim.max_pixels) + ")");
  const auto mib = [](int64_t b) { return std::to_string((std::max<int64_t>(b, 0) + (1 << 20) - 1) >> 20) + " MiB"; };
  if (options.mode == PipelineMode::Resident) {
    const int capacity = static_cast<int>(std::clamp<int64_t>(frames, 1, lim.max_resident_frames));
    plan.frame_bytes = static_cast<int64_t>(planned_chain_bytes(options.ops, decoded, capacity));
    if (plan.frame_bytes > budget_bytes)
      throw Error(Errc::LimitExceeded, "--ops",
                  "resident mode needs " + mib(plan.frame_bytes) + " for the ops' buffers of all " +
                      std::to_string(capacity) + " frames beside the clip, more than the " + mib(budget_bytes) +
                      " left of the memory budget: use --mode stream");
    return plan;
  }
  const int chunk = detail::stream_chunk(options, frame_memory);
  const int ring = detail::ring_depth(options, frame_memory);
  plan.chunk = chunk;
  plan.ring = ring;
  plan.frame_bytes = stream_memory_needed(options.ops, decoded, chunk, ring);
  if (plan.frame_bytes > budget_bytes)
    throw Error(Errc::LimitExceeded, "--chunk " + std::to_string(chunk),
                "stream mode needs " + mib(plan.frame_bytes) + " for its ring of " + std::to_string(ring) + " chunks of " +
                    std::to_string(chunk) + " frames of " + std::to_string(decoded.width) + "x" +
                    std::to_string(decoded.height) + " " + to_string(decoded.format) +
                    " (with the ops' buffers), more than the memory budget of " + mib(budget_bytes) +
                    ": use a smaller --chunk");
  return plan;
}

}  // namespace cuframe
