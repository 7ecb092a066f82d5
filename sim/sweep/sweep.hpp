// Parameter sweeps: sweep files, designs and the run plan (docs/SWEEP.md).
//
// A sweep file names a base scenario, the parameters to vary (scenario key
// paths, as for --set), a design and a number of replicates. The plan expands
// it into runs; run i has a stable id ("p000012-r03") and a seed that is a
// pure function of (base seed, design point, replicate), so any run can be
// redone alone with `missionsim run BASE --set ... --seed S`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/params.hpp"

namespace missionsim::sweep {

// A bad sweep file, parameter or command-line value (exit 2). what() is the
// full message: "FILE:LINE:COLUMN: key 'sweep.desing' ...".
class SweepError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Design { Grid, Random, Lhs, Sobol };
enum class Scale { Uniform, LogUniform, Integer };

std::string_view design_name(Design d);
std::string_view scale_name(Scale s);

struct Parameter {
  std::string key;  // scenario key path, e.g. "choice.churn_base"
  // Either a range ...
  bool has_range = false;
  double lo = 0, hi = 0;
  Scale scale = Scale::Uniform;
  int points = 0;  // grid points over the range (0: not given)
  // ... or levels: TOML text of each value ("0.1", "\"success\"", "true").
  std::vector<std::string> levels;
  std::vector<double> level_numbers;  // numeric value of each level, NaN for strings
  std::string where;                  // "FILE:LINE:COLUMN" of the parameter's table, for messages
  std::string where_key;              // ... of its key
  std::string where_value;            // ... of its range or levels
};

struct SweepSpec {
  std::string source;              // sweep file path (as given) or a name
  std::string name;                // [sweep] name
  std::string base_path;           // absolute path of the base scenario file; empty for an inline [base]
  std::string base_text;           // the base scenario, TOML
  std::string base_source;         // names the base in messages
  std::vector<std::string> fixed;  // [sweep] set: overrides applied to every run, before the parameters
  std::vector<Parameter> parameters;
  Design design = Design::Grid;
  std::size_t samples = 0;  // random, lhs: points; sobol: base samples N
  int replicates = 1;
  std::uint64_t seed = 0;  // base seed, 0 .. 2^63 - 1
  // Common random numbers: replicate r has the same seed at every design point
  // (the seed of point 0), so any two points can be compared run by run.
  bool paired = false;
};

// Reads and checks a sweep file; a relative base path is resolved against
// the sweep file's directory. `base_text_override` replaces the contents of
// the base file (a sweep directory keeps its own copy, base.toml).
SweepSpec load_sweep(const std::string& path);
SweepSpec parse_sweep(std::string_view toml, const std::string& source, const std::string& base_dir,
                      const std::optional<std::string>& base_text_override = std::nullopt);

// ---- designs on the unit cube ---------------------------------------------

// Row-major [rows x d] points in (0, 1)^d, reproducible from `seed`:
// random: n rows of independent uniforms; lhs: n rows, one point in each of
// the n strata of every dimension; sobol: the Saltelli layout [A; B; AB_1;
// ...; AB_d] of n (d + 2) rows, A and B independent uniforms (pseudo-random,
// from the counter-based generator) and AB_i = A with column i from B.
std::vector<double> unit_design(Design design, std::size_t n, std::size_t d, std::uint64_t seed);
// A unit-cube coordinate mapped to a parameter value's index in its levels
// (levels) or to the range (uniform, log-uniform, integer).
std::size_t level_index(const Parameter& p, double u);
double range_value(const Parameter& p, double u);
// The values a grid takes for a range parameter with `points`.
std::vector<double> grid_values(const Parameter& p);

// Seed of a run: Philox keyed by the base seed, counter (point, replicate),
// purpose Purpose::SweepSeed; 63 bits so that it is a valid --seed.
std::uint64_t run_seed(std::uint64_t base_seed, std::size_t point, int replicate);
// Block b > 0: the replacement drawn if block b - 1 repeated an earlier run's seed.
std::uint64_t run_seed_block(std::uint64_t base_seed, std::size_t point, int replicate, std::uint32_t block);

// ---- the plan -------------------------------------------------------------

// What a spec expands to, computed without expanding it: design points,
// runs, and the bytes the Plan will hold (docs/SWEEP.md, Limits). Throws
// SweepError, naming the parameter, when there would be more than 1e8 runs.
struct PlanSize {
  std::size_t points = 0;
  std::size_t runs = 0;
  double bytes = 0;
};
PlanSize plan_size(const SweepSpec& spec);

struct Run {
  std::size_t index = 0;  // 0 .. runs - 1, point-major: index = point * replicates + replicate
  std::size_t point = 0;
  int replicate = 0;
  std::uint64_t seed = 0;
  std::string id;  // "p000012-r03"
};

class Plan {
 public:
  // Expands the design and checks every design point against the base
  // scenario (a value out of range names the parameter's line).
  explicit Plan(SweepSpec spec);

  const SweepSpec& spec() const { return spec_; }
  std::size_t points() const { return points_; }
  std::size_t size() const { return runs_.size(); }
  const Run& run(std::size_t index) const { return runs_.at(index); }
  const std::vector<Run>& runs() const { return runs_; }
  std::optional<std::size_t> find(const std::string& id) const;

  // TOML text and numeric value (NaN for strings) of parameter j at a point.
  const std::string& value_text(std::size_t point, std::size_t j) const;
  double value(std::size_t point, std::size_t j) const;
  // Saltelli block of a point: "A", "B" or "AB" (and its column); "" otherwise.
  std::string_view saltelli_matrix(std::size_t point) const;
  int saltelli_column(std::size_t point) const;  // AB_i: i, else -1

  // The --set overrides of a run: [sweep] set, then the parameters, then run.seed.
  std::vector<std::string> overrides(const Run& run) const;
  Params params(const Run& run) const;  // throws SweepError naming the run
  // `missionsim run BASE --set ... --seed S` for the run; `base` is the path to print.
  std::string command(const Run& run, const std::string& base,
                      const std::string& program = "missionsim") const;
  // SHA-256 of the resolved sweep (base scenario resolved with [sweep] set,
  // design, parameters, replicates, seed): equal hashes, equal runs.
  const std::string& sha256() const { return sha256_; }

 private:
  SweepSpec spec_;
  std::size_t points_ = 0;
  std::vector<std::string> texts_;  // [points x parameters]
  std::vector<double> numbers_;     // [points x parameters]
  std::vector<Run> runs_;
  std::string sha256_;
};

// ---- shards ---------------------------------------------------------------

// Shard i of N (0-based) holds the runs with index % N == i.
struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;
  bool contains(std::size_t run_index) const { return run_index % count == index; }
};
Shard parse_shard(const std::string& text);  // "i/N", throws SweepError

}  // namespace missionsim::sweep
