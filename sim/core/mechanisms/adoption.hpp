// M1 Bass adoption (docs/MODEL.md 7.1): marketing reach (Eq. 10), effective
// innovation (Eq. 11), awareness through marketing (Eq. 12), the adoption
// hazard from innovation and imitation of adopted neighbours (Eq. 13) and the
// first choice (Eq. 14).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "core/mechanisms/choice.hpp"
#include "core/mechanisms/customer_context.hpp"
#include "core/mechanisms/wom_content.hpp"
#include "core/mechanisms/word_of_mouth.hpp"

namespace missionsim::mech {

// Eq. 10: reach of a marketing spend over n customers at contact_cost per contact.
inline double marketing_reach(double marketing, std::uint32_t n, double contact_cost) {
  return 1.0 - std::exp(-marketing / (static_cast<double>(n) * contact_cost));
}

// Eq. 11: effective innovation coefficient (bass_p is 0 when M1 is off).
inline double effective_innovation(const Params& p, double reach_sum) {
  return p.bass_p * (1.0 + p.marketing_lift * std::min(1.0, reach_sum));
}

// Eq. 12 for one awareness word: the firm at u * max(1, total reach) on the cumulative reach when that
// is below the total reach (probability min(1, total reach), in proportion to reach), else kNoFirm;
// the firm may be dead.
inline std::uint16_t marketing_contact(const CustomerContext& c, std::uint32_t word) {
  if (!(c.reach_total > 0)) return kNoFirm;
  const double u = Rng::unit(word);
  const double scale = std::max(1.0, c.reach_total);
  if (!(u * scale < c.reach_total)) return kNoFirm;
  return firm_at_reach(c, u * scale);
}

// Eq. 12: the live firm marketing makes known with this word, or kNoFirm.
inline std::uint16_t noticed_firm(const CustomerContext& c, std::uint32_t word) {
  const std::uint16_t g = marketing_contact(c, word);
  return g != kNoFirm && c.off[g].alive ? g : kNoFirm;
}

// Eq. 12 for one awareness word as noticed_firm gives it, through the step's table (AdoptionTables)
// when the context has one: a word whose bucket has one outcome costs one load.
inline std::uint16_t marketing_notice(const CustomerContext& c, std::uint32_t word) {
  const std::uint16_t g = c.awareness ? c.awareness[word >> (32 - kAwarenessBits)] : kAwarenessMixed;
  return g == kAwarenessMixed ? noticed_firm(c, word) : g;
}

// Eq. 12: marketing makes a firm known, with probability min(1, total reach) and in proportion to reach.
inline void notice_marketing(const CustomerContext& c, std::uint32_t i, const CustomerDraws& d) {
  const std::uint16_t g = marketing_notice(c, d[draw::kAwareness]);
  if (g != kNoFirm) hear(c, i, g, 0);
}

// Eq. 13: the share of adopted neighbours (the market share on a complete network).
inline double adopted_fraction(const CustomerContext& c, std::uint32_t i, std::uint32_t degree) {
  if (c.net->complete()) return c.adopted_share_complete;
  if (degree > 0) return static_cast<double>(c.adopted_neighbours[i]) / degree;
  return 0.0;
}

// Eq. A4: the first firm of an adopter who knows none when marketing is continuous: by reach with
// probability min(1, total reach) (as Eq. 12), else uniformly among live firms; a negligible reach
// decides nothing.
inline std::uint16_t first_firm_continuous(const CustomerContext& c, double u, CustomerDraws& d) {
  const double scale = std::max(1.0, c.reach_total);
  if (c.reach_total > 0 && u * scale < c.reach_total) {
    const std::uint16_t g = firm_at_reach(c, u * scale);
    if (c.off[g].alive) return g;
  }
  return c.live[Rng::index(d[draw::kUniformFirm], c.n_live)];
}

// Eq. A3: with the outside option, an adopter who knows no firm buys the firm it came upon only with
// the binary logit probability of that firm against buying nothing (and only if it can afford it and the
// firm is open to it, Eq. S6).
inline bool buys_first(const CustomerContext& c, std::uint32_t i, std::uint16_t g, double ps, double vw,
                       const CustomerDraws& d) {
  if (!affordable(c, i, g) || !open_to(c, i, g)) return false;  // Eq. A2, S6
  const double z = (c.p->outside_utility - utility(c, i, g, kNoFirm, ps, vw)) / c.p->logit_scale;
  return Rng::unit(d[draw::kOutsideFirst]) * (1.0 + std::exp(z)) < 1.0;
}

// Whether non-adopter i gets past adopt's hazard test (Eq. 13, C5-C6) with this hazard word: adopt returns
// kNoFirm, and changes nothing, for every customer for whom this is false. Without a branch on the
// outcome, so that a caller can find the few of a run that pass before adopting them.
inline bool passes_hazard(const CustomerContext& c, std::uint32_t i, std::uint32_t degree, std::uint32_t word,
                          int heard) {
  const double h = hazard_after_word_of_mouth(c.p->wom_content,
                                              c.p_eff + c.p->bass_q * adopted_fraction(c, i, degree), heard);
  const bool reachable = (heard != 0) | c.adoption_ceiling(word);
  return (c.n_live != 0) & reachable & (Rng::unit(word) < h);
}

// Eq. 13-14: a non-adopter adopts with hazard p_eff + q * fraction; it chooses among the firms it
// knows (Eq. 31), else by marketing reach, else uniformly among live firms. Returns kNoFirm or the firm.
// heard: what i heard in this step's conversation (+1 referral, -1 warning), for Eq. C5-C6.
// With demand.outside_option it may buy nothing (Eq. A1-A3; *outside is set), with
// demand.continuous_marketing the fallback is Eq. A4.
inline std::uint16_t adopt(const CustomerContext& c, std::uint32_t i, std::uint32_t degree, double ps,
                           double vw, CustomerDraws& d, int heard = 0, bool* outside = nullptr) {
  if (c.n_live == 0) return kNoFirm;
  if (heard == 0 && !c.adoption_ceiling(d[draw::kHazard])) return kNoFirm;  // above any h: as below
  const double h = hazard_after_word_of_mouth(c.p->wom_content,
                                              c.p_eff + c.p->bass_q * adopted_fraction(c, i, degree), heard);
  if (!(Rng::unit(d[draw::kHazard]) < h)) return kNoFirm;
  const double u = Rng::unit(d[draw::kChoice]);
  bool out = false;
  std::uint16_t f1 = choose(c, i, kNoFirm, ps, vw, u, &out);
  if (out) {
    if (outside) *outside = true;
    return kNoFirm;
  }
  if (f1 == kNoFirm) {
    if (c.p->continuous_marketing) {
      f1 = first_firm_continuous(c, u, d);
    } else if (c.reach_total > 0) {
      f1 = firm_at_reach(c, u * c.reach_total);
      if (!c.off[f1].alive) f1 = c.live[Rng::index(d[draw::kUniformFirm], c.n_live)];
    } else {
      f1 = c.live[Rng::index(d[draw::kUniformFirm], c.n_live)];
    }
    if (c.p->outside_option && !buys_first(c, i, f1, ps, vw, d)) {
      if (outside) *outside = true;
      return kNoFirm;
    }
  }
  hear(c, i, f1, 0);
  c.tenure[i] = 0;
  return f1;
}

// What the customer pass computes once per step so that most customers skip Eq. 12-13's arithmetic;
// attach() points a context at them. Both give exactly the outcomes of the definitions above:
// - awareness: per bucket of 2^(32 - kAwarenessBits) words kAwareness, the outcome of Eq. 12 when the
//   whole bucket shares it, else kAwarenessMixed (the word is then worked out). u * scale is
//   non-decreasing in the word and so is the firm at it on a non-decreasing cumulative reach, so the
//   contact (kNoFirm past the total reach) is the same for the whole bucket when it is the same at its
//   two ends; with a cumulative reach that is not non-decreasing (or NaN) there is no table.
// - adoption ceiling: the hazard p_eff + q f of Eq. 13 with 0 <= f <= 1 (f = adopted neighbours over
//   degree, or adopters over customers on a complete network) is at most max(p_eff, p_eff + q) in
//   floating point too (rounding is monotone; the adopted neighbours are counted over i's own row, so
//   never more than its degree), so a hazard word not below that does not adopt. It
//   serves customers who heard nothing (Eq. C5-C6 move h), and only for finite p_eff and q.
class AdoptionTables {
 public:
  void attach(CustomerContext& c) {
    c.awareness = nullptr;
    c.adoption_ceiling = Chance::always();
    const double lo = c.p_eff + c.p->bass_q * 0.0, hi = c.p_eff + c.p->bass_q * 1.0;
    if (std::isfinite(lo) && std::isfinite(hi)) c.adoption_ceiling = Chance(std::max(lo, hi));
    for (std::uint32_t f = 1; f < c.n_firms; ++f)
      if (!(c.reach_cum[f - 1] <= c.reach_cum[f])) return;
    if (c.n_firms > 0 && std::isnan(c.reach_cum[0])) return;
    constexpr int kShift = 32 - kAwarenessBits;
    for (std::uint32_t b = 0; b < awareness_.size(); ++b) {
      const std::uint32_t first = b << kShift, last = first | ((std::uint32_t{1} << kShift) - 1);
      const std::uint16_t g = marketing_contact(c, first);
      awareness_[b] = g != marketing_contact(c, last)  ? kAwarenessMixed
                      : g != kNoFirm && c.off[g].alive ? g
                                                       : kNoFirm;
    }
    c.awareness = awareness_.data();
  }

 private:
  std::array<std::uint16_t, std::size_t{1} << kAwarenessBits> awareness_;
};

}  // namespace missionsim::mech
