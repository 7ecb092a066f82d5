// [people] engagement that is paid for (docs/MODEL.md 7.24, Eq. E1-E6): people investment is money
// spent per customer served, purpose multiplies its effect, metric pressure raises output now and erodes
// engagement, and engagement reaches satisfaction through two lagged stocks (service quality and the
// customer's cumulative satisfaction). Off (the default): Eq. 48, 19, 21 and 38 of v1.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/mechanisms/shared.hpp"
#include "core/params.hpp"

namespace missionsim::mech {

// Eq. E1: people investment intensity, the saturating effect (Eq. 9) of the people money per customer
// served: the service share of the investment budget plus the strategy's people spend per customer.
inline double people_intensity(const Params& p, const StrategyParams& sp, double service_budget,
                               std::int64_t served) {
  return effect(service_budget + sp.people_investment * static_cast<double>(served), served, p.spend_scale);
}

// Eq. E2: engagement target. Purpose multiplies the effect of the investment; on its own it adds at most
// purpose_alone. Metric pressure crowds out the purpose multiplier and lowers the target directly.
inline double people_engagement_target(const People& pe, const StrategyParams& sp, double intensity) {
  const double crowd = std::max(0.0, 1.0 - pe.crowding_out * sp.metric_pressure);
  return std::clamp(
      0.5 + pe.investment_gain * intensity * (1.0 + pe.purpose_multiplier * sp.purpose * crowd) +
          pe.purpose_alone * sp.purpose - pe.pressure_erosion * sp.metric_pressure - 0.3 * sp.cost_cutting,
      0.0, 1.0);
}

// Eq. E3: service quality, a stock that follows engagement at quality_rate per step.
inline double service_quality(const People& pe, double quality, double engagement) {
  return quality + pe.quality_rate * (engagement - quality);
}

// Eq. E4: base serving cost per customer: engagement saves as in Eq. 38 and metric pressure raises output
// per employee at once (less cost per customer served), floored at 0.
inline double people_base_unit_cost(const Params& p, double engagement, double metric_pressure) {
  return p.serve_cost * std::max(0.0, 1.0 - p.engagement_productivity * engagement -
                                          p.people.pressure_output * metric_pressure);
}

// Eq. E5: a continuing customer's satisfaction moves toward this step's judgement at satisfaction_rate
// (cumulative satisfaction); a customer new to the firm holds the judgement itself. Single precision like
// Eq. 21.
inline float cumulative_satisfaction(const People& pe, float previous, float judgement, bool continuing) {
  if (!continuing) return judgement;
  return previous + static_cast<float>(pe.satisfaction_rate) * (judgement - previous);
}

// Eq. E6: the people cost of a step, the people spend per customer of every customer served [money].
inline double people_cost(const StrategyParams& sp, std::int64_t customers) {
  return sp.people_investment * static_cast<double>(customers);
}

}  // namespace missionsim::mech
