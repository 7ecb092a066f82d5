#include "cli/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace missionsim::cli {
namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
constexpr int kBarWidth = 24;

std::string format_duration(double seconds) {
  const long s = static_cast<long>(std::max(0.0, seconds) + 0.5);
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return text;
}

}  // namespace

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(int total_steps, bool enabled)
    : total_(std::max(total_steps, 1)), enabled_(enabled), start_(Clock::now()), last_draw_(start_) {}

void ProgressBar::update(int steps_done) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (now - last_draw_ < kRedrawInterval && steps_done < total_) return;
  last_draw_ = now;
  draw(steps_done);
}

void ProgressBar::draw(int steps_done) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = elapsed > 0 ? steps_done / elapsed : 0.0;
  const int filled = static_cast<int>(static_cast<long long>(kBarWidth) * steps_done / total_);
  const std::string bar = std::string(filled, '#') + std::string(kBarWidth - filled, '-');
  const std::string eta = rate > 0 ? format_duration((total_ - steps_done) / rate) : "?";
  // \033[K erases what a longer previous line left behind.
  std::fprintf(stderr, "\rstep %d/%d [%s] %.1f steps/s ETA %s\033[K", steps_done, total_, bar.c_str(), rate,
               eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace missionsim::cli
