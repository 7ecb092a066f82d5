// M7 word of mouth (docs/MODEL.md 7.7): one conversation per step with a
// random neighbour (Eq. 33), referrals and warnings that move heard
// reputation in the consideration set (Eq. 34), reputation decay (Eq. 35),
// and the voice a customer will have next step (Eq. 32).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "core/mechanisms/customer_context.hpp"
#include "core/mechanisms/success_expectations.hpp"

namespace missionsim::mech {

// Eq. 33: conversation probability tau = min(1, talk_rate a(t)); talk_rate is 0 when M7 is off.
inline double talk_probability(double talk_rate, double amplification) {
  return std::min(1.0, talk_rate * amplification);
}

// Eq. 35: share of reputation kept per step, in 1/256.
inline int reputation_keep(double decay) { return static_cast<int>(std::lround(256.0 * (1.0 - decay))); }

// The slot of firm g among K consideration slots, or -1. With K = 4 the slots are one 64-bit word: a
// slot equal to g is a zero 16-bit lane of word ^ g...g, and the lowest lane the zero-lane test flags is
// the first such slot (a borrow can flag a lane only above a zero one), so one compare replaces the
// loop's four data-dependent branches.
inline int slot_of(const std::uint16_t* slots, int K, std::uint16_t g) {
  if (K == 4 && std::endian::native == std::endian::little) {
    constexpr std::uint64_t kLow = 0x0001000100010001ULL, kHigh = 0x8000800080008000ULL;
    std::uint64_t w;
    std::memcpy(&w, slots, sizeof w);
    const std::uint64_t x = w ^ (kLow * g);
    const std::uint64_t zero = (x - kLow) & ~x & kHigh;
    return zero ? std::countr_zero(zero) >> 4 : -1;
  }
  for (int k = 0; k < K; ++k)
    if (slots[k] == g) return k;
  return -1;
}

// Eq. 34: the slot an unknown firm g takes: the first free (or stale) slot, else the worst-reputed one
// that is not the incumbent (the first of equals); -1 when there is none. With K = 4 the four slots
// are judged without branches: a mask of the stale ones (its lowest bit is the first) and the least of
// the keys 4 (rep + 128) + k of the candidates (least reputation, then least k).
inline int slot_for_new(const CustomerContext& c, std::uint32_t i, std::uint16_t g,
                        const std::uint16_t* slots, const std::int8_t* rep) {
  const std::uint16_t incumbent = c.firm_prev[i];
  if (c.K == 4) {
    unsigned stale = 0;
    int least = 1 << 11;  // above every key
    for (int k = 0; k < 4; ++k) {
      const std::uint16_t s = slots[k];
      const bool firm = s != kNoFirm;
      const bool live = firm & c.off[firm ? s : g].alive;  // g: a valid index whatever s is
      stale |= static_cast<unsigned>(!live) << k;
      const int key = (live & (s != incumbent)) ? ((rep[k] + 128) << 2 | k) : 1 << 11;
      least = std::min(least, key);
    }
    if (stale) return std::countr_zero(stale);
    return least < (1 << 11) ? (least & 3) : -1;
  }
  int free_slot = -1, worst = -1;
  for (int k = 0; k < c.K; ++k) {
    const bool stale = slots[k] == kNoFirm || !c.off[slots[k]].alive;
    if (stale && free_slot < 0) free_slot = k;
    if (!stale && slots[k] != incumbent && (worst < 0 || rep[k] < rep[worst])) worst = k;
  }
  return free_slot >= 0 ? free_slot : worst;
}

// Eq. 34: customer i hears about firm g with reputation change delta (units of 1/16). A known firm's
// reputation moves; an unknown firm takes a free (or stale) slot, else the worst-reputed one that is
// not the incumbent; a warning about a firm one does not consider changes nothing. Hearing of a known
// firm with delta 0 (marketing, a first purchase) changes nothing either, unless its reputation is
// -128, which the clamp lifts to -127: then it stores as the clamp says.
inline void hear(const CustomerContext& c, std::uint32_t i, std::uint16_t g, int delta) {
  const int K = c.K;
  std::uint16_t* slots = c.consider + static_cast<std::size_t>(i) * K;
  std::int8_t* rep = c.reputation + static_cast<std::size_t>(i) * K;
  const int known = slot_of(slots, K, g);
  if (known >= 0) {
    if (delta != 0 || rep[known] < -127)
      rep[known] = static_cast<std::int8_t>(std::clamp(rep[known] + delta, -127, 127));
    return;
  }
  if (delta < 0) return;
  const int k = slot_for_new(c, i, g, slots, rep);
  if (k < 0) return;  // every slot holds the incumbent (K = 1)
  slots[k] = g;
  rep[k] = static_cast<std::int8_t>(std::clamp(delta, -127, 127));
}

// Heard reputation of firm g (0 when not considered), in recommendations.
inline double reputation_of(const CustomerContext& c, std::uint32_t i, std::uint16_t g) {
  const std::uint16_t* slots = c.consider + static_cast<std::size_t>(i) * c.K;
  const std::int8_t* rep = c.reputation + static_cast<std::size_t>(i) * c.K;
  for (int k = 0; k < c.K; ++k)
    if (slots[k] == g) return rep[k] / kRepUnit;
  return 0.0;
}

// Eq. 33-34: with probability tau, a conversation with a uniformly chosen neighbour j; a promoter refers
// its firm, a detractor warns about it (voice and firm of j at the end of t-1). Returns what i heard:
// +1 a referral, -1 a warning, 0 nothing (read by Eq. C5-C6).
// converse_with: the conversation of a customer who talks, with the neighbour j that converse chooses
// (Rng::index(d[draw::kNeighbour], degree)-th of i's row), for a caller that has already looked j up.
inline int converse_with(const CustomerContext& c, std::uint32_t i, std::uint32_t j, CustomerDraws& d) {
  const std::uint16_t fj = c.firm_prev[j];
  const std::int8_t vj = c.voice_prev[j];
  if (c.success_expectation) {  // part C: a story is heard from any customer of a live firm (Eq. C2, C7)
    if (fj == kNoFirm || !c.off[fj].alive) return 0;
    hear_success_story(c, i, j, fj);
    if (vj == 0) return 0;
  } else if (vj == 0 || fj == kNoFirm || !c.off[fj].alive) {  // a passive neighbour first: most are
    return 0;
  }
  const double u = Rng::unit(d[draw::kReferWarn]);
  if (vj > 0 && u < c.p->refer_prob) {
    hear(c, i, fj, static_cast<int>(kRepUnit));
    return 1;
  }
  if (vj < 0 && u < c.p->warn_prob) {
    hear(c, i, fj, -static_cast<int>(kRepUnit));
    return -1;
  }
  return 0;
}
inline int converse(const CustomerContext& c, std::uint32_t i, std::uint32_t degree, CustomerDraws& d) {
  if (degree == 0 || !c.talk(d[draw::kTalk])) return 0;
  return converse_with(c, i, c.net->neighbour(i, Rng::index(d[draw::kNeighbour], degree)), d);
}

// Eq. 35: reputation r becomes r * keep / 256, rounded toward zero, for every int8 r (indexed by uint8(r)).
inline std::array<std::int8_t, 256> decay_table(int keep) {
  std::array<std::int8_t, 256> t{};
  for (int r = -128; r < 128; ++r) t[static_cast<std::uint8_t>(r)] = static_cast<std::int8_t>(r * keep / 256);
  return t;
}

// Eq. 35: every slot's reputation decays toward zero (integer, so below 1/512 of a unit it is gone).
// The definition for one customer; the customer pass applies it to a whole run of customers at once
// (decay_run, phases/customer_run.hpp, the same bytes).
inline void decay_reputation(const CustomerContext& c, std::uint32_t i) {
  if (c.keep >= 256) return;
  std::int8_t* rep = c.reputation + static_cast<std::size_t>(i) * c.K;
  for (int k = 0; k < c.K; ++k) rep[k] = c.decayed[static_cast<std::uint8_t>(rep[k])];
}

// Eq. 32: voice on the NPS scale from the experience value x (Eq. 28).
// x >= 0.85: 1, x < 0.65: -1, else 0 (NaN too), without a branch.
inline std::int8_t voice(double x) { return static_cast<std::int8_t>((x >= 0.85) - (x < 0.65)); }

}  // namespace missionsim::mech
