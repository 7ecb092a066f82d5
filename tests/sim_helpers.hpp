// Small builders shared by the unit tests.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "core/params.hpp"
#include "core/simulation.hpp"

namespace missionsim::test {

// Runs p for p.steps steps and returns the observation of every step, t = 0 included.
inline std::vector<Observables> observe_run(const Params& p) {
  Simulation sim(p);
  std::vector<Observables> out{sim.observables()};
  for (int t = 0; t < p.steps; ++t) {
    sim.step();
    out.push_back(sim.observables());
  }
  return out;
}

// A small market with one firm of each listed strategy.
inline Params tiny_params(std::int64_t customers = 2000, int steps = 24,
                          std::vector<std::string> strategies = {"shareholder", "satisfaction", "success",
                                                                 "synergy", "philanthropy", "nonprofit"}) {
  Params p;
  p.customers = customers;
  p.steps = steps;
  p.seed = 42;
  p.max_entrants = 2;
  for (const auto& s : strategies) p.firms.push_back(FirmGroup{s, s, 1});
  return p;
}

// Bitwise equality of two double vectors (NaN == NaN when the bits agree).
inline bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

}  // namespace missionsim::test
