// M9 innovation and imitation (docs/MODEL.md 7.9): R&D and imitation
// intensities (Eq. 44), discovery of a latent attribute (Eq. 45), R&D
// (Eq. 46) and imitation of the lagged leader (Eq. 47). With M9 off the
// rates rd_efficiency, discovery_rate and imitation_speed are lowered to 0.
#pragma once

#include <cstdint>
#include <vector>

#include "core/draws.hpp"
#include "core/mechanisms/shared.hpp"
#include "core/params.hpp"
#include "core/rng.hpp"
#include "core/state.hpp"

namespace missionsim::mech {

// Eq. 44-47 for live firm slot fi; `lagged` is the leader capability imitation_lag steps ago.
inline void innovate(const Params& p, const Rng& rng, std::uint32_t fi, std::uint32_t step, Firm& f,
                     std::int64_t scale_floor, const std::vector<double>& lagged,
                     std::vector<std::uint8_t>& offered, std::vector<double>& maturity) {
  const int A = static_cast<int>(offered.size());
  const std::int64_t served = std::max(f.customers_before, scale_floor);
  const double rd = effect(f.alloc.rd * f.budget, served, p.spend_scale);  // Eq. 44
  const double imitation = effect(f.alloc.imitation * f.budget, served, p.spend_scale);
  const auto words = rng.words(Purpose::Firm, fi, step, draw::kFirmDiscovery);
  // Eq. 45: discovery of the first latent attribute, a new delighter.
  if (Rng::unit(words[0]) < p.discovery_rate * rd) {
    for (int a = 0; a < A; ++a)
      if (!offered[a]) {
        offered[a] = 1;
        maturity[a] = 0.0;
        f.q[a] = p.initial_capability;
        break;
      }
  }
  for (int a = 0; a < A; ++a) {
    if (!offered[a]) continue;
    f.q[a] += p.rd_efficiency * rd * (1.0 - f.q[a]);  // Eq. 46
    const double gap = lagged[a] - f.q[a];
    if (gap > 0) f.q[a] += p.imitation_speed * imitation * gap;  // Eq. 47
  }
}

}  // namespace missionsim::mech
