// One test per mechanism kernel (sim/core/mechanisms/*.hpp) on a hand-built
// small state, and one per "Off:" line of docs/MODEL.md 7.
#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/mechanisms/adaptation.hpp"
#include "core/mechanisms/adoption.hpp"
#include "core/mechanisms/choice.hpp"
#include "core/mechanisms/economics.hpp"
#include "core/mechanisms/employees.hpp"
#include "core/mechanisms/era.hpp"
#include "core/mechanisms/experience.hpp"
#include "core/mechanisms/innovation.hpp"
#include "core/mechanisms/kano_lifecycle.hpp"
#include "core/mechanisms/social.hpp"
#include "core/mechanisms/success.hpp"
#include "core/mechanisms/word_of_mouth.hpp"
#include "core/simulation.hpp"
#include "mini_market.hpp"
#include "sim_helpers.hpp"

using namespace missionsim;
using missionsim::test::observe_run;
using missionsim::test::tiny_params;

using missionsim::test::MiniMarket;

// ---- kernels on a hand-built state ---------------------------------------------------------------

TEST_CASE(
    "word of mouth: referrals raise a considered firm, warnings about unknown firms do nothing (Eq. 34)",
    "[mechanisms][word_of_mouth]") {
  MiniMarket mm;
  mm.consider[0] = 1;  // customer 0 considers firm 1
  const auto c = mm.ctx();
  mech::hear(c, 0, 1, 16);  // a referral about a considered firm
  CHECK(mm.rep(0, 0) == 16);
  CHECK(mech::reputation_of(c, 0, 1) == 1.0);
  mech::hear(c, 0, 2, -16);  // a warning about a firm it does not consider
  CHECK(mm.slot(0, 1) == kNoFirm);
  CHECK(mech::reputation_of(c, 0, 2) == 0.0);
  mech::hear(c, 0, 2, 16);  // a referral about an unknown firm takes the free slot
  CHECK(mm.slot(0, 1) == 2);
  CHECK(mm.rep(0, 1) == 16);
  mech::hear(c, 0, 0, 16);  // full: replaces the worst-reputed firm that is not the incumbent
  CHECK(mm.slot(0, 0) == 0);
  CHECK(mm.slot(0, 1) == 2);
  for (int k = 0; k < 20; ++k) mech::hear(c, 0, 0, 16);  // saturates at 127 (about 8 recommendations)
  CHECK(mm.rep(0, 0) == 127);
}

TEST_CASE("word of mouth: reputation decays toward zero and a decay below 1/512 rounds to none (Eq. 35)",
          "[mechanisms][word_of_mouth]") {
  MiniMarket mm;
  mm.consider[0] = 1;
  mm.reputation[0] = 16;
  mm.consider[1] = 2;
  mm.reputation[1] = -16;
  mm.keep = mech::reputation_keep(0.25);
  CHECK(mm.keep == 192);
  mech::decay_reputation(mm.ctx(), 0);
  CHECK(mm.rep(0, 0) == 12);
  CHECK(mm.rep(0, 1) == -12);
  CHECK(mech::reputation_keep(1.0 / 1024) == 256);
  mm.keep = mech::reputation_keep(1.0 / 1024);
  mech::decay_reputation(mm.ctx(), 0);
  CHECK(mm.rep(0, 0) == 12);
}

TEST_CASE("word of mouth: a conversation with a promoter refers its firm, none without talk (Eq. 33)",
          "[mechanisms][word_of_mouth]") {
  MiniMarket mm;  // customer 1 is a promoter of firm 0
  mm.p.refer_prob = 1.0;
  mm.talk = 0.0;
  {
    mech::CustomerDraws d(mm.rng, 0, 1);
    mech::converse(mm.ctx(), 0, 1, d);
    CHECK(mm.slot(0, 0) == kNoFirm);
  }
  mm.talk = 1.0;
  mech::CustomerDraws d(mm.rng, 0, 1);
  mech::converse(mm.ctx(), 0, 1, d);
  CHECK(mm.slot(0, 0) == 0);
  CHECK(mm.rep(0, 0) == 16);
  CHECK(mech::voice(0.9) == 1);
  CHECK(mech::voice(0.7) == 0);
  CHECK(mech::voice(0.6) == -1);
}

TEST_CASE("adoption: hazard p_eff + q * adopted neighbours; first choice by reach or uniformly (Eq. 10-14)",
          "[mechanisms][adoption]") {
  MiniMarket mm;
  mm.p.bass_q = 0;
  mm.p_eff = 0;
  mech::CustomerDraws d0(mm.rng, 0, 1);
  CHECK(mech::adopt(mm.ctx(), 0, 1, 0.02, 0, d0) == kNoFirm);  // hazard 0: never
  mm.p_eff = 1.0;                                              // hazard 1: adopts for sure
  mm.reach_cum = {0, 0, 0.5};
  mm.reach_total = 0.5;
  mech::CustomerDraws d1(mm.rng, 0, 1);
  CHECK(mech::adopt(mm.ctx(), 0, 1, 0.02, 0, d1) == 2);  // knows no firm: the only one with reach
  CHECK(mm.slot(0, 0) == 2);                             // and now considers it
  CHECK(mech::marketing_reach(0, 100, 0.5) == 0.0);
  CHECK(mech::marketing_reach(50, 100, 0.5) == Approx(1 - std::exp(-1.0)));
  Params p;
  p.bass_p = 0.01;
  p.marketing_lift = 0.5;
  CHECK(mech::effective_innovation(p, 3.0) == Approx(0.015));  // reach saturates at 1
}

TEST_CASE(
    "choice: the logit picks the clearly better firm and the incumbent gets the switching cost (Eq. 30-31)",
    "[mechanisms][choice]") {
  MiniMarket mm;
  mm.consider[0] = 1;
  mm.consider[1] = 2;
  mm.offers[2].price = 0;  // firm 2 is 0.2 utility better
  mm.p.logit_scale = 1e-3;
  const auto c = mm.ctx();
  for (double u : {0.01, 0.5, 0.99}) CHECK(mech::choose(c, 0, kNoFirm, 0.02, 0, u) == 2);
  CHECK(mech::utility(c, 0, 1, 1, 0.02, 0) - mech::utility(c, 0, 1, kNoFirm, 0.02, 0) ==
        Approx(mm.p.switching_cost));
  CHECK(mech::choose(c, 1, kNoFirm, 0.02, 0, 0.5) == kNoFirm);  // customer 1 knows no firm
  CHECK(mech::experience_value(0.25, 0.8, 0.4) == Approx(0.7));
}

TEST_CASE("experience: disconfirmation moves expectations by lambda and sets satisfaction (Eq. 19-21)",
          "[mechanisms][experience]") {
  MiniMarket mm;
  mm.p.expectation_lambda = 0.5;
  const mech::Experience e = mech::experience(mm.ctx(), 1, 0.7);
  CHECK(e.disconfirmation == Approx(0.2).epsilon(1e-6));
  CHECK(mm.expectation[1] == Approx(0.6));
  const double z = mm.p.satisfaction_bias + mm.p.disconfirmation_gain * 0.2 + mm.p.performance_gain * 0.2;
  CHECK(e.satisfaction == Approx(1 / (1 + std::exp(-z))).epsilon(1e-6));
  mm.p.expectation_lambda = 0;
  mech::experience(mm.ctx(), 1, 0.9);
  CHECK(mm.expectation[1] == Approx(0.6));
  CHECK(mech::perceived_performance(0.8, 0.2, 0.25) == Approx(0.65));
}

TEST_CASE("success: progress follows its target, co-creation and enablement saturate (Eq. 22-26)",
          "[mechanisms][success]") {
  MiniMarket mm;
  mm.p.success_smoothing = 0.5;
  const Offer o{0.6, 0.5, 0.1, 0.2, 0.5, 0, 0, 10, true};
  auto c = mm.ctx();
  const double rate = 0.5 + 0.1 + mm.p.effort_weight * (128 / 255.0) + 0.2;
  CHECK(mech::progress(c, 1, o) == Approx(0.5 * (1 - std::exp(-rate))).epsilon(1e-6));
  CHECK(mm.success[1] > 0);
  c.success_on = false;
  const float before = mm.success[1];
  mech::progress(c, 1, o);
  CHECK(mm.success[1] == before);
  CHECK(mech::enablement(false, 100, 10, 2) == 0);
  CHECK(mech::enablement(true, 20, 10, 2) == Approx(0.5));  // 2 per customer at scale 2: half effect
  Params p;
  p.cocreation_decay = 0.1;
  p.cocreation_rate = 0.2;
  CHECK(mech::cocreation(p, 1.0, 0.5, 30, 10) == Approx(0.9 + 0.2 * 0.5 * 3));
}

TEST_CASE(
    "Kano lifecycle: a delighter adds value, a must-be only removes it, maturity follows coverage "
    "(Eq. 15-18)",
    "[mechanisms][kano]") {
  const std::vector<std::uint8_t> offered = {1, 1, 0};
  const std::vector<double> q = {0.8, 0.8, 0.9};
  const auto fresh = mech::product_value(q, offered, {0.0, 0.0, NAN}, 2, 1.0);
  CHECK(fresh.product == Approx(0.5 * (1 + 0.8)));
  CHECK(fresh.efficacy == Approx(0.8));  // the latent attribute is not offered
  const auto mature = mech::product_value(q, offered, {1.0, 1.0, NAN}, 2, 1.0);
  CHECK(mature.product == Approx(0.5 * (1 - 0.2)));
  CHECK(mech::mature(0.3, 0.7, 0.5) == Approx(0.5));
  CHECK(mech::mature(0.3, 0.7, 0.0) == 0.3);
}

TEST_CASE("era: schedules, the endogenous ratchet and the weight on success (Eq. 8, 27, 27a)",
          "[mechanisms][era]") {
  const Schedule linear{ScheduleKind::Linear, 0.1, 0.5, 10, 20, 0.1};
  CHECK(mech::era_weight(linear, 5, 0) == 0.1);
  CHECK(mech::era_weight(linear, 15, 0) == Approx(0.3));
  CHECK(mech::era_weight(linear, 25, 0) == 0.5);
  const Schedule endo{ScheduleKind::Endogenous, 0.2, 0.2, 0, 0, 0.5};
  CHECK(mech::era_weight(endo, 7, 0.33) == 0.33);
  std::vector<Firm> firms(2);
  firms[0].alive = true;
  firms[0].succ_mean = 0.6;
  firms[1].alive = false;
  firms[1].succ_mean = 0.9;  // dead firms do not count
  CHECK(mech::endogenous_era(endo, 0.2, firms) == Approx(0.4));
  CHECK(mech::success_weight(false, 0.7) == 0.0);
  CHECK(mech::success_weight(true, 0.7) == 0.7);
}

TEST_CASE(
    "employees: engagement follows its target with a shock; engagement saves serving cost (Eq. 38, 48-49)",
    "[mechanisms][employees]") {
  StrategyParams sp;
  sp.purpose = 1.0;
  CHECK(mech::engagement_target(sp, 0.5, 0.0) == Approx(1.0));  // clamped
  sp.purpose = 0;
  sp.metric_pressure = 1.0;
  CHECK(mech::engagement_target(sp, 0.0, 1.0) == 0.0);
  Params p;
  p.engagement_speed = 0.5;
  p.engagement_volatility = 0;
  const Rng rng(1);
  CHECK(mech::engage(p, rng, 0, 1, 0.4, 0.8) == Approx(0.6));
  p.engagement_volatility = 0.1;
  const double shocked = mech::engage(p, rng, 0, 1, 0.4, 0.8);
  CHECK(shocked != Approx(0.6));
  CHECK(shocked == mech::engage(p, rng, 0, 1, 0.4, 0.8));  // a pure function of (firm, step)
  p.serve_cost = 4;
  p.engagement_productivity = 0.25;
  CHECK(mech::base_unit_cost(p, 1.0) == 3.0);
}

TEST_CASE("social and society: impact, harm stock, values score and grants (Eq. 50-54)",
          "[mechanisms][social]") {
  Params p;
  p.harm_per_cost = 0.5;
  p.harm_decay = 0.1;
  double harm = 10;
  CHECK(mech::add_harm(p, harm, 4) == 2.0);
  CHECK(harm == Approx(11.0));
  StrategyParams sp;
  sp.impact_per_customer = 0.5;
  CHECK(mech::embedded_impact(sp, 40) == 20);
  p.grant_per_impact = 8;
  CHECK(mech::grant(p, sp, 20) == 0);  // not grant-funded
  sp.grant_funded = true;
  CHECK(mech::grant(p, sp, 20) == 160);
  Firm f;
  f.customers = 10;
  f.impact = 30;
  f.phil_impact = 10;
  f.harm = 5;
  p.impact_visibility = 1;
  p.philanthropy_visibility = 0.5;
  CHECK(mech::values_score(p, f) == Approx((20 + 5) / 10.0 - 0.5));
  f.harm = 1000;
  CHECK(mech::values_score(p, f) == -5.0);  // clamped
}

TEST_CASE("economics: budget, exact accounts with donation and payout, bankruptcy, overflow (Eq. 36-42)",
          "[mechanisms][economics]") {
  Params p;
  p.fixed_cost = 100;
  p.initial_cash = 2400;
  StrategyParams sp;
  sp.invest_rate = 0.5;
  CHECK(mech::investment_budget(sp, p, 0) == 50);  // launching: a 24th of starting cash
  CHECK(mech::investment_budget(sp, p, 30000) == 150);
  Firm f;
  f.name = "acme";
  f.cash_c = 100000;
  const mech::StepMoney s{10.0, 50, 20.0, 2.0, 40.0, 0.1, 0.5, 0.0};
  const std::int64_t donation = mech::settle_money(f, p, s, 3);
  // sales 500 + grants 20; operating 100 + 100; investment 40: 280 before gifts; 28 donated.
  CHECK(f.revenue_c == 52000);
  CHECK(f.grants_c == 2000);
  CHECK(donation == 2800);
  CHECK(f.costs_c == 24000 + 2800);
  CHECK(f.profit_c == f.revenue_c - f.costs_c);
  CHECK(f.payout_c == f.profit_c / 2);
  CHECK(f.cash_c == 100000 + f.profit_c - f.payout_c);
  p.bankrupt_after = 2;
  f.cash_c = -1;
  CHECK_FALSE(mech::goes_bankrupt(p, f));
  CHECK(mech::goes_bankrupt(p, f));
  const mech::StepMoney huge{1e300, 50, 0, 0, 0, 0, 0, 0};
  CHECK_THROWS_WITH(mech::settle_money(f, p, huge, 7), Catch::Contains("step 7: firm 'acme' price"));
  const mech::StepMoney wraps{4e15, 4000, 0, 0, 0, 0, 0, 0};  // 4e17 cents * 4000 overflows int64
  CHECK_THROWS_AS(mech::settle_money(f, p, wraps, 7), std::overflow_error);
}

TEST_CASE(
    "innovation: R&D raises capability, imitation closes the gap, discovery opens a latent attribute "
    "(Eq. 44-47)",
    "[mechanisms][innovation]") {
  Params p;
  p.rd_efficiency = 0.5;
  p.imitation_speed = 0.5;
  p.discovery_rate = 1.0;
  p.spend_scale = 1.0;
  p.initial_capability = 0.3;
  const Rng rng(3);
  Firm f;
  f.q = {0.2, 0.5, 0.0};
  f.customers_before = 1;
  f.budget = 1e9;  // intensities ~1
  f.alloc.rd = 1.0;
  f.alloc.imitation = 1.0;
  std::vector<std::uint8_t> offered = {1, 1, 0};
  std::vector<double> maturity = {0.3, 0.3, NAN};
  mech::innovate(p, rng, 0, 1, f, 1, {0.9, 0.0, 0.0}, offered, maturity);
  CHECK(offered[2] == 1);  // discovery is certain at this intensity
  CHECK(maturity[2] == 0.0);
  const double after_rd = 0.2 + 0.5 * (1 - 0.2);
  CHECK(f.q[0] == Approx(after_rd + 0.5 * (0.9 - after_rd)).epsilon(1e-6));
  CHECK(f.q[1] == Approx(0.75).epsilon(1e-6));  // no leader ahead: R&D only
  CHECK(f.q[2] == Approx(0.3 + 0.5 * 0.7).epsilon(1e-6));
}

TEST_CASE("adaptation: profit margin and the Fermi rule (Eq. 55-56)", "[mechanisms][adaptation]") {
  Firm a, b;
  a.revenue_c = 1000;
  a.profit_c = 250;
  CHECK(mech::margin(a) == 0.25);
  CHECK(mech::margin(b) == -1.0);  // no revenue
  CHECK(mech::fermi(5, 0) == 0.5);
  CHECK(mech::fermi(5, 1) > 0.99);
}

// ---- one test per "Off:" line of docs/MODEL.md 7 -------------------------------------------------

TEST_CASE("off M1 adoption: non-adopters never adopt", "[mechanisms][off]") {
  auto p = tiny_params(800, 12);
  p.mechanisms.adoption = false;
  p.initial_adopted = 0.3;
  p.mechanisms.churn = false;
  p.mechanisms.economics = false;
  const auto r = observe_run(p);
  for (const auto& o : r) CHECK(o.adopters == r[0].adopters);
}

TEST_CASE("off M2 kano: maturity never moves", "[mechanisms][off]") {
  auto p = tiny_params(800, 12);
  p.mechanisms.kano = false;
  p.initial_adopted = 0.5;
  for (const auto& o : observe_run(p))
    for (int a = 0; a < p.attributes; ++a) CHECK(o.kano_maturity[a] == p.initial_maturity);
}

TEST_CASE("off M3 expectations: E stays at its initial value", "[mechanisms][off]") {
  auto p = tiny_params(800, 12);
  p.mechanisms.expectations = false;
  p.initial_adopted = 0.5;
  const auto r = observe_run(p);
  for (const auto& o : r) CHECK(o.expectation_mean == r[0].expectation_mean);
}

TEST_CASE("off M4 success: customer success stays 0", "[mechanisms][off]") {
  auto p = tiny_params(800, 12);
  p.mechanisms.success = false;
  p.initial_adopted = 0.5;
  int seen = 0;
  for (const auto& o : observe_run(p))
    for (double s : o.success)
      if (!std::isnan(s)) {
        CHECK(s == 0.0);
        ++seen;
      }
  CHECK(seen > 0);
}

TEST_CASE("off M5 era: w = era.start in every step, t = 0 included", "[mechanisms][off]") {
  auto p = tiny_params(500, 12);
  p.mechanisms.era = false;
  p.era = Schedule{ScheduleKind::Linear, 0.2, 0.9, 0, 5, 0.1};
  for (const auto& o : observe_run(p)) CHECK(o.success_weight == 0.2);
}

TEST_CASE("off M6 churn: adopters never reconsider or exit", "[mechanisms][off]") {
  auto p = tiny_params(800, 15);
  p.mechanisms.churn = false;
  p.mechanisms.economics = false;
  p.initial_adopted = 0.5;
  for (const auto& o : observe_run(p)) CHECK(o.churn_rate == 0.0);
}

TEST_CASE("off M7 word of mouth: no referral or warning is heard", "[mechanisms][off]") {
  auto p = tiny_params(800, 12);
  p.mechanisms.word_of_mouth = false;
  p.initial_adopted = 0.3;
  auto q = p;
  q.refer_prob = 1.0;
  q.warn_prob = 1.0;
  const auto a = observe_run(p), b = observe_run(q);
  for (std::size_t t = 0; t < a.size(); ++t) CHECK(a[t].customers == b[t].customers);
}

TEST_CASE("off M8 economics: no bankruptcy and no entry", "[mechanisms][off]") {
  auto p = tiny_params(500, 12);
  p.mechanisms.economics = false;
  p.fixed_cost = 1e9;
  p.bankrupt_after = 1;
  p.entry_rate = 1.0;
  for (const auto& o : observe_run(p))
    for (std::size_t f = 0; f < o.alive.size(); ++f) CHECK(o.alive[f] == (f < p.firms.size() ? 1 : 0));
}

TEST_CASE("off M9 innovation: no latent attribute is discovered and capabilities never change",
          "[mechanisms][off]") {
  auto p = tiny_params(800, 15);
  p.mechanisms.innovation = false;
  p.mechanisms.kano = false;
  p.discovery_rate = 1.0;
  p.initial_adopted = 0.5;
  auto q = p;
  q.rd_efficiency = 1.0;
  q.imitation_speed = 1.0;
  const auto a = observe_run(p), b = observe_run(q);
  for (std::size_t t = 0; t < a.size(); ++t) {
    for (int k = p.attributes; k < p.attributes + p.latent_attributes; ++k)
      CHECK(std::isnan(a[t].kano_maturity[k]));
    CHECK(a[t].customers == b[t].customers);
  }
}

TEST_CASE("off M10 employees: engagement stays at its initial value", "[mechanisms][off]") {
  auto p = tiny_params(500, 12);
  p.mechanisms.employees = false;
  p.engagement_volatility = 0.2;
  for (const auto& o : observe_run(p))
    for (std::size_t f = 0; f < p.firms.size(); ++f) CHECK(o.engagement[f] == p.engagement_initial);
}

TEST_CASE("off M11 social: no impact, no harm, no donations, no values score", "[mechanisms][off]") {
  auto p = tiny_params(800, 12);
  p.mechanisms.social = false;
  p.initial_adopted = 0.5;
  for (const auto& o : observe_run(p)) {
    CHECK(o.societal_value == 0);
    for (std::size_t f = 0; f < o.harm.size(); ++f) {
      CHECK(o.harm[f] == 0);
      CHECK(o.social_impact[f] == 0);
      CHECK(o.grants[f] == 0);
    }
  }
}

TEST_CASE("off M12 society: no grants", "[mechanisms][off]") {
  auto p = tiny_params(800, 12);
  p.mechanisms.society = false;
  p.initial_adopted = 0.5;
  bool impact = false;
  for (const auto& o : observe_run(p))
    for (std::size_t f = 0; f < o.grants.size(); ++f) {
      CHECK(o.grants[f] == 0);
      impact |= o.social_impact[f] > 0;
    }
  CHECK(impact);  // the nonprofit still delivers impact
}

TEST_CASE("off M13 adaptation: strategies never change", "[mechanisms][off]") {
  auto p = tiny_params(800, 15);
  p.adaptation_rate = 1.0;
  p.entry_rate = 0;
  const auto r = observe_run(p);
  for (const auto& o : r) CHECK(o.strategy_id == r[0].strategy_id);
}
