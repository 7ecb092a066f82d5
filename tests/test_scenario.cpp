// Scenario reader: parsing, validation messages, overrides, round trip,
// the shipped scenario files and the generated key reference in docs/SCENARIO.md.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/network.hpp"
#include "core/simulation.hpp"
#include "scenario/footprint.hpp"
#include "scenario/registry.hpp"
#include "scenario/scenario.hpp"
#include "strategies/strategy.hpp"

using namespace missionsim;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const std::string kSource = MISSIONSIM_SOURCE_DIR;

// One firm and nothing else: the smallest valid scenario.
const std::string kFirm = "[[firms]]\nstrategy = \"success\"\n";

Params parse(const std::string& toml, const std::vector<std::string>& overrides = {}) {
  return parse_scenario(toml, "test.toml", overrides);
}

// `toml` must be rejected with a ScenarioError whose message contains `message`.
void expect_scenario_error(const std::string& toml, const std::string& message,
                           const std::vector<std::string>& overrides = {}) {
  try {
    parse(toml, overrides);
  } catch (const ScenarioError& e) {
    INFO("message: " << e.what());
    CHECK_THAT(e.what(), Contains(message));
    return;
  }
  FAIL("no ScenarioError for:\n" << toml << "\nexpected: " << message);
}

// Same, for a mistake in a table that is otherwise valid: `toml` plus one firm.
void expect_error_with_firm(const std::string& toml, const std::string& message) {
  expect_scenario_error(toml + "\n" + kFirm, message);
}

// Same, for an override applied to the one-firm scenario.
void expect_override_error(const std::string& set, const std::string& message,
                           const std::string& toml = kFirm) {
  expect_scenario_error(toml, message, {set});
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Field-for-field equality, written out independently of the registry so a
// field the registry forgets shows up as a round-trip failure.
void require_equal(const Schedule& a, const Schedule& b) {
  CHECK(a.kind == b.kind);
  CHECK(a.start == b.start);
  CHECK(a.end == b.end);
  CHECK(a.t0 == b.t0);
  CHECK(a.t1 == b.t1);
  CHECK(a.rate == b.rate);
}

void require_equal(const StrategyParams& a, const StrategyParams& b) {
  CHECK(a.name == b.name);
  CHECK(a.pricing == b.pricing);
  CHECK(a.price == b.price);
  CHECK(a.value_premium == b.value_premium);
  CHECK(a.invest_rate == b.invest_rate);
  CHECK(a.share_rd == b.share_rd);
  CHECK(a.share_imitation == b.share_imitation);
  CHECK(a.share_service == b.share_service);
  CHECK(a.share_enablement == b.share_enablement);
  CHECK(a.share_cocreation == b.share_cocreation);
  CHECK(a.share_marketing == b.share_marketing);
  CHECK(a.impact_per_customer == b.impact_per_customer);
  CHECK(a.philanthropy_rate == b.philanthropy_rate);
  CHECK(a.payout_rate == b.payout_rate);
  CHECK(a.cost_cutting == b.cost_cutting);
  CHECK(a.metric_pressure == b.metric_pressure);
  CHECK(a.purpose == b.purpose);
  CHECK(a.grant_funded == b.grant_funded);
  CHECK(a.people_investment == b.people_investment);  // [people], docs/MODEL.md 7.24
}

void require_equal(const People& a, const People& b) {  // [people], docs/MODEL.md 7.24
  CHECK(a.enabled == b.enabled);
  CHECK(a.investment_gain == b.investment_gain);
  CHECK(a.purpose_multiplier == b.purpose_multiplier);
  CHECK(a.purpose_alone == b.purpose_alone);
  CHECK(a.pressure_erosion == b.pressure_erosion);
  CHECK(a.crowding_out == b.crowding_out);
  CHECK(a.pressure_output == b.pressure_output);
  CHECK(a.quality_rate == b.quality_rate);
  CHECK(a.satisfaction_rate == b.satisfaction_rate);
}

void require_equal(const Params& a, const Params& b) {
  CHECK(a.name == b.name);
  CHECK(a.steps == b.steps);
  CHECK(a.seed == b.seed);
  const auto &m = a.mechanisms, &n = b.mechanisms;
  CHECK(m.adoption == n.adoption);
  CHECK(m.kano == n.kano);
  CHECK(m.expectations == n.expectations);
  CHECK(m.success == n.success);
  CHECK(m.era == n.era);
  CHECK(m.churn == n.churn);
  CHECK(m.word_of_mouth == n.word_of_mouth);
  CHECK(m.economics == n.economics);
  CHECK(m.innovation == n.innovation);
  CHECK(m.employees == n.employees);
  CHECK(m.social == n.social);
  CHECK(m.society == n.society);
  CHECK(m.adaptation == n.adaptation);
  CHECK(a.customers == b.customers);
  CHECK(a.initial_adopted == b.initial_adopted);
  CHECK(a.initial_expectation == b.initial_expectation);
  CHECK(a.expectation_spread == b.expectation_spread);
  CHECK(a.consideration_size == b.consideration_size);
  REQUIRE(a.segments.size() == b.segments.size());
  for (std::size_t i = 0; i < a.segments.size(); ++i) {
    const auto &s = a.segments[i], &t = b.segments[i];
    CHECK(s.name == t.name);
    CHECK(s.share == t.share);
    CHECK(s.price_sensitivity == t.price_sensitivity);
    CHECK(s.effort_mean == t.effort_mean);
    CHECK(s.difficulty_mean == t.difficulty_mean);
    CHECK(s.values_share == t.values_share);
    CHECK(s.values_weight == t.values_weight);
  }
  CHECK(a.network.kind == b.network.kind);
  CHECK(a.network.mean_degree == b.network.mean_degree);
  CHECK(a.network.rewire == b.network.rewire);
  CHECK(a.attributes == b.attributes);
  CHECK(a.latent_attributes == b.latent_attributes);
  CHECK(a.kano_beta == b.kano_beta);
  CHECK(a.initial_maturity == b.initial_maturity);
  CHECK(a.maturity_rate == b.maturity_rate);
  CHECK(a.initial_capability == b.initial_capability);
  CHECK(a.capability_spread == b.capability_spread);
  CHECK(a.kano_respondents == b.kano_respondents);
  CHECK(a.kano_noise == b.kano_noise);
  CHECK(a.bass_p == b.bass_p);
  CHECK(a.bass_q == b.bass_q);
  CHECK(a.marketing_lift == b.marketing_lift);
  CHECK(a.contact_cost == b.contact_cost);
  CHECK(a.expectation_lambda == b.expectation_lambda);
  CHECK(a.satisfaction_bias == b.satisfaction_bias);
  CHECK(a.disconfirmation_gain == b.disconfirmation_gain);
  CHECK(a.performance_gain == b.performance_gain);
  CHECK(a.service_weight == b.service_weight);
  CHECK(a.success_smoothing == b.success_smoothing);
  CHECK(a.enablement_scale == b.enablement_scale);
  CHECK(a.effort_weight == b.effort_weight);
  CHECK(a.cocreation_rate == b.cocreation_rate);
  CHECK(a.cocreation_decay == b.cocreation_decay);
  require_equal(a.era, b.era);
  require_equal(a.amplification, b.amplification);
  CHECK(a.logit_scale == b.logit_scale);
  CHECK(a.switching_cost == b.switching_cost);
  CHECK(a.churn_base == b.churn_base);
  CHECK(a.churn_dissatisfaction == b.churn_dissatisfaction);
  CHECK(a.exit_share == b.exit_share);
  CHECK(a.reputation_weight == b.reputation_weight);
  CHECK(a.full_awareness == b.full_awareness);
  CHECK(a.incumbent_by_experience == b.incumbent_by_experience);
  CHECK(a.talk_rate == b.talk_rate);
  CHECK(a.refer_prob == b.refer_prob);
  CHECK(a.warn_prob == b.warn_prob);
  CHECK(a.reputation_decay == b.reputation_decay);
  CHECK(a.initial_cash == b.initial_cash);
  CHECK(a.fixed_cost == b.fixed_cost);
  CHECK(a.serve_cost == b.serve_cost);
  CHECK(a.enablement_cost == b.enablement_cost);
  CHECK(a.impact_cost == b.impact_cost);
  CHECK(a.bankrupt_after == b.bankrupt_after);
  CHECK(a.entry_rate == b.entry_rate);
  CHECK(a.max_entrants == b.max_entrants);
  CHECK(a.entry_mix == b.entry_mix);
  CHECK(a.rd_efficiency == b.rd_efficiency);
  CHECK(a.discovery_rate == b.discovery_rate);
  CHECK(a.imitation_speed == b.imitation_speed);
  CHECK(a.imitation_lag == b.imitation_lag);
  CHECK(a.spend_scale == b.spend_scale);
  CHECK(a.engagement_initial == b.engagement_initial);
  CHECK(a.engagement_speed == b.engagement_speed);
  CHECK(a.engagement_productivity == b.engagement_productivity);
  CHECK(a.engagement_volatility == b.engagement_volatility);
  CHECK(a.philanthropy_efficiency == b.philanthropy_efficiency);
  CHECK(a.harm_per_cost == b.harm_per_cost);
  CHECK(a.harm_decay == b.harm_decay);
  CHECK(a.impact_visibility == b.impact_visibility);
  CHECK(a.philanthropy_visibility == b.philanthropy_visibility);
  CHECK(a.grant_per_impact == b.grant_per_impact);
  CHECK(a.adaptation_rate == b.adaptation_rate);
  CHECK(a.adaptation_sensitivity == b.adaptation_sensitivity);
  require_equal(a.people, b.people);
  REQUIRE(a.strategies.size() == b.strategies.size());
  for (std::size_t i = 0; i < a.strategies.size(); ++i) require_equal(a.strategies[i], b.strategies[i]);
  REQUIRE(a.firms.size() == b.firms.size());
  for (std::size_t i = 0; i < a.firms.size(); ++i) {
    CHECK(a.firms[i].name == b.firms[i].name);
    CHECK(a.firms[i].strategy == b.firms[i].strategy);
    CHECK(a.firms[i].count == b.firms[i].count);
  }
  REQUIRE(a.events.size() == b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    CHECK(a.events[i].step == b.events[i].step);
    CHECK(a.events[i].firm == b.events[i].firm);
    CHECK(a.events[i].attribute == b.events[i].attribute);
    CHECK(a.events[i].capability == b.events[i].capability);
  }
}

// A valid Params with every field away from its default, values chosen to
// need all 17 significant digits where a double is involved.
Params everything_changed() {
  Params p;
  p.name = "changed \"quoted\" \\ name";
  p.steps = 77;
  p.seed = 9223372036854775807ULL;
  auto& m = p.mechanisms;
  m.adoption = m.kano = m.expectations = m.success = m.era = m.churn = m.word_of_mouth = false;
  m.economics = m.innovation = m.employees = m.social = m.society = false;
  m.adaptation = true;
  p.customers = 12345;
  p.initial_adopted = 0.1 + 0.2;
  p.initial_expectation = 1.0 / 3.0;
  p.expectation_spread = 0.05;
  p.consideration_size = 7;
  p.segments = {Segment{"a", 0.25, 0.011, 0.4, 2.5, 0.5, 3.0}, Segment{"b", 0.75, 0.07, 0.6, 0.9, 0.1, 0.7}};
  p.network = {NetworkKind::BarabasiAlbert, 7.0, 0.3};
  p.attributes = 20;
  p.latent_attributes = 12;
  p.kano_beta = 2.0 / 3.0;
  p.initial_maturity = 0.31;
  p.maturity_rate = 0.051;
  p.initial_capability = 0.41;
  p.capability_spread = 0.11;
  p.kano_respondents = 123;
  p.kano_noise = 0.07;
  p.bass_p = 0.031;
  p.bass_q = 0.381;
  p.marketing_lift = 0.51;
  p.contact_cost = 1e-7;
  p.expectation_lambda = 0.11;
  p.satisfaction_bias = -2.25;
  p.disconfirmation_gain = 4.1;
  p.performance_gain = 2.1;
  p.service_weight = 0.31;
  p.success_smoothing = 0.31;
  p.enablement_scale = 2.1;
  p.effort_weight = 0.51;
  p.cocreation_rate = 0.21;
  p.cocreation_decay = 0.051;
  p.era = {ScheduleKind::Endogenous, 0.2, 0.8, 10.5, 0.0, 0.25};
  p.amplification = {ScheduleKind::Step, 0.5, 4.5, 12.0, 3.0, 1e-3};
  p.logit_scale = 0.11;
  p.switching_cost = 0.11;
  p.churn_base = 0.011;
  p.churn_dissatisfaction = 0.11;
  p.exit_share = 0.11;
  p.reputation_weight = 0.21;
  p.full_awareness = true;
  p.incumbent_by_experience = false;
  p.talk_rate = 0.31;
  p.refer_prob = 0.31;
  p.warn_prob = 0.51;
  p.reputation_decay = 0.11;
  p.initial_cash = 123456.78901234567;
  p.fixed_cost = 1e12;
  p.serve_cost = 4.1;
  p.enablement_cost = 1.1;
  p.impact_cost = 1.1;
  p.bankrupt_after = 7;
  p.entry_rate = 0.021;
  p.max_entrants = 5;
  p.entry_mix = {"nonprofit", "mine"};
  p.rd_efficiency = 0.021;
  p.discovery_rate = 0.021;
  p.imitation_speed = 0.21;
  p.imitation_lag = 7;
  p.spend_scale = 2.1;
  p.engagement_initial = 0.51;
  p.engagement_speed = 0.11;
  p.engagement_productivity = 0.31;
  p.engagement_volatility = 0.03;
  p.philanthropy_efficiency = 0.011;
  p.harm_per_cost = 0.011;
  p.harm_decay = 0.021;
  p.impact_visibility = 1.1;
  p.philanthropy_visibility = 0.31;
  p.grant_per_impact = 8.1;
  p.adaptation_rate = 0.051;
  p.adaptation_sensitivity = 5.1;
  p.people = {true, 0.41, 1.1, 0.051, 0.41, 0.91, 0.11, 0.26, 0.24};  // [people]
  StrategyParams s;
  s.name = "mine";
  s.pricing = PricingRule::ProfitMax;
  s.price = 12.5;
  s.value_premium = 0.7;
  s.invest_rate = 0.25;
  s.share_rd = 0.1;
  s.share_imitation = 0.1;
  s.share_service = 0.1;
  s.share_enablement = 0.2;
  s.share_cocreation = 0.2;
  s.share_marketing = 0.3;
  s.impact_per_customer = 0.5;
  s.philanthropy_rate = 0.3;
  s.payout_rate = 0.7;
  s.cost_cutting = 0.2;
  s.metric_pressure = 0.4;
  s.purpose = 0.9;
  s.grant_funded = true;
  s.people_investment = 1.25;
  p.strategies = {s};
  p.firms = {FirmGroup{"alpha", "mine", 3}, FirmGroup{"beta", "shareholder", 1}};
  p.events = {Event{77, "alpha-3", 31, 1.0 / 3.0}, Event{1, "beta", -1, 0.0}};
  return p;
}

const char* const kShipped[] = {"baseline.toml", "baseline-v1.toml", "six-strategies.toml", "tiny.toml",
                                "bench-1m.toml"};

}  // namespace

// ---- valid input --------------------------------------------------------------

TEST_CASE("scenario: a file with one firm gets every default", "[scenario]") {
  Params p = parse(kFirm);
  Params d;
  p.firms.clear();
  d.firms.clear();
  require_equal(p, d);
  Params q = parse(kFirm);
  REQUIRE(q.firms.size() == 1);
  CHECK(q.firms[0].strategy == "success");
  CHECK(q.firms[0].name == "success");  // the name defaults to the strategy
  CHECK(q.firms[0].count == 1);
  REQUIRE(q.segments.size() == 1);  // no [[customers.segments]]: one default segment
  CHECK(q.segments[0].name == Segment{}.name);
}

TEST_CASE("scenario: keys map to their Params fields", "[scenario]") {
  Params p = parse(R"(
[run]
name = "demo"
steps = 36
seed = 42
[mechanisms]
adaptation = true
word_of_mouth = false
[customers]
count = 2000
[adoption]
p = 0.01
q = 0.5
[expectations]
lambda = 0.2
[employees]
initial = 0.7
[adaptation]
rate = 0.5
[era]
kind = "linear"
t0 = 10
t1 = 20
[[customers.segments]]
name = "x"
share = 0.4
[[customers.segments]]
name = "y"
share = 0.6
price_sensitivity = 3
)" + kFirm);
  CHECK(p.name == "demo");
  CHECK(p.steps == 36);
  CHECK(p.seed == 42);
  CHECK(p.mechanisms.adaptation);
  CHECK_FALSE(p.mechanisms.word_of_mouth);
  CHECK(p.customers == 2000);
  CHECK(p.bass_p == 0.01);
  CHECK(p.bass_q == 0.5);
  CHECK(p.expectation_lambda == 0.2);
  CHECK(p.engagement_initial == 0.7);
  CHECK(p.adaptation_rate == 0.5);
  CHECK(p.era.kind == ScheduleKind::Linear);
  CHECK(p.era.t1 == 20.0);  // an integer is accepted for a float key
  REQUIRE(p.segments.size() == 2);
  CHECK(p.segments[1].name == "y");
  CHECK(p.segments[1].price_sensitivity == 3.0);
  CHECK(p.segments[1].effort_mean == Segment{}.effort_mean);
}

TEST_CASE("scenario: custom strategies start from their base", "[scenario]") {
  Params p = parse(R"(
[[strategies]]
name = "lean-success"
base = "success"
invest_rate = 0.1
[[strategies]]
name = "leaner"
base = "lean-success"
price = 5
[[strategies]]
name = "plain"
[[firms]]
strategy = "leaner"
count = 2
[[firms]]
strategy = "plain"
name = "p"
)");
  REQUIRE(p.strategies.size() == 3);
  StrategyParams success = builtin_strategy_params("success");
  const auto& lean = p.strategies[0];
  CHECK(lean.name == "lean-success");
  CHECK(lean.invest_rate == 0.1);
  CHECK(lean.share_enablement == success.share_enablement);
  CHECK(lean.pricing == success.pricing);
  const auto& leaner = p.strategies[1];
  CHECK(leaner.price == 5.0);
  CHECK(leaner.invest_rate == 0.1);
  CHECK(leaner.share_cocreation == success.share_cocreation);
  StrategyParams plain;
  plain.name = "plain";
  require_equal(p.strategies[2], plain);
  CHECK(p.firms[0].count == 2);
  CHECK(p.firms[1].name == "p");
}

TEST_CASE("scenario: to_toml round-trips every field exactly", "[scenario]") {
  Params p = everything_changed();
  std::string text = to_toml(p);
  INFO(text);
  Params q = parse_scenario(text, "resolved.toml");
  require_equal(p, q);
  CHECK(q == p);  // every field, also those require_equal does not list
  CHECK(to_toml(q) == text);
  CHECK_THAT(text, Contains("initial_adopted = 0.30000000000000004"));
  CHECK_THAT(text, Contains("initial_cash = 123456.78901234567"));
  CHECK_THAT(text, Contains("seed = 9223372036854775807"));
  CHECK_THAT(text, Contains("fixed_cost = 1e+12"));
}

// A valid value of a number key other than `d`: halfway to the upper bound (or d + 1), else to the lower.
double other_value(double d, const scenario::Range& r, bool integer) {
  auto fit = [&](double x) { return integer ? std::floor(x) : x; };
  const double up = std::isfinite(r.hi) ? fit(d + (r.hi - d) / 2) : fit(d + 1);
  if (up != d && r.contains(up)) return up;
  const double down = std::isfinite(r.lo) ? fit(d - (d - r.lo) / 2) : fit(d - 1);
  if (down != d && r.contains(down)) return down;
  return integer ? (r.contains(d + 1) ? d + 1 : d - 1) : d;
}

TEST_CASE("scenario: every registry key changes one field and reads back what to_toml writes", "[scenario]") {
  // Field-for-field equality (the defaulted operator== of every Params struct), so a key whose value is
  // written or read wrongly, or reaches the wrong member, fails here whatever section it is in.
  const Params base = parse("[[firms]]\nstrategy = \"shareholder\"\n");
  int keys = 0;
  std::vector<std::string> refused;
  for (const auto& section : scenario::sections()) {
    for (const auto& f : section.fields) {
      const std::string key = std::string(section.name) + "." + std::string(f.key);
      INFO(key);
      Params p = base;
      std::visit(
          [&](auto* v) {
            using T = std::remove_pointer_t<decltype(v)>;
            if constexpr (std::is_same_v<T, bool>) {
              *v = !*v;
            } else if constexpr (std::is_same_v<T, double>) {
              *v = other_value(*v, f.range, false);
            } else if constexpr (std::is_same_v<T, int> || std::is_same_v<T, std::int64_t> ||
                                 std::is_same_v<T, std::uint64_t>) {
              *v = static_cast<T>(other_value(static_cast<double>(*v), f.range, true));
            } else if constexpr (std::is_same_v<T, std::string>) {
              *v += "x";
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
              *v = {"nonprofit"};
            } else {  // an enum: the next of its names
              const auto names = scenario::enum_names(v);
              for (std::size_t k = 0; k < names.size(); ++k)
                if (names[k].value == *v) {
                  *v = names[(k + 1) % names.size()].value;
                  break;
                }
            }
          },
          f.ref(p));
      CHECK_FALSE(p == base);  // the key reaches a member
      Params q;
      try {
        q = parse_scenario(to_toml(p), "resolved.toml");
      } catch (const std::exception& e) {
        // A value the scenario's cross-checks refuse on its own (e.g. a schedule end before its start).
        INFO(e.what());
        CHECK_THAT(std::string(e.what()), Contains("resolved.toml:"));
        refused.push_back(key);
        continue;
      }
      CHECK(q == p);
      ++keys;
    }
  }
  INFO("refused on their own: " << refused.size());
  for (const auto& k : refused) UNSCOPED_INFO(k);
  CHECK(refused.size() <= 3);
  CHECK(keys >= 140);  // the registry's section keys (146 when this test was written)
}

TEST_CASE("scenario: to_toml writes defaults, custom strategies and firms", "[scenario]") {
  Params p = parse("[[strategies]]\nname = \"mine\"\nbase = \"nonprofit\"\n[[firms]]\nstrategy = \"mine\"\n");
  std::string text = to_toml(p);
  CHECK_THAT(text, Contains("[economics]"));
  CHECK_THAT(text, Contains("maturity_rate = 0.05"));
  CHECK_THAT(text, Contains("[[customers.segments]]"));
  CHECK_THAT(text, Contains("[[strategies]]\nname = \"mine\""));
  CHECK_THAT(text,
             Contains("grant_funded = " +
                      std::string(builtin_strategy_params("nonprofit").grant_funded ? "true" : "false")));
  CHECK_THAT(text, Contains("[[firms]]\nstrategy = \"mine\""));
  CHECK_THAT(text, !Contains("\nbase ="));  // fully expanded
  require_equal(parse_scenario(text, "resolved.toml"), p);
}

TEST_CASE("scenario: the shipped scenarios load and round-trip", "[scenario]") {
  for (const char* name : kShipped) {
    INFO(name);
    Params p = load_scenario(kSource + "/scenarios/" + name);
    CHECK_FALSE(p.firms.empty());
    require_equal(parse_scenario(to_toml(p), "resolved.toml"), p);
  }
  // The v2 baseline (the default) and the v1 baseline share the market: twelve firms, two per built-in
  // strategy, 20,000 customers, the same network, era schedule and entry.
  for (const char* name : {"baseline.toml", "baseline-v1.toml"}) {
    INFO(name);
    Params baseline = load_scenario(kSource + "/scenarios/" + name);
    CHECK(baseline.customers == 20000);
    CHECK(baseline.steps == 120);
    CHECK(baseline.network.kind == NetworkKind::WattsStrogatz);
    CHECK(baseline.network.mean_degree == 10.0);
    CHECK(baseline.era.kind == ScheduleKind::Logistic);
    CHECK(baseline.era.start == 0.1);
    CHECK(baseline.era.end == 0.7);
    CHECK(baseline.era.t0 == 60.0);
    CHECK(baseline.max_entrants == 4);
    int firms = 0;
    for (const auto& f : baseline.firms) firms += f.count;
    CHECK(firms == 12);
    for (const auto& b : builtin_strategy_names()) {
      int n = 0;
      for (const auto& f : baseline.firms)
        if (f.strategy == b) n += f.count;
      CHECK(n == 2);
    }
  }
  // baseline-v1.toml is the v1 model: every v2 switch at its default (off).
  const Params v1 = load_scenario(kSource + "/scenarios/baseline-v1.toml");
  const Params d;
  CHECK(v1.outside_option == d.outside_option);
  CHECK(v1.needs.heterogeneous == d.needs.heterogeneous);
  CHECK(v1.wom_content.enabled == d.wom_content.enabled);
  CHECK(v1.grant_pool == d.grant_pool);
  CHECK(v1.nonprofit_clients == d.nonprofit_clients);
  CHECK(v1.people.enabled == d.people.enabled);
  CHECK(v1.segments.size() == 1);
  // baseline.toml is the v2 baseline: demand side, success expectations, society, people, co-creation and
  // harm on, with a client segment for the nonprofits.
  const Params v2 = load_scenario(kSource + "/scenarios/baseline.toml");
  CHECK(v2.outside_option);
  CHECK(v2.needs.kano_asymmetric);
  CHECK(v2.needs.heterogeneous);
  CHECK(v2.wom_content.enabled);
  CHECK(v2.success_expectations.enabled);  // the emergent era, with the part C refinements (Eq. C2', C3', C8)
  CHECK(v2.success_expectations.adjust_stories);
  CHECK(v2.success_expectations.judged);
  CHECK(v2.success_expectations.onboarding > 0);
  CHECK(v2.grant_pool);
  CHECK(v2.nonprofit_clients);
  CHECK(v2.cost_per_impact.enabled);
  CHECK(v2.people.enabled);
  CHECK(v2.cocreation_network.enabled);
  CHECK(v2.harm_cost.enabled);
  int clients = 0;
  for (const auto& seg : v2.segments) {
    CHECK(seg.values_share == Segment{}.values_share);  // about one in three weigh a firm's values
    if (seg.nonprofit_client) ++clients;
  }
  CHECK(clients == 1);
  Params bench = load_scenario(kSource + "/scenarios/bench-1m.toml");
  CHECK(bench.customers == 1000000);
  int bench_firms = 0;
  for (const auto& f : bench.firms) bench_firms += f.count;
  CHECK(bench_firms == 20);
  Params tiny = load_scenario(kSource + "/scenarios/tiny.toml");
  CHECK(tiny.customers == 500);
  CHECK(tiny.steps == 24);
  Params six = load_scenario(kSource + "/scenarios/six-strategies.toml");
  CHECK(six.customers == 5000);
  CHECK(six.firms.size() == 6);
}

// ---- messages: location, types, ranges -----------------------------------------

TEST_CASE("scenario: messages start with file:line:column", "[scenario]") {
  expect_scenario_error("[run]\nsteps = \"ten\"\n" + kFirm,
                        "test.toml:2:9: key 'run.steps' must be an integer, got string \"ten\"");
  expect_scenario_error("\n\n[market]\n  maturity_rate = 1.5\n" + kFirm,
                        "test.toml:4:19: key 'market.maturity_rate' must be in [0, 1], got 1.5");
}

TEST_CASE("scenario: wrong types are named", "[scenario]") {
  expect_error_with_firm("[run]\nsteps = 12.5", "key 'run.steps' must be an integer, got float 12.5");
  expect_error_with_firm("[run]\nsteps = 12.0", "key 'run.steps' must be an integer, got float 12");
  expect_error_with_firm("[run]\nname = 3", "key 'run.name' must be a string, got integer 3");
  expect_error_with_firm("[market]\nkano_beta = \"1\"",
                         "key 'market.kano_beta' must be a number, got string");
  expect_error_with_firm("[mechanisms]\nera = 1",
                         "key 'mechanisms.era' must be a boolean (true or false), got integer");
  expect_error_with_firm("[economics]\nentry_mix = \"success\"",
                         "key 'economics.entry_mix' must be an array of strings");
  expect_error_with_firm("[economics]\nentry_mix = [\"success\", 3]",
                         "key 'economics.entry_mix.1' must be a string, got integer 3");
  expect_error_with_firm("[market]\nattributes = 1979-05-27",
                         "key 'market.attributes' must be an integer, got date");
  expect_error_with_firm("run = 5", "key 'run' must be a table, got integer 5");
  expect_error_with_firm("[customers]\nsegments = 1", "key 'customers.segments' must be an array of tables");
  expect_error_with_firm("[customers]\nsegments = [1]",
                         "key 'customers.segments.0' must be a table, got integer 1");
  expect_error_with_firm("[customers]\nsegments = []",
                         "key 'customers.segments' must have at least one segment");
  expect_scenario_error("firms = \"success\"",
                        "key 'firms' must be an array of tables ([[firms]]), got string");
  expect_scenario_error("firms = []", "key 'firms' must have at least one [[firms]] entry");
  expect_error_with_firm("[network]\nkind = 3", "key 'network.kind' must be a string, got integer 3");
}

TEST_CASE("scenario: integers are accepted for floats, not floats for integers", "[scenario]") {
  CHECK(parse("[market]\nkano_beta = 3\n" + kFirm).kano_beta == 3.0);
  CHECK(parse("[market]\nkano_beta = 3e0\n" + kFirm).kano_beta == 3.0);
  expect_error_with_firm("[market]\nattributes = 6e0",
                         "key 'market.attributes' must be an integer, got float 6");
}

TEST_CASE("scenario: out-of-range values give the range", "[scenario]") {
  expect_error_with_firm("[market]\nmaturity_rate = 1.5",
                         "key 'market.maturity_rate' must be in [0, 1], got 1.5");
  expect_error_with_firm("[market]\nmaturity_rate = -0.1",
                         "key 'market.maturity_rate' must be in [0, 1], got -0.1");
  expect_error_with_firm("[adoption]\ncontact_cost = 0", "key 'adoption.contact_cost' must be > 0, got 0");
  expect_error_with_firm("[run]\nsteps = 0", "key 'run.steps' must be in [1, 100000], got 0");
  expect_error_with_firm("[customers]\ncount = 1000000000000000",
                         "key 'customers.count' must be in [1, 100000000], got 1000000000000000");
  expect_error_with_firm("[customers]\ncount = -5",
                         "key 'customers.count' must be in [1, 100000000], got -5");
  expect_error_with_firm("[customers]\nconsideration_size = 9",
                         "key 'customers.consideration_size' must be in [1, 8], got 9");
  expect_error_with_firm("[customers]\nconsideration_size = 0", "must be in [1, 8], got 0");
  expect_error_with_firm("[run]\nseed = -1", "key 'run.seed' must be in [0, 9223372036854775807], got -1");
  expect_error_with_firm("[economics]\ninitial_cash = 1e13",
                         "key 'economics.initial_cash' must be in [0, 1e+12], got 1e+13");
  expect_error_with_firm("[expectations]\nsatisfaction_bias = -21", "must be in [-20, 20], got -21");
  expect_error_with_firm("[[customers.segments]]\ndifficulty_mean = 0.001",
                         "key 'customers.segments.0.difficulty_mean' must be in [0.01, 100], got 0.001");
  expect_scenario_error("[[firms]]\nstrategy = \"success\"\ncount = 0",
                        "key 'firms.0.count' must be in [1, 1000], got 0");
  expect_scenario_error("[[strategies]]\nname = \"x\"\nprice = -1\n" + kFirm,
                        "key 'strategies.0.price' must be in [0, 1000000], got -1");
  CHECK(parse("[run]\nseed = 9223372036854775807\n" + kFirm).seed == 9223372036854775807ULL);
  CHECK(parse("[run]\nseed = 0\n" + kFirm).seed == 0);
}

TEST_CASE("scenario: nan and inf are rejected by name", "[scenario]") {
  expect_error_with_firm("[market]\nkano_beta = nan",
                         "key 'market.kano_beta' must be a finite number, got nan");
  expect_error_with_firm("[market]\nkano_beta = inf",
                         "key 'market.kano_beta' must be a finite number, got inf");
  expect_error_with_firm("[market]\nkano_beta = -inf", "must be a finite number, got -inf");
  expect_error_with_firm("[adoption]\ncontact_cost = +inf", "must be a finite number, got inf");
  expect_error_with_firm("[market]\nkano_beta = -nan", "must be a finite number, got nan");
}

TEST_CASE("scenario: enum values list the choices and suggest one", "[scenario]") {
  expect_error_with_firm(
      "[network]\nkind = \"watts-strogaz\"",
      "key 'network.kind' must be one of \"complete\", \"erdos-renyi\", \"watts-strogatz\", "
      "\"barabasi-albert\", got \"watts-strogaz\"; did you mean 'watts-strogatz'?");
  expect_error_with_firm("[era]\nkind = \"sigmoid\"", "key 'era.kind' must be one of \"constant\"");
  expect_scenario_error(
      "[[strategies]]\nname = \"x\"\npricing = \"profitmax\"\n" + kFirm,
      "key 'strategies.0.pricing' must be one of \"fixed\", \"market\", \"value\", \"profit-max\", "
      "\"subsidised\", got \"profitmax\"; did you mean 'profit-max'?");
  // docs/MODEL.md 7.25: the adaptation fitness.
  expect_error_with_firm("[adaptation]\nfitness = \"equity\"",
                         "key 'adaptation.fitness' must be one of \"margin\", \"customer-equity\", \"cash\"");
  CHECK(parse("[adaptation]\nfitness = \"customer-equity\"\n" + kFirm).adaptation_fitness ==
        AdaptationFitness::CustomerEquity);
  CHECK(parse(kFirm).adaptation_fitness == AdaptationFitness::Margin);
}

// ---- unknown keys ---------------------------------------------------------------

TEST_CASE("scenario: unknown keys suggest the nearest known key", "[scenario]") {
  expect_error_with_firm("[market]\nmaturty_rate = 0.1",
                         "test.toml:2:1: unknown key 'market.maturty_rate'; did you mean 'maturity_rate'?");
  expect_error_with_firm("[markt]\nmaturity_rate = 0.1", "unknown key 'markt'; did you mean 'market'?");
  expect_error_with_firm("[[customers.segments]]\nsahre = 1",
                         "unknown key 'customers.segments.0.sahre'; did you mean 'share'?");
  expect_scenario_error("[[strategies]]\nname = \"x\"\nprcie = 1\n" + kFirm,
                        "unknown key 'strategies.0.prcie'; did you mean 'price'?");
  expect_scenario_error("[[firms]]\nstrategy = \"success\"\ncuont = 2",
                        "unknown key 'firms.0.cuont'; did you mean 'count'?");
  expect_scenario_error("[[firm]]\nstrategy = \"success\"", "unknown key 'firm'; did you mean 'firms'?");
  expect_error_with_firm("[customers]\nsegment = []",
                         "unknown key 'customers.segment'; did you mean 'segments'?");
  expect_error_with_firm("[market]\nzzz = 1",
                         "unknown key 'market.zzz'; known keys in 'market': attributes,");
  expect_error_with_firm("[market]\n\"a\\nb\" = 1", "test.toml:2:1: unknown key 'market.a\\nb'");
}

TEST_CASE("scenario: keys in the wrong table or under their C++ name are pointed home", "[scenario]") {
  expect_error_with_firm("steps = 10", "unknown key 'steps'; did you mean 'run.steps'?");
  expect_error_with_firm("[adoption]\nbass_p = 0.1", "unknown key 'adoption.bass_p'; did you mean 'p'?");
  expect_error_with_firm("[customers]\ncustomers = 10",
                         "unknown key 'customers.customers'; did you mean 'count'?");
  expect_error_with_firm("[market]\nbass_q = 0.1", "unknown key 'market.bass_q'; did you mean 'adoption.q'?");
  expect_error_with_firm("[run]\nfull_awareness = true", "did you mean 'choice.full_awareness'?");
}

// ---- parse errors and files ----------------------------------------------------------

TEST_CASE("scenario: TOML syntax errors carry their location", "[scenario]") {
  expect_scenario_error("[run]\nsteps = = 3\n", "test.toml:2:");
  expect_scenario_error("[run]\nsteps = = 3\n", "invalid TOML");
  expect_scenario_error("[run]\nsteps = 1\nsteps = 2\n", "test.toml:3:");
  expect_scenario_error("[run\n", "test.toml:1:");
  expect_scenario_error("[run]\nseed = 9223372036854775808\n" + kFirm, "test.toml:2:");
}

TEST_CASE("scenario: an empty file has no firms", "[scenario]") {
  expect_scenario_error("", "test.toml:1:1: scenario has no [[firms]]");
  expect_scenario_error("# only a comment\n", "scenario has no [[firms]]");
}

TEST_CASE("scenario: binary garbage and invalid UTF-8 are parse errors", "[scenario]") {
  expect_scenario_error(std::string("name = \"\xff\xfe\"\n"), "test.toml:1:");
  expect_scenario_error(std::string("\xc3\x28 = 1\n"), "test.toml:1:");
  expect_scenario_error(std::string("\x00\x01\x02\x03garbage", 11), "test.toml:1:");
  expect_scenario_error(std::string("\x7f"
                                    "ELF\x02\x01\x01\x00\x00\x00",
                                    10),
                        "invalid TOML");
}

TEST_CASE("scenario: missing and unreadable files", "[scenario]") {
  try {
    load_scenario("no-such-dir/x.toml");
    FAIL("no error");
  } catch (const ScenarioError& e) {
    CHECK(std::string(e.what()) == "cannot open scenario 'no-such-dir/x.toml': No such file or directory");
  }
  CHECK_THROWS_AS(load_scenario(kSource + "/scenarios"), ScenarioError);
}

TEST_CASE("scenario: no input crashes the reader", "[scenario]") {
  // Every prefix of a real scenario, and random byte flips of it, must either
  // load or give a ScenarioError (anything else escapes and fails the case).
  const std::string text = read_file(kSource + "/scenarios/baseline.toml");
  REQUIRE_FALSE(text.empty());
  int errors = 0;
  for (std::size_t n = 0; n <= text.size(); n += 7) {
    try {
      parse(text.substr(0, n));
    } catch (const ScenarioError&) {
      ++errors;
    }
  }
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    std::string t = text;
    for (int k = 0; k < 3; ++k) t[rng() % t.size()] = static_cast<char>(rng() % 256);
    try {
      parse(t);
    } catch (const ScenarioError& e) {
      CHECK_THAT(e.what(), StartsWith("test.toml"));
      ++errors;
    }
  }
  CHECK(errors > 0);
}

// ---- cross-field checks ------------------------------------------------------------------

TEST_CASE("scenario: segment shares must sum to 1", "[scenario]") {
  expect_error_with_firm(
      "[[customers.segments]]\nname = \"a\"\nshare = 0.5\n[[customers.segments]]\nname = \"b\"\nshare = 0.4",
      "segment shares (customers.segments.*.share) must sum to 1, got 0.9");
  CHECK(parse("[[customers.segments]]\nname = \"a\"\nshare = 0.3\n[[customers.segments]]\nname = "
              "\"b\"\nshare = 0.7\n" +
              kFirm)
            .segments.size() == 2);
}

TEST_CASE("scenario: segment names must be unique", "[scenario]") {
  expect_error_with_firm(
      "[[customers.segments]]\nname = \"a\"\nshare = 0.5\n[[customers.segments]]\nname = \"a\"\nshare = 0.5",
      "segment name \"a\" is used twice");
}

TEST_CASE("scenario: strategy budget shares must sum to at most 1", "[scenario]") {
  expect_scenario_error("[[strategies]]\nname = \"greedy\"\nshare_rd = 0.5\nshare_marketing = 0.6\n" + kFirm,
                        "test.toml:3:12: strategy \"greedy\": the budget shares");
  expect_scenario_error("[[strategies]]\nname = \"greedy\"\nshare_rd = 0.5\nshare_marketing = 0.6\n" + kFirm,
                        "must sum to <= 1, got 1.5");
  expect_scenario_error("[[strategies]]\nname = \"g\"\nphilanthropy_rate = 0.6\npayout_rate = 0.6\n" + kFirm,
                        "philanthropy_rate + payout_rate must be <= 1, got 1.2");
}

TEST_CASE("scenario: attributes plus latent attributes at most 32", "[scenario]") {
  expect_error_with_firm(
      "[market]\nattributes = 30\nlatent_attributes = 3",
      "test.toml:3:21: market.attributes + market.latent_attributes must be <= 32, got 30 + 3");
  CHECK(parse("[market]\nattributes = 30\nlatent_attributes = 2\n" + kFirm).attributes == 30);
}

TEST_CASE("scenario: firm slots at most 1000", "[scenario]") {
  expect_scenario_error("[economics]\nmax_entrants = 4\n[[firms]]\nstrategy = \"success\"\ncount = 997",
                        "plus economics.max_entrants must be <= 1000, got 1001");
  expect_scenario_error("[[firms]]\nstrategy = \"success\"\ncount = 1000\n[[firms]]\nstrategy = \"synergy\"",
                        "got 1005");
}

TEST_CASE("scenario: strategy names are unique and do not shadow built-ins", "[scenario]") {
  expect_scenario_error(
      "[[strategies]]\nname = \"x\"\n[[strategies]]\nname = \"x\"\n" + kFirm,
      "test.toml:4:8: key 'strategies.1.name': strategy \"x\" is already defined by strategies.0");
  expect_scenario_error("[[strategies]]\nname = \"success\"\n" + kFirm,
                        "key 'strategies.0.name': \"success\" is a built-in strategy; choose another name");
  expect_scenario_error("[[strategies]]\nprice = 3\n" + kFirm,
                        "test.toml:1:1: key 'strategies.0.name' is required");
  expect_scenario_error("[[strategies]]\nname = \"\"\n" + kFirm, "key 'strategies.0.name' must not be empty");
}

TEST_CASE("scenario: strategy bases must exist and come first", "[scenario]") {
  expect_scenario_error("[[strategies]]\nname = \"x\"\nbase = \"sucess\"\n" + kFirm,
                        "key 'strategies.0.base' names unknown strategy \"sucess\"");
  expect_scenario_error("[[strategies]]\nname = \"x\"\nbase = \"sucess\"\n" + kFirm,
                        "did you mean 'success'?");
  expect_scenario_error("[[strategies]]\nname = \"x\"\nbase = \"y\"\n[[strategies]]\nname = \"y\"\n" + kFirm,
                        "an earlier [[strategies]] entry");
  expect_scenario_error("[[strategies]]\nname = \"x\"\nbase = 1\n" + kFirm,
                        "key 'strategies.0.base' must be a string");
}

TEST_CASE("scenario: firm strategies and entry_mix must exist", "[scenario]") {
  expect_scenario_error(
      "[[firms]]\nstrategy = \"sucess\"",
      "test.toml:2:12: key 'firms.0.strategy' names unknown strategy \"sucess\"; did you mean 'success'?");
  expect_scenario_error("[[firms]]\nstrategy = \"nope\"", "(built-ins: shareholder, satisfaction, success,");
  expect_scenario_error("[[strategies]]\nname = \"mine\"\n[[firms]]\nstrategy = \"mien\"",
                        "did you mean 'mine'?");
  expect_scenario_error("[[firms]]\ncount = 2", "test.toml:1:1: key 'firms.0.strategy' is required");
  expect_error_with_firm(
      "[economics]\nentry_mix = [\"success\", \"synergi\"]",
      "key 'economics.entry_mix.1' names unknown strategy \"synergi\"; did you mean 'synergy'?");
  CHECK(parse("[economics]\nentry_mix = [\"success\", \"nonprofit\"]\n" + kFirm).entry_mix.size() == 2);
}

TEST_CASE("scenario: firm names are unique across groups", "[scenario]") {
  expect_scenario_error(kFirm + kFirm,
                        "firm name \"success\" of firms.1 is already used by firms.0 (the name "
                        "defaults to the strategy name)");
  CHECK(parse(kFirm + kFirm + "name = \"success-b\"\n").firms.size() == 2);
  expect_scenario_error(kFirm + "name = \"\"\n", "key 'firms.0.name' must not be empty");
}

TEST_CASE("scenario: schedules", "[scenario]") {
  expect_error_with_firm("[era]\nkind = \"linear\"\nt0 = 50\nt1 = 40",
                         "test.toml:4:6: key 'era.t1' must be >= era.t0 (50) for a linear schedule, got 40");
  expect_error_with_firm("[amplification]\nt0 = 50\nt1 = 40",
                         "key 'amplification.t1' must be >= amplification.t0");
  CHECK(parse("[era]\nkind = \"logistic\"\nt0 = 50\nt1 = 0\n" + kFirm).era.t0 == 50.0);  // t1 unused
  expect_error_with_firm("[amplification]\nkind = \"endogenous\"",
                         "key 'amplification.kind' cannot be \"endogenous\" (only era can be)");
  CHECK(parse("[era]\nkind = \"endogenous\"\n" + kFirm).era.kind == ScheduleKind::Endogenous);
  expect_error_with_firm("[era]\nrate = 0", "key 'era.rate' must be > 0, got 0");
  expect_error_with_firm("[era]\nstart = 1.5", "key 'era.start' must be in [0, 1], got 1.5");
}

TEST_CASE("scenario: network checks", "[scenario]") {
  expect_error_with_firm(
      "[network]\nmean_degree = 5",
      "test.toml:2:15: key 'network.mean_degree' must be an even integer for watts-strogatz, got 5");
  expect_error_with_firm("[network]\nmean_degree = 4.5",
                         "must be an even integer for watts-strogatz, got 4.5");
  CHECK(parse("[network]\nkind = \"erdos-renyi\"\nmean_degree = 4.5\n" + kFirm).network.mean_degree == 4.5);
  expect_error_with_firm("[customers]\ncount = 10\n[network]\nmean_degree = 10",
                         "key 'network.mean_degree' must be < customers.count (10), got 10");
  expect_error_with_firm("[customers]\ncount = 100000000\n[network]\nmean_degree = 50",
                         "customers.count * network.mean_degree must be < 2^32");
  CHECK(parse("[customers]\ncount = 100000000\n[network]\nkind = \"complete\"\n" + kFirm).customers ==
        100000000);
  CHECK(parse("[customers]\ncount = 5\n[network]\nkind = \"complete\"\n" + kFirm).customers == 5);
  expect_error_with_firm("[network]\nmean_degree = 1",
                         "key 'network.mean_degree' must be in [2, 1000], got 1");
  expect_error_with_firm("[network]\nrewire = 2", "key 'network.rewire' must be in [0, 1], got 2");
}

// ---- overrides ----------------------------------------------------------------------------

TEST_CASE("scenario: overrides set keys with TOML values", "[scenario]") {
  Params p =
      parse(kFirm, {"run.steps=10", "market.maturity_rate=0.2", "run.name=\"x y\"", "mechanisms.kano=false",
                    "network.kind=complete", "economics.entry_mix=[\"nonprofit\"]", "run.name = \"spaced\" ",
                    "adoption.p=1e-2"});
  CHECK(p.steps == 10);
  CHECK(p.maturity_rate == 0.2);
  CHECK(p.name == "spaced");  // later overrides win
  CHECK_FALSE(p.mechanisms.kano);
  CHECK(p.network.kind == NetworkKind::Complete);
  CHECK(p.entry_mix == std::vector<std::string>{"nonprofit"});
  CHECK(p.bass_p == 0.01);
  CHECK(parse(kFirm, {"run.name=bare-word"}).name == "bare-word");
  // An override wins over the file.
  CHECK(parse("[run]\nsteps = 50\n" + kFirm, {"run.steps=60"}).steps == 60);
}

TEST_CASE("scenario: overrides index arrays of tables", "[scenario]") {
  const std::string toml = R"(
[[customers.segments]]
name = "a"
share = 0.5
[[customers.segments]]
name = "b"
share = 0.5
[[strategies]]
name = "mine"
[[firms]]
strategy = "mine"
[[firms]]
strategy = "success"
)";
  Params p = parse(
      toml, {"firms.0.count=3", "firms.1.name=\"s\"", "customers.segments.1.share=0.25",
             "customers.segments.0.share=0.75", "strategies.0.base=\"nonprofit\"", "strategies.0.price=7"});
  CHECK(p.firms[0].count == 3);
  CHECK(p.firms[1].name == "s");
  CHECK(p.segments[1].share == 0.25);
  CHECK(p.strategies[0].price == 7.0);
  CHECK(p.strategies[0].share_enablement == builtin_strategy_params("nonprofit").share_enablement);
  expect_override_error("firms.2.count=3",
                        "--set 'firms.2.count=3': index 2 is out of range: the scenario has 2 "
                        "[[firms]] entries (0..1)",
                        toml);
  expect_override_error(
      "customers.segments.0.share=0.4",
      "--set 'customers.segments.0.share=0.4': segment shares (customers.segments.*.share) must sum "
      "to 1, got 0.9",
      toml);
  expect_override_error("customers.segments.0.share=0.5",
                        "the scenario has 0 [[customers.segments]] entries");
  expect_override_error("firms.count=3",
                        "'firms' entries are set as firms.INDEX.KEY=value, e.g. firms.0.count=2");
  expect_override_error("firms.0.cont=3", "unknown key 'firms.0.cont'; did you mean 'firms.0.count'?");
}

TEST_CASE("scenario: events name an expanded firm, a step and an attribute", "[scenario]") {
  const std::string firms =
      "[run]\nsteps = 10\n[[firms]]\nstrategy = \"success\"\nname = \"x\"\ncount = 3\n"
      "[[firms]]\nstrategy = \"synergy\"\n";
  Params p = parse(firms + R"(
[[events]]
step = 4
firm = "x-2"
attribute = 7
capability = 0.9
[[events]]
step = 10
firm = "synergy"
capability = 0
)");
  REQUIRE(p.events.size() == 2);
  CHECK(p.events[0].step == 4);
  CHECK(p.events[0].firm == "x-2");
  CHECK(p.events[0].attribute == 7);
  CHECK(p.events[0].capability == 0.9);
  CHECK(p.events[1].attribute == -1);  // default: every offered attribute
  CHECK(p.events[1].capability == 0.0);
  CHECK(parse(kFirm).events.empty());
  require_equal(parse_scenario(to_toml(p), "resolved.toml"), p);
  CHECK_THAT(to_toml(p), Contains("\n[[events]]\nstep = 4 "));
  CHECK_THAT(to_toml(p), Contains("\nfirm = \"x-2\"\n"));

  const std::string ev = "[[events]]\nstep = 4\nfirm = \"x-2\"\n";
  CHECK(parse(firms + ev + "capability = 0.5").events.size() == 1);
  expect_scenario_error(firms + "[[events]]\nstep = 11\nfirm = \"x-1\"\ncapability = 0.5",
                        "test.toml:10:8: key 'events.0.step' must be <= run.steps (10), got 11");
  expect_scenario_error(firms + "[[events]]\nstep = 0\nfirm = \"x-1\"\ncapability = 0.5",
                        "key 'events.0.step' must be in [1, 100000], got 0");
  expect_scenario_error(
      firms + "[[events]]\nstep = 2\nfirm = \"x\"\ncapability = 0.5",
      "test.toml:11:8: key 'events.0.firm' names unknown firm \"x\" (firms: x-1, x-2, x-3, synergy)");
  expect_scenario_error(firms + "[[events]]\nstep = 2\nfirm = \"synergyy\"\ncapability = 0.5",
                        "names unknown firm \"synergyy\"; did you mean 'synergy'?");
  expect_scenario_error(firms + ev + "capability = 1.5",
                        "key 'events.0.capability' must be in [0, 1], got 1.5");
  expect_scenario_error(firms + ev + "capability = 0.5\nattribute = -2",
                        "key 'events.0.attribute' must be in [-1, 31], got -2");
  expect_scenario_error(
      firms + ev + "capability = 0.5\nattribute = 8",
      "key 'events.0.attribute' must be < market.attributes + market.latent_attributes (8), got 8");
  CHECK(parse(firms + ev + "capability = 0.5\nattribute = 8\n[market]\nlatent_attributes = 3")
            .events[0]
            .attribute == 8);
  expect_scenario_error(firms + ev, "key 'events.0.capability' is required");
  expect_scenario_error(firms + "[[events]]\nstep = 2\ncapability = 0.5", "key 'events.0.firm' is required");
  expect_scenario_error(firms + ev + "capability = 0.5\ncapabilty = 0.5",
                        "unknown key 'events.0.capabilty'; did you mean 'capability'?");
  expect_scenario_error("events = 3\n" + firms, "key 'events' must be an array of tables ([[events]])");

  // Overrides reach events like any array of tables, with the same checks.
  Params q = parse(firms + ev + "capability = 0.5", {"events.0.capability=0.75", "events.0.firm=x-3"});
  CHECK(q.events[0].capability == 0.75);
  CHECK(q.events[0].firm == "x-3");
  expect_scenario_error(firms + ev + "capability = 0.5",
                        "--set 'firms.0.count=1': key 'events.0.firm' names unknown firm \"x-2\"",
                        {"firms.0.count=1"});
  expect_scenario_error(firms + ev + "capability = 0.5",
                        "--set 'run.steps=3': key 'events.0.step' must be <= run.steps (3), got 4",
                        {"run.steps=3"});
  expect_override_error("events.0.capability=0.5",
                        "index 0 is out of range: the scenario has 0 [[events]] entries");
  expect_override_error("events.0.capabilty=0.5", "did you mean 'events.0.capability'?");
  expect_override_error("events.capability=0.5",
                        "'events' entries are set as events.INDEX.KEY=value, e.g. events.0.capability=0.8");
}

TEST_CASE("scenario: override values get the same validation", "[scenario]") {
  expect_override_error(
      "market.maturity_rate=2",
      "--set 'market.maturity_rate=2': key 'market.maturity_rate' must be in [0, 1], got 2");
  expect_override_error("run.steps=\"10\"",
                        "--set 'run.steps=\"10\"': key 'run.steps' must be an integer, got string");
  expect_override_error("run.steps=ten", "--set 'run.steps=ten': the value is not a TOML value");
  expect_override_error("network.kind=smallworld", "key 'network.kind' must be one of");
  expect_override_error("network.kind=erdos", "got \"erdos\"; did you mean 'erdos-renyi'?");
  expect_override_error("market.kano_beta=nan", "must be a finite number, got nan");
  expect_override_error("firms.0.strategy=sucess",
                        "--set 'firms.0.strategy=sucess': key 'firms.0.strategy' names "
                        "unknown strategy \"sucess\"; did you mean 'success'?");
  expect_override_error("run.steps=1\nrun = 3",
                        "--set 'run.steps=1\\nrun = 3': the value is not a TOML value");
  expect_override_error("run.name=a b", "strings are quoted");
}

TEST_CASE("scenario: override keys are checked with suggestions", "[scenario]") {
  expect_override_error("market.maturty_rate=0.1",
                        "--set 'market.maturty_rate=0.1': unknown key 'market.maturty_rate'; did you mean "
                        "'market.maturity_rate'?");
  expect_override_error("markt.maturity_rate=0.1", "did you mean 'market.maturity_rate'?");
  expect_override_error("steps=10", "unknown key 'steps'; did you mean 'run.steps'?");
  expect_override_error("run=10",
                        "--set 'run=10': 'run' is a table; set one of its keys, e.g. --set run.name=...");
  expect_override_error("run.steps", "--set 'run.steps': expected key.path=value");
  expect_override_error("run.steps=", "missing value after '='");
  expect_override_error("=3", "missing key before '='");
  expect_override_error("run..steps=3", "malformed key 'run..steps'");
  expect_override_error("run.steps.x=3", "unknown key 'run.steps.x'");
  expect_override_error("adoption.bass_p=0.1", "did you mean 'adoption.p'?");
}

TEST_CASE("scenario: load_scenario applies overrides", "[scenario]") {
  Params p = load_scenario(kSource + "/scenarios/tiny.toml", {"run.steps=3", "firms.0.count=2"});
  CHECK(p.steps == 3);
  CHECK(p.firms[0].count == 2);
  try {
    load_scenario(kSource + "/scenarios/tiny.toml", {"market.maturity_rate=2"});
    FAIL("no error");
  } catch (const ScenarioError& e) {
    CHECK_THAT(e.what(),
               StartsWith("--set 'market.maturity_rate=2': key 'market.maturity_rate' must be in [0, 1]"));
  }
}

// ---- documentation ------------------------------------------------------------------------------

TEST_CASE("scenario: docs/SCENARIO.md lists every key as the registry does", "[scenario]") {
  // The key reference between the markers is generated by scenario_keys_markdown().
  // To regenerate: MISSIONSIM_UPDATE_DOCS=1 missionsim_tests "scenario: docs*"
  const std::string path = kSource + "/docs/SCENARIO.md";
  const std::string begin = "<!-- BEGIN KEYS (generated by scenario_keys_markdown; do not edit) -->\n";
  const std::string end = "<!-- END KEYS -->";
  std::string doc = read_file(path);
  auto b = doc.find(begin), e = doc.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  std::string current = doc.substr(b + begin.size(), e - b - begin.size());
  std::string expected = "\n" + scenario_keys_markdown();
  if (current != expected && std::getenv("MISSIONSIM_UPDATE_DOCS")) {
    doc.replace(b + begin.size(), e - b - begin.size(), expected);
    std::ofstream(path, std::ios::binary) << doc;
    current = expected;
  }
  CHECK(current == expected);
  // Every key the reader knows appears, e.g.
  CHECK_THAT(current, Contains("| `maturity_rate` | float | `0.05` | [0, 1] | 1/step |"));
  CHECK_THAT(current, Contains("### [[firms]]"));
}

// ---- resource estimates (cli refuses runs larger than the machine) ------------------------------

TEST_CASE("footprint: customer and network memory match what a Simulation holds", "[scenario][footprint]") {
  // state_bytes() counts the customer vectors and the network as allocated; the
  // estimate must cover it (a refusal errs on the safe side) and stay close.
  for (const char* kind : {"watts-strogatz", "erdos-renyi", "barabasi-albert", "complete"})
    for (const char* degree : {"4", "10"}) {
      const Params p = load_scenario(
          kSource + "/scenarios/tiny.toml",
          {"customers.count=3000", std::string("network.kind=") + kind,
           std::string("network.mean_degree=") + degree, "customers.consideration_size=3", "run.steps=1"});
      const Simulation sim(p);
      const RunFootprint f = estimate_run(p);
      const double held = static_cast<double>(sim.state_bytes());
      // The estimate counts uint32 columns, the most the network takes (Network::build chooses narrower
      // ones when they are smaller): close to what the Simulation would hold with them.
      const Rng rng(p.seed);
      const double narrowed =
          static_cast<double>(Network::build(p.network, p.customers, rng).bytes()) -
          static_cast<double>(Network::build(p.network, p.customers, rng, Columns::Wide).bytes());
      INFO(kind << " degree " << degree << ": estimate " << f.customer_bytes + f.network_bytes << ", held "
                << held << ", " << -narrowed << " saved by narrow columns");
      CHECK(f.customer_bytes + f.network_bytes >= held);
      CHECK(f.customer_bytes + f.network_bytes <= 1.02 * (held - narrowed));
      CHECK(f.network_build_bytes >= f.network_bytes);
      CHECK(f.memory_bytes >= f.customer_bytes + f.network_bytes);
    }
}

TEST_CASE("footprint: the issue's large requests are estimated as large", "[scenario][footprint]") {
  // 1e8 customers at degree 42 (watts-strogatz): 4.2e9 adjacency entries of 4 bytes, twice while built.
  const Params big = load_scenario(kSource + "/scenarios/tiny.toml",
                                   {"customers.count=100000000", "network.mean_degree=42"});
  const RunFootprint f = estimate_run(big);
  CHECK(f.network_bytes >= 4 * 42 * 1e8);
  CHECK(f.memory_bytes >= 2 * 4 * 42 * 1e8);
  CHECK(f.memory_bytes < 40e9);
  // 1,000 firms x 100,000 steps: 149 bytes per firm and step, and 16 per firm, segment and step.
  const Params wide = load_scenario(kSource + "/scenarios/tiny.toml",
                                    {"firms.0.count=997", "run.steps=100000", "customers.count=10"});
  const RunFootprint w = estimate_run(wide);
  CHECK(w.output_bytes >= 1000 * 100001 * 165.0);
  CHECK(w.output_bytes < 1000 * 100001 * 172.0);
  CHECK(byte_text(w.output_bytes) == "16.5 GB");
  CHECK(byte_text(512) == "512 bytes");
  CHECK(byte_text(1234567) == "1.23 MB");
}

// ---- issue 9: ranges where the model is unstable, names, run-only checks, message length ---------

TEST_CASE("scenario: an endogenous era needs rate <= 1 (Eq. 27 is stable and stays in [0, 1])",
          "[scenario]") {
  const std::string era = "[era]\nkind = \"endogenous\"\nstart = 0.2\nrate = ";
  expect_error_with_firm(era + "3", "test.toml:4:8: key 'era.rate' must be in (0, 1] for an endogenous era");
  expect_error_with_firm(era + "1.0000001", "must be in (0, 1] for an endogenous era");
  expect_override_error("era.rate=2", "--set 'era.rate=2': key 'era.rate' must be in (0, 1]",
                        era + "0.5\n" + kFirm);
  // The same rate is a logistic steepness elsewhere, where it is not bounded.
  CHECK(parse("[era]\nkind = \"logistic\"\nrate = 3\n" + kFirm).era.rate == 3);
  // At the bound the weight stays in [0, 1] on every step.
  const Params p =
      load_scenario(kSource + "/scenarios/tiny.toml", {"era.kind=endogenous", "era.rate=1", "run.steps=24"});
  Simulation sim(p);
  for (int t = 0; t < p.steps; ++t) {
    sim.step();
    const double w = sim.observables().success_weight;
    REQUIRE(w >= 0.0);
    REQUIRE(w <= 1.0);
  }
}

TEST_CASE("scenario: logit_scale is bounded where profit-max pricing would overflow", "[scenario]") {
  const std::string shareholder = "[[firms]]\nstrategy = \"shareholder\"\n";
  REQUIRE(builtin_strategy_params("shareholder").pricing == PricingRule::ProfitMax);
  // Default segment: price_sensitivity 0.02, so mu <= 0.05 * 0.02 * 1e6 = 1000.
  expect_scenario_error("[choice]\nlogit_scale = 1e100\n" + shareholder,
                        "test.toml:2:15: key 'choice.logit_scale' must be <= 1000 when a firm prices by "
                        "profit-max (strategy \"shareholder\")");
  expect_scenario_error("[choice]\nlogit_scale = 1000.5\n" + shareholder, "must be <= 1000");
  CHECK(parse("[choice]\nlogit_scale = 1000\n" + shareholder).logit_scale == 1000);
  // No price sensitivity: the markup has no finite bound worth running.
  expect_scenario_error("[[customers.segments]]\nname = \"a\"\nprice_sensitivity = 0\n" + shareholder,
                        "must be <= 5e-05");
  // An entrant that prices by profit-max counts; without one, mu only flattens the choice.
  expect_scenario_error("[choice]\nlogit_scale = 1e100\n[economics]\nentry_mix = [\"shareholder\"]\n" + kFirm,
                        "strategy \"shareholder\"");
  CHECK(parse("[choice]\nlogit_scale = 1e100\n" + kFirm).logit_scale == 1e100);
}

TEST_CASE("scenario: firm names are unique once groups are numbered, and not an entrant's", "[scenario]") {
  expect_scenario_error(
      "[[firms]]\nname = \"x\"\nstrategy = \"success\"\ncount = 2\n"
      "[[firms]]\nname = \"x-1\"\nstrategy = \"synergy\"\n",
      "test.toml:6:8: firm name \"x-1\" of firms.1 is also a firm of firms.0 (count 2 expands \"x\" to -1 .. "
      "-2)");
  expect_scenario_error(
      "[[firms]]\nname = \"x-2\"\nstrategy = \"synergy\"\n"
      "[[firms]]\nname = \"x\"\nstrategy = \"success\"\ncount = 3\n",
      "firm name \"x-2\" of firms.1 (count 3 expands \"x\" to -1 .. -3) is also a firm of firms.0");
  // An override is blamed when it makes the collision.
  expect_scenario_error(
      "[[firms]]\nname = \"x\"\nstrategy = \"success\"\n[[firms]]\nname = \"x-1\"\nstrategy = \"synergy\"\n",
      "--set 'firms.0.count=2': firm name \"x-1\"", {"firms.0.count=2"});
  expect_scenario_error(
      "[economics]\nmax_entrants = 2\n[[firms]]\nname = \"entrant-2\"\nstrategy = \"success\"\n",
      "test.toml:4:8: firm name \"entrant-2\" of firms.0 is reserved for entrant slot 2 "
      "(economics.max_entrants = 2)");
  CHECK(parse("[economics]\nmax_entrants = 1\n[[firms]]\nname = \"entrant-2\"\nstrategy = \"success\"\n")
            .firms[0]
            .name == "entrant-2");
  // With distinct names an event names exactly one firm.
  CHECK_NOTHROW(
      parse("[[firms]]\nname = \"x\"\nstrategy = \"success\"\ncount = 2\n[[firms]]\nname = \"y-1\"\n"
            "strategy = \"synergy\"\n[[events]]\nstep = 1\nfirm = \"x-1\"\ncapability = 0.9\n"));
}

TEST_CASE("scenario: names and other strings refuse control characters", "[scenario]") {
  expect_scenario_error("[[firms]]\nname = \"a\\u0000b\"\nstrategy = \"success\"\n",
                        "test.toml:2:8: key 'firms.0.name' must not contain control characters, got "
                        "\"a\\u0000b\"");
  expect_error_with_firm("[run]\nname = \"two\\nlines\"",
                         "key 'run.name' must not contain control characters");
  expect_error_with_firm(
      "[[customers.segments]]\nname = \"tab\\there\"",
      "key 'customers.segments.0.name' must not contain control characters, got \"tab\\there\"");
  expect_scenario_error("[[strategies]]\nname = \"s\\u007f\"\n" + kFirm,
                        "key 'strategies.0.name' must not contain control characters");
  expect_override_error("run.name=\"a\\u0001\"", "key 'run.name' must not contain control characters");
  // Non-ASCII text is fine.
  CHECK(parse("[run]\nname = \"Grüße ✓\"\n" + kFirm).name == "Grüße ✓");
}

TEST_CASE("scenario: what Simulation would refuse is refused with file position and key", "[scenario]") {
  // The network rounds the degree: 9.6 is 10 = customers.count, which Network::build refuses.
  const std::string er = "[customers]\ncount = 10\n[network]\nkind = \"erdos-renyi\"\nmean_degree = ";
  expect_error_with_firm(er + "9.6",
                         "test.toml:5:15: key 'network.mean_degree' must be < customers.count (10), "
                         "got 9.6 (rounded to 10)");
  const Params ok = parse(er + "9.4\n" + kFirm);
  CHECK_NOTHROW(Simulation(ok));
  // 16 segments at most (4 bits per customer).
  auto segments = [](int n) {
    std::string t;
    for (int i = 0; i < n; ++i)
      t += "[[customers.segments]]\nname = \"s" + std::to_string(i) +
           "\"\nshare = " + scenario::format_double(1.0 / n) + "\n";
    return t;
  };
  expect_error_with_firm(
      segments(17),
      "test.toml:49:1: key 'customers.segments' must have at most 16 segments (a customer's "
      "segment is 4 bits), got 17");
  const Params sixteen = parse(segments(16) + kFirm);
  CHECK(sixteen.segments.size() == 16);
  CHECK_NOTHROW(Simulation(sixteen));
}

TEST_CASE("scenario: messages quote at most a short piece of a long value", "[scenario]") {
  const std::string huge(1 << 20, 'n');
  auto message = [](const std::string& toml) {
    try {
      parse(toml);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::vector<std::string> cases = {
      // duplicate group names, expanded duplicates, unknown strategy, unknown event firm, bad enum
      "[[firms]]\nname = \"" + huge + "\"\nstrategy = \"success\"\n[[firms]]\nname = \"" + huge +
          "\"\nstrategy = \"synergy\"\n",
      "[[firms]]\nname = \"" + huge + "\"\nstrategy = \"success\"\ncount = 2\n[[firms]]\nname = \"" + huge +
          "-1\"\nstrategy = \"synergy\"\n",
      "[[firms]]\nstrategy = \"" + huge + "\"\n",
      "[[firms]]\nname = \"" + huge + "\"\nstrategy = \"success\"\ncount = 12\n[[events]]\nfirm = \"" + huge +
          "\"\nstep = 1\ncapability = 0.5\n",
      "[network]\nkind = \"" + huge + "\"\n" + kFirm,
      "[[strategies]]\nname = \"" + huge + "\"\nshare_rd = 1\nshare_marketing = 1\n" + kFirm,
      "[run]\nname = \"" + huge + "\\u0000\"\n" + kFirm,
  };
  for (const auto& toml : cases) {
    const std::string m = message(toml);
    INFO(m.substr(0, 300));
    CHECK(!m.empty());
    CHECK(m.size() < 1200);
    CHECK_THAT(m, Contains("bytes)"));
  }
}
