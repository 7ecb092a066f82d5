// Phase 3: accounts (serial over firms), docs/MODEL.md 3, row 3. Money is
// integer cents so that cash(t) = cash(t-1) + profit(t) - payout(t) holds
// exactly (Eq. 41).
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "core/mechanisms/economics.hpp"
#include "core/mechanisms/employees.hpp"
#include "core/mechanisms/people.hpp"
#include "core/mechanisms/social.hpp"
#include "core/mechanisms/society.hpp"
#include "core/money.hpp"
#include "core/state.hpp"

namespace missionsim {

void Simulation::Impl::settle_accounts(const PassStats& st) {
  if (p.grant_pool) share_grant_pool(st);  // Eq. S1-S3
  bool someone_died = false;
  for (std::size_t fi = 0; fi < firms.size(); ++fi) {
    Firm& f = firms[fi];
    if (!f.alive) {
      // A firm that no longer operates has no flows this step and no customers to average over; its
      // stocks (cash, harm, engagement) and last price stay as they were (docs/OUTPUT.md, identities).
      if (f.used) clear_flows(f);
      continue;
    }
    settle_firm(fi, st);
    if (mech::goes_bankrupt(p, f)) {  // M8, Eq. 42
      f.alive = false;
      someone_died = true;
    }
  }
  if (someone_died) release_customers_of_dead_firms();
  m.adopters = live_adopter_count();
  if (p.grant_pool) {
    m.impact_last = 0;
    for (const auto& f : firms)
      if (f.used) m.impact_last += f.impact;
  }
}

// Eq. S1-S3: the pool of this step shared among the live grant-funded firms by the impact they delivered.
void Simulation::Impl::share_grant_pool(const PassStats& st) {
  m.grant_pool = mech::grant_pool(p, m.impact_last);
  pool_grants.assign(firms.size(), 0.0);
  double total = 0;
  // An entrant slot not yet used has no strategy (-1): the alive test comes first.
  for (std::size_t fi = 0; fi < firms.size(); ++fi) {
    if (!firms[fi].alive) continue;
    const StrategyParams& sp = strategies.at(firms[fi].strategy)->params();
    if (sp.grant_funded) total += mech::embedded_impact(sp, st.firm[fi].sum_succ);
  }
  const double rate = mech::pool_grant_rate(p, m.grant_pool, total);
  for (std::size_t fi = 0; fi < firms.size(); ++fi) {
    if (!firms[fi].alive) continue;
    const StrategyParams& sp = strategies.at(firms[fi].strategy)->params();
    if (sp.grant_funded)
      pool_grants[fi] = mech::pool_grant(rate, mech::embedded_impact(sp, st.firm[fi].sum_succ));
  }
}

// Customer statistics (Eq. 57), costs, impact, accounts and harm of one live firm.
void Simulation::Impl::settle_firm(std::size_t fi, const PassStats& st) {
  Firm& f = firms[fi];
  const StrategyParams& sp = strategies.at(f.strategy)->params();
  const std::int64_t customers = st.firm[fi].count_end;
  const std::int64_t experienced = st.firm[fi].experienced;
  f.customers_before = f.customers;
  f.customers = customers;
  // Eq. 57: means, NPS and retention over the customers who had the firm at the start of the step.
  f.sat_mean = experienced ? st.firm[fi].sum_sat / experienced : kNaN;
  f.succ_mean = experienced ? st.firm[fi].sum_succ / experienced : kNaN;
  f.nps = experienced
              ? 100.0 * static_cast<double>(st.firm[fi].promoters - st.firm[fi].detractors) / experienced
              : kNaN;
  f.retention = experienced ? static_cast<double>(experienced - st.firm[fi].left) / experienced : kNaN;
  f.promoter_share = experienced ? static_cast<double>(st.firm[fi].promoters) / experienced : kNaN;
  f.detractor_share = experienced ? static_cast<double>(st.firm[fi].detractors) / experienced : kNaN;
  f.contribution = st.firm[fi].contribution;

  const double embedded = mech::embedded_impact(sp, st.firm[fi].sum_succ);  // Eq. 50
  // Eq. 38: unit serving cost, lower with engagement; a share is externalised.
  const double base_unit = p.people.enabled ? mech::people_base_unit_cost(p, f.engagement, sp.metric_pressure)
                                            : mech::base_unit_cost(p, f.engagement);  // Eq. E4, 38
  // Eq. S8: with [cost_per_impact] on, impact is paid per unit delivered instead of per customer served.
  const bool per_impact = p.cost_per_impact.enabled;
  double paid_unit = base_unit * (1.0 - sp.cost_cutting) + p.enablement_cost * f.enablement +
                     (per_impact ? 0.0 : p.impact_cost * sp.impact_per_customer);
  if (p.people.enabled) paid_unit += sp.people_investment;  // Eq. E6: people cost per customer served
  const double impact_spend = per_impact ? mech::impact_spend(p.cost_per_impact, sp, embedded) : 0.0;
  f.unit_cost =
      per_impact && customers > 0 ? paid_unit + impact_spend / static_cast<double>(customers) : paid_unit;
  const double externalised = base_unit * sp.cost_cutting * static_cast<double>(customers);
  const mech::StepMoney step_money{
      f.price,
      customers,
      p.grant_pool ? pool_grants[fi] : mech::grant(p, sp, embedded),  // Eq. 54, S3
      paid_unit,
      f.budget * (f.alloc.rd + f.alloc.imitation + f.alloc.service + f.alloc.enablement + f.alloc.cocreation +
                  f.alloc.marketing),
      sp.philanthropy_rate,
      sp.payout_rate,
      mech::societal_harm_cost(p.harm_cost, f.harm),                                            // Eq. H2
      impact_spend};                                                                            // Eq. S8
  const std::int64_t donation_c = mech::settle_money(f, p, step_money, t);                      // Eq. 39-41
  f.harm_flow = mech::add_harm(p, f.harm, externalised);                                        // Eq. 52
  f.phil_impact = per_impact ? mech::donated_impact(p.cost_per_impact, from_cents(donation_c))  // Eq. S9
                             : mech::philanthropic_impact(p, from_cents(donation_c));           // Eq. 51
  f.impact = embedded + f.phil_impact;
}

// Released customers become non-adopters (they may adopt again, Eq. 13).
void Simulation::Impl::release_customers_of_dead_firms() {
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n, kGrain), [&](const auto& r) {
    for (std::uint32_t i = r.begin(); i != r.end(); ++i) {
      const std::uint16_t f = c.firm_next[i];
      if (f != kNoFirm && !firms[f].alive) {
        c.firm_next[i] = kNoFirm;
        c.voice_next[i] = 0;
        c.tenure[i] = 0;
      }
    }
  });
  for (auto& f : firms)
    if (!f.alive && f.used && f.customers > 0) f.customers = 0;
}

void Simulation::Impl::clear_flows(Firm& f) {
  f.revenue_c = f.grants_c = f.costs_c = f.profit_c = f.payout_c = 0;
  f.impact = f.phil_impact = f.harm_flow = 0;
  f.customers_before = f.customers = 0;
  f.sat_mean = f.succ_mean = f.nps = f.retention = f.promoter_share = f.detractor_share = kNaN;
  f.contribution = 0;
}

std::int64_t Simulation::Impl::live_adopter_count() const {
  std::int64_t a = 0;
  for (const auto& f : firms)
    if (f.alive) a += f.customers;
  return a;
}

}  // namespace missionsim
