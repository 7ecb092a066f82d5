// Sweep files: TOML -> SweepSpec, with the scenario reader's error style
// ("FILE:LINE:COLUMN: key '...' must be ..., got ...; did you mean '...'?").
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>

#include "scenario/input_file.hpp"
#include "scenario/registry.hpp"
#include "scenario/scenario.hpp"
#include "scenario/toml_text.hpp"
#include "strategies/strategy.hpp"
#include "sweep/sweep.hpp"

namespace fs = std::filesystem;

namespace missionsim::sweep {
namespace {

using scenario::format_double;
using scenario::nearest;
using scenario::quote_string;

const std::vector<std::string> kSweepKeys = {"name",       "base", "design", "samples", "points",
                                             "replicates", "seed", "paired", "set"};
const std::vector<std::string> kParameterKeys = {"key", "range", "scale", "points", "levels"};
const std::vector<std::string> kDesigns = {"grid", "random", "points"};
const std::vector<std::string> kScales = {"uniform", "log-uniform", "integer"};

std::string did_you_mean(const std::string& s) { return s.empty() ? "" : "; did you mean '" + s + "'?"; }

// TOML text of a scalar level value.
std::optional<std::string> scalar_text(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return quote_string(n.as_string()->get());
    case toml::node_type::integer:
      return std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point:
      return format_double(n.as_floating_point()->get());
    case toml::node_type::boolean:
      return std::string(n.as_boolean()->get() ? "true" : "false");
    default:
      return std::nullopt;
  }
}

bool bare_key(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}
std::string key_text(std::string_view k) { return bare_key(k) ? std::string(k) : quote_string(k); }

// An inline [base] table re-emitted as scenario text, one key or header per
// line, remembering for each line where it came from in the sweep file, so a
// scenario error in it is reported at the sweep file's line and column.
class BaseEmitter {
 public:
  explicit BaseEmitter(const toml::source_region& origin) { line("# [base]", origin); }

  void table(const toml::table& t, const std::string& prefix) {
    for (const auto& [k, v] : t) {
      const bool subtable = v.is_table();
      const bool table_array = v.is_array_of_tables() && !v.as_array()->empty();
      if (!subtable && !table_array) line(key_text(k.str()) + " = " + value_text(v), v.source());
    }
    for (const auto& [k, v] : t) {
      const std::string path = prefix.empty() ? key_text(k.str()) : prefix + "." + key_text(k.str());
      if (v.is_table()) {
        line("[" + path + "]", v.source());
        table(*v.as_table(), path);
      } else if (v.is_array_of_tables() && !v.as_array()->empty()) {
        for (const auto& e : *v.as_array()) {
          line("[[" + path + "]]", e.source());
          table(*e.as_table(), path);
        }
      }
    }
  }

  const std::string& text() const { return text_; }

  // "SOURCE:L:C: rest" from parse_scenario -> the sweep file's location.
  std::string relocate(const std::string& message, const std::string& source,
                       const std::string& sweep_file) const {
    if (message.rfind(source + ":", 0) != 0) return message;
    std::size_t pos = source.size() + 1;
    std::size_t end = message.find(':', pos);
    if (end == std::string::npos) return message;
    std::size_t l = 0;
    try {
      l = std::stoul(message.substr(pos, end - pos));
    } catch (...) {
      return message;
    }
    std::size_t rest = message.find(": ", end + 1);
    if (l == 0 || l > origin_.size() || rest == std::string::npos) return message;
    const auto& r = origin_[l - 1];
    return sweep_file + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) +
           ": [base] " + message.substr(rest + 2);
  }

 private:
  static std::string value_text(const toml::node& v) {
    std::ostringstream out;
    v.visit([&](const auto& x) { out << toml::toml_formatter(x, toml::format_flags::none); });
    std::string s = out.str();
    for (char& c : s)
      if (c == '\n') c = ' ';
    return s;
  }
  void line(const std::string& s, const toml::source_region& r) {
    text_ += s + "\n";
    origin_.push_back(r);
  }
  std::string text_;
  std::vector<toml::source_region> origin_;
};

class Reader {
 public:
  Reader(std::string source, std::string base_dir)
      : source_(std::move(source)), base_dir_(std::move(base_dir)) {}

  std::string loc(const toml::source_region& r) const {
    if (r.begin.line == 0) return source_;
    return source_ + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
  }
  std::string loc(const toml::node& n) const { return loc(n.source()); }
  // The location of an expression error: the column of the offending character of a one-line basic
  // string (its text starts after the opening quote).
  std::string loc(const toml::node& n, const ExpressionError& e) const {
    const auto& r = n.source();
    if (r.begin.line == 0) return source_;
    return source_ + ":" + std::to_string(r.begin.line) + ":" +
           std::to_string(r.begin.column + 1 + e.position());
  }
  [[noreturn]] void fail(const std::string& where, const std::string& msg) const {
    throw SweepError(where + ": " + msg);
  }
  [[noreturn]] void type_error(const toml::node& n, const std::string& path,
                               const std::string& expected) const {
    fail(loc(n), "key '" + path + "' must be " + expected + ", got " + scenario::describe_node(n));
  }

  void check_keys(const toml::table& t, const std::string& prefix,
                  const std::vector<std::string>& known) const {
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string hint = nearest(key, known);
      fail(loc(k.source()), "unknown key '" + prefix + scenario::clip(key) + "'" +
                                did_you_mean(hint.empty() ? "" : prefix + hint));
    }
  }

  std::int64_t integer(const toml::node& n, const std::string& path, std::int64_t lo, std::int64_t hi) const {
    if (!n.is_integer()) type_error(n, path, "an integer");
    const std::int64_t v = n.as_integer()->get();
    if (v < lo || v > hi)
      fail(loc(n), "key '" + path + "' must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                       "], got " + std::to_string(v));
    return v;
  }
  double number(const toml::node& n, const std::string& path) const {
    double v = 0;
    if (n.is_integer())
      v = static_cast<double>(n.as_integer()->get());
    else if (n.is_floating_point())
      v = n.as_floating_point()->get();
    else
      type_error(n, path, "a number");
    if (!std::isfinite(v))
      fail(loc(n), "key '" + path + "' must be a finite number, got " + format_double(v));
    return v;
  }
  std::string string(const toml::node& n, const std::string& path) const {
    if (!n.is_string()) type_error(n, path, "a string");
    return n.as_string()->get();
  }
  std::string choice(const toml::node& n, const std::string& path,
                     const std::vector<std::string>& choices) const {
    std::string s = string(n, path);
    if (std::find(choices.begin(), choices.end(), s) != choices.end()) return s;
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "\"" : ", \"") + c + "\"";
    fail(loc(n), "key '" + path + "' must be one of " + list + ", got " + scenario::quote_short(s) +
                     did_you_mean(nearest(s, choices)));
  }

  SweepSpec read(const toml::table& root, const std::optional<std::string>& base_text_override,
                 const std::optional<std::string>& points_text_override) {
    SweepSpec spec;
    spec.source = source_;
    check_keys(root, "", {"sweep", "base", "parameters", "slurm", "linked", "outcomes"});
    const toml::node* sweep_node = root.get("sweep");
    if (!sweep_node)
      fail(source_ + ":1:1", "sweep file has no [sweep] table; add one with at least 'design'");
    if (!sweep_node->is_table()) type_error(*sweep_node, "sweep", "a table");
    const toml::table& sw = *sweep_node->as_table();
    check_keys(sw, "sweep.", kSweepKeys);
    const std::string sweep_where = loc(sw);

    spec.name = fs::path(source_).stem().string();
    if (const auto* n = sw.get("name")) spec.name = string(*n, "sweep.name");

    // The base scenario: a path or an inline [base] table, exactly one.
    const toml::node* base_path = sw.get("base");
    const toml::node* base_table = root.get("base");
    if (base_path && base_table)
      fail(loc(*base_table), "both 'sweep.base' (a path) and an inline [base] table are given; keep one");
    if (!base_path && !base_table)
      fail(sweep_where,
           "no base scenario: set 'sweep.base' to a scenario file or add an inline [base] table");
    if (base_path) {
      const std::string rel = string(*base_path, "sweep.base");
      if (rel.empty()) fail(loc(*base_path), "key 'sweep.base' must not be empty");
      fs::path p(rel);
      if (p.is_relative()) p = fs::path(base_dir_) / p;
      spec.base_path = fs::absolute(p).lexically_normal().string();
      spec.base_source = spec.base_path;
      if (base_text_override) {
        spec.base_text = *base_text_override;
      } else {
        try {
          spec.base_text = scenario::read_input_file(spec.base_path, "scenario");
        } catch (const scenario::InputFileError& e) {
          fail(loc(*base_path), std::string("key 'sweep.base': ") + e.what());
        }
      }
    } else {
      if (!base_table->is_table()) type_error(*base_table, "base", "a table (an inline scenario)");
      BaseEmitter emitter(base_table->source());
      emitter.table(*base_table->as_table(), "");
      spec.base_text = base_text_override ? *base_text_override : emitter.text();
      spec.base_source = source_ + "[base]";
      emitter_ = std::move(emitter);
      inline_base_ = !base_text_override;
    }

    const toml::node* design = sw.get("design");
    if (!design) fail(sweep_where, "missing key 'sweep.design' (one of \"grid\", \"random\", \"points\")");
    if (design->is_string()) {
      // The built-in pseudo-random LHS and Saltelli designs were replaced by
      // points files from scipy.stats.qmc (docs/SWEEP.md, "Designs").
      const std::string old = design->as_string()->get();
      const char* method = old == "lhs" ? "lhs" : old == "sobol" ? "saltelli" : nullptr;
      if (method)
        fail(loc(*design), "design \"" + old +
                               "\" is no longer built in; write its points with '/usr/bin/python3 -m "
                               "analysis.design " +
                               method + " " + source_ +
                               " --n N --seed S -o points.csv' and set design = \"points\", points = "
                               "\"points.csv\" (docs/SWEEP.md, \"Designs\")");
    }
    const std::string d = choice(*design, "sweep.design", kDesigns);
    spec.design = d == "grid" ? Design::Grid : d == "random" ? Design::Random : Design::Points;

    const toml::node* samples = sw.get("samples");
    const toml::node* points = sw.get("points");
    if (spec.design == Design::Grid && samples)
      fail(loc(*samples),
           "key 'sweep.samples' is not used by the grid design (its size is the product of the "
           "parameters' levels); remove it");
    if (spec.design == Design::Points && samples)
      fail(loc(*samples),
           "key 'sweep.samples' is not used by the points design (its size is the points "
           "file's); remove it");
    if (spec.design != Design::Points && points)
      fail(loc(*points), "key 'sweep.points' is only used by design = \"points\"; remove it");
    if (spec.design == Design::Random) {
      if (!samples)
        fail(sweep_where, "missing key 'sweep.samples' (the number of design points) for design \"random\"");
      spec.samples = static_cast<std::size_t>(integer(*samples, "sweep.samples", 1, 10'000'000));
    }
    if (spec.design == Design::Points) {
      if (!points)
        fail(sweep_where,
             "missing key 'sweep.points' (a CSV file of unit-cube points, e.g. from '/usr/bin/python3 -m "
             "analysis.design sobol|lhs|saltelli|morris SWEEP.toml -o points.csv')");
      const std::string rel = string(*points, "sweep.points");
      if (rel.empty()) fail(loc(*points), "key 'sweep.points' must not be empty");
      fs::path p(rel);
      if (p.is_relative()) p = fs::path(base_dir_) / p;
      spec.points.path = fs::absolute(p).lexically_normal().string();
      if (points_text_override) {
        spec.points.text = *points_text_override;
      } else {
        try {
          spec.points.text = scenario::read_input_file(spec.points.path, "points file");
        } catch (const scenario::InputFileError& e) {
          fail(loc(*points), std::string("key 'sweep.points': ") + e.what());
        }
      }
    }
    if (const auto* n = sw.get("replicates"))
      spec.replicates = static_cast<int>(integer(*n, "sweep.replicates", 1, 100'000));
    if (const auto* n = sw.get("seed"))
      spec.seed =
          static_cast<std::uint64_t>(integer(*n, "sweep.seed", 0, std::numeric_limits<std::int64_t>::max()));
    if (const auto* n = sw.get("paired")) {
      if (!n->is_boolean())
        type_error(*n, "sweep.paired", "a boolean (true: every design point uses the same seeds)");
      spec.paired = n->as_boolean()->get();
    }
    if (const auto* n = sw.get("set")) {
      if (!n->is_array())
        type_error(*n, "sweep.set", "an array of strings (\"key.path=value\", as for --set)");
      std::size_t i = 0;
      for (const auto& e : *n->as_array()) {
        const std::string path = "sweep.set." + std::to_string(i++);
        spec.fixed.push_back(string(e, path));
        set_where_.push_back(loc(e));
      }
    }

    const toml::node* params = root.get("parameters");
    if (!params) fail(source_ + ":1:1", "sweep file has no [[parameters]]; add at least one");
    if (!params->is_array_of_tables() || params->as_array()->empty())
      type_error(*params, "parameters", "an array of tables ([[parameters]])");
    std::size_t i = 0;
    for (const auto& e : *params->as_array()) spec.parameters.push_back(parameter(*e.as_table(), i++, spec));
    if (const auto* n = root.get("slurm")) spec.slurm = slurm(*n);
    if (const toml::node* linked = root.get("linked")) {
      if (!linked->is_array_of_tables() || linked->as_array()->empty())
        type_error(*linked, "linked", "an array of tables ([[linked]])");
      std::size_t l = 0;
      for (const auto& e : *linked->as_array())
        spec.linked.push_back(linked_parameter(*e.as_table(), l++, spec));
    }
    if (spec.design == Design::Points) {
      const std::string text = spec.points.text, path = spec.points.path;
      spec.points =
          parse_points(text, points_text_override ? source_ + " (points copy)" : path, spec.parameters);
      spec.points.path = path;
      spec.samples = spec.points.saltelli_n > 0 ? spec.points.saltelli_n : spec.points.rows;
    }
    if (const toml::node* o = root.get("outcomes")) spec.outcomes = outcomes(*o);
    return spec;
  }

  // [slurm]: the site's settings for `sweep slurm` (sweep/slurm_settings.hpp).
  SlurmSettings slurm(const toml::node& node) const {
    if (!node.is_table()) type_error(node, "slurm", "a table");
    const toml::table& t = *node.as_table();
    check_keys(t, "slurm.", kSlurmKeys);
    auto text = [&](const toml::node& n, const std::string& key) {
      const std::string path = "slurm." + key;
      std::string v;
      if (n.is_integer() && (key == "time" || key == "mem" || key == "mem_per_cpu"))
        v = std::to_string(n.as_integer()->get());  // minutes, megabytes
      else
        v = string(n, path);
      const std::string problem = slurm_value_problem(key, v);
      if (!problem.empty())
        fail(loc(n), "key '" + path + "' must be " + problem + ", got " + scenario::quote_short(v));
      return v;
    };
    auto lines = [&](const toml::node& n, const std::string& key) {
      const std::string path = "slurm." + key;
      if (!n.is_array()) type_error(n, path, "an array of strings");
      std::vector<std::string> out;
      for (const auto& e : *n.as_array()) {
        const std::string at = path + "." + std::to_string(out.size());
        const std::string v = string(e, at);
        const std::string problem = slurm_value_problem(key, v);
        if (!problem.empty())
          fail(loc(e), "key '" + at + "' must be " + problem + ", got " + scenario::quote_short(v));
        out.push_back(v);
      }
      return out;
    };
    SlurmSettings s;
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      if (key == "account") s.account = text(v, key);
      if (key == "partition") s.partition = text(v, key);
      if (key == "qos") s.qos = text(v, key);
      if (key == "time") s.time = text(v, key);
      if (key == "mem") s.mem = text(v, key);
      if (key == "mem_per_cpu") s.mem_per_cpu = text(v, key);
      if (key == "cpus_per_task")
        s.cpus_per_task = static_cast<int>(integer(v, "slurm." + key, 1, kMaxCpusPerTask));
      if (key == "array_size")
        s.array_size =
            static_cast<std::size_t>(integer(v, "slurm." + key, 1, static_cast<std::int64_t>(kMaxArraySize)));
      if (key == "throttle") s.throttle = static_cast<int>(integer(v, "slurm." + key, 1, 1'000'000));
      if (key == "sbatch") s.sbatch = lines(v, key);
      if (key == "setup") s.setup = lines(v, key);
    }
    if (s.mem && s.mem_per_cpu)
      fail(loc(*t.get("mem_per_cpu")),
           "keys 'slurm.mem' and 'slurm.mem_per_cpu' exclude each other (as "
           "sbatch's --mem and --mem-per-cpu do); keep one");
    return s;
  }

  // [outcomes]: when outcomes are taken (at or every) and derived outcomes.
  OutcomesSpec outcomes(const toml::node& node) const {
    if (!node.is_table()) type_error(node, "outcomes", "a table ([outcomes])");
    const toml::table& t = *node.as_table();
    check_keys(t, "outcomes.", {"at", "every", "derived"});
    OutcomesSpec o;
    o.given = true;
    const toml::node* at = t.get("at");
    const toml::node* every = t.get("every");
    if (at && every) fail(loc(*every), "both 'outcomes.at' and 'outcomes.every' are given; keep one");
    if (at) {
      if (!at->is_array() || at->as_array()->empty())
        type_error(*at, "outcomes.at", "a non-empty array of steps, ascending (e.g. [60, 120, 180])");
      std::size_t i = 0;
      for (const auto& e : *at->as_array()) {
        const std::string path = "outcomes.at." + std::to_string(i);
        const std::int64_t v = integer(e, path, 0, 100'000);
        if (!o.at.empty() && v <= o.at.back())
          fail(loc(e), "key '" + path + "' must be greater than the step before it (" +
                           std::to_string(o.at.back()) + "): steps are listed ascending, each once; got " +
                           std::to_string(v));
        o.at.push_back(v);
        o.at_where.push_back(loc(e));
        ++i;
      }
    }
    if (every) {
      o.every = integer(*every, "outcomes.every", 1, 100'000);
      o.every_where = loc(*every);
    }
    if (const toml::node* d = t.get("derived")) {
      if (!d->is_table()) type_error(*d, "outcomes.derived", "a table of name = \"expression\"");
      for (const auto& [k, v] : *d->as_table()) {
        const std::string name(k.str());
        const std::string path = "outcomes.derived." + key_text(name);
        if (!bare_key(name))
          fail(loc(k.source()), "derived outcome name '" + scenario::clip(name) +
                                    "' must be letters, digits, '_' or '-' (it names a dataset)");
        const std::string text = string(v, path);
        DerivedOutcome out;
        out.name = name;
        out.where = loc(v);
        try {
          out.expression = parse_expression(text);
        } catch (const ExpressionError& e) {
          fail(loc(v, e), "key '" + path + "' = " + scenario::quote_short(text) + ": at position " +
                              std::to_string(e.position() + 1) + ": " + e.what());
        }
        o.derived.push_back(std::move(out));
      }
    }
    return o;
  }

  Parameter parameter(const toml::table& t, std::size_t i, const SweepSpec& spec) const {
    const std::string prefix = "parameters." + std::to_string(i) + ".";
    check_keys(t, prefix, kParameterKeys);
    Parameter p;
    p.where = loc(t);
    const toml::node* key = t.get("key");
    if (!key)
      fail(p.where, "missing key '" + prefix + "key' (a scenario key path, e.g. \"choice.churn_base\")");
    p.key = string(*key, prefix + "key");
    p.where_key = loc(*key);
    const toml::node* range = t.get("range");
    const toml::node* levels = t.get("levels");
    if (range && levels)
      fail(loc(*levels), "parameter '" + scenario::clip(p.key) + "' has both 'range' and 'levels'; keep one");
    if (!range && !levels)
      fail(p.where, "parameter '" + scenario::clip(p.key) + "' needs 'range = [lo, hi]' or 'levels = [...]'");
    p.where_value = loc(range ? *range : *levels);
    if (range) {
      p.has_range = true;
      if (!range->is_array() || range->as_array()->size() != 2)
        type_error(*range, prefix + "range", "an array of two numbers [lo, hi]");
      p.lo = number(*range->as_array()->get(0), prefix + "range.0");
      p.hi = number(*range->as_array()->get(1), prefix + "range.1");
      if (const auto* s = t.get("scale")) {
        const std::string name = choice(*s, prefix + "scale", kScales);
        p.scale = name == "uniform"       ? Scale::Uniform
                  : name == "log-uniform" ? Scale::LogUniform
                                          : Scale::Integer;
      }
      if (!(p.lo < p.hi) && !(p.scale == Scale::Integer && p.lo == p.hi))
        fail(loc(*range), "key '" + prefix + "range' must have lo < hi, got [" + format_double(p.lo) + ", " +
                              format_double(p.hi) + "]");
      if (p.scale == Scale::LogUniform && p.lo <= 0)
        fail(loc(*range), "key '" + prefix + "range' must be positive for scale \"log-uniform\", got [" +
                              format_double(p.lo) + ", " + format_double(p.hi) + "]");
      if (p.scale == Scale::Integer && (p.lo != std::floor(p.lo) || p.hi != std::floor(p.hi) ||
                                        std::fabs(p.lo) > 9e15 || std::fabs(p.hi) > 9e15))
        fail(loc(*range), "key '" + prefix + "range' must hold integers for scale \"integer\", got [" +
                              format_double(p.lo) + ", " + format_double(p.hi) + "]");
      if (const auto* n = t.get("points"))
        p.points = static_cast<int>(integer(*n, prefix + "points", 2, 1'000'000));
      if (spec.design == Design::Grid && p.points == 0 && p.scale != Scale::Integer)
        fail(loc(*range), "parameter '" + scenario::clip(p.key) +
                              "': a grid needs 'points = K' (values over the range) or 'levels'");
      if (spec.design != Design::Grid && t.get("points"))
        fail(loc(*t.get("points")), "key '" + prefix + "points' is only used by the grid design; remove it");
    } else {
      if (const auto* n = t.get("scale"))
        fail(loc(*n), "key '" + prefix + "scale' applies to a range, not to levels");
      if (const auto* n = t.get("points"))
        fail(loc(*n), "key '" + prefix + "points' applies to a range, not to levels");
      if (!levels->is_array() || levels->as_array()->empty())
        type_error(*levels, prefix + "levels", "a non-empty array of values");
      std::size_t k = 0;
      for (const auto& v : *levels->as_array()) {
        auto text = scalar_text(v);
        if (!text) type_error(v, prefix + "levels." + std::to_string(k), "a number, string or boolean");
        p.levels.push_back(*text);
        p.level_numbers.push_back(v.is_integer()          ? static_cast<double>(v.as_integer()->get())
                                  : v.is_floating_point() ? v.as_floating_point()->get()
                                  : v.is_boolean()        ? (v.as_boolean()->get() ? 1.0 : 0.0)
                                                          : std::numeric_limits<double>::quiet_NaN());
        ++k;
      }
    }
    return p;
  }

  Linked linked_parameter(const toml::table& t, std::size_t l, const SweepSpec& spec) const {
    const std::string prefix = "linked." + std::to_string(l) + ".";
    check_keys(t, prefix, {"key", "expression", "integer"});
    Linked x;
    x.where = loc(t);
    const toml::node* key = t.get("key");
    if (!key) fail(x.where, "missing key '" + prefix + "key' (the scenario key path it sets)");
    x.key = string(*key, prefix + "key");
    x.where_key = loc(*key);
    const toml::node* expr = t.get("expression");
    if (!expr)
      fail(x.where, "missing key '" + prefix + "expression' (e.g. \"1 - customers.segments.0.share\")");
    x.expression = string(*expr, prefix + "expression");
    x.where_expression = loc(*expr);
    if (const auto* n = t.get("integer")) {
      if (!n->is_boolean()) type_error(*n, prefix + "integer", "a boolean");
      x.integer = n->as_boolean()->get();
    }
    for (const auto& p : spec.parameters)
      if (p.key == x.key)
        fail(x.where_key, "key '" + prefix + "key': '" + scenario::clip(x.key) +
                              "' is a swept parameter; a linked key must be another scenario key");
    for (const auto& o : spec.linked)
      if (o.key == x.key)
        fail(x.where_key, "key '" + prefix + "key': '" + scenario::clip(x.key) + "' is linked twice");
    // Names: numeric parameters (a range, or levels that are all numbers), then earlier linked keys.
    std::vector<std::string> names;
    for (const auto& p : spec.parameters) {
      const bool numeric = p.has_range || std::none_of(p.level_numbers.begin(), p.level_numbers.end(),
                                                       [](double v) { return std::isnan(v); });
      names.push_back(numeric ? p.key : "\x01" + p.key);  // a string level cannot be used
    }
    for (const auto& o : spec.linked) names.push_back(o.key);
    try {
      x.program = Formula::parse(x.expression, names);
    } catch (const ExpressionError& e) {
      fail(loc(*expr, e),
           "key '" + prefix + "expression' \"" + scenario::clip(x.expression) + "\": " + e.what());
    }
    return x;
  }

  // Scenario errors in the base or in [sweep] set, located in the sweep file where possible.
  [[noreturn]] void rethrow_base_error(const ScenarioError& e, const SweepSpec& spec) const {
    std::string msg = e.what();
    if (inline_base_ && emitter_) throw SweepError(emitter_->relocate(msg, spec.base_source, source_));
    // "--set 'k=v': ..." from [sweep] set: point at the entry.
    for (std::size_t i = 0; i < spec.fixed.size(); ++i) {
      const std::string prefix = "--set '";
      if (msg.rfind(prefix + spec.fixed[i] + "': ", 0) == 0)
        throw SweepError(set_where_[i] + ": key 'sweep.set." + std::to_string(i) +
                         "': " + msg.substr(prefix.size() + spec.fixed[i].size() + 3));
    }
    throw SweepError(spec.base_path.empty() ? msg : "base scenario of " + source_ + ": " + msg);
  }

 private:
  std::string source_;
  std::string base_dir_;
  std::optional<BaseEmitter> emitter_;
  bool inline_base_ = false;
  std::vector<std::string> set_where_;
};

// The strategy and firm names of derived outcomes must exist in the base
// scenario (a typo would otherwise give 0 or NaN in every run). Firm names
// are checked only when no parameter changes the firms.
void check_derived_names(const SweepSpec& spec, const Params& base) {
  std::vector<std::string> strategies = builtin_strategy_names();
  for (const auto& s : base.strategies) strategies.push_back(s.name);
  std::vector<std::string> firms;
  for (const auto& g : base.firms) {
    const std::string name = g.name.empty() ? g.strategy : g.name;
    for (int c = 0; c < g.count; ++c)
      firms.push_back(g.count == 1 ? name : name + "-" + std::to_string(c + 1));
  }
  for (int e = 1; e <= base.max_entrants; ++e) firms.push_back("entrant-" + std::to_string(e));
  bool firms_vary = false;
  for (const auto& p : spec.parameters)
    firms_vary = firms_vary || p.key.rfind("firms.", 0) == 0 || p.key == "economics.max_entrants";
  for (const auto& d : spec.outcomes.derived)
    for (const auto& r : d.expression.references) {
      const bool strategy = r.scope == Scope::Strategy;
      if (r.scope == Scope::Market || (!strategy && firms_vary)) continue;
      const auto& known = strategy ? strategies : firms;
      if (std::find(known.begin(), known.end(), r.name) != known.end()) continue;
      std::string shown;
      for (std::size_t i = 0; i < std::min<std::size_t>(known.size(), 12); ++i)
        shown += (i ? ", " : "") + known[i];
      if (known.size() > 12) shown += ", ...";
      throw SweepError(d.where + ": key 'outcomes.derived." + key_text(d.name) +
                       "' = " + scenario::quote_short(d.expression.text) + ": unknown " +
                       (strategy ? "strategy " : "firm ") + scenario::quote_short(r.name) +
                       did_you_mean(nearest(r.name, known)) + " (" + (strategy ? "strategies" : "firms") +
                       ": " + shown + ")");
    }
}

}  // namespace

std::string_view design_name(Design d) {
  switch (d) {
    case Design::Grid:
      return "grid";
    case Design::Random:
      return "random";
    case Design::Points:
      return "points";
  }
  return "?";
}

std::string_view scale_name(Scale s) {
  switch (s) {
    case Scale::Uniform:
      return "uniform";
    case Scale::LogUniform:
      return "log-uniform";
    case Scale::Integer:
      return "integer";
  }
  return "?";
}

SweepSpec parse_sweep(std::string_view text, const std::string& source, const std::string& base_dir,
                      const std::optional<std::string>& base_text_override,
                      const std::optional<std::string>& points_text_override) {
  Reader reader(source, base_dir);
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    reader.fail(reader.loc(e.source()), "invalid TOML: " + std::string(e.description()));
  }
  SweepSpec spec = reader.read(root, base_text_override, points_text_override);
  // The base with the fixed overrides must be a valid scenario by itself.
  Params base;
  try {
    base = parse_scenario(spec.base_text, spec.base_source, spec.fixed);
  } catch (const ScenarioError& e) {
    reader.rethrow_base_error(e, spec);
  }
  check_derived_names(spec, base);
  return spec;
}

SweepSpec load_sweep(const std::string& path) {
  std::string text;
  try {
    text = scenario::read_input_file(path, "sweep file");
  } catch (const scenario::InputFileError& e) {
    throw SweepError(e.what());
  }
  const fs::path dir = fs::absolute(path).parent_path();
  return parse_sweep(text, path, dir.string());
}

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  auto bad = [&] {
    return SweepError("--shard must be i/N with 0 <= i < N (0-based, e.g. 0/4 ... 3/4), got '" + text + "'");
  };
  if (slash == std::string::npos) throw bad();
  std::size_t i = 0, n = 0;
  try {
    std::size_t used = 0;
    const std::string a = text.substr(0, slash), b = text.substr(slash + 1);
    if (a.empty() || b.empty() || a[0] == '-' || b[0] == '-' || a[0] == '+' || b[0] == '+') throw bad();
    i = std::stoul(a, &used);
    if (used != a.size()) throw bad();
    n = std::stoul(b, &used);
    if (used != b.size()) throw bad();
  } catch (const SweepError&) {
    throw;
  } catch (...) {
    throw bad();
  }
  if (n == 0 || i >= n) throw bad();
  return Shard{i, n};
}

}  // namespace missionsim::sweep
