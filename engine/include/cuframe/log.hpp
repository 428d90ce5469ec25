// cuframe/log.hpp — how chatty the engine and FFmpeg are.
#pragma once

namespace cuframe {

enum class Verbosity { Quiet, Errors, Info, Debug };

/// Sets the level for the engine's own messages (stderr) and for FFmpeg's log, which is
/// otherwise left as the host application configured it. The CLI sets Errors by default
/// (FFmpeg silent) and Info/Debug with --verbose.
void set_verbosity(Verbosity v) noexcept;
Verbosity verbosity() noexcept;

/// Writes "cuframe: <message>" to stderr when the current verbosity is at least `level`.
void log(Verbosity level, const char* fmt, ...) noexcept __attribute__((format(printf, 2, 3)));

}  // namespace cuframe
