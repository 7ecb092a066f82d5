// M3 expectation-disconfirmation (docs/MODEL.md 7.3): perceived performance
// of a firm (Eq. 19), and for a customer of that firm the disconfirmation
// against last step's expectation, adaptive expectations (Eq. 20) and
// satisfaction (Eq. 21).
#pragma once

#include <cmath>
#include <cstdint>

#include "core/mechanisms/customer_context.hpp"
#include "core/mechanisms/people.hpp"

namespace missionsim::mech {

// Eq. 19: perceived performance from the product's Kano value (Eq. 17) and service quality (engagement).
inline double perceived_performance(double product, double engagement, double service_weight) {
  return (1 - service_weight) * product + service_weight * engagement;
}

struct Experience {
  double disconfirmation;  // D = P - E (Eq. 20)
  double satisfaction;     // S (Eq. 21)
};

// Eq. 20-21 for customer i of a firm with performance P: E moves by lambda D (lambda = 0 when M3 is
// off); S is computed in single precision. With people.enabled, S of a customer who had the firm last step
// too is the cumulative satisfaction of Eq. E5 (tenure > 0: still with the firm whose S is stored).
// In two halves around the exponential, so that a caller with many customers can make their exponentials
// one after another (phases/customers.cpp): experience_start moves E and returns D and the argument of
// the exponential; experience_end takes exp(argument) and finishes S.
struct ExperienceStart {
  double disconfirmation;  // D
  float exponent;          // -(bias + gain D + performance_gain (P - 0.5)), in single precision
};
inline ExperienceStart experience_start(const CustomerContext& c, std::uint32_t i, double P) {
  const Params& p = *c.p;
  const double E = c.expectation[i];
  const double D = P - E;
  c.expectation[i] = static_cast<float>(E + p.expectation_lambda * D);
  return {D, -static_cast<float>(p.satisfaction_bias + p.disconfirmation_gain * D +
                                 p.performance_gain * (P - 0.5))};
}
inline Experience experience_end(const CustomerContext& c, std::uint32_t i, double D, float exp_of_exponent) {
  const Params& p = *c.p;
  const double S = 1.0f / (1.0f + exp_of_exponent);
  if (p.people.enabled) {
    const float cumulative =
        cumulative_satisfaction(p.people, c.satisfaction[i], static_cast<float>(S), c.tenure[i] > 0);  // E5
    c.satisfaction[i] = cumulative;
    return {D, cumulative};
  }
  c.satisfaction[i] = static_cast<float>(S);
  return {D, S};
}
inline Experience experience(const CustomerContext& c, std::uint32_t i, double P) {
  const ExperienceStart s = experience_start(c, i, P);
  return experience_end(c, i, s.disconfirmation, std::exp(s.exponent));
}

}  // namespace missionsim::mech
