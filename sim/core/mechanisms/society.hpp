// Society v2 (docs/MODEL.md 7.21 and 7.23): nonprofits serve their own client segment within the capacity
// their share of the grant pool funds (Eq. S4-S6), and impact has a comparable cost per unit whatever its
// channel: embedded in a business, donated, or delivered by a grant-funded firm (Eq. S8-S9). Both are off
// by default; off, none of these functions is called.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/mechanisms/employees.hpp"
#include "core/params.hpp"

namespace missionsim::mech {

// Smallest net cost per client in Eq. S5 [money]: a client who pays (nearly) its way is not a grant cost,
// and the capacity stays finite.
inline constexpr double kMinClientNetCost = 0.01;
// Largest capacity Eq. S5 returns (more clients than any population).
inline constexpr double kMaxClientCapacity = 4.0e9;

// Eq. S4: a live grant-funded firm's budget this step: an equal share of society's pool.
inline double client_budget(double pool, int grant_funded_alive) {
  return grant_funded_alive > 0 ? pool / grant_funded_alive : 0.0;
}

// Eq. S7: what serving one client costs the firm this step [money]: the paid serving cost of Eq. 38 with
// the impact part at the firm's cost per unit of impact (Eq. S8) when [cost_per_impact] is on.
inline double client_unit_cost(const Params& p, const StrategyParams& sp, double engagement,
                               double enablement, double mean_success) {
  const double impact = p.cost_per_impact.enabled
                            ? (sp.grant_funded ? p.cost_per_impact.nonprofit : p.cost_per_impact.embedded) *
                                  sp.impact_per_customer * std::max(0.0, mean_success)
                            : p.impact_cost * sp.impact_per_customer;
  return base_unit_cost(p, engagement) * (1.0 - sp.cost_cutting) + p.enablement_cost * enablement + impact;
}

// Eq. S5: the clients a grant-funded firm can serve this step: what its budget (Eq. S4) leaves after its
// fixed cost and its other spending (planned investment, societal harm cost), over the net cost of a
// client (unit cost less the price the client pays). 0 when the budget does not cover the fixed costs.
inline std::int64_t client_capacity(double budget, double fixed_cost, double other_spending, double unit_cost,
                                    double price) {
  const double funds = budget - fixed_cost - other_spending;
  if (!(funds > 0)) return 0;
  const double net = std::max(unit_cost - price, kMinClientNetCost);
  return static_cast<std::int64_t>(std::min(std::floor(funds / net), kMaxClientCapacity));
}

// Eq. S8: money a firm pays for the embedded impact it delivered with [cost_per_impact] on: a cost per
// unit of impact, the nonprofit rate for a grant-funded firm, the embedded rate for any other.
inline double impact_spend(const CostPerImpact& k, const StrategyParams& sp, double embedded_impact) {
  return (sp.grant_funded ? k.nonprofit : k.embedded) * std::max(0.0, embedded_impact);
}

// Eq. S9: impact bought by donations with [cost_per_impact] on: the money donated over the cost per unit.
inline double donated_impact(const CostPerImpact& k, double donated) { return donated / k.donated; }

}  // namespace missionsim::mech
