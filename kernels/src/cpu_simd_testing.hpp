// Internal, for tests: runs the CPU executor's row loops on each SIMD target this CPU
// supports among those the build compiled (Note [CPU rows in Highway]).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace cuframe::kernels::detail {

/// Calls body(target name) once per target (AVX3, AVX2, SSE4, EMU128, ... as this CPU
/// allows), with every dispatched row loop sent to that target meanwhile; then restores
/// the normal choice. Returns the names, best first. One caller at a time.
std::vector<std::string> for_each_simd_target(const std::function<void(const std::string&)>& body);

}  // namespace cuframe::kernels::detail
