// Phase 4: innovation and imitation (M9, serial over firms in slot order), docs/MODEL.md 3, row 4.
#include "core/mechanisms/innovation.hpp"

#include "core/state.hpp"

namespace missionsim {

void Simulation::Impl::innovate_and_imitate() {
  const auto& lagged = m.leader_history[static_cast<std::size_t>(t) % m.leader_history.size()];
  for (std::size_t fi = 0; fi < firms.size(); ++fi)
    if (firms[fi].alive)
      mech::innovate(p, rng, static_cast<std::uint32_t>(fi), static_cast<std::uint32_t>(t), firms[fi],
                     m.scale_floor, lagged, m.offered, m.maturity);
}

}  // namespace missionsim
