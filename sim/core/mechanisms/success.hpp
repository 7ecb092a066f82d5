// M4 customer success and co-creation (docs/MODEL.md 7.4): core efficacy
// (Eq. 22), enablement (Eq. 23), the co-creation stock (Eq. 24), and a
// customer's progress rate (Eq. 25) and realised success (Eq. 26).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

#include "core/mechanisms/customer_context.hpp"
#include "core/mechanisms/shared.hpp"

namespace missionsim::mech {

// Eq. 23: enablement intensity of the spend on customer success (0 when M4 is off).
inline double enablement(bool success_on, double spend, std::int64_t served, double enablement_scale) {
  return success_on ? effect(spend, served, enablement_scale) : 0.0;
}

// Eq. 24: the co-creation stock decays and grows with the platform and last step's contributions
// (unchanged when M4 is off).
inline double cocreation(const Params& p, double stock, double platform, double contribution,
                         std::int64_t customers) {
  const double per_customer = customers > 0 ? contribution / customers : 0.0;
  return (1 - p.cocreation_decay) * stock + p.cocreation_rate * platform * per_customer;
}

// Own effort as a share, e / 255 for the stored byte e, every value worked out at compile time (division
// of exact doubles is correctly rounded at compile time as at run time: the same bits, without a
// division per customer).
inline constexpr std::array<double, 256> kEffortShare = [] {
  std::array<double, 256> t{};
  for (int e = 0; e < 256; ++e) t[e] = e / 255.0;
  return t;
}();

// Eq. 25-26: customer i of a firm with offer o makes progress; success follows its target. With
// [cocreation_network] on, own effort counts at the firm's effort productivity (Eq. H4).
// Returns the success after this step (unchanged when M4 is off).
// In two halves around the exponential, as experience_start and experience_end (experience.hpp):
// progress_exponent is -rate / d in single precision (meaningful only when M4 is on), progress_end takes
// its exponential.
inline float progress_exponent(const CustomerContext& c, std::uint32_t i, const Offer& o) {
  const Params& p = *c.p;
  const double own = p.effort_weight * kEffortShare[c.effort[i]];
  // Eq. H4 ([cocreation_network]): own effort works through the firm's enablement and platform.
  const double rate = o.efficacy + o.enablement +
                      (p.cocreation_network.enabled ? own * o.effort_productivity : own) + o.cocreation;
  return -static_cast<float>(rate) / c.difficulty[i];
}
inline double progress_end(const CustomerContext& c, std::uint32_t i, float exp_of_exponent) {
  double succ = c.success[i];
  if (!c.success_on) return succ;
  const double target = 1.0f - exp_of_exponent;
  succ += c.p->success_smoothing * (target - succ);
  c.success[i] = static_cast<float>(succ);
  return succ;
}
inline double progress(const CustomerContext& c, std::uint32_t i, const Offer& o) {
  if (!c.success_on) return c.success[i];
  return progress_end(c, i, std::exp(progress_exponent(c, i, o)));
}

}  // namespace missionsim::mech
