// Part C of model v2 (docs/MODEL.md 7.17, Eq. C1-C4): success expectations and the emergent era, on a
// hand-built context and in short runs.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/mechanisms/success_expectations.hpp"
#include "core/mechanisms/wom_content.hpp"
#include "core/simulation.hpp"
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
  mech::hear_success_story(m.ctx(), 0, 1);  // customer 0 hears customer 1's success 0.8
  CHECK(m.es[0] == Approx(0.2 + 0.25 * 0.6));
  CHECK(m.es[1] == 0.2f);  // only the listener changes
  mech::hear_success_story(m.ctx(false), 1, 1);
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
