// A one-line progress bar on stderr: step, steps per second and ETA.
#pragma once

#include <chrono>

namespace missionsim::cli {

bool stderr_is_terminal();

class ProgressBar {
 public:
  // A disabled bar draws nothing; enable it only for a terminal.
  ProgressBar(int total_steps, bool enabled);
  ~ProgressBar() { clear(); }  // so that an error message starts on a clean line
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(int steps_done);  // redraws at most every 100 ms, and at the last step
  void clear();                 // erases the line, before other messages

 private:
  using Clock = std::chrono::steady_clock;
  void draw(int steps_done);

  int total_;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_;
};

}  // namespace missionsim::cli
