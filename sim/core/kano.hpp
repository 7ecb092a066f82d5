// The virtual Kano questionnaire (Kano et al. 1984; Berger et al. 1993):
// answers drawn from the model's Kano value function, classified with Kano's
// evaluation table, summarised as Better and Worse coefficients.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.hpp"

namespace missionsim {

// Answer to "how would you feel if the product had / did not have it?".
enum class KanoAnswer : std::uint8_t { Like, MustBe, Neutral, LiveWith, Dislike };
// Evaluation categories: attractive, one-dimensional, must-be, indifferent, reverse, questionable.
enum class KanoCategory : std::uint8_t { A, O, M, I, R, Q };

// Eq. K2: the answer a respondent gives for a felt value v.
KanoAnswer kano_answer(double v);
// Eq. K3: Kano's evaluation table, functional row by dysfunctional column.
KanoCategory kano_category(KanoAnswer functional, KanoAnswer dysfunctional);

struct KanoCounts {
  std::int64_t a = 0, o = 0, m = 0, i = 0, r = 0, q = 0;
  double better() const;  // (A+O)/(A+O+M+I), NaN when the denominator is 0
  double worse() const;   // -(O+M)/(A+O+M+I)
};

// A fixed panel of respondents: each has its own taste noise per attribute,
// drawn once, so that answers move only when maturity moves (common random
// numbers keep the migration A -> O -> M monotone).
class KanoPanel {
 public:
  KanoPanel(int respondents, int attributes, double noise, const Rng& rng);
  // Eq. K1: answers for an attribute of weight beta at maturity m; with `asymmetric` the felt values
  // come from the asymmetric Kano value (Eq. B1) instead of Eq. 15.
  KanoCounts survey(int attribute, double maturity, double beta, bool asymmetric = false) const;
  int respondents() const { return respondents_; }

 private:
  int respondents_, attributes_;
  std::vector<double> eps_;  // [respondents][attributes][2]: functional, dysfunctional
};

}  // namespace missionsim
