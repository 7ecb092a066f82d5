// Part B of model v2 (docs/MODEL.md 7.19): asymmetric Kano value (Eq. B1),
// heterogeneous needs (Eq. B2-B4) and NPS as a distribution property.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/kano.hpp"
#include "core/mechanisms/kano_lifecycle.hpp"
#include "core/mechanisms/needs.hpp"
#include "core/simulation.hpp"
#include "sim_helpers.hpp"

using namespace missionsim;

namespace {

// Satisfaction premium of a capability lead d over a firm at the expected level (q = m).
double lead_premium(double m, double d, bool asymmetric) {
  return mech::kano_value(m + d, m, asymmetric) - mech::kano_value(m, m, asymmetric);
}
double deficit_cost(double m, double d, bool asymmetric) {
  return mech::kano_value(m, m, asymmetric) - mech::kano_value(m - d, m, asymmetric);
}

}  // namespace

TEST_CASE("needs: a fixed capability lead earns less and a deficit costs more as maturity rises (Eq. B1)",
          "[needs]") {
  const double d = 0.08;
  const double p1 = lead_premium(0.1, d, true), p5 = lead_premium(0.5, d, true),
               p9 = lead_premium(0.9, d, true);
  CHECK(p1 > p5);
  CHECK(p5 > p9);
  CHECK(p9 > 0);  // a lead still earns something at m = 0.9
  CHECK(p1 == Approx(1.8 * d));
  CHECK(p9 == Approx(0.2 * d));
  const double c1 = deficit_cost(0.1, d, true), c5 = deficit_cost(0.5, d, true),
               c9 = deficit_cost(0.9, d, true);
  CHECK(c1 < c5);
  CHECK(c5 < c9);
  // At m = 0.5 the asymmetric value is the linear one (one-dimensional).
  for (double q : {0.0, 0.2, 0.5, 0.7, 1.0})
    CHECK(mech::kano_value(q, 0.5, true) == Approx(mech::kano_value(q, 0.5, false)));
  // The linear value (Eq. 15, v1) gives the same premium at every maturity: the defect Eq. B1 removes.
  CHECK(lead_premium(0.1, d, false) == Approx(lead_premium(0.9, d, false)));
  // Clipped to [-1, 1].
  CHECK(mech::kano_value(1.0, 0.0, true) == 1.0);
  CHECK(mech::kano_value(0.0, 1.0, true) == -1.0);
}

TEST_CASE("needs: the product value of a leading firm shrinks relative to a firm at par as maturity rises",
          "[needs]") {
  const std::vector<std::uint8_t> offered{1, 1};
  auto premium = [&](double m) {
    const std::vector<double> mat{m, m};
    const auto lead = mech::product_value({m + 0.1, m + 0.1}, offered, mat, 2, 1.0, true);
    const auto par = mech::product_value({m, m}, offered, mat, 2, 1.0, true);
    return lead.product - par.product;
  };
  CHECK(premium(0.1) > premium(0.5));
  CHECK(premium(0.5) > premium(0.9));
  // Off: the linear value, bit for bit the v1 expression.
  const std::vector<double> q{0.3, 0.8}, mat{0.4, 0.7};
  const auto v1 = mech::product_value(q, offered, mat, 2, 1.0);
  const double expect =
      0.5 * (1.0 + (((1 - 0.4) * 0.3 - 0.4 * (1 - 0.3)) + ((1 - 0.7) * 0.8 - 0.7 * (1 - 0.8))) / 2);
  CHECK(v1.product == expect);
}

TEST_CASE("needs: the virtual questionnaire still migrates A -> O -> M with the asymmetric value",
          "[needs][kano]") {
  const KanoPanel panel(400, 1, 0.15, Rng(11));
  double better = 2, worse = 1;
  for (int k = 0; k <= 100; ++k) {
    const auto c = panel.survey(0, k / 100.0, 1.0, true);
    REQUIRE(c.better() <= better);
    REQUIRE(c.worse() <= worse);
    better = c.better();
    worse = c.worse();
  }
  const auto a = panel.survey(0, 0.1, 1.0, true), o = panel.survey(0, 0.5, 1.0, true),
             m = panel.survey(0, 0.9, 1.0, true);
  CHECK(a.a > a.o + a.m + a.i);
  CHECK(o.o > o.a + o.m + o.i);
  CHECK(m.m > m.a + m.o + m.i);
}

TEST_CASE("needs: customers of one firm perceive different performance; segments rank firms by their weights",
          "[needs]") {
  // Two firms, two segments, two attributes: firm 0 strong on attribute 0, firm 1 on attribute 1;
  // segment 0 cares about attribute 0, segment 1 about attribute 1.
  mech::NeedsTables nt;
  nt.S = 2;
  nt.A = 2;
  nt.weight = {1.5, 0.5, 0.5, 1.5};
  const double v_strong = 0.3, v_weak = -0.3;
  nt.value = {1.5 * v_strong, 0.5 * v_weak,   0.5 * v_strong, 1.5 * v_weak,     // firm 0: segment 0, 1
              1.5 * v_weak,   0.5 * v_strong, 0.5 * v_weak,   1.5 * v_strong};  // firm 1
  nt.service = {0.15, 0.15};
  Needs nd;
  nd.heterogeneous = true;
  nd.taste_spread = 0.5;
  nd.fit_spread = 0.1;
  const Rng rng(7);
  double sum[2][2] = {}, sum2 = 0;
  const int n = 4000;
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t s = 0; s < 2; ++s)
      for (std::uint32_t f = 0; f < 2; ++f) {
        const double P = mech::personal_performance(nt, nd, 0.3, rng, i, s, f);
        REQUIRE(P >= 0.15);
        REQUIRE(P <= 0.85);
        REQUIRE(P == mech::personal_performance(nt, nd, 0.3, rng, i, s, f));  // fixed over time
        sum[s][f] += P;
        if (s == 0 && f == 0) sum2 += P * P;
      }
  CHECK(sum[0][0] > sum[0][1]);  // segment 0 prefers firm 0
  CHECK(sum[1][1] > sum[1][0]);  // segment 1 prefers firm 1
  const double mean = sum[0][0] / n, sd = std::sqrt(sum2 / n - mean * mean);
  CHECK(sd > 0.05);  // performance varies within one firm's customers of one segment
  // Without taste and fit every customer of a segment sees the same number.
  nd.taste_spread = 0;
  nd.fit_spread = 0;
  CHECK(mech::personal_performance(nt, nd, 0.3, rng, 1, 0, 0) ==
        mech::personal_performance(nt, nd, 0.3, rng, 2, 0, 0));
}

// With success, the era and adaptive expectations off and no initial spread of expectations, every
// customer of a firm has the same experience value in v1, so a firm's NPS is +-100 or 0 (a knife
// edge); with heterogeneous needs it is the difference of the two tails of a distribution.
namespace {

std::vector<double> promoter_shares(bool heterogeneous, std::vector<double>* nps_error) {
  Params p = test::tiny_params(3000, 24);
  p.mechanisms.success = false;
  p.mechanisms.era = false;
  p.mechanisms.expectations = false;
  p.expectation_spread = 0;
  p.needs.kano_asymmetric = true;
  p.needs.heterogeneous = heterogeneous;
  Simulation sim(p);
  std::vector<double> shares;
  for (int t = 0; t < p.steps; ++t) {
    sim.step();
    const Observables& o = sim.observables();
    for (std::size_t f = 0; f < o.nps.size(); ++f) {
      if (std::isnan(o.nps[f])) continue;
      shares.push_back(o.promoters[f]);
      nps_error->push_back(std::abs(o.nps[f] - 100 * (o.promoters[f] - o.detractors[f])));
      REQUIRE(o.promoters[f] >= 0);
      REQUIRE(o.detractors[f] >= 0);
      REQUIRE(o.promoters[f] + o.detractors[f] <= 1.0 + 1e-12);
    }
  }
  return shares;
}

}  // namespace

TEST_CASE("needs: heterogeneous needs turn a firm's NPS from a knife edge into a distribution property",
          "[needs]") {
  std::vector<double> err;
  auto interior = [](const std::vector<double>& v) {
    int n = 0;
    for (double x : v) n += x > 0.05 && x < 0.95;
    return n;
  };
  const auto v1 = promoter_shares(false, &err);
  const auto het = promoter_shares(true, &err);
  REQUIRE(!v1.empty());
  REQUIRE(!het.empty());
  CHECK(interior(v1) == 0);                                 // every firm all promoters or none
  CHECK(interior(het) > static_cast<int>(het.size()) / 2);  // most firm-months in between
  for (double e : err) REQUIRE(e < 1e-9);                   // nps = 100 (promoters - detractors)
}

TEST_CASE("needs: each switch changes the run, and off they leave it unchanged", "[needs]") {
  auto run = [](bool asym, bool het) {
    Params p = test::tiny_params(2000, 24);
    p.needs.kano_asymmetric = asym;
    p.needs.heterogeneous = het;
    Simulation sim(p);
    for (int t = 0; t < p.steps; ++t) sim.step();
    return sim.observables().satisfaction;
  };
  const auto off = run(false, false);
  CHECK(test::same_bits(off, run(false, false)));
  CHECK_FALSE(test::same_bits(off, run(true, false)));
  CHECK_FALSE(test::same_bits(off, run(false, true)));
}
