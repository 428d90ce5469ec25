// SIGINT: the first Ctrl-C asks long commands to finish cleanly with what was done
// (exit 130); a second one ends the program at once.
#pragma once

#include <atomic>

namespace cuframe::cli {

void install_interrupt_handler();
bool interrupted() noexcept;
/// The flag SIGINT sets, for engine calls that take a cancel flag.
const std::atomic<bool>& interrupt_flag() noexcept;

}  // namespace cuframe::cli
