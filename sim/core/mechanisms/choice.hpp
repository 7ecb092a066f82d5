// M6 reconsideration, choice and churn (docs/MODEL.md 7.6): experience value
// (Eq. 28), reconsideration hazard and exit (Eq. 29), utility (Eq. 30) and the
// multinomial logit choice (Eq. 31), which M1 adoption uses too.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/limits.hpp"
#include "core/mechanisms/customer_context.hpp"
#include "core/mechanisms/success_expectations.hpp"
#include "core/mechanisms/word_of_mouth.hpp"

namespace missionsim::mech {

// Eq. 28: experience value of this step, weighted by the era weight customers use.
inline double experience_value(double w_success, double satisfaction, double success) {
  return (1 - w_success) * satisfaction + w_success * success;
}

// Eq. 30: utility of firm g for customer i; the incumbent f0 is judged by experience (when
// incumbent_by_experience) and gets the switching cost.
inline double utility(const CustomerContext& c, std::uint32_t i, std::uint16_t g, std::uint16_t f0, double ps,
                      double vw) {
  const double w = success_weight_of(c, i);  // Eq. C4 (c.w_success when part C is off)
  double sat, succ;
  if (g == f0 && c.p->incumbent_by_experience) {
    sat = c.satisfaction[i];
    succ = c.success[i];
  } else {
    sat = c.off[g].pub_sat;
    succ = c.off[g].pub_succ;
  }
  double u = (1 - w) * sat + w * succ + vw * c.off[g].values - ps * c.off[g].price +
             c.p->reputation_weight * reputation_of(c, i, g);
  if (g == f0) u += c.p->switching_cost;
  return u;
}

// Eq. A2: with the outside option, customer i does not buy a firm priced above its segment's
// reservation price.
inline bool affordable(const CustomerContext& c, std::uint32_t i, std::uint16_t g) {
  return c.off[g].price <= c.seg_wtp[c.traits[i] & draw::kSegmentMask];
}

// Eq. S6: whether customer i belongs to a segment of nonprofit clients (society.nonprofit_clients).
inline bool is_client(const CustomerContext& c, std::uint32_t i) {
  return c.seg_client && c.seg_client[c.traits[i] & draw::kSegmentMask];
}

// Eq. S6: with society.nonprofit_clients a grant-funded firm is open only to its client segment; a
// paying customer cannot choose it, whatever its price.
inline bool open_to(const CustomerContext& c, std::uint32_t i, std::uint16_t g) {
  return !c.off[g].clients_only || is_client(c, i);
}

// Whether firm g is in customer i's choice set: affordable with the outside option (Eq. A2) and open to
// i (Eq. S6).
inline bool available(const CustomerContext& c, std::uint32_t i, std::uint16_t g, bool out) {
  return (!out || affordable(c, i, g)) && open_to(c, i, g);
}

// Eq. 31: multinomial logit draw (uniform u) over the firms i considers (all live firms with full
// awareness), plus the incumbent f0 when it has one, less the firms not open to i, plus for a nonprofit
// client every live grant-funded firm (Eq. S6). kNoFirm when i knows no live firm. With
// demand.outside_option (Eq. A1-A2) the choice set also holds "buy nothing" with utility u0 and loses
// the firms i cannot afford; choosing it returns kNoFirm and sets *outside.
// choose_definition is Eq. 31 as written, for every configuration; choose takes choose_considered for the
// configurations it covers.
inline std::uint16_t choose_definition(const CustomerContext& c, std::uint32_t i, std::uint16_t f0, double ps,
                                       double vw, double u, bool* outside = nullptr) {
  const double mu = c.p->logit_scale;
  std::uint16_t opts[kMaxConsideration + 1];
  int m = 0;
  const std::uint16_t* cand;
  int nc;
  if (c.p->full_awareness) {
    cand = c.live;
    nc = static_cast<int>(c.n_live);
  } else {
    const std::uint16_t* slots = c.consider + static_cast<std::size_t>(i) * c.K;
    for (int k = 0; k < c.K; ++k)
      if (slots[k] != kNoFirm && c.off[slots[k]].alive && slots[k] != f0) opts[m++] = slots[k];
    if (f0 != kNoFirm && c.off[f0].alive) opts[m++] = f0;
    cand = opts;
    nc = m;
  }
  // Eq. S6: a nonprofit client also knows every live grant-funded firm (referral, a non-price channel).
  const std::uint16_t* ref = nullptr;
  int nr = 0;
  if (c.n_referral > 0 && !c.p->full_awareness && is_client(c, i)) {
    ref = c.referral;
    nr = static_cast<int>(c.n_referral);
  }
  auto referred = [&](int r) {  // referral r is not already a candidate
    for (int k = 0; k < nc; ++k)
      if (cand[k] == ref[r]) return false;
    return true;
  };
  if (nc == 0 && nr == 0) return kNoFirm;
  const bool out = c.p->outside_option;
  const double u0 = c.p->outside_utility;
  // Each option's utility is computed once and then replaced by its exp term, which the sum and the
  // cumulative draw both read: the same values as computing them in each pass, half the exp calls.
  double term[2 * kMaxFirmSlots];  // candidates [0, nc), then referrals [nc, nc + nr)
  double umax = out ? u0 : -std::numeric_limits<double>::infinity();
  for (int k = 0; k < nc; ++k)
    if (available(c, i, cand[k], out)) umax = std::max(umax, term[k] = utility(c, i, cand[k], f0, ps, vw));
  for (int r = 0; r < nr; ++r)
    if (referred(r) && available(c, i, ref[r], out))
      umax = std::max(umax, term[nc + r] = utility(c, i, ref[r], f0, ps, vw));
  double sum = 0;
  for (int k = 0; k < nc; ++k)
    if (available(c, i, cand[k], out)) sum += term[k] = std::exp((term[k] - umax) / mu);
  for (int r = 0; r < nr; ++r)
    if (referred(r) && available(c, i, ref[r], out))
      sum += term[nc + r] = std::exp((term[nc + r] - umax) / mu);
  if (out) sum += std::exp((u0 - umax) / mu);  // Eq. A1
  double target = u * sum, cum = 0;
  for (int k = 0; k < nc; ++k) {
    if (!available(c, i, cand[k], out)) continue;
    cum += term[k];
    if (target < cum) return cand[k];
  }
  for (int r = 0; r < nr; ++r) {
    if (!referred(r) || !available(c, i, ref[r], out)) continue;
    cum += term[nc + r];
    if (target < cum) return ref[r];
  }
  if (out) {
    if (outside) *outside = true;
    return kNoFirm;
  }
  return nc > 0 ? cand[nc - 1] : ref[nr - 1];
}

// Whether choose_considered gives choose_definition's answer in this context: a consideration set
// (no full awareness), no outside option (Eq. A1-A2) and no nonprofit clients (Eq. S6: no referrals, and
// no offer is for clients only, so every firm is open to every customer).
inline bool considered_choice(const CustomerContext& c) {
  return !c.p->full_awareness && !c.p->outside_option && !c.p->nonprofit_clients;
}

// choose_definition where considered_choice(c) holds, with the same operations on the same values in the
// same order, so the same firm for every input, but with selects where the definition branches on the
// data: which slots are live candidates, the incumbent's own experience and switching cost, the slot of
// a firm's reputation (the first that holds it) and the place of the draw in the cumulative sum (the
// first partial sum above it, found from a mask). Those branches went each way by chance, and the CPU
// guessed them wrong (callgrind's branch simulation: some ten per call).
inline std::uint16_t choose_considered(const CustomerContext& c, std::uint32_t i, std::uint16_t f0, double ps,
                                       double vw, double u) {
  const double mu = c.p->logit_scale;
  const std::uint32_t nf = c.n_firms;
  const std::uint16_t* slots = c.consider + static_cast<std::size_t>(i) * c.K;
  const std::int8_t* rep = c.reputation + static_cast<std::size_t>(i) * c.K;
  auto live = [&](std::uint16_t g) { return (g < nf) & c.off[g < nf ? g : 0].alive; };
  std::uint16_t opts[kMaxConsideration + 1];
  int m = 0;
  for (int k = 0; k < c.K; ++k) {
    const std::uint16_t g = slots[k];
    opts[m] = g;
    m += live(g) & (g != f0);
  }
  opts[m] = f0;
  m += live(f0);
  if (m == 0) return kNoFirm;
  const double w = success_weight_of(c, i);  // Eq. C4 (c.w_success when part C is off)
  const bool by_experience = c.p->incumbent_by_experience;
  const double own_sat = c.satisfaction[i], own_succ = c.success[i];
  double term[kMaxConsideration + 1];
  double umax = -std::numeric_limits<double>::infinity();
  for (int k = 0; k < m; ++k) {  // utility (Eq. 30), as utility() computes it
    const std::uint16_t g = opts[k];
    const Offer& o = c.off[g];
    const bool incumbent = g == f0;
    const bool own = incumbent & by_experience;
    const double sat = own ? own_sat : o.pub_sat;
    const double succ = own ? own_succ : o.pub_succ;
    double r = 0.0;  // reputation_of: the first slot holding g
    for (int s = c.K - 1; s >= 0; --s) r = slots[s] == g ? rep[s] / kRepUnit : r;
    double v = (1 - w) * sat + w * succ + vw * o.values - ps * o.price + c.p->reputation_weight * r;
    const double with_cost = v + c.p->switching_cost;
    v = incumbent ? with_cost : v;
    term[k] = v;
    umax = std::max(umax, v);
  }
  double sum = 0;
  for (int k = 0; k < m; ++k) sum += term[k] = std::exp((term[k] - umax) / mu);
  const double target = u * sum;
  double cum = 0;
  std::uint32_t above = 0;  // bit k: target < the partial sum through option k
  for (int k = 0; k < m; ++k) {
    cum += term[k];
    above |= static_cast<std::uint32_t>(target < cum) << k;
  }
  return opts[above != 0 ? std::countr_zero(above) : m - 1];
}

inline std::uint16_t choose(const CustomerContext& c, std::uint32_t i, std::uint16_t f0, double ps, double vw,
                            double u, bool* outside = nullptr) {
  if (considered_choice(c)) return choose_considered(c, i, f0, ps, vw, u);
  return choose_definition(c, i, f0, ps, vw, u, outside);
}

// Eq. 29-31: an adopter of f0 with experience value x reconsiders with hazard
// churn_base + churn_dissatisfaction (1 - x) (both 0 when M6 is off); then exits the category with
// probability exit_share or chooses again. Returns the firm after this step (kNoFirm: exit).
// In two parts: reconsiders is the hazard test on the hazard word, reconsider_choice what follows it.
inline bool reconsiders(const CustomerContext& c, double x, std::uint32_t hazard_word) {
  const double hazard = c.p->churn_base + c.p->churn_dissatisfaction * (1.0 - x);
  return Rng::unit(hazard_word) < hazard;
}
inline std::uint16_t reconsider_choice(const CustomerContext& c, std::uint32_t i, std::uint16_t f0, double ps,
                                       double vw, CustomerDraws& d, bool* outside = nullptr) {
  if (Rng::unit(d[draw::kExit]) < c.p->exit_share) return kNoFirm;
  return choose(c, i, f0, ps, vw, Rng::unit(d[draw::kChoice]), outside);
}
inline std::uint16_t reconsider(const CustomerContext& c, std::uint32_t i, std::uint16_t f0, double x,
                                double ps, double vw, CustomerDraws& d, bool* outside = nullptr) {
  if (!reconsiders(c, x, d[draw::kHazard])) return f0;
  return reconsider_choice(c, i, f0, ps, vw, d, outside);
}

}  // namespace missionsim::mech
