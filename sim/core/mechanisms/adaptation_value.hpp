// Strategy adaptation on long-run value (docs/MODEL.md 7.25, Eq. D1-D3): the fitness a founder would
// compare before imitating a rival's strategy, instead of last step's profit margin (Eq. 55). Used only
// with [adaptation] fitness = "customer-equity" or "cash".
#pragma once

#include <cmath>
#include <cstdint>

#include "core/money.hpp"
#include "core/params.hpp"
#include "core/state.hpp"

namespace missionsim::mech {

// Eq. D1: customer equity, the customers times the lifetime value of one at a constant margin and
// retention (Gupta, Lehmann & Stuart 2004): N m r / (1 + d - r), with m = revenue per customer (sales and
// grants) minus the serving cost per customer, r the share of last step's customers kept and d the
// discount rate per step. 0 without customers.
inline double customer_equity(const Firm& f, double discount) {
  if (f.customers <= 0) return 0.0;
  const double n = static_cast<double>(f.customers);
  const double margin = from_cents(f.revenue_c) / n - f.unit_cost;
  const double r = std::isnan(f.retention) ? 0.0 : f.retention;
  return n * margin * r / (1.0 + discount - r);
}

// Eq. D2: the value a long-run fitness follows: customer equity (Eq. D1) or cash (Eq. D3).
inline double firm_value(AdaptationFitness fitness, const Firm& f, double discount) {
  return fitness == AdaptationFitness::Cash ? from_cents(f.cash_c) : customer_equity(f, discount);
}

// Eq. D2: symmetric growth of a value from `before` to `now`, (now - before) / ((|now| + |before|) / 2),
// in [-2, 2] and defined through zero and sign changes (Davis, Haltiwanger & Schuh 1996); 0 if both are 0.
inline double symmetric_growth(double now, double before) {
  const double base = 0.5 * (std::fabs(now) + std::fabs(before));
  return base > 0 ? (now - before) / base : 0.0;
}

}  // namespace missionsim::mech
