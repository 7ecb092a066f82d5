// Shared functions of the submodels (docs/MODEL.md 7.0): the logistic, the
// saturating effect of a spend (Eq. 9) and schedules (Eq. 8).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/params.hpp"

namespace missionsim::mech {

inline double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Eq. 9: saturating effect of a spend per customer, x / (x + scale), in [0, 1).
inline double effect(double spend, std::int64_t customers, double scale) {
  double x = std::max(0.0, spend) / static_cast<double>(std::max<std::int64_t>(customers, 1));
  return x / (x + scale);
}

// Eq. 8: the value of a schedule at step t (an endogenous one holds its start; Eq. 27 moves it).
inline double schedule_value(const Schedule& s, double t) {
  switch (s.kind) {
    case ScheduleKind::Constant:
    case ScheduleKind::Endogenous:
      return s.start;
    case ScheduleKind::Linear:
      if (t <= s.t0) return s.start;
      if (t >= s.t1) return s.end;
      return s.start + (s.end - s.start) * (t - s.t0) / (s.t1 - s.t0);
    case ScheduleKind::Logistic:
      return s.start + (s.end - s.start) * logistic(s.rate * (t - s.t0));
    case ScheduleKind::Step:
      return t < s.t0 ? s.start : s.end;
  }
  return s.start;
}

}  // namespace missionsim::mech
