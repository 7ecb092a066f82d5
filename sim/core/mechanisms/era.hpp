// M5 era shift (docs/MODEL.md 7.5): the era weight w(t) from its schedule
// (Eq. 8) or endogenously ratcheting toward the best success on the market
// (Eq. 27), and the weight customers put on success (Eq. 27a). With M5 off
// the schedule is lowered to a constant at [era] start.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/mechanisms/shared.hpp"
#include "core/state.hpp"

namespace missionsim::mech {

// Eq. 8 / 27: the era weight at step t; an endogenous era keeps its current value w.
inline double era_weight(const Schedule& era, double t, double w) {
  return era.kind == ScheduleKind::Endogenous ? w : schedule_value(era, t);
}

// Eq. 27a: customers weigh success by w only when M4 runs.
inline double success_weight(bool success_on, double w) { return success_on ? w : 0.0; }

// Eq. 27: an endogenous era moves toward the best mean success among live firms.
inline double endogenous_era(const Schedule& era, double w, const std::vector<Firm>& firms) {
  if (era.kind != ScheduleKind::Endogenous) return w;
  double best = 0;
  for (const auto& f : firms)
    if (f.alive && !std::isnan(f.succ_mean)) best = std::max(best, f.succ_mean);
  return w + era.rate * (best - w);
}

}  // namespace missionsim::mech
