// Internal: the pipeline's checks and sizes, decided before anything is opened (the
// public part, plan_transcode() and stream_memory_needed(), is in cuframe/pipeline.hpp).
#pragma once

#include <cstdint>

#include "cuframe/frame.hpp"
#include "cuframe/pipeline.hpp"

namespace cuframe::detail {

/// Throws Errc::InvalidArgument for TranscodeOptions::chunk or ring out of range.
void check_chunk_and_ring(const TranscodeOptions& options);
/// Frames per chunk of stream and live modes (live: 1; default per executor, Note [Stream
/// memory]): `frame_memory` is where the decoder puts frames.
int stream_chunk(const TranscodeOptions& options, MemoryKind frame_memory);
/// Chunk slots of stream and live modes (at least 2; default per executor).
int ring_depth(const TranscodeOptions& options, MemoryKind frame_memory);
/// Limits::memory_budget_bytes, or the default budget of frames in `memory`.
int64_t memory_budget(const TranscodeOptions& options, MemoryKind memory);

}  // namespace cuframe::detail
