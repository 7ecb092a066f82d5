// What a customer kernel sees (docs/MODEL.md 3, customer pass): the
// customers' arrays, of which a kernel for customer i writes only entry i
// (and reads other customers only through firm_prev and voice_prev), and the
// read-only firm offers, reach table and parameters of this step.
#pragma once

#include <array>
#include <cstdint>

#include "core/draws.hpp"
#include "core/mechanisms/needs.hpp"
#include "core/network.hpp"
#include "core/params.hpp"
#include "core/rng.hpp"
#include "core/state.hpp"

namespace missionsim::mech {

// A fixed probability p as a threshold on one random word: Rng::unit(w) < p exactly when w < below().
// unit(w) = (w + 1/2) 2^-32 is exact and strictly increasing in w, so the words that draw below p are
// the ones under the first that does not, found once by bisection: the per-customer test is one
// integer compare instead of a conversion, a multiply and a floating-point compare. NaN p: no word.
class Chance {
 public:
  Chance(double p = 0.0) : p_(p), below_(first_not_below(p)) {}  // implicit: set from a probability
  static Chance always() {
    Chance c(1.0);
    c.below_ = std::uint64_t{1} << 32;
    return c;
  }
  bool operator()(std::uint32_t word) const { return word < below_; }
  double p() const { return p_; }
  std::uint64_t below() const { return below_; }

 private:
  static std::uint64_t first_not_below(double p) {
    std::uint64_t lo = 0, hi = std::uint64_t{1} << 32;  // the answer lies in [lo, hi]
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      if (Rng::unit(static_cast<std::uint32_t>(mid)) < p)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }
  double p_;
  std::uint64_t below_;
};

// Eq. 12 looked up by the awareness word's top bits (AdoptionTables in adoption.hpp).
inline constexpr int kAwarenessBits = 10;
inline constexpr std::uint16_t kAwarenessMixed = 0xFFFE;  // the bucket holds more than one outcome

struct CustomerContext {
  // Customers.
  const std::uint16_t* __restrict firm_prev;
  std::uint16_t* __restrict firm_next;
  const std::int8_t* __restrict voice_prev;
  std::int8_t* __restrict voice_next;
  float* __restrict expectation;
  float* __restrict satisfaction;
  float* __restrict success;
  const float* __restrict difficulty;
  const std::uint8_t* __restrict effort;
  const std::uint8_t* __restrict traits;
  std::uint16_t* __restrict tenure;
  std::uint16_t* __restrict consider;  // [n K]
  std::int8_t* __restrict reputation;  // [n K]
  const std::uint32_t* adopted_neighbours;
  int K;
  const Network* net;
  // Firms and market this step, fixed by plan_firms.
  const Offer* off;
  const std::uint16_t* live;  // live firm slots, ascending
  std::uint32_t n_live;
  const double* reach_cum;  // [F] cumulative reach
  std::uint32_t n_firms;
  double reach_total;
  double p_eff;                   // Eq. 11
  double adopted_share_complete;  // N/M of the Bass recursion on a complete network
  double w_success;               // Eq. 27a
  Chance talk;                    // Eq. 33: has a conversation, from the word kTalk
  int keep;                       // Eq. 35: reputation kept per step, in 1/256
  const std::int8_t* decayed;     // Eq. 35: decayed[uint8(r)] = r * keep / 256 for every int8 r
  const double* seg_ps;           // price sensitivity per segment
  const double* seg_vw;           // values weight per segment
  const Params* p;                // lowered parameters
  bool success_on;                // M4
  const Rng* rng;
  std::uint32_t step;
  const NeedsTables* needs = nullptr;  // Eq. B4 (part B); null when needs.heterogeneous is off
  const double* seg_wtp = nullptr;     // Eq. A2: reservation price per segment (demand.outside_option)
  // Part C (Eq. C1-C4); all null when [success_expectations] is off or M4 is off.
  float* __restrict success_expectation = nullptr;
  float* __restrict success_weight = nullptr;
  const float* __restrict success_seen = nullptr;  // success at the end of t-1 (stories, Eq. C2)
  // Eq. S6: 1 for a segment of nonprofit clients; null when society.nonprofit_clients is off.
  const std::uint8_t* seg_client = nullptr;
  const std::uint16_t* referral = nullptr;  // Eq. S6: live grant-funded firms, ascending (clients know them)
  std::uint32_t n_referral = 0;
  // Per-step shortcuts set by AdoptionTables::attach (adoption.hpp); the defaults take the long way.
  const std::uint16_t* awareness = nullptr;    // Eq. 12 per bucket of the word kAwareness, or kAwarenessMixed
  Chance adoption_ceiling = Chance::always();  // Eq. 13: no word at or above it adopts (without C5-C6)
};

// The random words of one customer and step (draws.hpp): block 0 always, block 1 on first use.
class CustomerDraws {
 public:
  CustomerDraws(const Rng& rng, std::uint32_t i, std::uint32_t step)
      : rng_(rng), i_(i), step_(step), w0_(rng.words(Purpose::Customer, i, step, draw::kCustomerBlock0)) {}
  // Block 0 made beforehand (the customer pass makes it for a run of customers with Rng::words_run).
  CustomerDraws(const Rng& rng, std::uint32_t i, std::uint32_t step, const std::array<std::uint32_t, 4>& w0)
      : rng_(rng), i_(i), step_(step), w0_(w0) {}
  // Block 1 made beforehand (the customer pass makes it for the customers it knows will need it).
  CustomerDraws(const Rng& rng, std::uint32_t i, std::uint32_t step, const std::array<std::uint32_t, 4>& w0,
                const std::array<std::uint32_t, 4>& w1)
      : rng_(rng), i_(i), step_(step), w0_(w0), w1_(w1), have_w1_(true) {}
  std::uint32_t operator[](draw::CustomerWord0 w) const { return w0_[w]; }
  std::uint32_t operator[](draw::CustomerWord1 w) {
    if (!have_w1_) {
      w1_ = rng_.words(Purpose::Customer, i_, step_, draw::kCustomerBlock1);
      have_w1_ = true;
    }
    return w1_[w];
  }
  bool has_block1() const { return have_w1_; }  // made beforehand or on first use
  std::uint32_t operator[](draw::CustomerWordDemand w) const {
    return rng_.words(Purpose::Customer, i_, step_, draw::kCustomerBlockDemand)[w];
  }

 private:
  const Rng& rng_;
  std::uint32_t i_, step_;
  std::array<std::uint32_t, 4> w0_;
  std::array<std::uint32_t, 4> w1_{};
  bool have_w1_ = false;
};

// The place std::upper_bound(v, v + n, target) returns (as an index), by the same probes in the same
// order, whatever v holds, but with each step's outcome taken by a select instead of a branch: the
// outcomes are the bits of a random word, which the CPU cannot guess.
inline std::size_t upper_bound_index(const double* v, std::size_t n, double target) {
  std::size_t first = 0, len = n;
  while (len > 0) {
    const std::size_t half = len >> 1;
    const bool below = target < v[first + half];
    first = below ? first : first + half + 1;
    len = below ? half : len - half - 1;
  }
  return first;
}

// The firm at `target` on the cumulative reach table (Eq. 12, 14).
inline std::uint16_t firm_at_reach(const CustomerContext& c, double target) {
  return static_cast<std::uint16_t>(
      std::min<std::size_t>(upper_bound_index(c.reach_cum, c.n_firms, target), c.n_firms - 1));
}

}  // namespace missionsim::mech
