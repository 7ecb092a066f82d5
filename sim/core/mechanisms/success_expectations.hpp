// Success expectations and the emergent era (model v2 part C, docs/MODEL.md 7.17, Eq. C1-C4).
// A customer holds an expectation of success next to the expectation of satisfaction (Oliver 1980's
// adaptive expectation applied to a second outcome; Hochstein et al. 2020, Eggert et al. 2020 on
// customer success as an outcome customers judge), formed from own success (Eq. C1) and from success
// stories heard from neighbours (Eq. C2). The customer's own weight on success rises with the gap
// between the success expected and the success experienced beyond a zone of tolerance (Zeithaml,
// Berry & Parasuraman 1993), and never falls (Eq. C3): the essays' ratchet, with no schedule.
// All functions are no-ops (and the weight is the market weight of Eq. 27a) when the mechanism is off.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/mechanisms/customer_context.hpp"

namespace missionsim::mech {

// Eq. C4: the weight customer i puts on success: its own when the mechanism runs, else w of Eq. 27a.
inline double success_weight_of(const CustomerContext& c, std::uint32_t i) {
  return c.success_weight ? static_cast<double>(c.success_weight[i]) : c.w_success;
}

// Eq. C2: customer i hears neighbour j's success story (j's success at the end of t-1).
inline void hear_success_story(const CustomerContext& c, std::uint32_t i, std::uint32_t j) {
  if (!c.success_expectation) return;
  const double es = c.success_expectation[i];
  c.success_expectation[i] =
      static_cast<float>(es + c.p->success_expectations.story_rate * (c.success_seen[j] - es));
}

// Eq. C3 then C1 for customer i who experienced success s this step: the gap between expected and
// experienced success beyond the tolerance ratchets the weight up; then the expectation adapts to s.
inline void compare_success(const CustomerContext& c, std::uint32_t i, double s) {
  if (!c.success_expectation) return;
  const SuccessExpectations& se = c.p->success_expectations;
  const double es = c.success_expectation[i];
  const double excess = std::max(0.0, es - s - se.tolerance);
  const double w = c.success_weight[i];
  c.success_weight[i] = static_cast<float>(std::min(1.0, w + se.ratchet_rate * excess * (1.0 - w)));
  c.success_expectation[i] = static_cast<float>(es + se.own_rate * (s - es));
}

}  // namespace missionsim::mech
