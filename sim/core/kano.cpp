#include "core/kano.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/mechanisms/needs.hpp"

namespace missionsim {

KanoAnswer kano_answer(double v) {
  if (v >= 0.25) return KanoAnswer::Like;
  if (v >= 0.1) return KanoAnswer::MustBe;
  if (v > -0.1) return KanoAnswer::Neutral;
  if (v > -0.25) return KanoAnswer::LiveWith;
  return KanoAnswer::Dislike;
}

KanoCategory kano_category(KanoAnswer f, KanoAnswer d) {
  using A = KanoAnswer;
  using C = KanoCategory;
  const bool f_mid = f == A::MustBe || f == A::Neutral || f == A::LiveWith;
  const bool d_mid = d == A::MustBe || d == A::Neutral || d == A::LiveWith;
  if (f == A::Like) return d == A::Like ? C::Q : (d == A::Dislike ? C::O : C::A);
  if (f_mid) return d == A::Like ? C::R : (d == A::Dislike ? C::M : C::I);
  // f == Dislike
  return d == A::Dislike ? C::Q : (d_mid || d == A::Like ? C::R : C::Q);
}

double KanoCounts::better() const {
  const auto n = a + o + m + i;
  return n ? static_cast<double>(a + o) / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

double KanoCounts::worse() const {
  const auto n = a + o + m + i;
  return n ? -static_cast<double>(o + m) / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

KanoPanel::KanoPanel(int respondents, int attributes, double noise, const Rng& rng)
    : respondents_(respondents),
      attributes_(attributes),
      eps_(static_cast<std::size_t>(respondents) * attributes * 2) {
  if (!(noise >= 0.0 && noise < 0.25)) throw std::invalid_argument("kano_noise must be in [0, 0.25)");
  // Uniform taste noise on (-noise, noise), counter (respondent, attribute). It
  // is bounded below the like/dislike threshold (0.25), so the felt value with
  // the attribute present (>= 0) never reads as "dislike" and without it (<= 0)
  // never as "like": no questionable or reverse answers, and each respondent's
  // class can only move A -> O or I -> M as maturity rises.
  for (int r = 0; r < respondents; ++r)
    for (int a = 0; a < attributes; ++a) {
      const auto w =
          rng.words(Purpose::Kano, static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(a), 0);
      const std::size_t k = (static_cast<std::size_t>(r) * attributes + a) * 2;
      eps_[k] = noise * (2.0 * Rng::unit(w[0]) - 1.0);
      eps_[k + 1] = noise * (2.0 * Rng::unit(w[1]) - 1.0);
    }
}

KanoCounts KanoPanel::survey(int attribute, double maturity, double beta, bool asymmetric) const {
  KanoCounts c;
  // Felt value with the attribute fully present (q = 1) and absent (q = 0), Eq. 15 (or B1).
  const double present = asymmetric ? beta * mech::kano_value(1.0, maturity, true) : beta * (1.0 - maturity);
  const double absent = asymmetric ? beta * mech::kano_value(0.0, maturity, true) : -beta * maturity;
  for (int r = 0; r < respondents_; ++r) {
    const std::size_t k = (static_cast<std::size_t>(r) * attributes_ + attribute) * 2;
    switch (kano_category(kano_answer(present + eps_[k]), kano_answer(absent + eps_[k + 1]))) {
      case KanoCategory::A:
        ++c.a;
        break;
      case KanoCategory::O:
        ++c.o;
        break;
      case KanoCategory::M:
        ++c.m;
        break;
      case KanoCategory::I:
        ++c.i;
        break;
      case KanoCategory::R:
        ++c.r;
        break;
      case KanoCategory::Q:
        ++c.q;
        break;
    }
  }
  return c;
}

}  // namespace missionsim
