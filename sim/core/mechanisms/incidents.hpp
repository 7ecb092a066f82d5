// Service failures (critical incidents) and their recovery (docs/MODEL.md 7.26, Eq. F1-F2): in a step a
// served customer meets a failure with a small probability; the failure takes a share of the customer's
// satisfaction, of which the firm's service quality recovers a part. With cumulative satisfaction (Eq. E5)
// the loss stays in the stock and fades over the following steps.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/draws.hpp"
#include "core/mechanisms/customer_context.hpp"
#include "core/mechanisms/experience.hpp"
#include "core/params.hpp"
#include "core/rng.hpp"
#include "core/state.hpp"

namespace missionsim::mech {

// Eq. F2: the share of satisfaction a failure takes at a firm of service quality g (clipped to [0, 1]):
// severity (1 - recovery g). No recovery paradox: the loss is never negative.
inline double incident_loss(const Incidents& in, double service) {
  return in.severity * (1.0 - in.recovery * std::clamp(service, 0.0, 1.0));
}

// Eq. F1: customer i meets a service failure in this step (Purpose::Customer block 13, word 0).
inline bool incident_drawn(const Rng& rng, const Incidents& in, std::uint32_t i, std::uint32_t step) {
  const auto w = rng.words(Purpose::Customer, i, step, draw::kCustomerBlockIncident);
  return Rng::unit(w[draw::kIncident]) < in.rate;
}

// Eq. F1-F2 for customer i served by the firm of offer o, after Eq. 20-21 (and E5): a failure lowers the
// satisfaction just computed, and the stored one, to (1 - loss) of it (single precision like Eq. 21). Call
// only with incidents.enabled. Returns whether the customer met a failure.
inline bool service_incident(const CustomerContext& c, std::uint32_t i, const Offer& o, Experience& e) {
  const Incidents& in = c.p->incidents;
  if (!incident_drawn(*c.rng, in, i, c.step)) return false;
  const float s = static_cast<float>(e.satisfaction * (1.0 - incident_loss(in, o.service)));
  c.satisfaction[i] = s;
  e.satisfaction = s;
  return true;
}

}  // namespace missionsim::mech
