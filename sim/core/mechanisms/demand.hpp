// Demand side of model v2, part A (docs/MODEL.md 7.20): the price bound of the outside option (Eq. A7).
// The outside option in the choice itself (Eq. A1-A3) lives in choice.hpp and adoption.hpp, the
// continuous first choice and launch budget (Eq. A4-A5) in adoption.hpp and economics.hpp, the money
// scaling (Eq. A6) in init.cpp (lower_switches).
#pragma once

#include <vector>

#include "core/params.hpp"

namespace missionsim::mech {

// Eq. A7: the price a seller facing the customers' reservation prices would set to maximise revenue per
// customer of the market, max over segments k of R_k * (share of customers with R >= R_k). With price
// sensitivity 0 the logit markup of Eq. 63 is unbounded, and this is the finite monopoly price of the
// reservation-price demand curve (Jedidi & Zhang 2002).
inline double revenue_maximising_reservation(const std::vector<Segment>& segments) {
  double best = 0, best_revenue = -1;
  for (const auto& k : segments) {
    double buyers = 0;
    for (const auto& j : segments)
      if (j.reservation_price >= k.reservation_price) buyers += j.share;
    const double revenue = k.reservation_price * buyers;
    if (revenue > best_revenue || (revenue == best_revenue && k.reservation_price > best)) {
      best_revenue = revenue;
      best = k.reservation_price;
    }
  }
  return best;
}

}  // namespace missionsim::mech
