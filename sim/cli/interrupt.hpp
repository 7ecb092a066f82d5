// SIGINT and SIGTERM as a request to stop at the next step boundary.
#pragma once

#include <csignal>

namespace missionsim::cli {

// While alive, SIGINT and SIGTERM set a flag instead of killing the process;
// the run loop polls it between steps. A second signal of the same kind gets
// the default action (terminate), for a step that never ends.
class InterruptGuard {
 public:
  InterruptGuard();   // installs the handlers and clears the flag
  ~InterruptGuard();  // restores the previous handlers
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  bool requested() const;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace missionsim::cli
