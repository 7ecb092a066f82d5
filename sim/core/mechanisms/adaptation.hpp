// M13 strategy adaptation (docs/MODEL.md 7.13): a firm compares its profit
// margin (Eq. 55) with a random rival's and imitates its strategy with the
// Fermi probability (Eq. 56). With M13 off adaptation_rate is lowered to 0.
#pragma once

#include <cstdint>

#include "core/mechanisms/shared.hpp"
#include "core/state.hpp"

namespace missionsim::mech {

// Eq. 55: profit margin of the last step, -1 without revenue.
inline double margin(const Firm& f) {
  return f.revenue_c > 0 ? static_cast<double>(f.profit_c) / static_cast<double>(f.revenue_c) : -1.0;
}

// Eq. 56: probability of adopting the rival's strategy.
inline double fermi(double sensitivity, double margin_gap) { return logistic(sensitivity * margin_gap); }

}  // namespace missionsim::mech
