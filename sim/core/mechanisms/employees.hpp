// M10 employees, the service-profit chain (docs/MODEL.md 7.10): engagement
// target and its adjustment with a firm-level shock (Eq. 48-49), and the
// serving cost it saves (Eq. 38).
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/draws.hpp"
#include "core/params.hpp"
#include "core/rng.hpp"

namespace missionsim::mech {

// Eq. 48: engagement target from purpose, people investment (service intensity), metric pressure and
// cost cutting.
inline double engagement_target(const StrategyParams& sp, double service, double cost_cutting) {
  return std::clamp(0.5 + 0.4 * sp.purpose + 0.4 * service - 0.4 * sp.metric_pressure - 0.3 * cost_cutting,
                    0.0, 1.0);
}

// Eq. 49: engagement of firm slot f moves toward its target (engagement_speed and volatility are 0 when
// M10 is off), plus a normal shock for what the model leaves out (managers, workload, layoffs).
inline double engage(const Params& p, const Rng& rng, std::uint32_t f, std::uint32_t step, double engagement,
                     double target) {
  engagement += p.engagement_speed * (target - engagement);
  if (p.engagement_volatility > 0) {
    const auto u = rng.words(Purpose::Firm, f, step, draw::kFirmShock);
    engagement = std::clamp(engagement + p.engagement_volatility * Rng::normal(u[0], u[1]), 0.0, 1.0);
  }
  return engagement;
}

// Eq. 38: base serving cost per customer, lower with engagement (productivity 0 when M10 is off).
inline double base_unit_cost(const Params& p, double engagement) {
  return p.serve_cost * (1.0 - p.engagement_productivity * engagement);
}

}  // namespace missionsim::mech
