// Counter-based random numbers (Random123 Philox4x32-10).
//
// A draw is a pure function of (seed, purpose, agent, step, draw index): the
// key is the 64-bit run seed, the counter is {agent, step, draw, purpose}. No
// generator state exists, so results do not depend on the thread count or on
// the order in which agents are processed.
#pragma once

#include <Random123/philox.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "core/philox_batch.hpp"

namespace missionsim {

// Independent streams; never renumber a purpose (it would change every result).
enum class Purpose : std::uint32_t {
  Init = 1,         // customer traits at t = 0
  Network = 2,      // graph construction
  Customer = 3,     // per-customer, per-step decisions
  Firm = 4,         // firm-level draws (innovation, adaptation)
  Entry = 5,        // entrants
  InitFirm = 6,     // initial firm capabilities
  Kano = 7,         // virtual Kano questionnaire panel
  SweepDesign = 8,  // sweep design points (random, lhs, sobol), keyed by the sweep's base seed
  SweepSeed = 9,    // each sweep run's seed from (design point, replicate), keyed by the base seed
  Needs = 21,       // heterogeneous needs (part B): segment weights, customer taste and fit, fixed over time
};

class Rng {
 public:
  explicit Rng(std::uint64_t seed)
      : key_{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}} {}

  // Four independent 32-bit words for (purpose, agent, step, block).
  std::array<std::uint32_t, 4> words(Purpose purpose, std::uint32_t agent, std::uint32_t step,
                                     std::uint32_t block) const {
    r123::Philox4x32::ctr_type ctr = {{agent, step, block, static_cast<std::uint32_t>(purpose)}};
    auto r = philox_(ctr, key_);
    return {r.v[0], r.v[1], r.v[2], r.v[3]};
  }

  // The same block for the n agents first, first + 1, ...: out.w[w][j] = words(purpose, first + j, step,
  // block)[w], bit for bit, made with SIMD across the agents (philox_batch.hpp).
  void words_run(Purpose purpose, std::uint32_t first, std::uint32_t step, std::uint32_t block, std::size_t n,
                 philox::WordRows out) const {
    philox::words_run(key_.v[0], key_.v[1], {first, step, block, static_cast<std::uint32_t>(purpose)}, n,
                      out);
  }

  // Uniform in the open interval (0, 1) from one word: (x + 0.5) / 2^32.
  static double unit(std::uint32_t x) { return (static_cast<double>(x) + 0.5) * 0x1p-32; }

  // The integer form of the test unit(x) < p: it holds exactly when x < unit_bound(p) (a value in
  // [0, 2^32]). unit(x) = (x + 0.5) / 2^32 is exact in double, so unit(x) < p <=> x < p 2^32 - 0.5,
  // for an integer x x < ceil(p 2^32 - 0.5); the subtraction is exact when p 2^32 >= 0.5, and below
  // that (p < unit(0)) no x passes. No x passes for p <= 0 or NaN, every x for p >= 1.
  static std::uint64_t unit_bound(double p) {
    if (!(p > 0)) return 0;
    if (p >= 1) return std::uint64_t{1} << 32;
    const double b = std::ceil(p * 0x1p32 - 0.5);
    return b > 0 ? static_cast<std::uint64_t>(b) : 0;
  }

  // Standard normal from two words (Box-Muller, cosine branch).
  static double normal(std::uint32_t a, std::uint32_t b) {
    return std::sqrt(-2.0 * std::log(unit(a))) * std::cos(2.0 * std::numbers::pi * unit(b));
  }

  // Uniform index in [0, n) from one word (multiply-shift, bias below 2^-32 * n).
  static std::uint32_t index(std::uint32_t x, std::uint32_t n) {
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(x) * n) >> 32);
  }

 private:
  r123::Philox4x32::key_type key_;
  r123::Philox4x32 philox_;
};

// A sequential stream over blocks for one (purpose, agent, step): hands out
// uniforms four at a time. Used where the number of draws varies.
class Stream {
 public:
  Stream(const Rng& rng, Purpose purpose, std::uint32_t agent, std::uint32_t step)
      : rng_(rng), purpose_(purpose), agent_(agent), step_(step) {}

  std::uint32_t word() {
    if (pos_ == 4) {
      buf_ = rng_.words(purpose_, agent_, step_, block_++);
      pos_ = 0;
    }
    return buf_[pos_++];
  }
  double unit() { return Rng::unit(word()); }
  std::uint32_t index(std::uint32_t n) { return Rng::index(word(), n); }

 private:
  const Rng& rng_;
  Purpose purpose_;
  std::uint32_t agent_, step_;
  std::uint32_t block_ = 0;
  std::array<std::uint32_t, 4> buf_{};
  int pos_ = 4;
};

}  // namespace missionsim
