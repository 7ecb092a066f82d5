// Eq. 12 over a run of customers (sim/core/phases/marketing_run.hpp): every path against
// mech::notice_marketing customer by customer, slot by slot.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "core/mechanisms/adoption.hpp"
#include "core/phases/marketing_run.hpp"

using namespace missionsim;

namespace {

// Customers with K = 4 slots in states chosen to hit every rule of hear(c, i, g, 0): free (kNoFirm) and
// dead slots, the incumbent in a slot, the same firm in two slots, reputations at -128, -127 and 127 and
// ties between slots, and awareness words whose bucket is a firm, kNoFirm or mixed.
struct NoticeStates {
  static constexpr int kK = 4;
  std::uint32_t n, F;
  Params p;
  Rng rng{7};
  std::vector<Offer> offers;
  std::vector<double> reach_cum;
  std::vector<std::uint16_t> live, firm_prev, consider;
  std::vector<std::int8_t> reputation;
  std::vector<std::uint16_t> awareness = std::vector<std::uint16_t>(std::size_t{1} << mech::kAwarenessBits);
  std::vector<std::uint32_t> words;
  std::vector<std::uint64_t> reached;  // per run of 64

  NoticeStates(std::uint32_t n, std::uint32_t F, std::uint64_t seed) : n(n), F(F), offers(F), reach_cum(F) {
    std::uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
    auto next = [&] {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      return s;
    };
    auto firm = [&] { return static_cast<std::uint16_t>(next() % F); };
    for (std::uint32_t f = 0; f < F; ++f) {
      offers[f].alive = (next() % 4) != 0;
      if (offers[f].alive) live.push_back(static_cast<std::uint16_t>(f));
      reach_cum[f] = 0.9 * (f + 1) / F;
    }
    for (auto& a : awareness) {
      const std::uint64_t r = next() % 8;
      a = r == 0 ? kNoFirm : r == 1 ? mech::kAwarenessMixed : live[next() % live.size()];
    }
    const std::int8_t reps[] = {-128, -127, 127, 0, 0, 5, -3, -128, 64};
    for (std::uint32_t i = 0; i < n; ++i) {
      firm_prev.push_back(next() % 3 == 0 ? kNoFirm : firm());
      for (int k = 0; k < kK; ++k) {
        const std::uint64_t r = next() % 6;
        consider.push_back(r == 0 ? kNoFirm : r == 1 ? firm_prev[i] : firm());
        reputation.push_back(reps[next() % std::size(reps)]);
      }
      if (next() % 4 == 0) consider[i * kK + next() % kK] = consider[i * kK + next() % kK];  // duplicates
      words.push_back(static_cast<std::uint32_t>(next()));
    }
    for (std::uint32_t first = 0; first < n; first += 64) reached.push_back(next() | next());
  }

  mech::CustomerContext ctx() {
    mech::CustomerContext c{};
    c.firm_prev = firm_prev.data();
    c.consider = consider.data();
    c.reputation = reputation.data();
    c.K = kK;
    c.off = offers.data();
    c.live = live.data();
    c.n_live = static_cast<std::uint32_t>(live.size());
    c.reach_cum = reach_cum.data();
    c.n_firms = F;
    c.reach_total = 0.9;
    c.p = &p;
    c.rng = &rng;
    c.awareness = awareness.data();
    return c;
  }
};

// The run's customers by each path from the same start, against notice_marketing one customer at a time.
// Runs of 64 customers and a short last one (n % 64 customers).
void check_paths(std::uint32_t n, std::uint32_t F, std::uint64_t seed) {
  NoticeStates expected(n, F, seed);
  {
    const mech::CustomerContext c = expected.ctx();
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!((expected.reached[i / 64] >> (i % 64)) & 1)) continue;
      const std::array<std::uint32_t, 4> w = {0, 0, expected.words[i], 0};
      mech::notice_marketing(c, i, mech::CustomerDraws(*c.rng, i, 0, w));
    }
  }
  for (marketing::Isa isa : {marketing::Isa::Scalar, marketing::Isa::Avx2, marketing::Isa::Avx512}) {
    if (!marketing::supported(isa)) continue;
    NoticeStates got(n, F, seed);
    const mech::CustomerContext c = got.ctx();
    marketing::StepTables t;
    t.build(c, isa);
    INFO("path " << marketing::isa_name(isa) << ", n " << n << ", F " << F << ", seed " << seed);
    CHECK(t.isa == (F <= marketing::kMaxFirms ? isa : marketing::Isa::Scalar));
    for (std::uint32_t first = 0; first < n; first += 64) {
      const std::uint32_t m = std::min<std::uint32_t>(64, n - first);
      const std::uint64_t reached = got.reached[first / 64] & (m == 64 ? ~0ULL : (1ULL << m) - 1);
      marketing::notice_run(c, t, first, m, got.words.data() + first, reached);
    }
    int bad = 0;
    for (std::size_t s = 0; s < got.consider.size(); ++s) {
      if (got.consider[s] != expected.consider[s] || got.reputation[s] != expected.reputation[s]) {
        if (++bad <= 5)
          UNSCOPED_INFO("customer " << s / 4 << " slot " << s % 4 << ": slot " << got.consider[s] << " rep "
                                    << int{got.reputation[s]} << ", expected " << expected.consider[s]
                                    << " rep " << int{expected.reputation[s]});
      }
    }
    CHECK(bad == 0);
  }
}

}  // namespace

TEST_CASE("marketing run: every path gives notice_marketing's slots and reputations", "[marketing]") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    check_paths(64 * 8 + 37, 5, seed);  // few firms: slots often share a firm, ties are frequent
    check_paths(64 * 4 + 3, 64, seed);  // the largest table the SIMD paths take
  }
  check_paths(300, 65, 3);  // too many firms for the SIMD paths: the scalar one
}

TEST_CASE("marketing run: the random states reach every rule", "[marketing]") {
  // A guard on the test above: the states it draws exercise each outcome of hear(c, i, g, 0).
  NoticeStates mk(64 * 8 + 37, 5, 1);
  const mech::CustomerContext c = mk.ctx();
  int lifted = 0, into_stale = 0, over_worst = 0, tied = 0;
  for (std::uint32_t i = 0; i < mk.n; ++i) {
    if (!((mk.reached[i / 64] >> (i % 64)) & 1)) continue;
    const std::uint16_t g = mech::marketing_notice(c, mk.words[i]);
    if (g == kNoFirm) continue;
    const std::uint16_t* slots = mk.consider.data() + i * 4;
    const std::int8_t* rep = mk.reputation.data() + i * 4;
    const int known = mech::slot_of(slots, 4, g);
    if (known >= 0) {
      lifted += rep[known] == -128;
      continue;
    }
    const int k = mech::slot_for_new(c, i, g, slots, rep);
    if (k < 0) continue;
    if (slots[k] == kNoFirm || !mk.offers[slots[k]].alive) {
      ++into_stale;
      continue;
    }
    ++over_worst;
    for (int j = k + 1; j < 4; ++j) tied += slots[j] != mk.firm_prev[i] && rep[j] == rep[k];
  }
  CHECK(lifted > 0);
  CHECK(into_stale > 0);
  CHECK(over_worst > 0);
  CHECK(tied > 0);  // the least k wins among equal reputations
}

TEST_CASE("marketing run: steps the SIMD paths cannot serve take the scalar path", "[marketing]") {
  NoticeStates mk(64, 5, 1);
  mech::CustomerContext c = mk.ctx();
  for (marketing::Isa isa : {marketing::Isa::Avx2, marketing::Isa::Avx512}) {
    marketing::StepTables t;
    t.build(c, isa);
    CHECK(t.isa == isa);
    mech::CustomerContext other = c;
    other.K = 2;  // the SIMD paths hold four slots a customer
    t.build(other, isa);
    CHECK(t.isa == marketing::Isa::Scalar);
    other = c;
    other.awareness = nullptr;  // no table this step (a cumulative reach that is not monotone)
    t.build(other, isa);
    CHECK(t.isa == marketing::Isa::Scalar);
  }
}
