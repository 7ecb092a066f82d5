#include <tbb/global_control.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <numeric>

#include "conservation.hpp"
#include "core/simulation.hpp"
#include "scenario/scenario.hpp"
#include "sim_helpers.hpp"
#include "strategies/strategy.hpp"

using namespace missionsim;
using missionsim::test::same_bits;
using missionsim::test::tiny_params;

namespace {

// Runs p to the end and returns every step's observables.
std::vector<Observables> run_all(const Params& p, int threads) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  return missionsim::test::observe_run(p);
}

// Every observable, bit for bit (NaN equal to NaN with the same bits).
bool identical(const Observables& a, const Observables& b) {
  return a.step == b.step && a.customers == b.customers && same_bits(a.share, b.share) &&
         same_bits(a.price, b.price) && same_bits(a.revenue, b.revenue) && same_bits(a.grants, b.grants) &&
         same_bits(a.costs, b.costs) && same_bits(a.profit, b.profit) && same_bits(a.payout, b.payout) &&
         same_bits(a.cash, b.cash) && same_bits(a.satisfaction, b.satisfaction) &&
         same_bits(a.success, b.success) && same_bits(a.nps, b.nps) &&
         same_bits(a.engagement, b.engagement) && same_bits(a.social_impact, b.social_impact) &&
         same_bits(a.harm, b.harm) && same_bits(a.retention, b.retention) && a.strategy_id == b.strategy_id &&
         a.alive == b.alive && a.adopters == b.adopters &&
         same_bits({a.churn_rate, a.hhi, a.success_weight, a.amplification, a.expectation_mean,
                    a.disconfirmation_mean, a.societal_value},
                   {b.churn_rate, b.hhi, b.success_weight, b.amplification, b.expectation_mean,
                    b.disconfirmation_mean, b.societal_value}) &&
         same_bits(a.kano_maturity, b.kano_maturity) && same_bits(a.kano_better, b.kano_better) &&
         same_bits(a.kano_worse, b.kano_worse) && a.segment_customers == b.segment_customers &&
         a.values_customers == b.values_customers;
}

// The output identities of docs/OUTPUT.md, checked on every row of a run (tests/conservation.hpp).
struct Checked {
  test::Conservation c;
  test::OutputIdentities identities;
  explicit Checked(const Params& p) : identities(p) {}
  void operator()(const Simulation& sim) {
    identities.check(sim, c);
    INFO("first violation: " << c.first);
    REQUIRE(c.violations == 0);
  }
};

}  // namespace

TEST_CASE("simulation: customers are conserved and the cash identity is exact every step", "[simulation]") {
  auto p = tiny_params(3000, 60);
  p.entry_rate = 0.2;
  p.mechanisms.adaptation = true;
  Simulation sim(p);
  Checked check(p);
  check(sim);
  for (int t = 0; t < p.steps; ++t) {
    sim.step();
    check(sim);
  }
  CHECK(check.c.checks > 6 * 50 * 10);
  CHECK(sim.observables().adopters > 0);
}

// Issue 9, item 14: after a bankruptcy a firm's row must not repeat its last flows, and the
// societal value counts only this step's live contributions (Eq. 59).
TEST_CASE("simulation: every documented output identity holds on every row of a run with deaths and entries",
          "[simulation][identities]") {
  const Params p =
      load_scenario(std::string(MISSIONSIM_SOURCE_DIR) + "/tests/regression/all-on/scenario.toml");
  Simulation sim(p);
  Checked check(p);
  check(sim);
  int deaths = 0, entries = 0;
  for (int t = 0; t < p.steps; ++t) {
    const auto before = sim.observables();
    sim.step();
    check(sim);
    for (std::size_t f = 0; f < before.alive.size(); ++f) {
      deaths += before.alive[f] && !sim.observables().alive[f];
      entries += before.strategy_id[f] < 0 && sim.observables().strategy_id[f] >= 0;
    }
  }
  CHECK(deaths >= 2);
  CHECK(entries >= 2);
}

// The example: the only nonprofit dies in step 1; from then on no firm contributes.
TEST_CASE("simulation: societal value is zero once the only firm is gone", "[simulation][identities]") {
  auto p = tiny_params(1000, 5, {"nonprofit"});
  p.initial_adopted = 1.0;
  p.initial_cash = 0;
  p.fixed_cost = 1e6;
  p.bankrupt_after = 1;
  p.entry_rate = 0;
  Simulation sim(p);
  Checked check(p);
  check(sim);
  sim.step();
  check(sim);
  REQUIRE_FALSE(sim.observables().alive[0]);
  CHECK(sim.observables().societal_value != 0);
  for (int t = 2; t <= p.steps; ++t) {
    sim.step();
    check(sim);
    CHECK(sim.observables().societal_value == 0);
    CHECK(sim.observables().revenue[0] == 0);
    CHECK(sim.observables().costs[0] == 0);
    CHECK(std::isnan(sim.observables().satisfaction[0]));
  }
}

TEST_CASE("simulation: same seed gives bit-identical trajectories for 1, 2 and 4 threads",
          "[simulation][determinism]") {
  auto p = tiny_params(20000, 15);  // several reduction leaves
  p.entry_rate = 0.3;
  p.mechanisms.adaptation = true;
  const auto one = run_all(p, 1);
  const auto two = run_all(p, 2);
  const auto four = run_all(p, 4);
  REQUIRE(one.size() == 16);
  for (std::size_t t = 0; t < one.size(); ++t) {
    INFO("step " << t);
    REQUIRE(identical(one[t], two[t]));
    REQUIRE(identical(one[t], four[t]));
  }
  const auto again = run_all(p, 2);
  for (std::size_t t = 0; t < one.size(); ++t) REQUIRE(identical(one[t], again[t]));
}

// The adopted-neighbour counts (Eq. 13 input) are kept up to date incrementally from the customers whose
// status changed; after every step they must equal a full recount over the network, at any thread count,
// and also when bankruptcies release customers after the customer pass.
TEST_CASE("simulation: adopted-neighbour counts equal a recount after every step at 1, 2 and 4 threads",
          "[simulation][determinism][network]") {
  auto p = tiny_params(20000, 20);  // several target ranges at 2 and 4 threads
  p.network.kind = NetworkKind::WattsStrogatz;
  p.network.mean_degree = 10;
  p.entry_rate = 0.3;
  const bool bankruptcies = GENERATE(false, true);
  if (bankruptcies) {
    p.initial_cash *= 0.3;  // some firms go bankrupt and release their customers
    p.steps = 40;
  }
  for (int threads : {1, 2, 4}) {
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    Simulation sim(p);
    std::int64_t changes = 0, deaths = 0;
    std::vector<std::uint16_t> before(sim.customers().firm.begin(), sim.customers().firm.end());
    std::vector<std::uint8_t> alive = sim.observables().alive;
    for (int t = 0; t <= p.steps; ++t) {
      if (t > 0) sim.step();
      const auto& now = sim.observables().alive;
      for (std::size_t f = 0; f < now.size(); ++f) deaths += alive[f] && !now[f];  // died in this step
      alive = now;
      const CustomerArrays a = sim.customers();
      const NetworkCsr net = sim.network();
      REQUIRE(a.adopted_neighbours.size() == a.firm.size());
      std::int64_t wrong = 0;
      for (std::size_t i = 0; i < a.firm.size(); ++i) {
        std::uint32_t count = 0;
        for (std::uint32_t k = net.offsets[i]; k < net.offsets[i + 1]; ++k)
          count += a.firm[net.neighbours[k]] != 0xFFFF;
        wrong += count != a.adopted_neighbours[i];
        changes += (before[i] != 0xFFFF) != (a.firm[i] != 0xFFFF);
        before[i] = a.firm[i];
      }
      INFO(threads << " thread(s), step " << t << (bankruptcies ? ", with bankruptcies" : ""));
      REQUIRE(wrong == 0);
    }
    CHECK(changes > 1000);  // the incremental update had work to do
    if (bankruptcies) CHECK(deaths > 0);
  }
}

// Simulation::count_work (what bench_roofline costs its floor with): the counts are integers summed in a
// fixed tree, so they are the same at any thread count, and counting changes no result. Every adoption and
// every switch to another firm draws block 1 (the choice word), so block 1 is drawn at least that often.
// On a ring lattice every neighbour is within five places, inside the near window of its run, except
// across the ring's ends; on a complete network a talker hears anyone, almost always far away.
TEST_CASE("simulation: work counts are thread-independent, change no result and bound what they count",
          "[simulation][determinism][network]") {
  auto p = tiny_params(20000, 15);  // several reduction leaves
  p.network.kind = NetworkKind::WattsStrogatz;
  p.network.mean_degree = 10;
  const auto plain = run_all(p, 1);
  auto counted = [&](const Params& q, int threads, std::int64_t* moves = nullptr) {
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    Simulation sim(q);
    sim.count_work(true);
    std::vector<Observables> obs{sim.observables()};
    std::vector<std::uint16_t> before(sim.customers().firm.begin(), sim.customers().firm.end());
    for (int t = 0; t < q.steps; ++t) {
      sim.step();
      obs.push_back(sim.observables());
      const auto firm = sim.customers().firm;
      for (std::size_t i = 0; i < firm.size(); ++i) {
        if (moves) *moves += firm[i] != before[i] && firm[i] != 0xFFFF;  // adopted or switched
        before[i] = firm[i];
      }
    }
    return std::make_pair(sim.work(), obs);
  };
  std::int64_t moves = 0;
  const auto [one, obs1] = counted(p, 1, &moves);
  const auto [two, obs2] = counted(p, 2);
  for (std::size_t t = 0; t < plain.size(); ++t) {
    INFO("step " << t);
    REQUIRE(identical(plain[t], obs1[t]));
    REQUIRE(identical(plain[t], obs2[t]));
  }
  CHECK(one.customer_steps == p.customers * p.steps);
  CHECK(two.customer_steps == one.customer_steps);
  CHECK(two.customer_block1 == one.customer_block1);
  CHECK(two.far_neighbour_reads == one.far_neighbour_reads);
  CHECK(moves > 500);
  CHECK(one.customer_block1 >= moves);
  CHECK(one.customer_block1 < one.customer_steps);
  // About 60% talk and a tenth of the neighbours are rewired anywhere: a few percent of customer-steps.
  CHECK(one.far_neighbour_reads > one.customer_steps / 100);
  CHECK(one.far_neighbour_reads < one.customer_steps / 5);

  auto ring = p;
  ring.network.rewire = 0;
  const WorkCounts r = counted(ring, 1).first;
  CHECK(r.far_neighbour_reads <= 10 * p.steps);  // the five customers at either end, each step
  auto complete = p;
  complete.network.kind = NetworkKind::Complete;
  const WorkCounts c = counted(complete, 1).first;
  INFO("far reads: rewired " << one.far_neighbour_reads << ", ring " << r.far_neighbour_reads << ", complete "
                             << c.far_neighbour_reads);
  CHECK(c.far_neighbour_reads > 5 * one.far_neighbour_reads);
  CHECK(c.far_neighbour_reads < c.customer_steps);

  Simulation off(p);  // counting is off by default
  off.step();
  CHECK(off.work().customer_steps == 0);
}

// record() keeps the customer counts by (segment, firm) up to date from the customers whose firm changed;
// after every step they must equal a count over every customer, through entry, bankruptcy and switching,
// at any thread count.
TEST_CASE("simulation: customers by segment and firm equal a recount after every step at 1 and 2 threads",
          "[simulation][determinism]") {
  auto p = tiny_params(6000, 40);
  p.segments = {Segment{}, Segment{}, Segment{}};
  p.segments[0].share = 0.5, p.segments[1].share = 0.3, p.segments[2].share = 0.2;
  p.segments[1].price_sensitivity = 3.0;
  p.entry_rate = 0.3;
  p.mechanisms.adaptation = true;
  p.initial_cash *= 0.3;  // some firms go bankrupt and release their customers
  for (int threads : {1, 2}) {
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    Simulation sim(p);
    std::int64_t moved = 0, deaths = 0;
    std::vector<std::uint16_t> before(sim.customers().firm.begin(), sim.customers().firm.end());
    for (int t = 0; t <= p.steps; ++t) {
      if (t > 0) sim.step();
      const Observables& o = sim.observables();
      const CustomerArrays a = sim.customers();
      const std::size_t F = o.alive.size(), G = p.segments.size();
      std::vector<std::int64_t> all(G * F, 0), values(G * F, 0);
      for (std::size_t i = 0; i < a.firm.size(); ++i) {
        if (a.firm[i] == 0xFFFF || !o.alive[a.firm[i]]) continue;
        const std::size_t k = (a.traits[i] & 0x0F) * F + a.firm[i];
        ++all[k];
        values[k] += (a.traits[i] & 0x80) != 0;
        moved += before[i] != a.firm[i];
      }
      for (std::size_t f = 0; f < F; ++f) deaths += t > 0 && !o.alive[f];
      before.assign(a.firm.begin(), a.firm.end());
      INFO(threads << " thread(s), step " << t);
      REQUIRE(o.segment_customers == all);
      REQUIRE(o.values_customers == values);
    }
    INFO("moved " << moved << ", firm-steps dead " << deaths);
    CHECK(moved > 500);  // the counts had changes to follow
    CHECK(deaths > 0);   // and dead firms
  }
}

TEST_CASE("simulation: a different seed gives a different trajectory", "[simulation][determinism]") {
  auto p = tiny_params(2000, 10);
  const auto a = run_all(p, 2);
  p.seed = 43;
  const auto b = run_all(p, 2);
  CHECK_FALSE(identical(a.back(), b.back()));
}

TEST_CASE("simulation: every network kind runs and conserves customers", "[simulation]") {
  for (auto kind : {NetworkKind::Complete, NetworkKind::ErdosRenyi, NetworkKind::WattsStrogatz,
                    NetworkKind::BarabasiAlbert}) {
    auto p = tiny_params(1500, 12);
    p.network.kind = kind;
    Simulation sim(p);
    Checked check(p);
    check(sim);
    for (int t = 0; t < p.steps; ++t) {
      sim.step();
      check(sim);
    }
    CHECK(sim.observables().adopters > 0);
  }
}

TEST_CASE("simulation: switching adoption off keeps the market empty", "[simulation][mechanisms]") {
  auto p = tiny_params(1000, 10);
  p.mechanisms.adoption = false;
  const auto run = run_all(p, 1);
  for (const auto& o : run) CHECK(o.adopters == 0);
}

TEST_CASE("simulation: without churn or bankruptcy, adopters never decrease", "[simulation][mechanisms]") {
  auto p = tiny_params(2000, 30);
  p.mechanisms.churn = false;
  p.mechanisms.economics = false;
  const auto run = run_all(p, 2);
  for (std::size_t t = 1; t < run.size(); ++t) {
    REQUIRE(run[t].adopters >= run[t - 1].adopters);
    REQUIRE(run[t].churn_rate == 0.0);
  }
}

TEST_CASE("simulation: mean disconfirmation decays as (1 - lambda)^t under constant performance",
          "[simulation][mechanisms]") {
  // Everyone is a customer from the start; nothing moves performance.
  auto p = tiny_params(5000, 12, {"satisfaction"});
  p.initial_adopted = 1.0;
  p.mechanisms.adoption = p.mechanisms.churn = p.mechanisms.kano = p.mechanisms.innovation = false;
  p.mechanisms.employees = p.mechanisms.economics = false;
  p.expectation_lambda = 0.2;
  const auto run = run_all(p, 2);
  for (std::size_t t = 2; t < run.size(); ++t)
    CHECK(run[t].disconfirmation_mean ==
          Approx(run[t - 1].disconfirmation_mean * (1 - p.expectation_lambda)).margin(1e-6));
  CHECK(std::abs(run[1].disconfirmation_mean) > 1e-3);
}

TEST_CASE("simulation: expectations stay put when the mechanism is off", "[simulation][mechanisms]") {
  auto p = tiny_params(2000, 10);
  p.initial_adopted = 0.5;
  p.mechanisms.expectations = false;
  const auto run = run_all(p, 1);
  for (const auto& o : run) CHECK(o.expectation_mean == Approx(run.front().expectation_mean).margin(1e-6));
}

TEST_CASE("simulation: the era weight follows its schedule or stays at start when off",
          "[simulation][mechanisms]") {
  auto p = tiny_params(500, 20);
  p.era = Schedule{ScheduleKind::Step, 0.1, 0.8, 10.0, 0.0, 0.1};
  auto run = run_all(p, 1);
  CHECK(run[9].success_weight == Approx(0.1));
  CHECK(run[10].success_weight == Approx(0.8));
  p.mechanisms.era = false;
  run = run_all(p, 1);
  for (const auto& o : run) CHECK(o.success_weight == Approx(0.1));
}

TEST_CASE("simulation: a firm that cannot pay its fixed costs goes bankrupt and releases its customers",
          "[simulation][economics]") {
  auto p = tiny_params(2000, 30, {"satisfaction", "success"});
  p.initial_adopted = 1.0;
  p.fixed_cost = 1e7;  // no firm survives this
  p.initial_cash = 1e6;
  p.bankrupt_after = 2;
  p.entry_rate = 0;
  Simulation sim(p);
  Checked check(p);
  check(sim);
  for (int t = 0; t < p.steps; ++t) {
    sim.step();
    check(sim);
  }
  const auto& o = sim.observables();
  CHECK(o.alive[0] == 0);
  CHECK(o.alive[1] == 0);
  CHECK(o.adopters == 0);
}

TEST_CASE("simulation: entrants take free slots with a strategy from the entry mix",
          "[simulation][economics]") {
  auto p = tiny_params(1000, 20, {"satisfaction"});
  p.entry_rate = 1.0;
  p.max_entrants = 3;
  p.entry_mix = {"synergy"};
  Simulation sim(p);
  for (int t = 0; t < p.steps; ++t) sim.step();
  const auto& o = sim.observables();
  REQUIRE(o.alive.size() == 4);
  int synergy = -1;
  for (std::size_t s = 0; s < sim.info().strategy_names.size(); ++s)
    if (sim.info().strategy_names[s] == "synergy") synergy = static_cast<int>(s);
  for (int f = 1; f < 4; ++f) CHECK(o.strategy_id[f] == synergy);
}

TEST_CASE("simulation: maturity rises toward coverage and new attributes enter as delighters",
          "[simulation][kano]") {
  auto p = tiny_params(3000, 60);
  p.initial_maturity = 0.0;
  p.discovery_rate = 1.0;
  Simulation sim(p);
  const int A = sim.info().attributes;
  REQUIRE(std::isnan(sim.observables().kano_maturity[A - 1]));  // latent at t = 0
  for (int t = 0; t < p.steps; ++t) sim.step();
  const auto& m = sim.observables().kano_maturity;
  CHECK(m[0] > 0.1);
  CHECK_FALSE(std::isnan(m[A - 1]));  // discovered by R&D
  CHECK(m[A - 1] < m[0]);             // and younger than the original attributes
}

TEST_CASE("simulation: inconsistent parameters are rejected", "[simulation]") {
  auto p = tiny_params(100, 5);
  p.firms.clear();
  CHECK_THROWS_AS(Simulation(p), std::invalid_argument);
  p = tiny_params(100, 5, {"no-such-strategy"});
  CHECK_THROWS_WITH(Simulation(p), Catch::Contains("no-such-strategy"));
}

TEST_CASE("simulation: the weight of discovered attributes changes the outcome", "[simulation][kano]") {
  auto p = tiny_params(2000, 40);
  p.discovery_rate = 1.0;
  p.kano_beta = 0.0;
  const auto light = run_all(p, 1);
  p.kano_beta = 5.0;
  const auto heavy = run_all(p, 1);
  CHECK_FALSE(same_bits(light.back().satisfaction, heavy.back().satisfaction));
  p.discovery_rate = 0.0;  // nothing discovered: the weight cannot matter
  p.kano_beta = 0.0;
  const auto none_light = run_all(p, 1);
  p.kano_beta = 5.0;
  const auto none_heavy = run_all(p, 1);
  CHECK(identical(none_light.back(), none_heavy.back()));
}

TEST_CASE("simulation: an event sets a firm's capability at its step", "[simulation][events]") {
  auto p = tiny_params(2000, 6, {"satisfaction", "success"});
  p.initial_adopted = 1.0;
  p.mechanisms.innovation = p.mechanisms.kano = p.mechanisms.employees = false;
  p.events.push_back(Event{4, "success", -1, 1.0});
  Simulation sim(p);
  std::vector<double> d;
  for (int t = 0; t < p.steps; ++t) {
    sim.step();
    d.push_back(sim.observables().satisfaction[1]);
  }
  CHECK(d[3] > d[2] + 0.05);  // step 4 raises the success firm's satisfaction at once
  p.events.back().firm = "nobody";
  CHECK_THROWS_WITH(Simulation(p), Catch::Contains("nobody"));
}

TEST_CASE("simulation: the Kano questionnaire is recorded for discovered attributes only",
          "[simulation][kano]") {
  auto p = tiny_params(1000, 30);
  p.discovery_rate = 0.0;
  Simulation sim(p);
  for (int t = 0; t < p.steps; ++t) sim.step();
  const auto& o = sim.observables();
  const int A = sim.info().attributes;
  for (int a = 0; a < p.attributes; ++a) {
    CHECK(o.kano_better[a] >= 0.0);
    CHECK(o.kano_better[a] <= 1.0);
    CHECK(o.kano_worse[a] <= 0.0);
  }
  CHECK(std::isnan(o.kano_better[A - 1]));
  p.kano_respondents = 0;
  Simulation off(p);
  off.step();
  CHECK(std::isnan(off.observables().kano_better[0]));
}

TEST_CASE("simulation: engagement shocks are independent normal draws of the configured size (Eq. 49)",
          "[simulation][mechanisms]") {
  // Constant target: no service spend, so T = 0.5 + 0.4 purpose - 0.4 metric_pressure = 0.7.
  Params p;
  p.customers = 500;
  p.steps = 300;
  p.seed = 7;
  p.mechanisms.economics = false;
  StrategyParams flat;
  flat.name = "flat";
  flat.share_service = 0;
  flat.purpose = 0.5;
  p.strategies.push_back(flat);
  p.firms.push_back(FirmGroup{"flat", "flat", 10});
  p.engagement_initial = 0.7;
  const double target = 0.7, speed = p.engagement_speed;

  // Residual of the deterministic update: g_t - g_{t-1} - speed (T - g_{t-1}).
  auto residuals = [&](const std::vector<Observables>& obs) {
    std::vector<double> e;
    for (std::size_t f = 0; f < 10; ++f)
      for (std::size_t t = 1; t < obs.size(); ++t) {
        const double prev = obs[t - 1].engagement[f];
        e.push_back(obs[t].engagement[f] - prev - speed * (target - prev));
      }
    return e;
  };

  SECTION("volatility 0: the deterministic recursion exactly") {
    p.engagement_volatility = 0;
    for (double e : residuals(run_all(p, 1))) REQUIRE(std::abs(e) < 1e-12);
  }
  SECTION("volatility 0.02: mean 0, standard deviation 0.02, no autocorrelation") {
    p.engagement_volatility = 0.02;
    const auto e = residuals(run_all(p, 1));
    const double n = static_cast<double>(e.size());  // 3000 draws
    const double mean = std::accumulate(e.begin(), e.end(), 0.0) / n;
    double ss = 0, lag = 0;
    for (std::size_t i = 0; i < e.size(); ++i) {
      ss += (e[i] - mean) * (e[i] - mean);
      if (i % 300 != 0) lag += (e[i] - mean) * (e[i - 1] - mean);  // within one firm's series
    }
    const double var = ss / (n - 1), autocorr = lag / ss;
    INFO("mean " << mean << ", sd " << std::sqrt(var) << ", lag-1 autocorrelation " << autocorr);
    // Bounds at 4 standard errors: mean sd/sqrt(n); variance ratio sqrt(2/(n-1)); autocorrelation 1/sqrt(n).
    CHECK(std::abs(mean) < 4 * 0.02 / std::sqrt(n));
    CHECK(std::abs(var / (0.02 * 0.02) - 1) < 4 * std::sqrt(2 / (n - 1)));
    CHECK(std::abs(autocorr) < 4 / std::sqrt(n));
  }
}

// Issue 9, item 10: int64 cents must never wrap into a plausible-looking number.
TEST_CASE("simulation: money that leaves the integer-cent range stops the run naming the firm and step",
          "[simulation][economics]") {
  auto p = tiny_params(500, 5, {"shareholder", "satisfaction"});
  p.logit_scale = 1e100;  // market pricing adds a markup proportional to mu: prices explode
  Simulation sim(p);
  try {
    for (int t = 0; t < p.steps; ++t) sim.step();
    FAIL("no overflow error; final cash " << sim.observables().cash[0]);
  } catch (const std::overflow_error& e) {
    const std::string what = e.what();
    CHECK(what.find("money overflow at step 1") != std::string::npos);
    CHECK(what.find("firm 'shareholder'") != std::string::npos);
  }
}

// The hooks of the Python API (python/src/module.cpp): a strategy factory and read-only state views.
namespace {
struct FixedPrice : Strategy {
  explicit FixedPrice(const StrategyParams& p) : Strategy(p) {}
  double price(const FirmView& firm, const MarketView&) const override {
    seen_firm = firm.firm;
    return 7.25;
  }
  mutable int seen_firm = -2;
};
}  // namespace

TEST_CASE("simulation: a strategy factory replaces the policy of the strategies it returns one for",
          "[simulation][hooks]") {
  Params p = test::tiny_params(500, 3, {"shareholder", "success"});
  const FixedPrice* made = nullptr;
  Simulation sim(p, [&](const StrategyParams& sp) -> std::unique_ptr<Strategy> {
    if (sp.name != "success") return nullptr;
    auto s = std::make_unique<FixedPrice>(sp);
    made = s.get();
    return s;
  });
  REQUIRE(made != nullptr);
  sim.step();
  CHECK(sim.observables().price[1] == 7.25);
  CHECK(sim.observables().price[0] != 7.25);
  CHECK(made->seen_firm == 1);
}

TEST_CASE("simulation: customer and network views agree with the observables", "[simulation][hooks]") {
  Simulation sim(test::tiny_params(800, 4));
  for (int k = 0; k < 4; ++k) sim.step();
  const CustomerArrays c = sim.customers();
  REQUIRE(c.firm.size() == 800);
  REQUIRE(c.consider.size() == 800 * static_cast<std::size_t>(c.consideration_slots));
  std::vector<std::int64_t> counts(sim.observables().customers.size(), 0);
  for (auto f : c.firm)
    if (f != 0xFFFF) ++counts.at(f);
  CHECK(counts == sim.observables().customers);
  const NetworkCsr net = sim.network();
  REQUIRE(net.offsets.size() == 801);
  CHECK(net.offsets.back() == net.neighbours.size());
  CHECK(net.neighbours.size() == sim.network_edges());
}

// /segments (docs/OUTPUT.md): every step, each firm's customers split by segment add up to its
// customers, and so to each strategy's; the values-driven ones are a part of them, and the
// segment sizes are those the customers were drawn with.
TEST_CASE("simulation: segment counts sum to each firm's and each strategy's customers every step",
          "[simulation][identities][segments]") {
  Params p = load_scenario(std::string(MISSIONSIM_SOURCE_DIR) + "/tests/regression/all-on/scenario.toml");
  p.segments[1].values_share = 0;  // a segment without values-driven customers
  Simulation sim(p);
  const RunInfo& info = sim.info();
  const std::size_t G = p.segments.size(), F = info.firm_names.size(), S = info.strategy_names.size();
  REQUIRE(G == 2);
  REQUIRE(info.segment_names == std::vector<std::string>{p.segments[0].name, p.segments[1].name});
  CHECK(info.segment_population[0] + info.segment_population[1] == p.customers);
  CHECK(info.segment_values_population[1] == 0);
  CHECK(info.segment_values_population[0] > 0);
  // Segment sizes follow the shares (Eq. 2): binomial, within 5 standard deviations.
  const double expect0 = p.segments[0].share / (p.segments[0].share + p.segments[1].share) * p.customers;
  CHECK(std::fabs(static_cast<double>(info.segment_population[0]) - expect0) <=
        5 * std::sqrt(expect0 * (1 - expect0 / p.customers)) + 1);
  std::int64_t values_seen = 0, customers_seen = 0;
  for (int t = 0; t <= p.steps; ++t) {
    if (t > 0) sim.step();
    const Observables& o = sim.observables();
    REQUIRE(o.segment_customers.size() == G * F);
    REQUIRE(o.values_customers.size() == G * F);
    std::vector<std::int64_t> by_strategy(S, 0), by_strategy_segments(S, 0);
    for (std::size_t f = 0; f < F; ++f) {
      std::int64_t total = 0;
      for (std::size_t g = 0; g < G; ++g) {
        total += o.segment_customers[g * F + f];
        REQUIRE(o.values_customers[g * F + f] >= 0);
        REQUIRE(o.values_customers[g * F + f] <= o.segment_customers[g * F + f]);
        if (o.strategy_id[f] >= 0) by_strategy_segments[o.strategy_id[f]] += o.segment_customers[g * F + f];
      }
      REQUIRE(o.values_customers[1 * F + f] == 0);
      INFO("step " << t << ", firm " << f);
      REQUIRE(total == o.customers[f]);
      if (o.strategy_id[f] >= 0) by_strategy[o.strategy_id[f]] += o.customers[f];
      values_seen += o.values_customers[f];
      customers_seen += o.customers[f];
    }
    INFO("step " << t);
    REQUIRE(by_strategy == by_strategy_segments);
  }
  CHECK(customers_seen > 0);
  CHECK(values_seen > 0);
}
