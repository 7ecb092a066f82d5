#include <catch2/catch.hpp>
#include <cmath>

#include "core/kano.hpp"

using namespace missionsim;
using A = KanoAnswer;
using C = KanoCategory;

TEST_CASE("kano: the evaluation table of Berger et al. (1993)", "[kano]") {
  CHECK(kano_category(A::Like, A::Neutral) == C::A);
  CHECK(kano_category(A::Like, A::MustBe) == C::A);
  CHECK(kano_category(A::Like, A::LiveWith) == C::A);
  CHECK(kano_category(A::Like, A::Dislike) == C::O);
  CHECK(kano_category(A::Neutral, A::Dislike) == C::M);
  CHECK(kano_category(A::MustBe, A::Dislike) == C::M);
  CHECK(kano_category(A::Neutral, A::Neutral) == C::I);
  CHECK(kano_category(A::LiveWith, A::MustBe) == C::I);
  CHECK(kano_category(A::Like, A::Like) == C::Q);
  CHECK(kano_category(A::Dislike, A::Dislike) == C::Q);
  CHECK(kano_category(A::Neutral, A::Like) == C::R);
  CHECK(kano_category(A::Dislike, A::Neutral) == C::R);
  CHECK(kano_category(A::Dislike, A::Like) == C::R);
}

TEST_CASE("kano: answers follow the felt value", "[kano]") {
  CHECK(kano_answer(0.9) == A::Like);
  CHECK(kano_answer(0.3) == A::Like);
  CHECK(kano_answer(0.15) == A::MustBe);
  CHECK(kano_answer(0.0) == A::Neutral);
  CHECK(kano_answer(-0.3) == A::Dislike);
  CHECK(kano_answer(-0.15) == A::LiveWith);
  CHECK(kano_answer(-0.9) == A::Dislike);
}

TEST_CASE("kano: Better and Worse coefficients", "[kano]") {
  KanoCounts c;
  c.a = 30, c.o = 20, c.m = 40, c.i = 10, c.r = 5, c.q = 3;
  CHECK(c.better() == Approx(0.5));
  CHECK(c.worse() == Approx(-0.6));
  CHECK(std::isnan(KanoCounts{}.better()));
}

TEST_CASE("kano: as maturity rises an attribute migrates A -> O -> M and never back", "[kano]") {
  const KanoPanel panel(400, 2, 0.15, Rng(11));
  auto dominant = [](const KanoCounts& c) {
    C best = C::A;
    std::int64_t n = c.a;
    if (c.o > n) best = C::O, n = c.o;
    if (c.m > n) best = C::M, n = c.m;
    if (c.i > n) best = C::I, n = c.i;
    return best;
  };
  CHECK(dominant(panel.survey(0, 0.05, 1.0)) == C::A);
  CHECK(dominant(panel.survey(0, 0.5, 1.0)) == C::O);
  CHECK(dominant(panel.survey(0, 0.95, 1.0)) == C::M);
  double better = 2, worse = 1;
  int stage = 0;  // 0: A, 1: O, 2: M
  for (int k = 0; k <= 100; ++k) {
    const auto c = panel.survey(1, k / 100.0, 1.0);
    REQUIRE(c.better() <= better);  // common random numbers: monotone, not just on average
    REQUIRE(c.worse() <= worse);
    better = c.better();
    worse = c.worse();
    const C d = dominant(c);
    const int s = d == C::A ? 0 : d == C::O ? 1 : d == C::M ? 2 : stage;
    REQUIRE(s >= stage);
    stage = s;
  }
  CHECK(stage == 2);
  CHECK(better < 0.1);
  CHECK(worse < -0.9);
}
