// The customer kernels' shortcuts against the plain definitions they replace: each shortcut must give
// the same bytes for every input, so these tests sweep inputs (all reputation bytes, every bucket edge of
// a lookup table, random consideration sets) with K = 4, the slot count the word-wide paths serve, and
// with other K where a kernel has a general path too.
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "core/mechanisms/word_of_mouth.hpp"
#include "core/rng.hpp"
#include "core/state.hpp"

using namespace missionsim;

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

}  // namespace

TEST_CASE("decay_reputation: the word-wide path gives r * keep / 256 toward zero for every byte (Eq. 35)",
          "[mechanisms][word_of_mouth][paths]") {
  for (int K : {4, 3}) {
    // Customer v holds the reputation bytes 4v..4v+3 (mod 256, as int8) in its slots: all 256 values,
    // in every slot position, next to zero and nonzero neighbours.
    Slots s(K, 256, 1);
    for (int keep : {0, 1, 128, 230, 255}) {
      for (std::size_t b = 0; b < s.reputation.size(); ++b)
        s.reputation[b] = static_cast<std::int8_t>(static_cast<std::uint8_t>((b * 37) % 256));
      for (int k = 0; k < K; ++k) s.reputation[5 * K + k] = 0;  // an all-zero word
      const std::vector<std::int8_t> before = s.reputation;
      const auto c = s.ctx(keep);
      for (std::uint32_t i = 0; i < s.n; ++i) mech::decay_reputation(c, i);
      for (std::size_t b = 0; b < before.size(); ++b) {
        INFO("K " << K << " keep " << keep << " byte " << b << " r " << int{before[b]});
        CHECK(s.reputation[b] == static_cast<std::int8_t>(before[b] * keep / 256));
      }
    }
  }
}
