// Service failures (critical incidents) and their recovery (docs/MODEL.md 7.26, Eq. F1-F2): the loss, the
// draw, one customer's satisfaction on a hand-built context, and short runs.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/mechanisms/incidents.hpp"
#include "core/simulation.hpp"
#include "scenario/scenario.hpp"
#include "sim_helpers.hpp"

using namespace missionsim;
using missionsim::test::observe_run;
using missionsim::test::tiny_params;

namespace {

// Customer-weighted detractor share over the steps after the first year (firms with customers only).
double detractor_share(const std::vector<Observables>& run) {
  double det = 0, n = 0;
  for (std::size_t t = 12; t < run.size(); ++t)
    for (std::size_t f = 0; f < run[t].customers.size(); ++f)
      if (run[t].customers[f] > 0 && std::isfinite(run[t].detractors[f])) {
        det += run[t].detractors[f] * static_cast<double>(run[t].customers[f]);
        n += static_cast<double>(run[t].customers[f]);
      }
  return det / n;
}

}  // namespace

TEST_CASE("incidents: the loss is severity less what service quality recovers (Eq. F2)", "[incidents]") {
  Incidents in;
  in.severity = 0.6;
  in.recovery = 0.5;
  CHECK(mech::incident_loss(in, 0.0) == Approx(0.6));
  CHECK(mech::incident_loss(in, 1.0) == Approx(0.3));
  CHECK(mech::incident_loss(in, 0.4) == Approx(0.6 * (1 - 0.5 * 0.4)));
  CHECK(mech::incident_loss(in, 0.8) < mech::incident_loss(in, 0.4));  // better service, smaller loss
  CHECK(mech::incident_loss(in, 2.0) == Approx(0.3));                  // quality clipped to [0, 1]
  CHECK(mech::incident_loss(in, -1.0) == Approx(0.6));
  in.recovery = 1.0;
  CHECK(mech::incident_loss(in, 1.0) == Approx(0.0));  // full recovery, never a gain (no paradox)
}

TEST_CASE("incidents: failures are drawn at the rate, per customer and step, reproducibly (Eq. F1)",
          "[incidents]") {
  const Rng rng(7);
  Incidents in;
  in.rate = 0.05;
  const int n = 200000;
  int hits = 0, again = 0, next_step = 0;
  for (int i = 0; i < n; ++i) {
    const bool h = mech::incident_drawn(rng, in, static_cast<std::uint32_t>(i), 30);
    hits += h;
    again += h == mech::incident_drawn(rng, in, static_cast<std::uint32_t>(i), 30);
    next_step += h && mech::incident_drawn(rng, in, static_cast<std::uint32_t>(i), 31);
  }
  const double sd = std::sqrt(n * 0.05 * 0.95);
  CHECK(std::abs(hits - n * 0.05) < 4 * sd);
  CHECK(again == n);
  CHECK(std::abs(next_step - hits * 0.05) < 4 * std::sqrt(hits * 0.05 * 0.95));  // independent steps
  in.rate = 0.0;
  bool any = false;
  for (int i = 0; i < 1000; ++i) any = any || mech::incident_drawn(rng, in, static_cast<std::uint32_t>(i), 3);
  CHECK_FALSE(any);
  in.rate = 1.0;
  bool all = true;
  for (int i = 0; i < 1000; ++i) all = all && mech::incident_drawn(rng, in, static_cast<std::uint32_t>(i), 3);
  CHECK(all);
}

TEST_CASE("incidents: a failure lowers this step's and the stored satisfaction by the loss (Eq. F1-F2)",
          "[incidents]") {
  Params p;
  p.incidents.enabled = true;
  p.incidents.rate = 1.0;  // every customer meets a failure
  p.incidents.severity = 0.5;
  p.incidents.recovery = 0.5;
  const Rng rng(3);
  std::vector<float> sat = {0.8f};
  mech::CustomerContext c{};
  c.p = &p;
  c.rng = &rng;
  c.satisfaction = sat.data();
  c.step = 4;
  Offer o{};
  o.service = 0.6;
  mech::Experience e{0.0, 0.8};
  CHECK(mech::service_incident(c, 0, o, e));
  const double expect = 0.8 * (1 - 0.5 * (1 - 0.5 * 0.6));
  CHECK(e.satisfaction == Approx(expect).epsilon(1e-6));
  CHECK(sat[0] == Approx(expect).epsilon(1e-6));
  p.incidents.rate = 0.0;  // no failure: nothing changes
  mech::Experience e2{0.0, 0.8};
  sat[0] = 0.8f;
  CHECK_FALSE(mech::service_incident(c, 0, o, e2));
  CHECK(e2.satisfaction == 0.8);
  CHECK(sat[0] == 0.8f);
}

TEST_CASE("incidents: failures create detractors; recovery through service quality removes some",
          "[incidents]") {
  Params p = tiny_params(2000, 36);
  const double off = detractor_share(observe_run(p));
  p.incidents.enabled = true;
  p.incidents.rate = 0.2;
  p.incidents.severity = 0.8;
  p.incidents.recovery = 0.0;
  const double unrecovered = detractor_share(observe_run(p));
  p.incidents.recovery = 1.0;
  const double recovered = detractor_share(observe_run(p));
  INFO("off " << off << ", unrecovered " << unrecovered << ", recovered " << recovered);
  CHECK(unrecovered > off + 0.05);
  CHECK(recovered < unrecovered - 0.02);
}

TEST_CASE("incidents: with the switch off, or at rate 0, the run is the same as before", "[incidents]") {
  Params p = tiny_params(1500, 20);
  const auto off = observe_run(p);
  p.incidents.rate = 0.5;  // parameters without the switch change nothing
  p.incidents.severity = 1.0;
  const auto still_off = observe_run(p);
  p.incidents.enabled = true;
  p.incidents.rate = 0.0;  // on, but no failure: the draws are made and change nothing
  const auto zero = observe_run(p);
  for (std::size_t t = 0; t < off.size(); ++t) {
    INFO("step " << t);
    CHECK(test::same_bits(off[t].share, still_off[t].share));
    CHECK(test::same_bits(off[t].satisfaction, still_off[t].satisfaction));
    CHECK(test::same_bits(off[t].share, zero[t].share));
    CHECK(test::same_bits(off[t].satisfaction, zero[t].satisfaction));
    CHECK(test::same_bits(off[t].nps, zero[t].nps));
  }
}

TEST_CASE("incidents: the keys are read and bad values named with file, line and key", "[incidents]") {
  const std::string firm = "[[firms]]\nstrategy = \"success\"\n";
  const Params p = parse_scenario(
      "[incidents]\nenabled = true\nrate = 0.1\nseverity = 0.7\nrecovery = 0.25\n" + firm, "ok.toml", {});
  CHECK(p.incidents.enabled);
  CHECK(p.incidents.rate == 0.1);
  CHECK(p.incidents.severity == 0.7);
  CHECK(p.incidents.recovery == 0.25);
  CHECK_FALSE(parse_scenario(firm, "ok.toml", {}).incidents.enabled);  // off by default
  CHECK_THROWS_WITH(
      parse_scenario("[incidents]\nenabled = true\nrate = 1.5\n" + firm, "bad.toml", {}),
      Catch::Contains("bad.toml:3") && Catch::Contains("incidents.rate") && Catch::Contains("[0, 1]"));
  CHECK_THROWS_WITH(parse_scenario("[incidents]\nseverity = \"high\"\n" + firm, "bad.toml", {}),
                    Catch::Contains("bad.toml:2") && Catch::Contains("incidents.severity"));
  CHECK_THROWS_WITH(parse_scenario("[incidents]\nrecover = 0.5\n" + firm, "bad.toml", {}),
                    Catch::Contains("bad.toml:2") && Catch::Contains("recover"));
}
