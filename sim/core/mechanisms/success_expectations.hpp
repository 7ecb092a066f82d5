// Success expectations and the emergent era (model v2 part C, docs/MODEL.md 7.17, Eq. C1-C4).
// A customer holds an expectation of success next to the expectation of satisfaction (Oliver 1980's
// adaptive expectation applied to a second outcome; Hochstein et al. 2020, Eggert et al. 2020 on
// customer success as an outcome customers judge), formed from own success (Eq. C1) and from success
// stories heard from neighbours (Eq. C2). The customer's own weight on success rises with the gap
// between the success expected and the success experienced beyond a zone of tolerance (Zeithaml,
// Berry & Parasuraman 1993), and never falls (Eq. C3): the essays' ratchet, with no schedule.
// Two optional refinements (each off by default): a story is translated to the listener's circumstances
// before it moves the expectation (Eq. C2', C7: social comparison with similar others, Festinger 1954,
// Goethals & Darley 1977), and success enters the experience value judged against the expectation
// (Eq. C8: Oliver 1980's disconfirmation applied to the outcome).
// All functions are no-ops (and the weight is the market weight of Eq. 27a) when the mechanism is off.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/mechanisms/customer_context.hpp"

namespace missionsim::mech {

// Eq. C4: the weight customer i puts on success: its own when the mechanism runs, else w of Eq. 27a.
inline double success_weight_of(const CustomerContext& c, std::uint32_t i) {
  return c.success_weight ? static_cast<double>(c.success_weight[i]) : c.w_success;
}

// Eq. C7: the success a story of success s_j tells a listener: what the teller's provider would achieve
// for the listener. Inverting Eq. 26 at its steady state s = 1 - exp(-rate / d) gives the teller's
// progress rate, -d_j ln(1 - s_j); the provider's part of it is that rate less the teller's own effort
// term own_j (Eq. 25, H4), to which the listener adds its own effort term own_i; the listener's success
// at that rate is 1 - exp(-rate / d_i). With equal effort terms this is 1 - (1 - s_j)^(d_j / d_i).
inline double translated_success(double s_j, double d_j, double own_j, double d_i, double own_i) {
  const double rate_j = -d_j * std::log1p(-std::min(s_j, 1.0 - 1e-6));
  const double rate_i = std::max(0.0, rate_j - own_j + own_i);
  return -std::expm1(-rate_i / d_i);
}

// Eq. C8: satisfaction with success s judged against the success expectation es, in the form of Eq. 21
// (the same bias and gains as satisfaction with performance).
inline double judged_success(const Params& p, double s, double es) {
  return 1.0 / (1.0 + std::exp(-(p.satisfaction_bias + p.disconfirmation_gain * (s - es) +
                                 p.performance_gain * (s - 0.5))));
}

// Eq. C2': with adjust_stories a story counts only when it is about a provider customer i could choose
// (Zeithaml, Berry & Parasuraman 1993: perceived alternatives set the adequate level): one open to i
// (Eq. S6) and, with the outside option, one i can afford (Eq. A2), as choice.hpp's available().
inline bool alternative_for(const CustomerContext& c, std::uint32_t i, std::uint16_t g) {
  const std::uint8_t seg = c.traits[i] & draw::kSegmentMask;
  if (c.off[g].clients_only && !(c.seg_client && c.seg_client[seg])) return false;
  return !c.p->outside_option || c.off[g].price <= c.seg_wtp[seg];
}

// Eq. C2 (C2' with adjust_stories): customer i hears the success story of neighbour j, a customer of
// live firm fj (j's success at the end of t-1).
inline void hear_success_story(const CustomerContext& c, std::uint32_t i, std::uint32_t j, std::uint16_t fj) {
  if (!c.success_expectation) return;
  const SuccessExpectations& se = c.p->success_expectations;
  double story = c.success_seen[j];
  if (se.adjust_stories) {  // Eq. C2', C7
    if (!alternative_for(c, i, fj)) return;
    const Params& p = *c.p;
    const double productivity = p.cocreation_network.enabled ? c.off[fj].effort_productivity : 1.0;
    const double own = p.effort_weight * productivity / 255.0;
    story = translated_success(story, c.difficulty[j], own * c.effort[j], c.difficulty[i], own * c.effort[i]);
  }
  const double es = c.success_expectation[i];
  c.success_expectation[i] = static_cast<float>(es + se.story_rate * (story - es));
}

// Eq. C3 then C1 for customer i who experienced success s this step: the gap between expected and
// experienced success beyond the tolerance ratchets the weight up; then the expectation adapts to s.
// Returns the success term of the experience value (Eq. 28): s, or with judged the satisfaction with s
// against the expectation held before Eq. C1 (Eq. C8). s when the mechanism is off.
inline double compare_success(const CustomerContext& c, std::uint32_t i, double s) {
  if (!c.success_expectation) return s;
  const SuccessExpectations& se = c.p->success_expectations;
  const double es = c.success_expectation[i];
  const bool onboarding = se.onboarding > 0 && c.tenure[i] < se.onboarding;  // Eq. C3'
  const double excess = onboarding ? 0.0 : std::max(0.0, es - s - se.tolerance);
  const double w = c.success_weight[i];
  c.success_weight[i] = static_cast<float>(std::min(1.0, w + se.ratchet_rate * excess * (1.0 - w)));
  c.success_expectation[i] = static_cast<float>(es + se.own_rate * (s - es));
  return se.judged ? judged_success(*c.p, s, es) : s;
}

}  // namespace missionsim::mech
