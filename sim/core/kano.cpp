#include "core/kano.hpp"

#include <cmath>
#include <limits>

namespace missionsim {

KanoAnswer kano_answer(double v) {
  if (v >= 0.5) return KanoAnswer::Like;
  if (v >= 0.2) return KanoAnswer::MustBe;
  if (v > -0.2) return KanoAnswer::Neutral;
  if (v > -0.5) return KanoAnswer::LiveWith;
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
    : respondents_(respondents), attributes_(attributes),
      eps_(static_cast<std::size_t>(respondents) * attributes * 2) {
  // Box-Muller normals from the counter-based generator, counter (respondent, attribute).
  for (int r = 0; r < respondents; ++r)
    for (int a = 0; a < attributes; ++a) {
      const auto w = rng.words(Purpose::Kano, static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(a), 0);
      const double radius = std::sqrt(-2.0 * std::log(Rng::unit(w[0])));
      const double angle = 2.0 * M_PI * Rng::unit(w[1]);
      const std::size_t k = (static_cast<std::size_t>(r) * attributes + a) * 2;
      eps_[k] = noise * radius * std::cos(angle);
      eps_[k + 1] = noise * radius * std::sin(angle);
    }
}

KanoCounts KanoPanel::survey(int attribute, double maturity, double beta) const {
  KanoCounts c;
  // Felt value with the attribute fully present (q = 1) and absent (q = 0), Eq. 15.
  const double present = beta * (1.0 - maturity);
  const double absent = -beta * maturity;
  for (int r = 0; r < respondents_; ++r) {
    const std::size_t k = (static_cast<std::size_t>(r) * attributes_ + attribute) * 2;
    switch (kano_category(kano_answer(present + eps_[k]), kano_answer(absent + eps_[k + 1]))) {
      case KanoCategory::A: ++c.a; break;
      case KanoCategory::O: ++c.o; break;
      case KanoCategory::M: ++c.m; break;
      case KanoCategory::I: ++c.i; break;
      case KanoCategory::R: ++c.r; break;
      case KanoCategory::Q: ++c.q; break;
    }
  }
  return c;
}

}  // namespace missionsim
