// cuframe/kernels/cpu.hpp — the CPU executor's instruction set.
#pragma once

namespace cuframe::kernels {

/// The SIMD target the CPU executor's row loops run on, as Google Highway names it
/// ("AVX3" = AVX-512, "AVX2", "SSE4", "NEON", "SVE", "EMU128" = portable C++, ...): the
/// best of those the build compiled that this CPU supports, chosen at run time on the
/// first call (`cuframe --version` prints it).
const char* cpu_simd_target() noexcept;

}  // namespace cuframe::kernels
