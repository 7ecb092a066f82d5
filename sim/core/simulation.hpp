// The simulation: owns customers, firms, market and network of one run.
//
// Usage: Simulation sim(params); observe t = 0 with sim.observables(); then
// call sim.step() params.steps times, reading sim.observables() after each.
// Thread count is whatever the caller's tbb::global_control allows; results
// are bit-identical for any thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "core/observables.hpp"
#include "core/params.hpp"

namespace missionsim {

class Strategy;

// Makes the policy object of a strategy (e.g. one written in Python); returns
// null to use the built-in policy driven by the parameters alone.
using StrategyFactory = std::function<std::unique_ptr<Strategy>(const StrategyParams&)>;

// Read-only views of the customer arrays (struct of arrays, docs/MODEL.md 2.2)
// as of the last step. Valid until the next step(): the buffers are reused.
struct CustomerArrays {
  std::span<const std::uint16_t> firm;      // current firm, 0xFFFF: not adopted
  std::span<const std::int8_t> voice;       // +1 promoter, -1 detractor, 0 passive or none
  std::span<const std::uint16_t> tenure;    // steps with the current firm
  std::span<const float> expectation;       // E, 0..1
  std::span<const float> satisfaction;      // S, 0..1
  std::span<const float> success;           // s, 0..1
  std::span<const float> difficulty;        // 0..1
  std::span<const std::uint8_t> effort;     // 0..255 -> 0..1
  std::span<const std::uint8_t> traits;     // segment (low bits) and values-driven flag
  std::span<const std::uint16_t> consider;  // [n K] known firms
  std::span<const std::int8_t> reputation;  // [n K] heard reputation, units of 1/16
  std::span<const std::uint32_t> adopted_neighbours;  // neighbours with a firm (Eq. 13); empty when complete
  int consideration_slots = 0;              // K
};

// The social network in compressed sparse row form: the neighbours of i are
// neighbours[offsets[i] .. offsets[i+1]), ascending. Both empty when complete (mean-field mixing). The
// engine keeps narrower columns (core/network.hpp); these are decoded on the first call and kept.
struct NetworkCsr {
  bool complete = false;
  std::uint32_t size = 0;
  std::span<const std::uint32_t> offsets;     // [n + 1]
  std::span<const std::uint32_t> neighbours;  // [2 E]
};

// What the customer passes did beyond the work every customer-step does, summed over the steps made while
// Simulation::count_work is on.
// Integer counts, the same at any thread count. bench_roofline costs its floor with them (the draws and the
// scattered reads a run made; docs/PERFORMANCE.md, "Roofline").
struct WorkCounts {
  std::int64_t customer_steps = 0;  // customers x steps
  // Philox blocks of Purpose::Customer block 1 (draws.hpp): a referral or warning heard, an adoption's
  // choice, a reconsideration's exit or choice. Blocks 0 (every customer-step) and the blocks of the
  // optional mechanisms (demand, admission, incidents) are not counted.
  std::int64_t customer_block1 = 0;
  // Talkers whose chosen neighbour lies beyond the near window of their run of 64 customers (the pass
  // fetches the neighbour's firm_prev and voice_prev lines one by one; the near ones' lines stream with
  // the run): the rewired neighbours of a small world, nearly every neighbour on a complete network.
  std::int64_t far_neighbour_reads = 0;
};

class Simulation {
 public:
  // Throws std::invalid_argument when params are inconsistent (unknown
  // strategy name, too many firms, ...).
  explicit Simulation(const Params& params);
  // Same, with `factory` asked first for each strategy's policy object.
  Simulation(const Params& params, StrategyFactory factory);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  void step();       // advance one month
  int time() const;  // steps done so far
  const Params& params() const;
  const RunInfo& info() const;
  const Observables& observables() const;  // state after the last step (or t = 0)

  // Exact accounting in cents, for conservation checks: cash(t) = cash(t-1) + profit(t) - payout(t).
  std::int64_t cash_cents(int firm) const;
  std::int64_t profit_cents(int firm) const;
  std::int64_t payout_cents(int firm) const;
  // Eq. S5: the clients grant-funded firm `firm` could keep in the last step (society.nonprofit_clients);
  // -1 when there was no limit (switch off, not grant-funded, or not alive).
  std::int64_t client_capacity(int firm) const;
  // Heap bytes held for customers and the network (benchmarks report it per customer).
  std::size_t state_bytes() const;
  std::size_t network_edges() const;  // directed adjacency entries
  std::size_t network_bytes() const;  // the network as held (part of state_bytes)
  // WorkCounts of the steps made while counting is on (off by default: counting costs about 2% of a
  // step). Counting changes no result.
  void count_work(bool on);
  const WorkCounts& work() const;
  // Zero-copy views of the state (valid until the next step()).
  CustomerArrays customers() const;
  NetworkCsr network() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace missionsim
