// Phase 2a (only with society.nonprofit_clients, docs/MODEL.md 7.21, Eq. S4-S6): after the customer pass,
// a grant-funded firm keeps no more clients than its share of society's grant pool funds. Serial over the
// customers of the firms over capacity; the order of admission is a counter-based random key per
// customer, so the result does not depend on the thread count.
#include "core/mechanisms/society.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/draws.hpp"
#include "core/mechanisms/social.hpp"
#include "core/money.hpp"
#include "core/state.hpp"

namespace missionsim {

void Simulation::Impl::ration_nonprofit_clients(PassStats& st) {
  const std::size_t F = firms.size();
  client_capacity.assign(F, -1);
  int funded = 0;
  for (std::size_t fi = 0; fi < F; ++fi)
    if (firms[fi].alive && strategies.at(firms[fi].strategy)->params().grant_funded) ++funded;
  if (funded == 0) return;
  const double budget = mech::client_budget(mech::grant_pool(p, m.impact_last), funded);  // Eq. S1, S4
  std::vector<std::uint8_t> over(F, 0);
  bool any_over = false;
  for (std::size_t fi = 0; fi < F; ++fi) {
    const Firm& f = firms[fi];
    if (!f.alive) continue;  // an entrant slot not yet used has no strategy (-1)
    const StrategyParams& sp = strategies.at(f.strategy)->params();
    if (!sp.grant_funded) continue;
    const std::int64_t seen = st.firm[fi].experienced;
    const double mean_success = seen > 0 ? st.firm[fi].sum_succ / static_cast<double>(seen)
                                         : (std::isnan(f.succ_mean) ? 0.0 : f.succ_mean);
    const double unit = mech::client_unit_cost(p, sp, f.engagement, f.enablement, mean_success);  // Eq. S7
    // The investment the running income pays for: this step's spending, at most the share of last
    // step's revenue the strategy reinvests (a launch budget beyond it is paid from the starting cash).
    const double shares = f.alloc.rd + f.alloc.imitation + f.alloc.service + f.alloc.enablement +
                          f.alloc.cocreation + f.alloc.marketing;
    const double investment =
        std::min(f.budget, sp.invest_rate * std::max(0.0, from_cents(f.revenue_c))) * shares;
    client_capacity[fi] = mech::client_capacity(budget, p.fixed_cost,
                                                investment + mech::societal_harm_cost(p.harm_cost, f.harm),
                                                unit, f.price);  // Eq. S5
    if (st.firm[fi].count_end > client_capacity[fi]) over[fi] = any_over = true;
  }
  if (!any_over) return;

  // Eq. S6: clients who stay come before new ones; within each group the order is random.
  using Key = std::pair<std::uint64_t, std::uint32_t>;
  std::vector<std::vector<Key>> stay(F), join(F);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint16_t f = c.firm_next[i];
    if (f == kNoFirm || !over[f]) continue;
    const auto w =
        rng.words(Purpose::Customer, i, static_cast<std::uint32_t>(t), draw::kCustomerBlockAdmission);
    const Key k{(static_cast<std::uint64_t>(w[draw::kAdmissionHigh]) << 32) | w[draw::kAdmissionLow], i};
    (c.firm_prev[i] == f ? stay : join)[f].push_back(k);
  }
  for (std::size_t fi = 0; fi < F; ++fi) {
    if (!over[fi]) continue;
    const std::int64_t cap = client_capacity[fi];
    auto& s = stay[fi];
    auto& j = join[fi];
    // Clients who stay beyond capacity are discharged (they experienced the firm this step and leave it).
    const std::size_t keep_stay = static_cast<std::size_t>(std::min<std::int64_t>(cap, std::ssize(s)));
    std::sort(s.begin(), s.end());
    for (std::size_t k = keep_stay; k < s.size(); ++k) {
      const std::uint32_t i = s[k].second;
      c.firm_next[i] = kNoFirm;
      c.voice_next[i] = 0;
      c.tenure[i] = 0;
      st.firm[fi].left += 1;
    }
    // New clients fill the room left; the others are turned away and buy nothing this step.
    const std::size_t keep_join = static_cast<std::size_t>(
        std::clamp<std::int64_t>(cap - static_cast<std::int64_t>(keep_stay), 0, std::ssize(j)));
    std::sort(j.begin(), j.end());
    for (std::size_t k = keep_join; k < j.size(); ++k) {
      const std::uint32_t i = j[k].second;
      c.firm_next[i] = kNoFirm;
      c.voice_next[i] = 0;
      c.tenure[i] = 0;
    }
    st.firm[fi].count_end = static_cast<std::int64_t>(keep_stay + keep_join);
  }
}

}  // namespace missionsim
