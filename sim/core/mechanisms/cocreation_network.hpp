// Co-creation with network effects (docs/MODEL.md 7.22, Eq. H3-H4): the co-creation stock grows with the
// firm's total contribution (number and effort of contributors), saturating, instead of the mean
// contribution per customer of Eq. 24; and own effort is productive through the firm's enablement and
// platform (Eq. H4) instead of adding to progress at any firm. Used only with [cocreation_network] enabled.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/params.hpp"

namespace missionsim::mech {

// Eq. H3, network value: 1 - exp(-K / (scale N)), in [0, 1); K = sum of effort * success over the firm's
// customers, N the population. Rises with every added contributor, with diminishing returns.
inline double network_value(const CocreationNetwork& c, double contribution, std::int64_t population) {
  const double denom = c.scale * static_cast<double>(std::max<std::int64_t>(population, 1));
  return 1.0 - std::exp(-std::max(contribution, 0.0) / denom);
}

// Eq. H3: the co-creation stock decays and grows with the platform times the network value; bounded by
// cocreation_rate platform / cocreation_decay.
inline double network_cocreation(const Params& p, double stock, double platform, double contribution,
                                 std::int64_t population) {
  return (1 - p.cocreation_decay) * stock +
         p.cocreation_rate * platform * network_value(p.cocreation_network, contribution, population);
}

// Eq. H4: productivity of a customer's own effort at a firm with enablement n and co-creation stock C:
// effort is productive through the firm's co-creation resources (complements, not substitutes),
// b + (1 - b) x / (x + support_scale) with x = n + C and b = self_productivity; in [b, 1).
inline double effort_productivity(const CocreationNetwork& c, double enablement, double stock) {
  const double support = std::max(enablement + stock, 0.0);
  return c.self_productivity + (1.0 - c.self_productivity) * support / (support + c.support_scale);
}

}  // namespace missionsim::mech
