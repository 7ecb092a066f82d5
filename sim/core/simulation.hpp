// The simulation: owns customers, firms, market and network of one run.
//
// Usage: Simulation sim(params); observe t = 0 with sim.observables(); then
// call sim.step() params.steps times, reading sim.observables() after each.
// Thread count is whatever the caller's tbb::global_control allows; results
// are bit-identical for any thread count.
#pragma once

#include <memory>

#include "core/observables.hpp"
#include "core/params.hpp"

namespace missionsim {

class Simulation {
 public:
  // Throws std::invalid_argument when params are inconsistent (unknown
  // strategy name, too many firms, ...).
  explicit Simulation(const Params& params);
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
  // Heap bytes held for customers and the network (benchmarks report it per customer).
  std::size_t state_bytes() const;
  std::size_t network_edges() const;  // directed adjacency entries

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace missionsim
