// Society v2 (docs/MODEL.md 7.21 and 7.23): nonprofits serve their own client segment within the capacity
// their share of the grant pool funds (Eq. S4-S7), and a comparable cost per unit of impact across
// embedded, donated and nonprofit impact (Eq. S8-S9). Hand-built states for the kernels, small runs for
// the properties, each with a control that shows the property failing with the switch off.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/mechanisms/choice.hpp"
#include "core/mechanisms/society.hpp"
#include "core/simulation.hpp"
#include "mini_market.hpp"
#include "scenario/scenario.hpp"
#include "sim_helpers.hpp"

using namespace missionsim;
using missionsim::test::tiny_params;

TEST_CASE("nonprofit clients: capacity is what the pool share funds after fixed and other costs",
          "[society]") {
  CHECK(mech::client_budget(10000, 2) == Approx(5000));
  CHECK(mech::client_budget(10000, 0) == 0);
  // (5000 - 1000 - 1500) / (4.5 - 2) = 1000 clients.
  CHECK(mech::client_capacity(5000, 1000, 1500, 4.5, 2) == 1000);
  // More budget, more clients; more fixed or other cost, fewer; a dearer client, fewer.
  CHECK(mech::client_capacity(6000, 1000, 1500, 4.5, 2) > 1000);
  CHECK(mech::client_capacity(5000, 2000, 1500, 4.5, 2) < 1000);
  CHECK(mech::client_capacity(5000, 1000, 2500, 4.5, 2) < 1000);
  CHECK(mech::client_capacity(5000, 1000, 1500, 5.5, 2) < 1000);
  // A budget that does not cover the fixed costs funds nobody.
  CHECK(mech::client_capacity(2500, 1000, 1500, 4.5, 2) == 0);
  CHECK(mech::client_capacity(100, 1000, 0, 4.5, 2) == 0);
  // A client who pays its way costs the floor, so the capacity stays finite (and the bound holds).
  const std::int64_t k = mech::client_capacity(5000, 1000, 1500, 2, 3);
  CHECK(k == static_cast<std::int64_t>(2500 / mech::kMinClientNetCost));
  // Eq. S7: the impact part of a client's cost is per unit of impact with [cost_per_impact] on.
  Params p;
  StrategyParams np;
  np.grant_funded = true;
  np.impact_per_customer = 1;
  const double v1 = mech::client_unit_cost(p, np, 0.5, 0.2, 0.5);
  CHECK(v1 == Approx(p.serve_cost * (1 - p.engagement_productivity * 0.5) + p.enablement_cost * 0.2 +
                     p.impact_cost * 1));
  p.cost_per_impact.enabled = true;
  p.cost_per_impact.nonprofit = 3;
  CHECK(mech::client_unit_cost(p, np, 0.5, 0.2, 0.5) == Approx(v1 - p.impact_cost + 3 * 0.5));
}

TEST_CASE("cost per impact: embedded and nonprofit impact paid per unit, donations buy impact at cost",
          "[society]") {
  CostPerImpact k;
  k.embedded = 2;
  k.nonprofit = 5;
  k.donated = 40;
  StrategyParams firm, np;
  np.grant_funded = true;
  CHECK(mech::impact_spend(k, firm, 10) == Approx(20));
  CHECK(mech::impact_spend(k, np, 10) == Approx(50));
  CHECK(mech::impact_spend(k, firm, -1) == 0);
  CHECK(mech::donated_impact(k, 400) == Approx(10));
}

namespace {

// Customer 0 (segment 0) or 1 (segment 1) choosing among three firms; firm 2 is a nonprofit priced 0
// and far more attractive than the paid firms 0 and 1; segment 1 is the nonprofits' client segment.
struct ClientMarket : missionsim::test::MiniMarket {
  std::vector<std::uint8_t> seg_client = {0, 1};
  std::vector<std::uint16_t> referral = {2};
  ClientMarket() {
    firm_prev = {kNoFirm, kNoFirm};
    traits = {0, 1};
    seg_ps = {0.02, 0.02};
    seg_vw = {0.0, 0.0};
    seg_wtp = {1e6, 3};
    offers[2].price = 0;
    offers[2].pub_sat = 0.9;
    offers[2].clients_only = true;
    p.outside_option = true;
    p.reputation_weight = 0;
  }
  mech::CustomerContext client_ctx() {
    auto c = ctx();
    c.seg_client = seg_client.data();
    c.referral = referral.data();
    c.n_referral = 1;
    return c;
  }
};

// How often customer i picks each firm (index 3: buys nothing) over M evenly spaced uniforms.
std::vector<int> choices(const mech::CustomerContext& c, std::uint32_t i, int M) {
  std::vector<int> n(4, 0);
  for (int k = 0; k < M; ++k) {
    const std::uint16_t f = mech::choose(c, i, kNoFirm, 0.02, 0.0, (k + 0.5) / M);
    ++n[f == kNoFirm ? 3 : f];
  }
  return n;
}

}  // namespace

TEST_CASE("nonprofit clients: a paying customer never takes a nonprofit by price alone", "[society]") {
  ClientMarket cm;
  // Customer 0 (a paying customer) knows all three firms; so does customer 1 (a client).
  for (std::uint32_t i = 0; i < 2; ++i)
    for (int k = 0; k < 2; ++k) cm.consider[i * cm.kK + k] = static_cast<std::uint16_t>(k == 0 ? 2 : k - 1);
  const auto with = choices(cm.client_ctx(), 0, 1000);
  CHECK(with[2] == 0);           // never the nonprofit, priced 0 and the most attractive
  CHECK(with[0] + with[3] > 0);  // chooses the paid firm it knows or nothing
  // Control: with the switch off (no clients-only offers) the same customer mostly takes the nonprofit.
  cm.offers[2].clients_only = false;
  const auto without = choices(cm.ctx(), 0, 1000);
  CHECK(without[2] > 500);
}

TEST_CASE("nonprofit clients: a client reaches the nonprofits by referral and cannot pay the others",
          "[society]") {
  ClientMarket cm;
  // Customer 1 (a client) knows only the paid firm 0, priced 10 above its reservation price 3.
  cm.consider[1 * cm.kK + 0] = 0;
  const auto n = choices(cm.client_ctx(), 1, 1000);
  CHECK(n[0] == 0);   // cannot pay the market price
  CHECK(n[2] > 900);  // referred to the nonprofit it did not know
  // Control: no referral list, and the client knows no firm it can use, so it always buys nothing.
  auto c = cm.client_ctx();
  c.n_referral = 0;
  CHECK(choices(c, 1, 1000)[3] == 1000);
}

namespace {

// A small market with a client segment of a fifth of the customers, two nonprofits and a pool small
// enough to bind.
Params client_params(bool on) {
  Params p = tiny_params(3000, 48, {"shareholder", "satisfaction", "synergy", "nonprofit", "nonprofit"});
  p.firms[3].name = "nonprofit-a";
  p.firms[4].name = "nonprofit-b";
  Segment main, clients;
  main.name = "mainstream";
  main.share = 0.8;
  clients.name = "clients";
  clients.share = 0.2;
  clients.reservation_price = 3;
  clients.nonprofit_client = true;
  p.segments = {main, clients};
  p.outside_option = true;
  p.grant_pool = true;
  p.grant_pool_per_customer = 0.5;
  p.fixed_cost = 200;
  p.nonprofit_clients = on;
  p.initial_adopted = 0.4;  // clients at the nonprofits from the start, so the capacity binds early
  return p;
}

struct ClientRun {
  std::int64_t paying_at_nonprofits = 0;  // customer-steps of non-clients at a grant-funded firm
  std::int64_t clients_at_nonprofits = 0;
  std::int64_t over_capacity = 0;  // steps on which a nonprofit held more clients than its capacity
  std::int64_t capacity_binding = 0;
};

ClientRun run_clients(const Params& p) {
  Simulation sim(p);
  ClientRun r;
  const auto& names = sim.info().strategy_names;
  for (int t = 0; t < p.steps; ++t) {
    sim.step();
    const Observables& o = sim.observables();
    std::vector<std::string> strategies(o.strategy_id.size());
    for (std::size_t f = 0; f < strategies.size(); ++f)
      if (o.strategy_id[f] >= 0) strategies[f] = names[o.strategy_id[f]];
    const CustomerArrays a = sim.customers();
    for (std::size_t i = 0; i < a.firm.size(); ++i) {
      const std::uint16_t f = a.firm[i];
      if (f == kNoFirm || strategies[f] != "nonprofit") continue;
      const bool client = (a.traits[i] & 0x0F) == 1;
      (client ? r.clients_at_nonprofits : r.paying_at_nonprofits) += 1;
    }
    for (std::size_t f = 0; f < o.customers.size(); ++f) {
      if (strategies[f] != "nonprofit" || !o.alive[f]) continue;
      const std::int64_t cap = sim.client_capacity(static_cast<int>(f));
      if (!p.nonprofit_clients) continue;
      // cap < 0: no limit was set this step (an entrant that entered after the customer pass).
      if (cap < 0 ? o.customers[f] > 0 : o.customers[f] > cap) ++r.over_capacity;
      if (o.customers[f] == cap) ++r.capacity_binding;
    }
  }
  return r;
}

}  // namespace

TEST_CASE("nonprofit clients: only the client segment, never more than the capacity the pool funds",
          "[society]") {
  const ClientRun on = run_clients(client_params(true));
  CHECK(on.paying_at_nonprofits == 0);
  CHECK(on.clients_at_nonprofits > 0);
  CHECK(on.over_capacity == 0);
  CHECK(on.capacity_binding > 0);  // the pool binds on some steps, so the bound is exercised
  // Control (v1 and the grant pool alone): paying customers do end up at the nonprofits.
  const ClientRun off = run_clients(client_params(false));
  CHECK(off.paying_at_nonprofits > 0);
}

TEST_CASE("nonprofit clients: a smaller pool funds fewer clients", "[society]") {
  Params big = client_params(true), small = client_params(true);
  big.grant_pool_per_customer = 1.0;
  const ClientRun b = run_clients(big), s = run_clients(small);
  CHECK(s.clients_at_nonprofits < b.clients_at_nonprofits);
  CHECK(s.over_capacity == 0);
}

TEST_CASE("cost per impact: embedded impact costs its rate per unit, donations buy impact at theirs",
          "[society]") {
  Params p = tiny_params(2000, 60, {"synergy", "philanthropy", "satisfaction"});
  p.cost_per_impact.enabled = true;
  p.fixed_cost = 50;  // so that the philanthropy firm makes a profit, and donates, early
  auto trajectory = [](const Params& q) { return missionsim::test::observe_run(q); };
  // Up to the first step with impact nothing but the cost of impact differs, so on that step the synergy
  // firm's costs differ by exactly the extra cost per unit times the impact it delivered (to the cent).
  Params dear = p;
  dear.cost_per_impact.embedded = 3;
  const auto a = trajectory(p), b = trajectory(dear);
  int s = 1;
  while (s < p.steps && a[s].social_impact[0] == 0) ++s;
  REQUIRE(a[s].social_impact[0] > 0);
  CHECK(b[s].social_impact[0] == a[s].social_impact[0]);
  CHECK(b[s].costs[0] - a[s].costs[0] == Approx(2 * a[s].social_impact[0]).margin(0.011));
  // The first step on which the philanthropy firm donates: half the cost per unit, twice the impact.
  Params cheap = p;
  cheap.cost_per_impact.donated = 50;
  const auto c = trajectory(cheap);
  int t = 1;
  while (t < p.steps && a[t].social_impact[1] == 0) ++t;
  REQUIRE(a[t].social_impact[1] > 0);
  CHECK(c[t].social_impact[1] == Approx(2 * a[t].social_impact[1]));
  // Control: with the switch off the cost per unit has no effect.
  Params off = dear;
  off.cost_per_impact.enabled = false;
  Params off1 = p;
  off1.cost_per_impact.enabled = false;
  CHECK(trajectory(off)[s].costs[0] == trajectory(off1)[s].costs[0]);
}

TEST_CASE("nonprofit clients: the scenario names what the switch needs", "[society]") {
  auto error = [](const std::string& toml) -> std::string {
    try {
      parse_scenario(toml, "np.toml", {});
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "";
  };
  const std::string firms = "[[firms]]\nstrategy = \"nonprofit\"\n";
  const std::string no_pool =
      error("[society]\nnonprofit_clients = true\n[demand]\noutside_option = true\n" + firms);
  INFO(no_pool);
  CHECK(no_pool.find("society.grant_pool") != std::string::npos);
  CHECK(no_pool.find("np.toml") != std::string::npos);
  const std::string no_out = error("[society]\nnonprofit_clients = true\ngrant_pool = true\n" + firms);
  INFO(no_out);
  CHECK(no_out.find("demand.outside_option") != std::string::npos);
  CHECK(error("[society]\nnonprofit_clients = true\ngrant_pool = true\n[demand]\noutside_option = true\n"
              "[[customers.segments]]\nname = \"c\"\nnonprofit_client = true\n" +
              firms) == "");
}

// The rationing moves customers after the customer pass (firm_next): record()'s counts by segment and firm,
// kept up to date from the customers whose firm changed, must still equal a recount over every customer
// after each step.
TEST_CASE("nonprofit clients: customers by segment and firm equal a recount after every step", "[society]") {
  const Params p = client_params(true);
  Simulation sim(p);
  std::int64_t at_capacity = 0;
  for (int t = 1; t <= p.steps; ++t) {
    sim.step();
    const Observables& o = sim.observables();
    const CustomerArrays a = sim.customers();
    const std::size_t F = o.alive.size();
    std::vector<std::int64_t> all(p.segments.size() * F, 0);
    for (std::size_t i = 0; i < a.firm.size(); ++i)
      if (a.firm[i] != kNoFirm && o.alive[a.firm[i]]) ++all[(a.traits[i] & 0x0F) * F + a.firm[i]];
    for (std::size_t f = 0; f < F; ++f)
      at_capacity += o.alive[f] && o.customers[f] == sim.client_capacity(static_cast<int>(f));
    INFO("step " << t);
    REQUIRE(o.segment_customers == all);
  }
  CHECK(at_capacity > 0);  // the rationing turned clients away on some steps
}
