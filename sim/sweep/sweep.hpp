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
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/params.hpp"
#include "sweep/expression.hpp"
#include "sweep/outcomes.hpp"
#include "sweep/slurm_settings.hpp"

namespace missionsim::sweep {

// A bad sweep file, parameter or command-line value (exit 2). what() is the
// full message: "FILE:LINE:COLUMN: key 'sweep.desing' ...".
class SweepError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// grid and random are built in; "points" reads unit-cube points from a CSV
// file written by analysis/design.py (scrambled Sobol', optimised LHS,
// Saltelli, Morris) or by hand (docs/SWEEP.md, "Designs").
enum class Design { Grid, Random, Points };
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

// A linked parameter's formula: an expression (sweep/expression.hpp) over
// named values. Copies share the parsed tree.
class Formula {
 public:
  // Names are looked up in `names`; evaluate() takes their values in that order.
  // Throws ExpressionError (with the offset) for a bad expression or an unknown name.
  static Formula parse(std::string_view text, const std::vector<std::string>& names);
  double evaluate(const std::vector<double>& values) const;

 private:
  std::shared_ptr<const ExprNode> root_;
};

// A linked parameter: a scenario key set from the swept parameters at each
// design point ([[linked]] key = "...", expression = "..."), applied after
// them, before the scenario is validated.
struct Linked {
  std::string key;
  std::string expression;  // as written
  bool integer = false;    // rounded to the nearest integer, written without a decimal point
  Formula program;         // over [parameters..., earlier linked...]
  std::string where, where_key, where_expression;  // "FILE:LINE:COLUMN"
};

// A points file (design = "points"): unit-cube coordinates, one row per design
// point, columns in the order of the sweep's parameters.
struct PointsDesign {
  std::string path;                 // absolute path of the file named by sweep.points
  std::string text;                 // its contents (copied to DIR/points.csv)
  std::string method;               // "# method = ..." in its header ("" if absent)
  std::vector<std::string> blocks;  // block label of each row ("" without a block column)
  std::vector<double> unit;         // [rows x parameters], in [0, 1]
  std::size_t rows = 0;
  std::size_t saltelli_n = 0;  // N when the rows are the Saltelli layout [A; B; AB1; ...; ABd], else 0
};

// Parses a points file for the given parameters; errors name "SOURCE:LINE".
PointsDesign parse_points(std::string_view text, const std::string& source,
                          const std::vector<Parameter>& parameters);

struct SweepSpec {
  std::string source;              // sweep file path (as given) or a name
  std::string name;                // [sweep] name
  std::string base_path;           // absolute path of the base scenario file; empty for an inline [base]
  std::string base_text;           // the base scenario, TOML
  std::string base_source;         // names the base in messages
  std::vector<std::string> fixed;  // [sweep] set: overrides applied to every run, before the parameters
  std::vector<Parameter> parameters;
  std::vector<Linked> linked;  // [[linked]], in file order
  Design design = Design::Grid;
  std::size_t samples = 0;  // random: points; points: the file's rows (Saltelli: its N)
  PointsDesign points;      // design = "points"
  int replicates = 1;
  std::uint64_t seed = 0;  // base seed, 0 .. 2^63 - 1
  SlurmSettings slurm;     // [slurm]: site settings for `sweep slurm`; not part of sweep_sha256
  // [outcomes]: when outcomes are taken and derived outcomes. Read by
  // collect only: not part of the sweep's hash (it does not change any run).
  OutcomesSpec outcomes;
  // Common random numbers: replicate r has the same seed at every design point
  // (the seed of point 0), so any two points can be compared run by run.
  bool paired = false;
};

// Reads and checks a sweep file; a relative base path is resolved against
// the sweep file's directory. `base_text_override` replaces the contents of
// the base file (a sweep directory keeps its own copy, base.toml).
SweepSpec load_sweep(const std::string& path);
// `points_text_override` likewise replaces the points file (DIR/points.csv).
SweepSpec parse_sweep(std::string_view toml, const std::string& source, const std::string& base_dir,
                      const std::optional<std::string>& base_text_override = std::nullopt,
                      const std::optional<std::string>& points_text_override = std::nullopt);

// ---- designs on the unit cube ---------------------------------------------

// Row-major [n x d] points in (0, 1)^d, reproducible from `seed`: random: n
// rows of independent uniforms from the counter-based generator. (grid and
// points have no generated unit-cube design.)
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
  // Linked parameter l at a point: its value and its TOML text.
  double linked_value(std::size_t point, std::size_t l) const;
  std::string linked_text(std::size_t point, std::size_t l) const;
  // Saltelli block of a point: "A", "B" or "AB" (and its column); "" otherwise.
  std::string_view saltelli_matrix(std::size_t point) const;
  int saltelli_column(std::size_t point) const;  // AB_i: i, else -1

  // The --set overrides of a run: [sweep] set, the parameters, the linked parameters, run.seed.
  std::vector<std::string> overrides(const Run& run) const;
  Params params(const Run& run) const;  // throws SweepError naming the run
  // `missionsim run BASE --set ... --seed S` for the run; `base` is the path to print.
  std::string command(const Run& run, const std::string& base,
                      const std::string& program = "missionsim") const;
  // SHA-256 of the resolved sweep (base scenario resolved with [sweep] set,
  // design, parameters, replicates, seed): equal hashes, equal runs.
  const std::string& sha256() const { return sha256_; }
  // SHA-256 of what an extension keeps: the resolved base, design kind and
  // points method, seed, parameters and linked parameters (not replicates,
  // samples or the points themselves).
  const std::string& identity_sha256() const { return identity_sha256_; }
  // The steps of /outcomes/time (docs/SWEEP.md, "Outcomes"): ascending, the
  // final step (run.steps; the largest when it is a parameter) last.
  const std::vector<std::int64_t>& outcome_steps() const { return outcome_steps_; }

 private:
  SweepSpec spec_;
  std::size_t points_ = 0;
  std::vector<std::string> texts_;  // [points x parameters]
  std::vector<double> numbers_;     // [points x parameters]
  std::vector<double> linked_;      // [points x linked]
  std::vector<Run> runs_;
  std::string sha256_;
  std::string identity_sha256_;
  std::vector<std::int64_t> outcome_steps_;
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
