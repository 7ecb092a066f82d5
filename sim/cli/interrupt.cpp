#include "cli/interrupt.hpp"

#include <atomic>

namespace missionsim::cli {
namespace {

// A signal handler can only reach static storage; this flag is the one
// mutable global of the program.
std::atomic<bool> g_interrupt_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the flag must be safe to set in a signal handler");

extern "C" void on_signal(int /*signo*/) { g_interrupt_requested.store(true, std::memory_order_relaxed); }

struct sigaction handler_action() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // the second signal terminates
  return action;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupt_requested.store(false);
  const struct sigaction action = handler_action();
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
}

bool InterruptGuard::requested() const { return g_interrupt_requested.load(std::memory_order_relaxed); }

}  // namespace missionsim::cli
