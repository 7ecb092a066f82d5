// Demand side of model v2, part A (docs/MODEL.md 7.20): the outside option (Eq. A1-A3, A7), the
// continuous first choice and launch budget (Eq. A4-A5) and money per customer (Eq. A6), on hand-built
// states, plus the closed-form validation case of logit with an outside option.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/mechanisms/adoption.hpp"
#include "core/mechanisms/choice.hpp"
#include "core/mechanisms/demand.hpp"
#include "core/mechanisms/economics.hpp"
#include "core/simulation.hpp"
#include "mini_market.hpp"
#include "scenario/scenario.hpp"
#include "sim_helpers.hpp"
#include "strategies/strategy.hpp"

using namespace missionsim;
using missionsim::test::tiny_params;

namespace {

// One customer who knows no firm (or every firm, with full awareness), three live firms priced 8, 10 and
// 12 with equal published satisfaction; the rest of the hand-built market of mini_market.hpp.
struct DemandMarket : missionsim::test::MiniMarket {
  DemandMarket() {
    rng = Rng{7};
    firm_prev = {kNoFirm, kNoFirm};
    voice_prev = {0, 0};
    adopted_neighbours = {0, 0};
    offers = {Offer{0.6, 0.5, 0, 0, 0.5, 0, 0, 8, true}, Offer{0.6, 0.5, 0, 0, 0.5, 0, 0, 10, true},
              Offer{0.6, 0.5, 0, 0, 0.5, 0, 0, 12, true}};
    seg_vw = {0.0};
    p_eff = 1.0;
    adopted_share_complete = 0;
    success_on = false;
    p.logit_scale = 0.1;
    p.bass_q = 0;
    p.reputation_weight = 0;
  }
};

// Counts of the first firm of M adopters (customer 0, steps 1..M) who know no firm; index 3: bought
// nothing.
std::vector<int> first_choices(DemandMarket& dm, int M) {
  std::vector<int> count(4, 0);
  for (int s = 1; s <= M; ++s) {
    dm.consider.assign(dm.consider.size(), kNoFirm);
    auto c = dm.ctx();
    c.step = static_cast<std::uint32_t>(s);
    mech::CustomerDraws d(dm.rng, 0, c.step);
    bool outside = false;
    const std::uint16_t f = mech::adopt(c, 0, 1, dm.seg_ps[0], 0, d, 0, &outside);
    ++count[f == kNoFirm ? 3 : f];
    CHECK(outside == (f == kNoFirm));
  }
  return count;
}

}  // namespace

TEST_CASE("validation: logit with an outside option, shares e^u_j / (e^u0 + sum_k e^u_k) (Eq. A1)",
          "[validation][logit][demand]") {
  DemandMarket dm;
  dm.p.full_awareness = true;
  dm.p.outside_option = true;
  const auto c0 = dm.ctx();
  // u0 equal to the utility of the price-10 firm: the closed form gives s_0 = s_10.
  dm.p.outside_utility = mech::utility(c0, 0, 1, kNoFirm, 0.02, 0);
  const auto c = dm.ctx();
  std::vector<double> e;
  for (std::uint16_t g = 0; g < 3; ++g)
    e.push_back(std::exp((mech::utility(c, 0, g, kNoFirm, 0.02, 0) - dm.p.outside_utility) / 0.1));
  const double z = 1 + e[0] + e[1] + e[2];
  const std::vector<double> expected = {e[0] / z, e[1] / z, e[2] / z, 1 / z};
  const int M = 200000;
  std::vector<double> count(4, 0);
  for (int k = 0; k < M; ++k) {
    const double u = Rng::unit(dm.rng.words(Purpose::Customer, static_cast<std::uint32_t>(k), 1, 1)[1]);
    bool outside = false;
    const std::uint16_t f = mech::choose(c, 0, kNoFirm, 0.02, 0, u, &outside);
    CHECK(outside == (f == kNoFirm));
    count[f == kNoFirm ? 3 : f] += 1;
  }
  // Four binomial proportions, family-wise error 0.001: |z| <= 3.48 each.
  for (int j = 0; j < 4; ++j) {
    const double s = expected[j], tol = 3.48 * std::sqrt(s * (1 - s) / M);
    INFO("alternative " << j << ": share " << count[j] / M << ", closed form " << s << ", tolerance " << tol);
    CHECK(std::fabs(count[j] / M - s) <= tol);
  }
  CHECK(expected[3] == Approx(expected[1]));
  CHECK(expected[3] > 0.2);  // the outside option really takes a share
}

TEST_CASE("demand: without the outside option nobody who knows a firm buys nothing (v1 limit)",
          "[mechanisms][demand]") {
  DemandMarket dm;
  dm.p.full_awareness = true;
  dm.p.outside_utility = 100;  // ignored while the switch is off
  const auto c = dm.ctx();
  for (double u : {0.001, 0.5, 0.999}) {
    bool outside = false;
    CHECK(mech::choose(c, 0, kNoFirm, 0.02, 0, u, &outside) != kNoFirm);
    CHECK_FALSE(outside);
  }
}

TEST_CASE("demand: a firm priced above the reservation price is never bought (Eq. A2)",
          "[mechanisms][demand]") {
  DemandMarket dm;
  dm.p.full_awareness = true;
  dm.p.outside_option = true;
  dm.p.outside_utility = -100;  // buying nothing is unattractive unless nothing is affordable
  dm.seg_ps = {0.0};            // no price sensitivity: price matters only through the reservation price
  dm.seg_wtp = {9};
  auto c = dm.ctx();
  for (double u : {0.001, 0.3, 0.6, 0.999}) CHECK(mech::choose(c, 0, kNoFirm, 0.0, 0, u) == 0);
  dm.seg_wtp = {7};  // every firm too dear: the customer buys nothing
  c = dm.ctx();
  for (double u : {0.001, 0.5, 0.999}) {
    bool outside = false;
    CHECK(mech::choose(c, 0, kNoFirm, 0.0, 0, u, &outside) == kNoFirm);
    CHECK(outside);
  }
}

TEST_CASE("demand: an adopter who knows no firm may buy nothing (Eq. A3)", "[mechanisms][demand]") {
  DemandMarket dm;
  dm.p.outside_option = true;
  dm.p.outside_utility = -100;
  auto low = first_choices(dm, 300);
  CHECK(low[3] == 0);  // buying nothing is far worse: everyone buys
  dm.p.outside_utility = 100;
  auto high = first_choices(dm, 300);
  CHECK(high[3] == 300);  // far better: nobody buys
}

TEST_CASE("demand: the profit-max price stays finite with price sensitivity 0 (Eq. 63, A7)",
          "[mechanisms][demand]") {
  std::vector<Segment> segs(2);
  segs[0].share = 0.5, segs[0].reservation_price = 10;
  segs[1].share = 0.5, segs[1].reservation_price = 30;
  CHECK(mech::revenue_maximising_reservation(segs) == 30);  // 30 x 0.5 = 15 > 10 x 1
  segs[1].reservation_price = 15;
  CHECK(mech::revenue_maximising_reservation(segs) == 10);  // 10 x 1 = 10 > 15 x 0.5

  StrategyParams sp;
  sp.pricing = PricingRule::ProfitMax;
  const auto strat = make_strategy(sp);
  FirmView firm;
  firm.unit_cost = 4;
  firm.share_of_adopters = 0.5;
  firm.share_of_market = 0.1;
  MarketView market;
  market.mean_price_sensitivity = 0;  // Eq. 63 floors alpha at 1e-9: markup 1e8 without a cap
  market.logit_scale = 0.1;
  CHECK(strat->price(firm, market) > 1e7);
  market.outside = true;
  market.price_cap = mech::revenue_maximising_reservation(segs);
  CHECK(strat->price(firm, market) == 10);
  // With price sensitivity the markup uses the share of the whole market (Berry 1994).
  market.mean_price_sensitivity = 0.02;
  market.price_cap = 1e6;
  CHECK(strat->price(firm, market) == Approx(4 + 0.1 / (0.02 * 0.9)));
}

TEST_CASE("demand: with continuous marketing a negligible reach decides nothing (Eq. A4)",
          "[mechanisms][demand]") {
  DemandMarket dm;
  dm.reach_cum = {0, 0, 1e-9};  // only firm 2 markets, with a negligible reach
  dm.reach_total = 1e-9;
  const int M = 600;
  auto v1 = first_choices(dm, M);
  CHECK(v1[2] == M);  // Eq. 14: the reach decides every first choice however small
  dm.p.continuous_marketing = true;
  auto a4 = first_choices(dm, M);
  for (int f = 0; f < 3; ++f) {
    INFO("firm " << f << ": " << a4[f] << " of " << M);
    CHECK(std::fabs(a4[f] / static_cast<double>(M) - 1.0 / 3) <= 3.3 * std::sqrt(2.0 / 9 / M));
  }
  // A reach of 1 or more decides as before.
  dm.reach_cum = {0, 0, 2};
  dm.reach_total = 2;
  CHECK(first_choices(dm, 50)[2] == 50);
}

TEST_CASE("demand: the launch budget has no cliff at the first sale (Eq. A5)", "[mechanisms][demand]") {
  Params p;
  p.initial_cash = 24000;
  StrategyParams sp;
  sp.invest_rate = 0.5;
  const std::int64_t cash = to_cents(24000), first_sale = to_cents(10);
  const double launch = mech::investment_budget(sp, p, 0);
  CHECK(launch == Approx(500));
  CHECK(mech::investment_budget(sp, p, first_sale) < 0.05 * launch);  // v1: the cliff
  CHECK(mech::investment_budget_continuous(sp, p, 0, cash) == Approx(launch));
  CHECK(mech::investment_budget_continuous(sp, p, first_sale, cash) == Approx(launch));
  // It runs down with cash, and revenue takes over once it is larger.
  CHECK(mech::investment_budget_continuous(sp, p, first_sale, cash / 2) == Approx(launch / 2));
  CHECK(mech::investment_budget_continuous(sp, p, to_cents(5000), cash) == Approx(2500));
  CHECK(mech::investment_budget_continuous(sp, p, first_sale, -cash) == Approx(5));
  // Through the simulation: with the switch no firm's spending (costs) collapses from one step to the next.
  Params sim = tiny_params(2000, 24);
  sim.fixed_cost = 0;
  sim.serve_cost = 0;
  sim.impact_cost = 0;
  auto worst_drop = [](const Params& q) {
    Simulation s(q);
    std::vector<double> before = s.observables().costs;
    double worst = 1;
    for (int t = 0; t < q.steps; ++t) {
      s.step();
      const auto& o = s.observables();
      for (std::size_t f = 0; f < o.costs.size(); ++f) {
        if (t > 0 && before[f] > 0 && o.alive[f]) worst = std::min(worst, o.costs[f] / before[f]);
        before[f] = o.costs[f];
      }
    }
    return worst;
  };
  CHECK(worst_drop(sim) < 0.1);  // v1: the launch cliff
  sim.continuous_budget = true;
  CHECK(worst_drop(sim) > 0.5);
}

TEST_CASE("demand: scale_money states starting cash and fixed cost per reference population (Eq. A6)",
          "[mechanisms][demand]") {
  Params p = tiny_params(4000, 1);
  p.initial_cash = 50000;
  p.fixed_cost = 0;
  Simulation off(p);
  CHECK(off.observables().cash[0] == Approx(50000));
  p.scale_money = true;
  p.reference_customers = 1000;
  Simulation on(p);
  CHECK(on.observables().cash[0] == Approx(200000));
}

TEST_CASE("demand: scaled money beyond its range is refused naming the keys (Eq. A6)",
          "[mechanisms][demand]") {
  const std::string toml =
      "[customers]\ncount = 1000000\n[economics]\ninitial_cash = 1e11\n[demand]\nscale_money = true\n"
      "reference_customers = 10\n[[firms]]\nstrategy = \"success\"\n";
  try {
    parse_scenario(toml, "big.toml", {});
    FAIL("no ScenarioError");
  } catch (const ScenarioError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("economics.initial_cash") != std::string::npos);
    CHECK(what.find("1e+16") != std::string::npos);
    CHECK(what.find("big.toml") != std::string::npos);
  }
  CHECK_NOTHROW(
      parse_scenario("[demand]\nscale_money = true\n[[firms]]\nstrategy = \"success\"\n", "ok.toml", {}));
}
