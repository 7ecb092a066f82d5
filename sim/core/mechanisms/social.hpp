// M11 social mission and harm, M12 society as customer (docs/MODEL.md 7.11,
// 7.12): embedded impact (Eq. 50), philanthropic impact (Eq. 51), the harm
// stock (Eq. 52), the values score customers see (Eq. 53) and grants
// (Eq. 54). With M11 off the strategies' impact, donation and cost-cutting
// parameters are lowered to 0 (lower_switches); with M12 off grant_per_impact.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/params.hpp"
#include "core/state.hpp"

namespace missionsim::mech {

// Eq. 50: impact embedded in the product grows with the success it delivers.
inline double embedded_impact(const StrategyParams& sp, double success_sum) {
  return sp.impact_per_customer * success_sum;
}

// Eq. 52: the harm stock decays and grows with externalised cost; returns the flow.
inline double add_harm(const Params& p, double& harm, double externalised) {
  const double flow = p.harm_per_cost * externalised;
  harm = (1 - p.harm_decay) * harm + flow;
  return flow;
}

// Eq. 51: impact bought by donations.
inline double philanthropic_impact(const Params& p, double donated) {
  return p.philanthropy_efficiency * donated;
}

// Eq. H1: harm penalty in the values score with harm_cost on: concave in the harm per customer but
// unbounded (log1p), so a thousandfold harm still costs more than a tenfold one.
inline double harm_values_penalty(const HarmCost& h, double harm_per_customer) {
  return h.values_penalty * std::log1p(std::max(harm_per_customer, 0.0) / h.values_scale);
}

// Eq. H2: societal (regulatory, reputation) cost of the harm stock, paid each step [money]; 0 when off.
inline double societal_harm_cost(const HarmCost& h, double harm) {
  return h.enabled ? h.cost_per_harm * std::max(harm, 0.0) : 0.0;
}

// Eq. 53: values score seen by values-driven customers: visible impact minus harm, per customer.
// With harm_cost on (Eq. H1) only the impact term keeps the +-5 clamp; harm enters through Eq. H1.
inline double values_score(const Params& p, const Firm& f) {
  const double per = static_cast<double>(std::max<std::int64_t>(f.customers, 1));
  if (p.harm_cost.enabled)
    return std::clamp(p.impact_visibility *
                          ((f.impact - f.phil_impact) + p.philanthropy_visibility * f.phil_impact) / per,
                      -5.0, 5.0) -
           harm_values_penalty(p.harm_cost, f.harm / per);
  return std::clamp(
      p.impact_visibility * ((f.impact - f.phil_impact) + p.philanthropy_visibility * f.phil_impact) / per -
          f.harm / per,
      -5.0, 5.0);
}

// Eq. 54: society's grant for the impact a grant-funded firm delivered [money].
inline double grant(const Params& p, const StrategyParams& sp, double embedded) {
  return sp.grant_funded ? p.grant_per_impact * embedded : 0.0;
}

// Eq. S1: society's grant pool this step [money]: a budget per customer of the population, growing with
// the impact all firms delivered per customer in the previous step.
inline double grant_pool(const Params& p, double impact_last) {
  const double n = static_cast<double>(p.customers);
  return p.grant_pool_per_customer * n * (1.0 + p.grant_pool_growth * std::max(0.0, impact_last) / n);
}

// Eq. S2: grant paid per unit of impact when the grant-funded firms delivered `impact_total`: the pool
// shared in proportion to impact, never more than the v1 rate grant_per_impact.
inline double pool_grant_rate(const Params& p, double pool, double impact_total) {
  return impact_total > 0 ? std::min(p.grant_per_impact, pool / impact_total) : 0.0;
}

// Eq. S3: one firm's grant from the pool, rounded down to whole cents so that the grants paid never
// exceed the pool.
inline double pool_grant(double rate, double embedded) {
  return std::floor(rate * std::max(0.0, embedded) * 100.0) / 100.0;
}

}  // namespace missionsim::mech
