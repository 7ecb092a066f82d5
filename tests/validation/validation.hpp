// Helpers of the validation suite (tests/test_validation.cpp, docs/VALIDATION.md):
// running a shipped validation scenario over replicates with the conservation
// checks of every step, and the few statistics the tolerances are derived from.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "conservation.hpp"
#include "core/kano.hpp"
#include "core/params.hpp"
#include "core/simulation.hpp"
#include "scenario/scenario.hpp"

namespace missionsim::validation {

inline std::string scenario_path(const std::string& file) {
  return std::string(MISSIONSIM_SOURCE_DIR) + "/scenarios/validation/" + file;
}

// Replicate r runs with seed r + MISSIONSIM_VALIDATION_SEED_OFFSET (default 0), so the
// suite can be rerun on seeds that are not the shipped ones.
inline std::uint64_t replicate_seed(int r) {
  const char* v = std::getenv("MISSIONSIM_VALIDATION_SEED_OFFSET");
  return static_cast<std::uint64_t>(r) + (v && *v ? std::strtoull(v, nullptr, 10) : 0);
}

// The shipped scenario with `overrides` (--set syntax) and replicate seed `seed` (0: the file's seed).
inline Params scenario(const std::string& file, std::vector<std::string> overrides = {},
                       std::uint64_t seed = 0) {
  if (seed) overrides.push_back("run.seed=" + std::to_string(replicate_seed(static_cast<int>(seed))));
  return load_scenario(scenario_path(file), overrides);
}

// Case 5: the conservation laws and output identities, checked at every step of
// every run by the checker the unit tests use (tests/conservation.hpp).
using test::Conservation;
using test::OutputIdentities;

struct Trajectory {
  RunInfo info;
  std::vector<Observables> obs;  // t = 0 .. steps
  std::vector<double> adopted() const {
    std::vector<double> a;
    for (const auto& o : obs)
      a.push_back(static_cast<double>(o.adopters) / static_cast<double>(info.population));
    return a;
  }
};

// Runs `p` to the end, checking conservation at every step.
inline Trajectory run(const Params& p, Conservation& c) {
  Simulation sim(p);
  Trajectory tr;
  tr.info = sim.info();
  OutputIdentities identities(p);
  identities.check(sim, c);
  tr.obs.push_back(sim.observables());
  for (int t = 0; t < p.steps; ++t) {
    sim.step();
    identities.check(sim, c);
    tr.obs.push_back(sim.observables());
  }
  return tr;
}

// ---- statistics -------------------------------------------------------------

inline double mean(const std::vector<double>& x) {
  return x.empty() ? NAN : std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}
inline double sd(const std::vector<double>& x) {
  if (x.size() < 2) return NAN;
  const double m = mean(x);
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<double>(x.size() - 1));
}
inline double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
// Upper quantile: P(Z > z) = alpha.
inline double normal_upper(double alpha) {
  double lo = 0, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (1.0 - normal_cdf(mid) > alpha ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}
// Two-sided Bonferroni z for `m` comparisons at family-wise false-alarm rate alpha.
inline double z_family(int m, double alpha = 1e-3) { return normal_upper(alpha / (2.0 * m)); }
// Student t upper quantile (Cornish-Fisher expansion in 1/nu, good to ~1e-3 for nu >= 5).
inline double t_upper(double alpha, double nu) {
  const double z = normal_upper(alpha);
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  return z + (z3 + z) / (4 * nu) + (5 * z5 + 16 * z3 + 3 * z) / (96 * nu * nu) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * nu * nu * nu);
}
// Chi-square quantile with k degrees of freedom at lower-tail probability p (Wilson-Hilferty).
inline double chi2_quantile(double p, double k) {
  const double z = p < 0.5 ? -normal_upper(p) : normal_upper(1 - p);
  const double a = 2.0 / (9.0 * k);
  const double c = 1 - a + z * std::sqrt(a);
  return k * c * c * c;
}

// Mean with a two-sided (1 - alpha) t interval over replicates.
struct Interval {
  double mean = 0, lo = 0, hi = 0, sd = 0;
  int n = 0;
};
inline Interval t_interval(const std::vector<double>& x, double alpha = 0.05) {
  Interval i;
  i.n = static_cast<int>(x.size());
  i.mean = mean(x);
  i.sd = sd(x);
  const double h = t_upper(alpha / 2, i.n - 1) * i.sd / std::sqrt(static_cast<double>(i.n));
  i.lo = i.mean - h;
  i.hi = i.mean + h;
  return i;
}

// Pearson correlation.
inline double correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const double mx = mean(x), my = mean(y);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

// ---- the numbers table of docs/VALIDATION.md ------------------------------------

// With MISSIONSIM_VALIDATION_REPORT=FILE every case appends its rows to FILE
// (Markdown table rows: case | quantity | expected | measured | tolerance / CI | reproduce).
inline void report(const std::string& case_name, const std::string& quantity, const std::string& expected,
                   const std::string& measured, const std::string& tolerance, const std::string& reproduce) {
  const char* path = std::getenv("MISSIONSIM_VALIDATION_REPORT");
  if (!path || !*path) return;
  auto cell = [](const std::string& x) {
    std::string out;
    for (char ch : x) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
    return out;
  };
  std::ofstream out(path, std::ios::app);
  out << "| " << cell(case_name) << " | " << cell(quantity) << " | " << cell(expected) << " | "
      << cell(measured) << " | " << cell(tolerance) << " | `" << cell(reproduce) << "` |\n";
}

inline std::string fmt(double x, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, x);
  return buf;
}

// Larger populations and more replicates outside CI: MISSIONSIM_VALIDATION_LONG=1.
inline bool long_mode() {
  const char* v = std::getenv("MISSIONSIM_VALIDATION_LONG");
  return v && *v && std::string(v) != "0";
}

}  // namespace missionsim::validation
