// What the benchmarks share: the measured scenario with their --steps and
// --customers overrides (0: the scenario's own value), and the reading of
// their integer options.
#pragma once

#include <cstdio>
#include <cstdlib>
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

// The value of option argv[i] (i is moved to it): a positive integer, else a message naming the program
// and the option, and exit status 2.
inline long long positive_option(const char* program, int argc, char** argv, int& i) {
  const char* option = argv[i];
  if (i + 1 >= argc) {
    std::fprintf(stderr, "%s: %s needs a value\n", program, option);
    std::exit(2);
  }
  char* end = nullptr;
  const long long v = std::strtoll(argv[++i], &end, 10);
  if (end == argv[i] || *end != '\0' || v < 1) {
    std::fprintf(stderr, "%s: %s needs a positive integer, got '%s'\n", program, option, argv[i]);
    std::exit(2);
  }
  return v;
}

// The options every benchmark takes: the scenario (a positional argument), --repeats, --threads, --steps
// and --customers (-1: the scenario's own value).
struct Options {
  std::string path = "scenarios/bench-1m.toml";
  long long repeats = 5, threads = 1, steps = -1, customers = -1;
};

// Reads argv[i] (and its value) into `o` when it is one of the shared options or the scenario path;
// false for anything else (a benchmark's own option, --help, or an unknown option).
inline bool shared_option(const char* program, int argc, char** argv, int& i, Options& o) {
  const std::string a = argv[i];
  long long* target = a == "--repeats"     ? &o.repeats
                      : a == "--threads"   ? &o.threads
                      : a == "--steps"     ? &o.steps
                      : a == "--customers" ? &o.customers
                                           : nullptr;
  if (target) {
    *target = positive_option(program, argc, argv, i);
    return true;
  }
  if (a.empty() || a[0] == '-') return false;
  o.path = a;
  return true;
}

}  // namespace missionsim::bench
