// Harm that costs the firm through its stakeholders (docs/MODEL.md 7.22, Eq. H1-H2): kernels on
// hand-built firms.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/mechanisms/economics.hpp"
#include "core/mechanisms/social.hpp"

using namespace missionsim;

TEST_CASE("harm_cost off: values score keeps the v1 clamp and no societal cost", "[harm]") {
  Params p;
  Firm f;
  f.customers = 10;
  f.harm = 1e6;
  CHECK(mech::values_score(p, f) == -5.0);
  CHECK(mech::societal_harm_cost(p.harm_cost, f.harm) == 0.0);
}

TEST_CASE("harm_cost on: values penalty grows without a clamp, concave (Eq. H1)", "[harm]") {
  Params p;
  p.harm_cost.enabled = true;
  p.harm_cost.values_penalty = 1.0;
  p.harm_cost.values_scale = 1.0;
  Firm f;
  f.customers = 10;
  double prev = mech::values_score(p, f);
  CHECK(prev == 0.0);
  // Harm per customer 1, 10, 100, ..., 1e6: every tenfold harm lowers the score further (no clamp), by
  // at most ln 10 (far less than the tenfold a linear penalty would add).
  for (double h = 1; h <= 1e6; h *= 10) {
    f.harm = 10 * h;
    const double v = mech::values_score(p, f);
    CHECK(v == Approx(-std::log1p(h)));
    CHECK(v < prev);
    if (h > 1) CHECK(prev - v <= std::log(10.0) + 1e-12);
    prev = v;
  }
  CHECK(prev < -5.0);  // below the v1 clamp
  // Concave: equal increments of harm cost less and less, but never nothing.
  double last_drop = INFINITY;
  for (double h = 0; h < 1000; h += 100) {
    const double drop =
        mech::harm_values_penalty(p.harm_cost, h + 100) - mech::harm_values_penalty(p.harm_cost, h);
    CHECK(drop > 0);
    CHECK(drop < last_drop);
    last_drop = drop;
  }
  // Impact still counts, clamped as in v1.
  f.harm = 0;
  f.impact = 1e6;
  CHECK(mech::values_score(p, f) == 5.0);
}

TEST_CASE("harm_cost on: society charges the harm stock in money each step (Eq. H2)", "[harm]") {
  Params p;
  p.harm_cost.enabled = true;
  p.harm_cost.cost_per_harm = 0.5;
  CHECK(mech::societal_harm_cost(p.harm_cost, 300) == 150.0);
  CHECK(mech::societal_harm_cost(p.harm_cost, 3e6) == 1.5e6);  // proportional, no saturation
  Firm a, b;
  a.name = b.name = "acme";
  const mech::StepMoney clean{10.0, 50, 0.0, 2.0, 40.0, 0.0, 0.0, 0.0};
  const mech::StepMoney harming{10.0, 50, 0.0, 2.0, 40.0, 0.0, 0.0, 150.0};
  mech::settle_money(a, p, clean, 1);
  mech::settle_money(b, p, harming, 1);
  CHECK(b.costs_c - a.costs_c == 15000);
  CHECK(a.cash_c - b.cash_c == 15000);
}
