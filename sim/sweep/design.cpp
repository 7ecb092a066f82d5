// Designs on the unit cube, their mapping to parameter values, run seeds and
// the run plan.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <unordered_set>

#include "core/rng.hpp"
#include "output/sha256.hpp"
#include "scenario/registry.hpp"
#include "scenario/scenario.hpp"
#include "sweep/sweep.hpp"

namespace missionsim::sweep {
namespace {

constexpr std::size_t kMaxRuns = 100'000'000;
// Every design point is checked against the base scenario up to this many;
// beyond, only each parameter's extremes and levels (cost: one parse each).
constexpr std::size_t kMaxCheckedPoints = 20'000;

// Counter layout of the design draws: agent = row, step = matrix, block = column / 4.
// (1..4 were the built-in LHS and Saltelli draws, replaced by points files.)
enum Matrix : std::uint32_t { kRandom = 0 };

double draw(const Rng& rng, Matrix m, std::size_t row, std::size_t col) {
  const auto w = rng.words(Purpose::SweepDesign, static_cast<std::uint32_t>(row), m,
                           static_cast<std::uint32_t>(col / 4));
  return Rng::unit(w[col % 4]);
}

std::string integer_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%lld", static_cast<long long>(v));
  return text;
}

std::string value_text_of(const Parameter& p, double v) {
  return p.scale == Scale::Integer ? integer_text(v) : scenario::format_double(v);
}

// "--set 'k=v': message" -> "message".
std::string strip_override(const std::string& msg) {
  if (msg.rfind("--set '", 0) == 0)
    if (auto end = msg.find("': "); end != std::string::npos) return msg.substr(end + 3);
  return msg;
}

std::string zero_padded(std::size_t value, int width) {
  std::string digits = std::to_string(value);
  if (digits.size() < static_cast<std::size_t>(width))
    digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
  return digits;
}

std::string run_id(std::size_t point, int point_width, int replicate, int rep_width) {
  std::string id(1, 'p');
  id.append(zero_padded(point, point_width))
      .append("-r")
      .append(zero_padded(static_cast<std::size_t>(replicate), rep_width));
  return id;
}

std::string shell_quote(const std::string& s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("-_./=:+@,").find(c) != std::string_view::npos;
  });
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::vector<double> unit_design(Design design, std::size_t n, std::size_t d, std::uint64_t seed) {
  const Rng rng(seed);
  std::vector<double> u;
  switch (design) {
    case Design::Grid:
      throw std::invalid_argument("unit_design: a grid has no unit-cube design");
    case Design::Random:
      u.resize(n * d);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < d; ++k) u[i * d + k] = draw(rng, kRandom, i, k);
      break;
    case Design::Points:
      throw std::invalid_argument("unit_design: a points design is read from its file");
  }
  return u;
}

std::size_t level_index(const Parameter& p, double u) {
  const std::size_t k = p.levels.size();
  return std::min(k - 1, static_cast<std::size_t>(u * static_cast<double>(k)));
}

double range_value(const Parameter& p, double u) {
  switch (p.scale) {
    case Scale::Uniform:
      return std::min(p.hi, p.lo + u * (p.hi - p.lo));
    case Scale::LogUniform:
      return std::clamp(std::exp(std::log(p.lo) + u * (std::log(p.hi) - std::log(p.lo))), p.lo, p.hi);
    case Scale::Integer:
      return std::clamp(std::floor(p.lo + u * (p.hi - p.lo + 1)), p.lo, p.hi);
  }
  return p.lo;
}

std::vector<double> grid_values(const Parameter& p) {
  std::vector<double> v;
  if (p.scale == Scale::Integer && p.points == 0) {
    for (double x = p.lo; x <= p.hi; x += 1) v.push_back(x);
    return v;
  }
  const int k = p.points;
  for (int i = 0; i < k; ++i) {
    const double t = static_cast<double>(i) / (k - 1);
    double x = p.scale == Scale::LogUniform ? std::exp(std::log(p.lo) + t * (std::log(p.hi) - std::log(p.lo)))
                                            : p.lo + t * (p.hi - p.lo);
    if (i == 0) x = p.lo;
    if (i == k - 1) x = p.hi;
    if (p.scale == Scale::Integer) x = std::round(x);
    v.push_back(x);
  }
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::uint64_t run_seed(std::uint64_t base_seed, std::size_t point, int replicate) {
  return run_seed_block(base_seed, point, replicate, 0);
}

std::uint64_t run_seed_block(std::uint64_t base_seed, std::size_t point, int replicate, std::uint32_t block) {
  const Rng rng(base_seed);
  const auto w =
      rng.words(Purpose::SweepSeed, static_cast<std::uint32_t>(point), static_cast<std::uint32_t>(replicate),
                block + (static_cast<std::uint32_t>(point >> 32) << 16));
  return ((static_cast<std::uint64_t>(w[0]) << 32) | w[1]) & static_cast<std::uint64_t>(INT64_MAX);
}

PlanSize plan_size(const SweepSpec& spec) {
  const std::size_t d = spec.parameters.size();
  PlanSize size;
  double grid_bytes = 0, unit_bytes = 0;
  if (spec.design == Design::Grid) {
    size.points = 1;
    for (const Parameter& p : spec.parameters) {
      // An upper bound: grid_values drops values that coincide after rounding.
      const double k = !p.has_range                                 ? static_cast<double>(p.levels.size())
                       : p.scale == Scale::Integer && p.points == 0 ? p.hi - p.lo + 1
                                                                    : static_cast<double>(p.points);
      if (static_cast<double>(size.points) * k > static_cast<double>(kMaxRuns))
        throw SweepError(p.where_value + ": the grid has more than " + std::to_string(kMaxRuns) + " points");
      size.points *= static_cast<std::size_t>(k);
      grid_bytes += 8 * k;
    }
  } else {
    const double dd = static_cast<double>(d);
    const double points =
        static_cast<double>(spec.design == Design::Points ? spec.points.rows : spec.samples);
    if (points > static_cast<double>(kMaxRuns))
      throw SweepError(spec.source + ": the sweep has more than " + std::to_string(kMaxRuns) + " runs (" +
                       std::string(design_name(spec.design)) + " with " +
                       std::to_string(static_cast<std::size_t>(points)) + " points)");
    size.points = static_cast<std::size_t>(points);
    // The unit-cube design's [points x d] doubles (a points file's also as text).
    unit_bytes = points * dd * 8 + static_cast<double>(spec.points.text.size());
  }
  if (static_cast<double>(size.points) * spec.replicates > static_cast<double>(kMaxRuns))
    throw SweepError(spec.source + ": the sweep has more than " + std::to_string(kMaxRuns) + " runs");
  size.runs = size.points * static_cast<std::size_t>(spec.replicates);
  // A Run (64 bytes with its short id) and its seed in the uniqueness set (~40
  // bytes); per point and parameter a value text (32 bytes, plus 32 on the heap
  // when longer than 15 characters) and a number (8).
  size.bytes = static_cast<double>(size.runs) * (64 + 40) +
               static_cast<double>(size.points) * static_cast<double>(d) * (32 + 32 + 8) +
               static_cast<double>(size.points * spec.linked.size()) * 8 + grid_bytes + unit_bytes;
  return size;
}

Plan::Plan(SweepSpec spec) : spec_(std::move(spec)) {
  const std::size_t d = spec_.parameters.size();
  for (std::size_t j = 0; j < d; ++j)
    for (std::size_t i = 0; i < j; ++i)
      if (spec_.parameters[i].key == spec_.parameters[j].key)
        throw SweepError(spec_.parameters[j].where_key + ": parameter '" +
                         scenario::clip(spec_.parameters[j].key) + "' is already varied by parameters." +
                         std::to_string(i));

  // Sizes are checked before anything is expanded (an integer range may hold 9e15 values).
  (void)plan_size(spec_);
  // Each parameter's values: a grid's list, or a mapping of the unit cube.
  std::vector<std::vector<double>> grid(d);
  if (spec_.design == Design::Grid) {
    points_ = 1;
    for (std::size_t j = 0; j < d; ++j) {
      const Parameter& p = spec_.parameters[j];
      grid[j] = p.has_range ? grid_values(p) : std::vector<double>(p.levels.size());
      points_ *= grid[j].size();
    }
  } else {
    points_ = spec_.design == Design::Points ? spec_.points.rows : spec_.samples;
  }

  texts_.resize(points_ * d);
  numbers_.resize(points_ * d);
  auto set = [&](std::size_t point, std::size_t j, double v, std::size_t level) {
    const Parameter& p = spec_.parameters[j];
    if (p.has_range) {
      texts_[point * d + j] = value_text_of(p, v);
      numbers_[point * d + j] = v;
    } else {
      texts_[point * d + j] = p.levels[level];
      numbers_[point * d + j] = p.level_numbers[level];
    }
  };
  if (spec_.design == Design::Grid) {
    // Mixed radix, the last parameter fastest.
    for (std::size_t point = 0; point < points_; ++point) {
      std::size_t rest = point;
      for (std::size_t j = d; j-- > 0;) {
        const std::size_t k = grid[j].size(), i = rest % k;
        rest /= k;
        set(point, j, grid[j][i], i);
      }
    }
  } else {
    const std::vector<double> u = spec_.design == Design::Points
                                      ? spec_.points.unit
                                      : unit_design(spec_.design, spec_.samples, d, spec_.seed);
    for (std::size_t point = 0; point < points_; ++point)
      for (std::size_t j = 0; j < d; ++j) {
        const Parameter& p = spec_.parameters[j];
        const double x = u[point * d + j];
        set(point, j, p.has_range ? range_value(p, x) : 0.0, p.has_range ? 0 : level_index(p, x));
      }
  }

  // Linked parameters at every point, from the parameters' numbers.
  const std::size_t L = spec_.linked.size();
  linked_.resize(points_ * L);
  auto evaluate_linked = [&](std::vector<double>& vars, std::size_t point, bool strict) {
    for (std::size_t l = 0; l < L; ++l) {
      const Linked& x = spec_.linked[l];
      double v = x.program.evaluate(vars);
      if (x.integer) v = std::round(v);
      if (!std::isfinite(v) && strict) {
        std::string at;
        for (std::size_t j = 0; j < d; ++j)
          at += (j ? ", " : "") + spec_.parameters[j].key + " = " + texts_[point * d + j];
        throw SweepError(x.where_expression + ": linked." + std::to_string(l) + " '" + scenario::clip(x.key) +
                         "' = " + scenario::clip(x.expression) + " is " + scenario::format_double(v) +
                         " at design point " + std::to_string(point) + " (" + at + ")");
      }
      vars[d + l] = v;
    }
  };
  std::vector<double> vars(d + L);
  for (std::size_t point = 0; point < points_ && L > 0; ++point) {
    for (std::size_t j = 0; j < d; ++j) vars[j] = numbers_[point * d + j];
    evaluate_linked(vars, point, true);
    for (std::size_t l = 0; l < L; ++l) linked_[point * L + l] = vars[d + l];
  }
  auto linked_overrides = [&](const std::vector<double>& v) {
    std::vector<std::string> o;
    for (std::size_t l = 0; l < L; ++l)
      if (std::isfinite(v[d + l]))
        o.push_back(spec_.linked[l].key + "=" +
                    (spec_.linked[l].integer ? integer_text(v[d + l]) : scenario::format_double(v[d + l])));
    return o;
  };

  // An error in a linked key's override names the linked table's line.
  auto rethrow_linked_error = [&](const std::string& msg) {
    for (std::size_t l = 0; l < L; ++l)
      if (msg.rfind("--set '" + spec_.linked[l].key + "=", 0) == 0)
        throw SweepError(spec_.linked[l].where_key + ": linked." + std::to_string(l) + " '" +
                         scenario::clip(spec_.linked[l].key) +
                         "' = " + scenario::clip(spec_.linked[l].expression) + ": " + strip_override(msg));
  };

  // Each parameter alone at its extremes and levels (with the linked keys
  // following it, the others at design point 0): errors name its line.
  for (std::size_t j = 0; j < d; ++j) {
    const Parameter& p = spec_.parameters[j];
    std::vector<std::string> values = p.levels;
    std::vector<double> numbers = p.level_numbers;
    if (p.has_range) values = {value_text_of(p, p.lo), value_text_of(p, p.hi)}, numbers = {p.lo, p.hi};
    for (std::size_t k = 0; k < values.size(); ++k) {
      const std::string& v = values[k];
      std::vector<std::string> o = spec_.fixed;
      o.push_back(p.key + "=" + v);
      if (L > 0) {
        for (std::size_t i = 0; i < d; ++i) vars[i] = numbers_[i];
        vars[j] = numbers[k];
        evaluate_linked(vars, 0, false);
        for (auto& x : linked_overrides(vars)) o.push_back(std::move(x));
      }
      try {
        (void)parse_scenario(spec_.base_text, spec_.base_source, o);
      } catch (const ScenarioError& e) {
        rethrow_linked_error(e.what());
        std::string msg = strip_override(e.what());
        const bool about_key = msg.find("unknown key") != std::string::npos ||
                               msg.find("is a table") != std::string::npos ||
                               msg.find("are set as") != std::string::npos ||
                               msg.find("out of range: the scenario has") != std::string::npos;
        if (msg.find("must be an integer, got float") != std::string::npos && p.has_range)
          msg += " (use scale = \"integer\" for an integer key)";
        throw SweepError((about_key ? p.where_key : p.where_value) + ": parameters." + std::to_string(j) +
                         " '" + scenario::clip(p.key) + "' = " + scenario::clip(v) + ": " + msg);
      }
    }
  }

  // Each linked key at design point 0: a bad key or value names its line.
  if (L > 0) {
    std::vector<std::string> o = spec_.fixed;
    for (std::size_t j = 0; j < d; ++j) o.push_back(spec_.parameters[j].key + "=" + texts_[j]);
    for (std::size_t l = 0; l < L; ++l) vars[d + l] = linked_[l];
    for (auto& x : linked_overrides(vars)) o.push_back(std::move(x));
    try {
      (void)parse_scenario(spec_.base_text, spec_.base_source, o);
    } catch (const ScenarioError& e) {
      rethrow_linked_error(e.what());
    }
  }

  runs_.reserve(points_ * static_cast<std::size_t>(spec_.replicates));
  const int rep_width = std::max(2, static_cast<int>(std::to_string(spec_.replicates - 1).size()));
  const int point_width = std::max(6, static_cast<int>(std::to_string(points_ - 1).size()));
  std::unordered_set<std::uint64_t> seeds;
  for (std::size_t point = 0; point < points_; ++point)
    for (int r = 0; r < spec_.replicates; ++r) {
      Run run;
      run.index = runs_.size();
      run.point = point;
      run.replicate = r;
      if (spec_.paired && point > 0) {
        // Common random numbers: the seed replicate r has at point 0.
        run.seed = runs_[static_cast<std::size_t>(r)].seed;
      } else {
        // A repeated seed (odds 2^-63 per pair) is replaced by the next block's.
        std::uint32_t block = 0;
        do run.seed = run_seed_block(spec_.seed, point, r, block++);
        while (!seeds.insert(run.seed).second);
      }
      run.id = run_id(point, point_width, r, rep_width);
      runs_.push_back(std::move(run));
    }

  // Every design point against the base (rules that involve several keys).
  const std::size_t step = points_ <= kMaxCheckedPoints ? 1 : points_;
  for (std::size_t point = 0; point < points_; point += step) (void)params(runs_[point * spec_.replicates]);

  // The identity: what an extension (more replicates or points) keeps.
  const Params base = parse_scenario(spec_.base_text, spec_.base_source, spec_.fixed);
  const std::string base_toml = to_toml(base);
  std::string ident = "missionsim-sweep-identity 1\n[base]\n" + base_toml + "[design]\n" +
                      std::string(design_name(spec_.design)) + " method=" + spec_.points.method +
                      " seed=" + std::to_string(spec_.seed) + (spec_.paired ? " paired" : "") + "\n";
  std::string params_text;
  for (const auto& p : spec_.parameters) {
    params_text +=
        p.key + (p.has_range
                     ? " range " + scenario::format_double(p.lo) + " " + scenario::format_double(p.hi) + " " +
                           std::string(scale_name(p.scale)) + " points=" + std::to_string(p.points)
                     : std::string(" levels"));
    for (const auto& l : p.levels) params_text += " " + l;
    params_text += "\n";
  }
  for (const auto& x : spec_.linked)
    params_text += "linked " + x.key + " = " + x.expression + (x.integer ? " integer" : "") + "\n";
  identity_sha256_ = sha256_hex(ident + params_text);

  // Horizons: run.steps of the base, or the range a parameter gives it.
  std::int64_t min_horizon = base.steps, max_horizon = base.steps;
  for (std::size_t j = 0; j < d; ++j)
    if (spec_.parameters[j].key == "run.steps")
      for (std::size_t point = 0; point < points_; ++point) {
        const double v = numbers_[point * d + j];
        if (point == 0) min_horizon = max_horizon = static_cast<std::int64_t>(v);
        min_horizon = std::min(min_horizon, static_cast<std::int64_t>(v));
        max_horizon = std::max(max_horizon, static_cast<std::int64_t>(v));
      }
  outcome_steps_ = sweep::outcome_steps(spec_.outcomes, min_horizon, max_horizon);

  std::string canon = "missionsim-sweep 1\n[base]\n" + base_toml;
  canon += "[design]\n" + std::string(design_name(spec_.design)) +
           " samples=" + std::to_string(spec_.samples) + " replicates=" + std::to_string(spec_.replicates) +
           " seed=" + std::to_string(spec_.seed) + (spec_.paired ? " paired" : "") + "\n";
  canon += params_text;
  if (spec_.design == Design::Points) {
    // The points themselves (not the file's comments or formatting).
    canon += "[points] method=" + spec_.points.method + " rows=" + std::to_string(spec_.points.rows) + "\n";
    char cell[40];
    for (std::size_t r = 0; r < spec_.points.rows; ++r) {
      canon += spec_.points.blocks[r];
      for (std::size_t j = 0; j < d; ++j) {
        std::snprintf(cell, sizeof cell, ",%.17g", spec_.points.unit[r * d + j]);
        canon += cell;
      }
      canon += "\n";
    }
  }
  sha256_ = sha256_hex(canon);
}

std::optional<std::size_t> Plan::find(const std::string& id) const {
  for (const auto& r : runs_)
    if (r.id == id) return r.index;
  return std::nullopt;
}

const std::string& Plan::value_text(std::size_t point, std::size_t j) const {
  return texts_.at(point * spec_.parameters.size() + j);
}
double Plan::value(std::size_t point, std::size_t j) const {
  return numbers_.at(point * spec_.parameters.size() + j);
}

double Plan::linked_value(std::size_t point, std::size_t l) const {
  return linked_.at(point * spec_.linked.size() + l);
}
std::string Plan::linked_text(std::size_t point, std::size_t l) const {
  const double v = linked_value(point, l);
  return spec_.linked.at(l).integer ? integer_text(v) : scenario::format_double(v);
}

std::string_view Plan::saltelli_matrix(std::size_t point) const {
  if (spec_.design != Design::Points || spec_.points.saltelli_n == 0) return "";
  const std::size_t block = point / spec_.points.saltelli_n;
  return block == 0 ? "A" : block == 1 ? "B" : "AB";
}
int Plan::saltelli_column(std::size_t point) const {
  if (spec_.design != Design::Points || spec_.points.saltelli_n == 0) return -1;
  const std::size_t block = point / spec_.points.saltelli_n;
  return block < 2 ? -1 : static_cast<int>(block - 2);
}

std::vector<std::string> Plan::overrides(const Run& run) const {
  std::vector<std::string> o = spec_.fixed;
  for (std::size_t j = 0; j < spec_.parameters.size(); ++j)
    o.push_back(spec_.parameters[j].key + "=" + value_text(run.point, j));
  for (std::size_t l = 0; l < spec_.linked.size(); ++l)
    o.push_back(spec_.linked[l].key + "=" + linked_text(run.point, l));
  o.push_back("run.seed=" + std::to_string(run.seed));
  return o;
}

Params Plan::params(const Run& run) const {
  try {
    return parse_scenario(spec_.base_text, spec_.base_source, overrides(run));
  } catch (const ScenarioError& e) {
    throw SweepError(spec_.source + ": run " + run.id + " (design point " + std::to_string(run.point) +
                     "): " + e.what());
  }
}

std::string Plan::command(const Run& run, const std::string& base, const std::string& program) const {
  std::string cmd = shell_quote(program) + " run " + shell_quote(base);
  auto o = overrides(run);
  o.pop_back();  // run.seed, written as --seed
  for (const auto& s : o) cmd += " --set " + shell_quote(s);
  return cmd + " --seed " + std::to_string(run.seed);
}

}  // namespace missionsim::sweep
