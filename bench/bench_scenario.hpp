// What the benchmarks share: the measured scenario with their --steps and
// --customers overrides (0: the scenario's own value).
#pragma once

#include <string>
#include <vector>

#include "core/params.hpp"
#include "scenario/scenario.hpp"

namespace missionsim::bench {

inline Params load_bench_scenario(const std::string& path, long long steps, long long customers) {
  std::vector<std::string> sets;
  if (steps > 0) sets.push_back("run.steps=" + std::to_string(steps));
  if (customers > 0) sets.push_back("customers.count=" + std::to_string(customers));
  return load_scenario(path, sets);
}

}  // namespace missionsim::bench
