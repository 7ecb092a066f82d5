// Part C of model v2 (docs/MODEL.md 7.17, Eq. C1-C4): success expectations and the emergent era, on a
// hand-built context and in short runs.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/mechanisms/success_expectations.hpp"
#include "core/mechanisms/wom_content.hpp"
#include "core/simulation.hpp"
#include "scenario/scenario.hpp"
#include "sim_helpers.hpp"

using namespace missionsim;
using missionsim::test::observe_run;
using missionsim::test::tiny_params;

namespace {

struct Mini {
  Params p;
  std::vector<float> es = {0.2f, 0.2f}, w = {0.1f, 0.1f}, seen = {0.0f, 0.8f};
  mech::CustomerContext ctx(bool on = true) {
    mech::CustomerContext c{};
    c.p = &p;
    c.w_success = 0.37;
    if (on) {
      c.success_expectation = es.data();
      c.success_weight = w.data();
      c.success_seen = seen.data();
    }
    return c;
  }
};

}  // namespace

TEST_CASE(
    "success expectations: a success story pulls the expectation toward the neighbour's success (Eq. C2)",
    "[success_expectations]") {
  Mini m;
  m.p.success_expectations.story_rate = 0.25;
  mech::hear_success_story(m.ctx(), 0, 1, 0);  // customer 0 hears customer 1's success 0.8
  CHECK(m.es[0] == Approx(0.2 + 0.25 * 0.6));
  CHECK(m.es[1] == 0.2f);  // only the listener changes
  mech::hear_success_story(m.ctx(false), 1, 1, 0);
  CHECK(m.es[1] == 0.2f);  // off: nothing
}

TEST_CASE(
    "success expectations: the weight ratchets up with the gap beyond tolerance and never falls (Eq. C1, C3)",
    "[success_expectations]") {
  Mini m;
  auto& se = m.p.success_expectations;
  se.tolerance = 0.1;
  se.ratchet_rate = 0.5;
  se.own_rate = 0.1;
  m.es[0] = 0.6f;
  mech::compare_success(m.ctx(), 0, 0.3);  // gap 0.3, 0.2 beyond tolerance
  CHECK(m.w[0] == Approx(0.1 + 0.5 * 0.2 * 0.9).epsilon(1e-6));
  CHECK(m.es[0] == Approx(0.6 + 0.1 * (0.3 - 0.6)).epsilon(1e-6));
  const float w1 = m.w[0];
  m.es[0] = 0.35f;
  mech::compare_success(m.ctx(), 0, 0.3);  // gap 0.05, inside the zone of tolerance
  CHECK(m.w[0] == w1);
  m.es[0] = 0.1f;
  mech::compare_success(m.ctx(), 0, 0.9);  // more success than expected: the weight does not fall
  CHECK(m.w[0] == w1);
  CHECK(m.es[0] > 0.1f);
  se.ratchet_rate = 10;
  m.es[0] = 1.0f;
  mech::compare_success(m.ctx(), 0, 0.0);
  CHECK(m.w[0] <= 1.0f);  // bounded
  CHECK(mech::success_weight_of(m.ctx(), 0) == Approx(m.w[0]));
  CHECK(mech::success_weight_of(m.ctx(false), 0) == 0.37);  // off: the market weight of Eq. 27a
}

TEST_CASE("success expectations: the emergent era is the customers' mean weight, rising without a schedule",
          "[success_expectations]") {
  Params p = tiny_params(2000, 40);
  p.era = Schedule{ScheduleKind::Constant, 0.1, 0.1, 0, 0, 0.1};  // a schedule that never moves
  p.success_expectations.enabled = true;
  p.success_expectations.tolerance = 0.0;
  p.success_expectations.ratchet_rate = 5.0;
  const auto r = observe_run(p);
  CHECK(r[0].success_weight_mean == Approx(0.1).epsilon(1e-6));
  CHECK(r[0].success_expectation_mean == 0.0);
  for (std::size_t t = 1; t < r.size(); ++t) {
    INFO("t = " << t);
    CHECK(r[t].success_weight == r[t].success_weight_mean);
    CHECK(r[t].success_weight_mean >= r[t - 1].success_weight_mean);  // a ratchet
  }
  CHECK(r.back().success_weight_mean > 0.1 + 1e-3);
  CHECK(r.back().success_expectation_mean > 0.05);

  p.success_expectations.enabled = false;
  const auto off = observe_run(p);
  CHECK(std::isnan(off.back().success_weight_mean));
  CHECK(off.back().success_weight == 0.1);

  // With M4 off no one succeeds, and the switch changes nothing.
  p.mechanisms.success = false;
  const auto m4off = observe_run(p);
  p.success_expectations.enabled = true;
  const auto m4off_on = observe_run(p);
  CHECK(std::isnan(m4off_on.back().success_weight_mean));
  for (std::size_t t = 0; t < m4off.size(); ++t) CHECK(m4off[t].share == m4off_on[t].share);
}

TEST_CASE(
    "success expectations: a translated story is the teller's provider at the listener's difficulty (Eq. C7)",
    "[success_expectations]") {
  // Equal effort terms: 1 - (1 - s_j)^(d_j / d_i), the steady state of Eq. 26 at the listener's difficulty.
  for (double s : {0.0, 0.2, 0.6, 0.95})
    for (double dj : {0.5, 1.0, 1.5})
      for (double di : {0.5, 1.0, 1.5}) {
        INFO("s_j " << s << " d_j " << dj << " d_i " << di);
        CHECK(mech::translated_success(s, dj, 0.2, di, 0.2) ==
              Approx(1 - std::pow(1 - s, dj / di)).margin(1e-12));
      }
  CHECK(mech::translated_success(0.6, 1.2, 0.3, 1.2, 0.3) == Approx(0.6));  // the same circumstances
  // A listener twice as hard a goal expects less; one who puts in more effort expects more.
  CHECK(mech::translated_success(0.6, 1.0, 0.2, 2.0, 0.2) < 0.6);
  CHECK(mech::translated_success(0.6, 1.0, 0.2, 1.0, 0.4) == Approx(-std::expm1(-(-std::log(0.4) + 0.2))));
  // Exact against Eq. 26 at steady state: the teller's success at rate r, the listener's at r - own_j +
  // own_i.
  const double r = 0.9, own_j = 0.1, own_i = 0.35, dj = 0.7, di = 1.3;
  CHECK(mech::translated_success(1 - std::exp(-r / dj), dj, own_j, di, own_i) ==
        Approx(1 - std::exp(-(r - own_j + own_i) / di)));
  CHECK(mech::translated_success(1.0, 1.0, 0.0, 1.0, 0.0) <= 1.0);  // finite at s_j = 1
  CHECK(mech::translated_success(0.1, 1.0, 0.5, 1.0, 0.0) == 0.0);  // the provider's part is not negative
}

namespace {

// Two customers (0 listens, 1 tells) of segments 0 and 1 and three firms: 0 open, 1 clients only, 2 dear.
struct Stories : Mini {
  std::vector<float> difficulty = {1.5f, 0.75f};
  std::vector<std::uint8_t> effort = {255, 0}, traits = {0, 1}, seg_client = {0, 1};
  std::vector<std::uint16_t> tenure = {0, 0};
  std::vector<double> wtp = {20, 3};
  std::vector<Offer> off = std::vector<Offer>(3, Offer{0.5, 0.5, 0, 0, 0.5, 0.5, 0, 10, true});
  Stories() { seen = {0.0f, 0.6f}; }
  mech::CustomerContext ctx() {
    mech::CustomerContext c = Mini::ctx();
    c.difficulty = difficulty.data();
    c.effort = effort.data();
    c.traits = traits.data();
    c.tenure = tenure.data();
    c.off = off.data();
    c.seg_client = seg_client.data();
    c.seg_wtp = wtp.data();
    return c;
  }
};

}  // namespace

TEST_CASE(
    "success expectations: an adjusted story moves the expectation toward the listener's translation (Eq. "
    "C2')",
    "[success_expectations]") {
  Stories m;
  auto& se = m.p.success_expectations;
  se.story_rate = 0.5;
  m.p.effort_weight = 0.5;
  m.off[1].clients_only = true;
  m.off[2].price = 30;  // above segment 0's reservation price 20
  m.p.outside_option = true;
  mech::hear_success_story(m.ctx(), 0, 1, 0);  // not adjusted: the raw story
  CHECK(m.es[0] == Approx(0.2 + 0.5 * (0.6 - 0.2)));
  m.es[0] = 0.2f;
  se.adjust_stories = true;
  const double hat = mech::translated_success(0.6, 0.75, 0.0, 1.5, 0.5);
  mech::hear_success_story(m.ctx(), 0, 1, 0);
  CHECK(m.es[0] == Approx(0.2 + 0.5 * (hat - 0.2)).epsilon(1e-6));
  CHECK(hat != Approx(0.6));
  // With [cocreation_network] the effort terms are at the teller's provider's effort productivity.
  m.es[0] = 0.2f;
  m.p.cocreation_network.enabled = true;
  m.off[0].effort_productivity = 2.0;
  mech::hear_success_story(m.ctx(), 0, 1, 0);
  CHECK(m.es[0] ==
        Approx(0.2 + 0.5 * (mech::translated_success(0.6, 0.75, 0.0, 1.5, 1.0) - 0.2)).epsilon(1e-6));
  // A story about a provider the listener cannot choose is not a standard for it.
  m.es[0] = 0.2f;
  mech::hear_success_story(m.ctx(), 0, 1, 1);  // clients only, and 0 is not a client
  mech::hear_success_story(m.ctx(), 0, 1, 2);  // above 0's reservation price
  CHECK(m.es[0] == 0.2f);
  m.p.outside_option = false;  // without the outside option every price is in the choice set
  mech::hear_success_story(m.ctx(), 0, 1, 2);
  CHECK(m.es[0] > 0.2f);
  m.es[1] = 0.2f;
  m.seen[0] = 0.5f;
  mech::hear_success_story(m.ctx(), 1, 0, 1);  // a client hears of its own nonprofit
  CHECK(m.es[1] > 0.2f);
}

TEST_CASE(
    "success expectations: judged success is Eq. 21 applied to success; onboarding holds the ratchet (Eq. "
    "C3', C8)",
    "[success_expectations]") {
  Stories m;
  auto& se = m.p.success_expectations;
  se.tolerance = 0.0;
  se.ratchet_rate = 1.0;
  m.es[0] = 0.7f;
  // Not judged: the success itself (Eq. 28 as in v1).
  CHECK(mech::compare_success(m.ctx(), 0, 0.4) == 0.4);
  // Judged: Eq. 21's logistic with P -> s and E -> the expectation before Eq. C1 moved it.
  se.judged = true;
  m.es[0] = 0.7f;
  const Params& p = m.p;
  const double want = 1 / (1 + std::exp(-(p.satisfaction_bias + p.disconfirmation_gain * (0.4 - 0.7) +
                                          p.performance_gain * (0.4 - 0.5))));
  CHECK(mech::compare_success(m.ctx(), 0, 0.4) == Approx(want));
  CHECK(mech::judged_success(p, 0.4, 0.7) == Approx(want));
  // Getting what one expects is judged the same at any level of success only through the performance term.
  CHECK(mech::judged_success(p, 0.6, 0.6) ==
        Approx(1 / (1 + std::exp(-(p.satisfaction_bias + p.performance_gain * 0.1)))));
  CHECK(mech::judged_success(p, 0.6, 0.3) > mech::judged_success(p, 0.6, 0.6));
  // Onboarding: no ratchet while tenure < onboarding; the expectation still adapts (Eq. C1).
  se.onboarding = 3;
  m.w[0] = 0.1f;
  m.es[0] = 0.9f;
  m.tenure[0] = 2;
  mech::compare_success(m.ctx(), 0, 0.2);
  CHECK(m.w[0] == 0.1f);
  CHECK(m.es[0] < 0.9f);
  m.tenure[0] = 3;
  mech::compare_success(m.ctx(), 0, 0.2);
  CHECK(m.w[0] > 0.1f);
}

namespace {

// Part C with the calibration of scenarios/baseline.toml (docs/MODEL.md 7.17).
Params calibrated(std::vector<std::string> strategies, std::uint64_t seed) {
  Params p = tiny_params(3000, 120, std::move(strategies));
  p.seed = seed;
  p.era = Schedule{ScheduleKind::Constant, 0.1, 0.1, 0, 0, 0.1};
  auto& se = p.success_expectations;
  se.enabled = true;
  se.adjust_stories = true;
  se.judged = true;
  se.onboarding = 6;
  se.story_rate = 0.5;
  se.tolerance = 0.03;
  se.ratchet_rate = 20;
  return p;
}

}  // namespace

TEST_CASE("success expectations: with adjusted stories the weight rises with success firms, not without",
          "[success_expectations]") {
  const std::vector<std::string> without = {"shareholder", "satisfaction", "philanthropy"};
  const std::vector<std::string> with = {"shareholder", "satisfaction", "philanthropy", "success", "synergy"};
  for (std::uint64_t seed : {1, 2}) {
    INFO("seed " << seed);
    const double rise_without = observe_run(calibrated(without, seed)).back().success_weight_mean - 0.1;
    const double rise_with = observe_run(calibrated(with, seed)).back().success_weight_mean - 0.1;
    CHECK(rise_without < 0.1);
    CHECK(rise_with > rise_without + 0.15);
  }
}

TEST_CASE("success expectations: the new switches change nothing with the mechanism off",
          "[success_expectations]") {
  Params p = tiny_params(1500, 20);
  const auto off = observe_run(p);
  p.success_expectations.adjust_stories = true;
  p.success_expectations.judged = true;
  p.success_expectations.onboarding = 6;
  const auto still_off = observe_run(p);
  for (std::size_t t = 0; t < off.size(); ++t) {
    CHECK(off[t].share == still_off[t].share);
    CHECK(off[t].adopters == still_off[t].adopters);
  }
}

TEST_CASE("success expectations: the new keys are read and bad values named with file, line and key",
          "[success_expectations]") {
  const std::string firm = "[[firms]]\nstrategy = \"success\"\n";
  const Params p = parse_scenario(
      "[success_expectations]\nenabled = true\nadjust_stories = true\njudged = true\nonboarding = 6\n" + firm,
      "ok.toml", {});
  CHECK(p.success_expectations.adjust_stories);
  CHECK(p.success_expectations.judged);
  CHECK(p.success_expectations.onboarding == 6);
  CHECK_THROWS_WITH(parse_scenario("[success_expectations]\njudged = 3\n" + firm, "bad.toml", {}),
                    Catch::Contains("bad.toml:2") && Catch::Contains("success_expectations.judged") &&
                        Catch::Contains("boolean"));
  CHECK_THROWS_WITH(parse_scenario("[success_expectations]\nonboarding = -1\n" + firm, "bad.toml", {}),
                    Catch::Contains("bad.toml:2") && Catch::Contains("success_expectations.onboarding") &&
                        Catch::Contains("[0, 1000]"));
}

TEST_CASE("word of mouth content: a referral raises, a warning lowers the adoption hazard (Eq. C5-C6)",
          "[wom_content]") {
  WomContent wc;
  wc.referral_lift = 0.125;
  wc.warning_ratio = 2.0;
  CHECK(mech::hazard_after_word_of_mouth(wc, 0.03, 1) == 0.03);  // off: Bass's hazard
  wc.enabled = true;
  CHECK(mech::hazard_after_word_of_mouth(wc, 0.03, 0) == 0.03);
  CHECK(mech::hazard_after_word_of_mouth(wc, 0.03, 1) == Approx(0.03 + 0.125 * 0.97));
  CHECK(mech::hazard_after_word_of_mouth(wc, 0.03, -1) == Approx(0.03 * 0.75));
  CHECK(mech::hazard_after_word_of_mouth(wc, 1.0, 1) == 1.0);  // stays a probability
  wc.warning_ratio = 100;
  CHECK(mech::hazard_after_word_of_mouth(wc, 0.03, -1) == 0.0);
  wc.negative = false;
  CHECK(mech::hazard_after_word_of_mouth(wc, 0.03, -1) == 0.03);
}

TEST_CASE("word of mouth content: without conversations adoption is Bass's; with them it grows faster",
          "[wom_content]") {
  Params p = tiny_params(3000, 30);
  p.mechanisms.word_of_mouth = false;
  const auto bass = observe_run(p);
  p.wom_content.enabled = true;
  const auto bass_content = observe_run(p);
  for (std::size_t t = 0; t < bass.size(); ++t) CHECK(bass[t].adopters == bass_content[t].adopters);
  p.mechanisms.word_of_mouth = true;
  p.wom_content.enabled = false;
  const auto v1 = observe_run(p);
  p.wom_content.enabled = true;
  p.wom_content.warning_ratio = 0;
  const auto positive = observe_run(p);
  CHECK(positive.back().adopters > v1.back().adopters);  // referrals raise the hazard: more adopters
}
