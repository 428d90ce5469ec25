// Internal: raw allocations behind FrameBatch and the pools. Every device and pinned
// allocation goes through here, so allocation_stats() sees all of them.
#pragma once

#include <cstddef>

#include "cuframe/frame.hpp"

namespace cuframe::detail {

/// Throws Errc::OutOfMemory (naming the bytes asked for) or, in a CPU-only build or
/// without a usable GPU, Errc::Unsupported / DriverMissing.
void* allocate(MemoryKind kind, std::size_t bytes, int device);
void deallocate(MemoryKind kind, void* p, std::size_t bytes, int device) noexcept;

/// Free device memory in bytes (cudaMemGetInfo); 0 in a CPU-only build.
std::int64_t device_free_bytes(int device);
/// MemAvailable from /proc/meminfo in bytes; 0 if unknown.
std::int64_t host_available_bytes();

}  // namespace cuframe::detail
