#include "interrupt.hpp"

#include <signal.h>

#include <atomic>

namespace cuframe::cli {

namespace {
std::atomic<bool> g_interrupted{false};

void on_sigint(int) {
  if (g_interrupted.exchange(true)) {
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
  }
}
}  // namespace

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed output pipe is an error to report, not a silent death
}

bool interrupted() noexcept { return g_interrupted.load(); }
const std::atomic<bool>& interrupt_flag() noexcept { return g_interrupted; }

}  // namespace cuframe::cli
