// Word of mouth that drives adoption (model v2 part C, docs/MODEL.md 7.18, Eq. C5-C6). A referral heard
// in this step's conversation (Eq. 33-34) raises a non-adopter's adoption probability by a share of
// the headroom left, as an extra independent contact does in Goldenberg, Libai & Muller (2001); a
// warning lowers it by a share of what there was, measured on the proportional scale of East et al.'s
// impact of word of mouth on purchase probability. With the switch off the hazard is Bass's (Eq. 13).
#pragma once

#include <algorithm>

#include "core/params.hpp"

namespace missionsim::mech {

// Eq. C5-C6: the adoption hazard h after what customer i heard this step (heard: +1 referral,
// -1 warning, 0 nothing); unchanged when [wom_content] is off.
inline double hazard_after_word_of_mouth(const WomContent& wc, double h, int heard) {
  if (!wc.enabled || heard == 0) return h;
  if (heard > 0) return h + wc.referral_lift * (1.0 - h);                                  // Eq. C5
  if (wc.negative) return h * (1.0 - std::min(1.0, wc.warning_ratio * wc.referral_lift));  // Eq. C6
  return h;
}

}  // namespace missionsim::mech
