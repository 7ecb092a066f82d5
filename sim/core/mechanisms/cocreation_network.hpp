// Co-creation with network effects (docs/MODEL.md 7.22, Eq. H3): the co-creation stock grows with the
// firm's total contribution (number and effort of contributors), saturating, instead of the mean
// contribution per customer of Eq. 24. Used only with [cocreation_network] enabled.
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

}  // namespace missionsim::mech
