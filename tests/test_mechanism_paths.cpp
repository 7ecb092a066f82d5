// The customer kernels' shortcuts against the plain definitions they replace: each shortcut must give
// the same bytes for every input, so these tests sweep inputs (all reputation bytes, every bucket edge of
// a lookup table, random consideration sets) with K = 4, the slot count the word-wide paths serve, and
// with other K where a kernel has a general path too. (Eq. 35's run-wide decay is tested in
// test_customer_run.cpp.)
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/mechanisms/adoption.hpp"
#include "core/mechanisms/choice.hpp"
#include "core/mechanisms/success.hpp"
#include "core/mechanisms/word_of_mouth.hpp"
#include "core/rng.hpp"
#include "core/state.hpp"
#include "mini_market.hpp"

using namespace missionsim;
using missionsim::test::MiniMarket;

namespace {

// n customers with K consideration slots each, every other field unset: enough for the kernels that
// touch only the consideration set and reputation.
struct Slots {
  int K;
  std::uint32_t n;
  std::vector<std::uint16_t> consider, firm_prev;
  std::vector<std::int8_t> reputation;
  std::vector<Offer> offers;
  std::array<std::int8_t, 256> decayed{};
  Slots(int k, std::uint32_t customers, int firms)
      : K(k),
        n(customers),
        consider(static_cast<std::size_t>(customers) * k, kNoFirm),
        firm_prev(customers, kNoFirm),
        reputation(static_cast<std::size_t>(customers) * k, 0),
        offers(firms, Offer{0, 0, 0, 0, 0, 0, 0, 0, true}) {}
  mech::CustomerContext ctx(int keep) {
    decayed = mech::decay_table(keep);
    mech::CustomerContext c{};
    c.K = K;
    c.consider = consider.data();
    c.reputation = reputation.data();
    c.firm_prev = firm_prev.data();
    c.off = offers.data();
    c.keep = keep;
    c.decayed = decayed.data();
    return c;
  }
};

// Eq. 34 as first written: one scan that returns at the first slot holding g.
void reference_hear(Slots& s, std::uint32_t i, std::uint16_t g, int delta) {
  std::uint16_t* slots = s.consider.data() + static_cast<std::size_t>(i) * s.K;
  std::int8_t* rep = s.reputation.data() + static_cast<std::size_t>(i) * s.K;
  int free_slot = -1, worst = -1;
  for (int k = 0; k < s.K; ++k) {
    if (slots[k] == g) {
      rep[k] = static_cast<std::int8_t>(std::clamp(rep[k] + delta, -127, 127));
      return;
    }
    const bool stale = slots[k] == kNoFirm || !s.offers[slots[k]].alive;
    if (stale && free_slot < 0) free_slot = k;
    if (!stale && slots[k] != s.firm_prev[i] && (worst < 0 || rep[k] < rep[worst])) worst = k;
  }
  if (delta < 0) return;
  const int k = free_slot >= 0 ? free_slot : worst;
  if (k < 0) return;
  slots[k] = g;
  rep[k] = static_cast<std::int8_t>(std::clamp(delta, -127, 127));
}

}  // namespace

TEST_CASE("hear: the known-firm test and the slot choice match the one-scan definition (Eq. 34)",
          "[mechanisms][word_of_mouth][paths]") {
  // Random consideration sets over 6 firm slots (2 dead) with free slots, repeated firms, incumbents and
  // every reputation byte including -128; each customer hears one random (firm, delta).
  for (int K : {4, 1, 2, 3, 5, 8}) {
    const std::uint32_t n = 4000;
    Slots fast(K, n, 6), ref(K, n, 6);
    fast.offers[2].alive = fast.offers[5].alive = false;
    ref.offers = fast.offers;
    const Rng rng(7);
    for (std::uint32_t i = 0; i < n; ++i) {
      Stream st(rng, Purpose::Kano, i, static_cast<std::uint32_t>(K));
      for (int k = 0; k < K; ++k) {
        const std::uint32_t f = st.index(8);  // 6, 7: a free slot
        fast.consider[i * K + k] = f < 6 ? static_cast<std::uint16_t>(f) : kNoFirm;
        fast.reputation[i * K + k] = static_cast<std::int8_t>(st.word() & 0xFF);
      }
      const std::uint32_t inc = st.index(7);
      fast.firm_prev[i] = inc < 6 ? static_cast<std::uint16_t>(inc) : kNoFirm;
    }
    ref.consider = fast.consider;
    ref.reputation = fast.reputation;
    ref.firm_prev = fast.firm_prev;
    const auto c = fast.ctx(256);
    for (std::uint32_t i = 0; i < n; ++i) {
      Stream st(rng, Purpose::Kano, i, 100 + static_cast<std::uint32_t>(K));
      const auto g = static_cast<std::uint16_t>(st.index(6));
      const int delta = std::array{0, 16, -16, 127}[st.index(4)];
      mech::hear(c, i, g, delta);
      reference_hear(ref, i, g, delta);
    }
    INFO("K " << K);
    CHECK(fast.consider == ref.consider);
    CHECK(fast.reputation == ref.reputation);
  }
}

TEST_CASE("Chance: word < below() exactly when Rng::unit(word) < p", "[mechanisms][paths]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> ps = {0.0, -0.5, 1e-300, 0x1p-33, 0x1p-32, 1e-9, 0.0025, 0.3, 0.5, 0.7, 1.0, 1.5, nan};
  for (std::uint32_t w : {0u, 1u, 12345u, 0x80000000u, 0xFFFFFFFEu, 0xFFFFFFFFu}) {  // p on a unit value
    const double u = Rng::unit(w);
    ps.insert(ps.end(), {u, std::nextafter(u, 0.0), std::nextafter(u, 2.0)});
  }
  const Rng rng(3);
  for (double p : ps) {
    const mech::Chance chance(p);
    std::vector<std::uint32_t> words = {0u, 1u, 0xFFFFFFFFu};
    for (std::int64_t dw = -2; dw <= 1; ++dw) {
      const std::int64_t w = static_cast<std::int64_t>(chance.below()) + dw;
      if (w >= 0 && w <= 0xFFFFFFFF) words.push_back(static_cast<std::uint32_t>(w));
    }
    for (std::uint32_t k = 0; k < 1000; ++k) words.push_back(rng.words(Purpose::Kano, k, 0, 0)[0]);
    for (std::uint32_t w : words) {
      INFO("p " << p << " word " << w);
      CHECK(chance(w) == (Rng::unit(w) < p));
    }
  }
  CHECK(mech::Chance::always()(0xFFFFFFFFu));
}

namespace {

// A market of F firms with the given cumulative reach for Eq. 12.
struct Reach {
  std::vector<double> cum;
  std::vector<Offer> offers;
  Params p;
  explicit Reach(std::vector<double> c)
      : cum(std::move(c)), offers(cum.size(), Offer{0, 0, 0, 0, 0, 0, 0, 0, true}) {}
  mech::CustomerContext ctx() {
    mech::CustomerContext c{};
    c.off = offers.data();
    c.reach_cum = cum.data();
    c.n_firms = static_cast<std::uint32_t>(cum.size());
    c.reach_total = cum.empty() ? 0.0 : cum.back();
    c.p = &p;
    return c;
  }
};

}  // namespace

TEST_CASE("awareness table: every word finds the firm Eq. 12 gives it", "[mechanisms][adoption][paths]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Small and large total reach, a total above 1 (the scale), firms without reach, a dead firm, a
  // boundary on a bucket edge (0.25 of the words), unsorted and NaN reach (no table), no reach at all.
  const std::vector<std::vector<double>> cases = {
      {0.01, 0.02, 0.05, 0.18}, {0.3, 0.3, 0.6, 0.9}, {0.5, 1.2, 1.3, 2.5}, {0.25, 0.5},
      {0.0, 0.0, 0.0, 0.0},     {0.1, 0.05, 0.2},     {0.1, nan, 0.3},      {1e-12, 2e-12},
      {0.2 / 3, 0.4 / 3, 0.2},  {0.999999, 1.0, 1.0}};
  const Rng rng(5);
  int tables = 0;
  for (std::size_t n = 0; n < cases.size(); ++n) {
    for (bool dead : {false, true}) {
      Reach r(cases[n]);
      if (dead) r.offers[1].alive = false;
      mech::CustomerContext c = r.ctx();
      mech::AdoptionTables t;
      t.attach(c);
      tables += c.awareness != nullptr;
      const mech::CustomerContext plain = r.ctx();
      std::vector<std::uint32_t> words;
      const std::uint64_t span = std::uint64_t{1} << (32 - mech::kAwarenessBits);  // words per bucket
      for (std::uint64_t first = 0; first < (std::uint64_t{1} << 32); first += span) {
        for (std::uint64_t w : {first, first + 1, first + span / 2, first + span - 2, first + span - 1})
          words.push_back(static_cast<std::uint32_t>(w));
      }
      for (std::uint32_t k = 0; k < 20000; ++k) words.push_back(rng.words(Purpose::Kano, k, 1, 0)[0]);
      for (std::uint32_t w : words) {
        INFO("case " << n << " dead " << dead << " word " << w);
        REQUIRE(mech::marketing_notice(c, w) == mech::noticed_firm(plain, w));
      }
    }
  }
  CHECK(tables == 16);  // all but the unsorted and the NaN reach
}

TEST_CASE("adoption ceiling: a hazard word at or above it never adopts; referrals bypass it (Eq. 13, C5)",
          "[mechanisms][adoption][paths]") {
  // Two markets in lockstep, one with the step's shortcuts and one without, over many steps' draws;
  // the hazard reaches its ceiling (all neighbours adopted), and [wom_content] lifts it for a referral.
  for (bool wom : {false, true}) {
    for (double share : {0.0, 0.4, 1.0}) {
      MiniMarket fast, ref;
      for (MiniMarket* m : {&fast, &ref}) {
        m->p.bass_q = 0.45;
        m->p_eff = 0.3;
        m->adopted_share_complete = share;
        m->p.wom_content.enabled = wom;
        m->p.wom_content.referral_lift = 0.5;
      }
      mech::AdoptionTables t;
      for (std::uint32_t step = 1; step <= 3000; ++step) {
        const int heard = static_cast<int>(step % 3) - 1;
        mech::CustomerContext cf = fast.ctx();
        t.attach(cf);
        REQUIRE(cf.adoption_ceiling.p() == 0.75);
        mech::CustomerDraws df(fast.rng, 0, step), dr(ref.rng, 0, step);
        const std::uint16_t a = mech::adopt(cf, 0, 1, 0.02, 0, df, heard);
        const std::uint16_t b = mech::adopt(ref.ctx(), 0, 1, 0.02, 0, dr, heard);
        INFO("wom " << wom << " share " << share << " step " << step);
        REQUIRE(a == b);
        REQUIRE(fast.consider == ref.consider);
        fast.consider.assign(fast.consider.size(), kNoFirm);
        ref.consider.assign(ref.consider.size(), kNoFirm);
      }
    }
  }
}

TEST_CASE("kEffortShare: the compile-time table holds the run-time e / 255.0 (Eq. 25)",
          "[mechanisms][success][paths]") {
  volatile double divisor = 255.0;  // a division the compiler cannot fold
  for (int e = 0; e < 256; ++e) {
    INFO("e " << e);
    CHECK(mech::kEffortShare[e] == e / divisor);
  }
}

TEST_CASE("CustomerDraws: block 1 made beforehand gives the words drawn on demand", "[mechanisms][paths]") {
  const Rng rng(11);
  for (std::uint32_t i : {0u, 1u, 63u, 64u, 1000003u}) {
    for (std::uint32_t step : {1u, 7u, 120u}) {
      const auto w0 = rng.words(Purpose::Customer, i, step, draw::kCustomerBlock0);
      const auto w1 = rng.words(Purpose::Customer, i, step, draw::kCustomerBlock1);
      mech::CustomerDraws lazy(rng, i, step, w0), made(rng, i, step, w0, w1);
      for (auto w : {draw::kReferWarn, draw::kChoice, draw::kExit, draw::kUniformFirm}) {
        INFO("customer " << i << " step " << step << " word " << w);
        CHECK(made[w] == lazy[w]);
      }
      CHECK(made[draw::kHazard] == lazy[draw::kHazard]);
    }
  }
}

TEST_CASE("passes_hazard: true exactly when adopt gets past its hazard test (Eq. 13, C5-C6)",
          "[mechanisms][adoption][paths]") {
  // The customer pass asks passes_hazard first and calls adopt only where it holds; adopt must return
  // kNoFirm, changing nothing, everywhere else. In this market every adoption that passes the hazard
  // finds a firm, so adopt's outcome shows the test's.
  int passed = 0, refused = 0;
  for (bool wom : {false, true}) {
    for (double share : {0.0, 0.4, 1.0}) {
      MiniMarket market;
      market.p.bass_q = 0.45;
      market.p_eff = 0.03;
      market.adopted_share_complete = share;
      market.p.wom_content.enabled = wom;
      market.p.wom_content.referral_lift = 0.5;
      mech::AdoptionTables t;
      for (std::uint32_t step = 1; step <= 2000; ++step) {
        const int heard = static_cast<int>(step % 3) - 1;
        mech::CustomerContext c = market.ctx();
        t.attach(c);
        mech::CustomerDraws d(market.rng, 0, step);
        const bool pass = mech::passes_hazard(c, 0, 1, d[draw::kHazard], heard);
        const std::uint16_t a = mech::adopt(c, 0, 1, 0.02, 0, d, heard);
        INFO("wom " << wom << " share " << share << " step " << step);
        REQUIRE(pass == (a != kNoFirm));
        (pass ? passed : refused) += 1;
        market.consider.assign(market.consider.size(), kNoFirm);
      }
    }
  }
  CHECK(passed > 100);
  CHECK(refused > 100);
}

TEST_CASE("choose: the branch-free consideration-set choice picks the definition's firm (Eq. 30-31)",
          "[mechanisms][choice][paths]") {
  // Random consideration sets over 7 firm slots (2 dead) with free and repeated slots, incumbents that
  // are none, dead, in a slot or not, every reputation byte, public values with ties and the odd NaN,
  // uniforms at both ends and at random; with and without the incumbent judged by experience, with and
  // without part C's own success weights.
  const int firms = 7;
  int chosen = 0, none = 0, incumbent_kept = 0;
  for (int K : {4, 1, 2, 3, 8}) {
    for (bool by_experience : {true, false}) {
      for (bool own_weights : {false, true}) {
        const std::uint32_t n = 3000;
        Slots s(K, n, firms);
        s.offers[2].alive = s.offers[5].alive = false;
        Params p;
        p.full_awareness = false;
        p.outside_option = false;
        p.nonprofit_clients = false;
        p.incumbent_by_experience = by_experience;
        p.switching_cost = 0.05;
        p.reputation_weight = 0.3;
        p.logit_scale = 0.1;
        const Rng rng(11);
        for (int f = 0; f < firms; ++f) {
          Stream st(rng, Purpose::Kano, 900 + static_cast<std::uint32_t>(f), static_cast<std::uint32_t>(K));
          Offer& o = s.offers[f];
          o.pub_sat = st.index(4) == 0 ? 0.5 : st.unit();  // a quarter tie at 0.5
          o.pub_succ = st.unit();
          o.values = st.unit();
          o.price = 10 * st.unit();
        }
        std::vector<float> satisfaction(n), success(n), weight(n);
        for (std::uint32_t i = 0; i < n; ++i) {
          Stream st(rng, Purpose::Kano, i,
                    10 * static_cast<std::uint32_t>(K) + by_experience + 2 * own_weights);
          for (int k = 0; k < K; ++k) {
            const std::uint32_t f = st.index(firms + 2);  // the last two: a free slot
            s.consider[i * K + k] =
                f < static_cast<std::uint32_t>(firms) ? static_cast<std::uint16_t>(f) : kNoFirm;
            s.reputation[i * K + k] = static_cast<std::int8_t>(st.word() & 0xFF);
          }
          satisfaction[i] = static_cast<float>(st.unit());
          success[i] = static_cast<float>(st.unit());
          weight[i] = static_cast<float>(st.unit());
        }
        mech::CustomerContext c = s.ctx(256);
        c.p = &p;
        c.n_firms = firms;
        c.satisfaction = satisfaction.data();
        c.success = success.data();
        c.w_success = 0.4;
        if (own_weights) c.success_weight = weight.data();
        REQUIRE(mech::considered_choice(c));
        for (std::uint32_t i = 0; i < n; ++i) {
          Stream st(rng, Purpose::Kano, i,
                    7000 + 10 * static_cast<std::uint32_t>(K) + by_experience + 2 * own_weights);
          const std::uint32_t inc = st.index(firms + 1);
          const std::uint16_t f0 =
              inc < static_cast<std::uint32_t>(firms) ? static_cast<std::uint16_t>(inc) : kNoFirm;
          if (i % 500 == 0) s.offers[i / 500 % firms].pub_sat = std::numeric_limits<double>::quiet_NaN();
          const double u = std::array{0.0, std::nextafter(1.0, 0.0), st.unit()}[st.index(3)];
          const double ps = 0.02 * st.unit(), vw = st.unit();
          const std::uint16_t want = mech::choose_definition(c, i, f0, ps, vw, u);
          const std::uint16_t got = mech::choose(c, i, f0, ps, vw, u);
          INFO("K " << K << " incumbent by experience " << by_experience << " own weights " << own_weights
                    << " customer " << i << " f0 " << f0 << " u " << u);
          REQUIRE(got == want);
          (got == kNoFirm ? none : chosen) += 1;
          incumbent_kept += got != kNoFirm && got == f0;
        }
      }
    }
  }
  // The sweep reaches all three outcomes.
  CHECK(none > 100);
  CHECK(chosen > 10000);
  CHECK(incumbent_kept > 1000);
}

TEST_CASE("upper_bound_index: the place std::upper_bound finds, for any contents (Eq. 12, 14)",
          "[mechanisms][adoption][paths]") {
  // Sorted cumulative reaches with repeats, unsorted ones and NaN (where std::upper_bound's answer is
  // its probes' and not a place in order, which the select form must repeat), every length to 70, and
  // targets at, between and beyond the entries.
  const Rng rng(5);
  int inside = 0;
  for (std::uint32_t n = 0; n <= 70; ++n) {
    for (int kind = 0; kind < 3; ++kind) {
      Stream st(rng, Purpose::Kano, n, static_cast<std::uint32_t>(kind));
      std::vector<double> v(n);
      double cum = 0;
      for (double& x : v) {
        cum += st.index(4) == 0 ? 0.0 : st.unit();  // a quarter repeat the last entry
        x = kind == 0 ? cum : kind == 1 ? st.unit() : (st.index(5) == 0 ? std::nan("") : cum);
      }
      for (int t = 0; t < 400; ++t) {
        const double target = n > 0 && t % 4 == 0 ? v[st.index(n)] : (cum + 1) * (2 * st.unit() - 0.25);
        const std::size_t want =
            static_cast<std::size_t>(std::upper_bound(v.begin(), v.end(), target) - v.begin());
        INFO("n " << n << " kind " << kind << " target " << target);
        REQUIRE(mech::upper_bound_index(v.data(), n, target) == want);
        inside += want > 0 && want < n;
      }
    }
  }
  CHECK(inside > 10000);
}
