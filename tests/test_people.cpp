// Engagement that is paid for (docs/MODEL.md 7.24, Eq. E1-E6): kernels on hand-built states, the accounts
// of a small run, and the lead of the service-profit chain in its validation design at a small scale.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "conservation.hpp"
#include "core/mechanisms/employees.hpp"
#include "core/mechanisms/people.hpp"
#include "scenario/scenario.hpp"
#include "sim_helpers.hpp"
#include "strategies/builtins.hpp"

using namespace missionsim;

namespace {

StrategyParams with(double purpose, double pressure) {
  StrategyParams sp = builtin::satisfaction();
  sp.purpose = purpose;
  sp.metric_pressure = pressure;
  sp.cost_cutting = 0;
  return sp;
}

}  // namespace

TEST_CASE("people: purpose without investment has a bounded effect; with it, purpose multiplies (Eq. E2)",
          "[people]") {
  const People pe;  // defaults
  // v1 (Eq. 48): purpose 0 -> 1 raises the target by 0.4 whatever the investment: the free lunch.
  CHECK(mech::engagement_target(with(1, 0), 0.0, 0) - mech::engagement_target(with(0, 0), 0.0, 0) ==
        Approx(0.4));
  // Eq. E2 without investment: purpose adds purpose_alone at most.
  const double alone = mech::people_engagement_target(pe, with(1, 0), 0.0) -
                       mech::people_engagement_target(pe, with(0, 0), 0.0);
  CHECK(alone == Approx(pe.purpose_alone));
  CHECK(alone < 0.1);
  // With investment, the effect of purpose grows with the investment (it multiplies it).
  double last = alone;
  for (double intensity : {0.2, 0.4, 0.6}) {
    const double gain = mech::people_engagement_target(pe, with(1, 0), intensity) -
                        mech::people_engagement_target(pe, with(0, 0), intensity);
    CHECK(gain > last);
    last = gain;
  }
  // And the investment raises engagement at any purpose.
  CHECK(mech::people_engagement_target(pe, with(0, 0), 0.5) >
        mech::people_engagement_target(pe, with(0, 0), 0));
}

TEST_CASE("people: investment intensity is the money per customer served, saturating (Eq. E1)", "[people]") {
  Params p;
  StrategyParams sp = with(0.5, 0);
  sp.people_investment = 0;
  CHECK(mech::people_intensity(p, sp, 0.0, 100) == 0.0);
  sp.people_investment = p.spend_scale;  // half effect at spend_scale per customer
  CHECK(mech::people_intensity(p, sp, 0.0, 100) == Approx(0.5));
  // The service budget adds to it; the same money over more customers buys less.
  CHECK(mech::people_intensity(p, sp, 100.0, 100) > 0.5);
  sp.people_investment = 0;
  CHECK(mech::people_intensity(p, sp, 100.0, 1000) < mech::people_intensity(p, sp, 100.0, 100));
  CHECK(mech::people_cost(sp, 100) == 0.0);
  sp.people_investment = 1.5;
  CHECK(mech::people_cost(sp, 100) == Approx(150.0));
}

TEST_CASE(
    "people: metric pressure raises output now and erodes engagement, crowding out purpose (Eq. E2, E4)",
    "[people]") {
  Params p;
  const People& pe = p.people;
  // Short-run output: the serving cost per customer falls at once with pressure at equal engagement.
  CHECK(mech::people_base_unit_cost(p, 0.5, 0.7) < mech::people_base_unit_cost(p, 0.5, 0.0));
  CHECK(mech::people_base_unit_cost(p, 0.5, 0.0) == mech::base_unit_cost(p, 0.5));
  CHECK(mech::people_base_unit_cost(p, 1.0, 1.0) >= 0.0);
  // Erosion: the engagement target falls with pressure.
  double prev = 2;
  for (double mp : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    const double target = mech::people_engagement_target(pe, with(0.8, mp), 0.5);
    CHECK(target < prev);
    prev = target;
  }
  // Crowding out: under full pressure (crowding_out 1) purpose multiplies nothing, only purpose_alone is
  // left.
  const double purpose_gain = mech::people_engagement_target(pe, with(1, 1), 0.5) -
                              mech::people_engagement_target(pe, with(0, 1), 0.5);
  CHECK(purpose_gain == Approx(pe.purpose_alone));
  // Long run: at the engagement pressure settles to, the serving cost is higher than without pressure
  // (productivity 0.3 lost on the lower engagement outweighs the output gained).
  const double e0 = mech::people_engagement_target(pe, with(0.3, 0.0), 0.3);
  const double e1 = mech::people_engagement_target(pe, with(0.3, 0.7), 0.3);
  CHECK(e1 < e0);
  CHECK(mech::people_base_unit_cost(p, e1, 0.7) < mech::people_base_unit_cost(p, e0, 0.0) + 0.5);
}

TEST_CASE("people: service quality and cumulative satisfaction lag their drivers (Eq. E3, E5)", "[people]") {
  const People pe;
  // A step of engagement from 0.5 to 1: quality closes quality_rate of the gap per step, never overshoots.
  double q = 0.5;
  for (int s = 1; s <= 12; ++s) {
    const double next = mech::service_quality(pe, q, 1.0);
    CHECK(next > q);
    CHECK(next < 1.0);
    CHECK(1.0 - next == Approx(0.5 * std::pow(1 - pe.quality_rate, s)));
    q = next;
  }
  // A continuing customer's satisfaction moves part of the way; one new to the firm holds the judgement.
  CHECK(mech::cumulative_satisfaction(pe, 0.2f, 0.8f, true) == Approx(0.2 + pe.satisfaction_rate * 0.6));
  CHECK(mech::cumulative_satisfaction(pe, 0.2f, 0.8f, false) == 0.8f);
}

TEST_CASE("people: investment is paid through the accounts and buys engagement; identities hold",
          "[people]") {
  auto run = [](double investment, bool on) {
    Params p = test::tiny_params(2000, 36, {});
    p.people.enabled = on;
    StrategyParams sp = builtin::satisfaction();
    sp.name = "paid";
    sp.people_investment = investment;
    p.strategies.push_back(sp);
    p.firms.push_back(FirmGroup{"a", "paid", 2});
    p.max_entrants = 0;
    Simulation sim(p);
    test::Conservation c;
    test::OutputIdentities ids(p);
    ids.check(sim, c);
    double costs = 0, engagement = 0;
    std::int64_t served = 0;
    for (int t = 0; t < p.steps; ++t) {
      sim.step();
      ids.check(sim, c);
      for (std::size_t f = 0; f < 2; ++f) {
        costs += sim.observables().costs[f];
        served += sim.observables().customers[f];
      }
    }
    engagement = sim.observables().engagement[0];
    REQUIRE(c.violations == 0);
    return std::tuple{costs, served, engagement, sim.observables().cash[0]};
  };
  const auto [c0, n0, e0, cash0] = run(0.0, true);
  const auto [c1, n1, e1, cash1] = run(2.0, true);
  const auto [coff, noff, eoff, cashoff] = run(2.0, false);
  // The people money per customer is paid: costs rise by at least most of 2 per customer served.
  CHECK(c1 - c0 > 0.5 * 2.0 * static_cast<double>(n0));
  CHECK(cash1 < cash0);
  CHECK(e1 > e0);  // and it buys engagement
  // Off, people_investment is ignored (v1: no cost).
  const auto [cv1, nv1, ev1, cashv1] = run(0.0, false);
  CHECK(coff == cv1);
  CHECK(eoff == ev1);
}

namespace {

// Correlation of x[t] with y[t + lag] over the window after two-way demeaning (firm and step means).
double lag_correlation(const std::vector<std::vector<double>>& x, const std::vector<std::vector<double>>& y,
                       int lag) {
  const std::size_t T = x.size() - static_cast<std::size_t>(lag), F = x[0].size();
  auto demeaned = [&](const std::vector<std::vector<double>>& a, std::size_t from) {
    std::vector<double> firm(F, 0.0), step(T, 0.0), out;
    double grand = 0;
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t f = 0; f < F; ++f) {
        const double v = a[from + t][f];
        firm[f] += v / static_cast<double>(T);
        step[t] += v / static_cast<double>(F);
        grand += v / static_cast<double>(T * F);
      }
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t f = 0; f < F; ++f) out.push_back(a[from + t][f] - firm[f] - step[t] + grand);
    return out;
  };
  const auto a = demeaned(x, 0), b = demeaned(y, static_cast<std::size_t>(lag));
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / static_cast<double>(a.size());
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / static_cast<double>(b.size());
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    sab += (a[k] - ma) * (b[k] - mb);
    saa += (a[k] - ma) * (a[k] - ma);
    sbb += (b[k] - mb) * (b[k] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

struct Ci {
  double mean, lo, hi;
};
Ci t95(const std::vector<double>& v) {  // 95% t-interval, 10 values (t_{0.975, 9} = 2.262)
  REQUIRE(v.size() == 10);
  const double m = std::accumulate(v.begin(), v.end(), 0.0) / 10.0;
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  const double h = 2.262 * std::sqrt(ss / 9.0) / std::sqrt(10.0);
  return {m, m - h, m + h};
}

// Forward and reverse lag correlations of the validation design, 10 seeds, 3000 customers.
struct Chain {
  std::vector<double> es, se, sr, rs;
};
Chain chain(const std::vector<std::string>& sets) {
  Chain ch;
  for (int seed = 1; seed <= 10; ++seed) {
    std::vector<std::string> overrides{"customers.count=3000", "run.seed=" + std::to_string(seed)};
    overrides.insert(overrides.end(), sets.begin(), sets.end());
    const Params p = load_scenario(
        std::string(MISSIONSIM_SOURCE_DIR) + "/scenarios/validation/people-chain.toml", overrides);
    const auto obs = test::observe_run(p);
    std::vector<std::vector<double>> e, s, r;
    for (int t = 25; t <= p.steps; ++t) {
      REQUIRE(std::all_of(obs[t].alive.begin(), obs[t].alive.end(), [](auto a) { return a != 0; }));
      e.push_back(obs[t].engagement);
      s.push_back(obs[t].satisfaction);
      r.push_back(obs[t].revenue);
    }
    ch.es.push_back(lag_correlation(e, s, 3));
    ch.se.push_back(lag_correlation(s, e, 3));
    ch.sr.push_back(lag_correlation(s, r, 6));
    ch.rs.push_back(lag_correlation(r, s, 6));
  }
  return ch;
}

}  // namespace

TEST_CASE("people: the service-profit chain leads: forward lagged correlations above the reverse (E3, E5)",
          "[people][chain]") {
  const Chain on = chain({});
  const Ci es = t95(on.es), se = t95(on.se), sr = t95(on.sr), rs = t95(on.rs);
  INFO("engagement_t -> satisfaction_t+3 " << es.mean << " [" << es.lo << ", " << es.hi << "], reverse "
                                           << se.mean << " [" << se.lo << ", " << se.hi << "]");
  INFO("satisfaction_t -> revenue_t+6 " << sr.mean << " [" << sr.lo << ", " << sr.hi << "], reverse "
                                        << rs.mean << " [" << rs.lo << ", " << rs.hi << "]");
  CHECK(es.lo > se.hi);  // intervals do not overlap
  CHECK(sr.lo > rs.hi);
  // The lead comes from the lagged stocks (Eq. E3, E5): without them (both rates 1), as in the v1 chain
  // that acts within a step, the reverse engagement link is the larger one.
  const Chain no_lags = chain({"people.quality_rate=1", "people.satisfaction_rate=1"});
  CHECK(t95(no_lags.se).mean > t95(no_lags.es).mean);
  const Chain off = chain({"people.enabled=false"});
  CHECK(t95(off.se).mean > t95(off.es).mean);
}

TEST_CASE("people: a rate of 0 or a negative people investment is refused, naming the key", "[people]") {
  const std::string chain = std::string(MISSIONSIM_SOURCE_DIR) + "/scenarios/validation/people-chain.toml";
  CHECK_THROWS_WITH(load_scenario(chain, {"people.quality_rate=0"}),
                    Catch::Contains("people.quality_rate") && Catch::Contains("(0, 1]"));
  CHECK_THROWS_WITH(load_scenario(chain, {"people.satisfaction_rate=1.5"}),
                    Catch::Contains("people.satisfaction_rate"));
  CHECK_THROWS_WITH(load_scenario(chain, {"strategies.0.people_investment=-1"}),
                    Catch::Contains("strategies.0.people_investment"));
}

TEST_CASE("people: with employees (M10) off the output gain of pressure goes too, the people cost stays",
          "[people]") {
  auto total_costs = [](bool employees, double pressure, double investment) {
    Params p = test::tiny_params(1500, 12, {});
    p.people.enabled = true;
    p.mechanisms.employees = employees;
    StrategyParams sp = builtin::satisfaction();
    sp.name = "x";
    sp.metric_pressure = pressure;
    sp.people_investment = investment;
    p.strategies.push_back(sp);
    p.firms.push_back(FirmGroup{"a", "x", 1});
    p.max_entrants = 0;
    double c = 0;
    for (const auto& o : test::observe_run(p)) c += o.costs[0];
    return c;
  };
  CHECK(total_costs(true, 0.7, 0) < total_costs(true, 0.0, 0));      // M10 on: pressure buys output
  CHECK(total_costs(false, 0.7, 0) == total_costs(false, 0.0, 0));   // off: it buys nothing
  CHECK(total_costs(false, 0.0, 2.0) > total_costs(false, 0.0, 0));  // the people cost is still paid
}
