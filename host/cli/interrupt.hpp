// SIGINT: the first Ctrl-C asks long commands to finish cleanly with what was done
// (exit 130); a second one ends the program at once.
#pragma once

namespace cuframe::cli {

void install_interrupt_handler();
bool interrupted() noexcept;

}  // namespace cuframe::cli
