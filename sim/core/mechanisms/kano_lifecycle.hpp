// M2 Kano attribute lifecycle (docs/MODEL.md 7.2): the Kano value of a
// firm's capabilities at the current maturities (Eq. 15-17), its core
// efficacy (Eq. 22), and maturity following customer-weighted coverage
// (Eq. 18). The virtual questionnaire is in sim/core/kano.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "core/mechanisms/needs.hpp"

namespace missionsim::mech {

struct ProductValue {
  double product;   // Eq. 17: 0.5 (1 + quality), in [0, 1]
  double efficacy;  // Eq. 22: mean capability over offered attributes
};

// Eq. 15-17 and 22 over the offered attributes; an attribute discovered by R&D (index >= original)
// weighs kano_beta, an original one 1.
inline ProductValue product_value(const std::vector<double>& q, const std::vector<std::uint8_t>& offered,
                                  const std::vector<double>& maturity, int original, double kano_beta,
                                  bool asymmetric = false) {
  double value = 0, beta_sum = 0, q_sum = 0;
  int offered_n = 0;
  for (std::size_t a = 0; a < q.size(); ++a) {
    if (!offered[a]) continue;
    const double m = maturity[a];
    const double beta = static_cast<int>(a) < original ? 1.0 : kano_beta;
    value += beta * kano_value(q[a], m, asymmetric);  // Eq. 15, or B1 when asymmetric
    beta_sum += beta;
    q_sum += q[a];
    ++offered_n;
  }
  const double quality = beta_sum > 0 ? value / beta_sum : 0.0;  // Eq. 16, in [-1, 1]
  return {0.5 * (1.0 + quality), offered_n ? q_sum / offered_n : 0.0};
}

// Eq. 18: maturity moves toward coverage at maturity_rate (0 when M2 is off).
inline double mature(double maturity, double coverage, double maturity_rate) {
  return maturity + maturity_rate * (coverage - maturity);
}

}  // namespace missionsim::mech
