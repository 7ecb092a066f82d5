// Model v2 demand side, part B (docs/MODEL.md 7.19): the asymmetric Kano
// value of a capability (Eq. B1), the importance weights of segments and
// customers (Eq. B2), a customer's fit with a firm (Eq. B3) and a customer's
// own perceived performance of a firm (Eq. B4).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "core/params.hpp"
#include "core/rng.hpp"

namespace missionsim::mech {

// Counters of Purpose::Needs (docs/MODEL.md 4.9): {agent, tag, block}.
inline constexpr std::uint32_t kNeedsSegmentTag = 0;  // agent segment, block attribute: word 0
inline constexpr std::uint32_t kNeedsTasteTag = 1;    // agent customer, block a / 4: word a % 4
inline constexpr std::uint32_t kNeedsFitTag = 2;      // agent customer, block firm slot: words 0-1

// Eq. B1: the Kano value of capability q on an attribute of maturity m. Linear (Eq. 15):
// (1 - m) q - m (1 - q) = q - m, the same slope at every maturity. Asymmetric (penalty-reward
// contrast, Brandt 1987; Mikulic & Prebezac 2011): above the expected level m a unit of capability
// earns 2(1 - m), below it a unit of shortfall costs 2m, so an attribute is attractive at m = 0,
// one-dimensional at m = 0.5 (equal to Eq. 15 there) and must-be at m = 1; clipped to [-1, 1].
inline double kano_value(double q, double m, bool asymmetric) {
  if (!asymmetric) return (1 - m) * q - m * (1 - q);
  const double d = q - m;
  const double v = d >= 0 ? 2 * (1 - m) * d : 2 * m * d;
  return std::clamp(v, -1.0, 1.0);
}

// Eq. B2: importance weight of an attribute for a segment, 1 + contrast (2u - 1).
inline double segment_weight(const Rng& rng, std::uint32_t segment, std::uint32_t attribute,
                             double contrast) {
  const auto w = rng.words(Purpose::Needs, segment, kNeedsSegmentTag, attribute);
  return 1.0 + contrast * (2.0 * Rng::unit(w[0]) - 1.0);
}

// What plan_firms prepares for Eq. B4 each step: per firm, segment and attribute the weighted
// Kano value, per segment and attribute the weight (0 for an attribute not offered), per firm the
// service part of performance.
struct NeedsTables {
  int S = 0, A = 0;
  std::vector<double> value;    // [F][S][A]: beta_a w_sa v(q_fa, m_a + shift_s)
  std::vector<double> weight;   // [S][A]: beta_a w_sa, 0 if not offered
  std::vector<double> service;  // [F]: service_weight * engagement
};

// Eq. B2-B4 for customer i of segment s served by firm f: product value 0.5 (1 + sum_a t_ia V_fsa /
// sum_a t_ia W_sa) plus the fit, clipped to [0, 1], and perceived performance (Eq. 19).
inline double personal_performance(const NeedsTables& nt, const Needs& nd, double service_weight,
                                   const Rng& rng, std::uint32_t i, std::uint32_t s, std::uint32_t f) {
  const double* val = nt.value.data() + (static_cast<std::size_t>(f) * nt.S + s) * nt.A;
  const double* wt = nt.weight.data() + static_cast<std::size_t>(s) * nt.A;
  double num = 0, den = 0;
  std::array<std::uint32_t, 4> taste{};
  for (int a = 0; a < nt.A; ++a) {
    if ((a & 3) == 0)
      taste = rng.words(Purpose::Needs, i, kNeedsTasteTag, static_cast<std::uint32_t>(a >> 2));
    if (wt[a] == 0) continue;
    const double t = 1.0 + nd.taste_spread * (2.0 * Rng::unit(taste[a & 3]) - 1.0);
    num += t * val[a];
    den += t * wt[a];
  }
  double product = 0.5 * (1.0 + (den > 0 ? num / den : 0.0));
  if (nd.fit_spread > 0) {
    const auto w = rng.words(Purpose::Needs, i, kNeedsFitTag, f);
    product += nd.fit_spread * Rng::normal(w[0], w[1]);
  }
  product = std::clamp(product, 0.0, 1.0);
  return (1 - service_weight) * product + nt.service[f];
}

}  // namespace missionsim::mech
