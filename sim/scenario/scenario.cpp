// Scenario reading: TOML text -> (overrides applied to the document) ->
// validated Params. Every key is looked up in the registry (registry.hpp);
// every message starts with the source location of the offending node.
//
// Overrides are merged into the parsed document before it is converted, so
// they get exactly the same checks as the file. Their nodes are parsed with a
// source path that starts with kOverrideMarker, which is how a message about
// them says "--set 'k=v'" instead of a file position.
#include "scenario/scenario.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "core/limits.hpp"
#include "scenario/input_file.hpp"
#include "scenario/registry.hpp"
#include "scenario/toml_text.hpp"
#include "strategies/strategy.hpp"

namespace missionsim {

namespace {

using namespace scenario;

constexpr char kOverrideMarker = '\x01';
constexpr double kSegmentShareTolerance = 1e-9;
// Eq. 63's markup mu / (alphabar (1 - s)) is largest at s = 0.95, where
// 1 / (1 - s) = 20; it may not exceed the largest price a strategy can set
// (strategies.*.price).
constexpr double kMaxMarkupFactor = 20;
constexpr double kMaxPrice = 1e6;
// The largest starting cash or fixed cost (economics.initial_cash, fixed_cost), also after Eq. A6 scales
// them.
constexpr double kMaxMoneyAmount = 1e12;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// User text inside a one-line message: control characters escaped, long text cut.
std::string printable(std::string_view s, std::size_t max = 200) {
  std::string out;
  for (char c : s.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      std::string q = quote_string(std::string(1, c));
      out += q.substr(1, q.size() - 2);
    } else {
      out += c;
    }
  }
  return s.size() > max ? out + "..." : out;
}

// "string \"abc\"", "float 1.5", "table": what the user wrote, for "got ...".
std::string describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "string " + quote_short(n.as_string()->get());
    case toml::node_type::integer:
      return "integer " + std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point:
      return "float " + format_double(n.as_floating_point()->get());
    case toml::node_type::boolean:
      return std::string("boolean ") + (n.as_boolean()->get() ? "true" : "false");
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    default:
      return "nothing";
  }
}

// A number in a message: shortest round-trip text, "10" rather than "10.0".
std::string number(double x) {
  std::string s = format_double(x);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

std::string must_be_in(const Range& r) {
  bool two_sided = !std::isinf(r.lo) && !std::isinf(r.hi);
  return (two_sided ? "must be in " : "must be ") + r.text();
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? std::string(sep) : "") + v[i];
  return out;
}

std::string did_you_mean(const std::string& suggestion) {
  return suggestion.empty() ? std::string() : "; did you mean '" + suggestion + "'?";
}

std::vector<std::string> all_strategy_names(const std::vector<StrategyParams>& custom) {
  std::vector<std::string> names = builtin_strategy_names();
  for (const auto& s : custom) names.push_back(s.name);
  return names;
}

template <class Owner>
const Field<Owner>* find_field(const std::vector<Field<Owner>>& fields, std::string_view key) {
  for (const auto& f : fields)
    if (f.key == key) return &f;
  return nullptr;
}

template <class Owner>
std::vector<std::string> field_keys(const std::vector<Field<Owner>>& fields,
                                    std::initializer_list<std::string_view> extra = {}) {
  std::vector<std::string> keys;
  for (const auto& f : fields) keys.emplace_back(f.key);
  for (auto e : extra) keys.emplace_back(e);
  return keys;
}

const Section* find_section(std::string_view name) {
  for (const auto& s : sections())
    if (s.name == name) return &s;
  return nullptr;
}

// Exact hints for keys written in the wrong place or under their C++ name:
// "steps" -> "run.steps", "bass_p" -> "adoption.p". Names used in several
// tables ("rate", "kind") are ambiguous and give no hint.
const std::map<std::string, std::string>& global_hints() {
  static const std::map<std::string, std::string> hints = [] {
    std::map<std::string, int> seen;
    std::map<std::string, std::string> out;
    auto add = [&](std::string name, std::string path) {
      if (seen[name]++ == 0)
        out[name] = path;
      else if (out[name] != path)
        out.erase(name);
    };
    for (const auto& s : sections())
      for (const auto& f : s.fields) {
        std::string path = std::string(s.name) + "." + std::string(f.key);
        add(std::string(f.key), path);
        std::string member(f.member);
        add(member.substr(member.rfind('.') + 1), path);
      }
    add("segments", "customers.segments");
    return out;
  }();
  return hints;
}

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  // ---- locations and failures -------------------------------------------

  std::string loc(const toml::source_region& r) const {
    if (r.path && !r.path->empty() && (*r.path)[0] == kOverrideMarker)
      return "--set '" + printable(std::string_view(*r.path).substr(1)) + "'";
    const std::string& file = r.path ? *r.path : source_;
    if (r.begin.line == 0) return file;  // a node made by an override, with no position
    return file + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
  }
  std::string loc(const toml::node& n) const { return loc(n.source()); }
  std::string loc(const toml::key& k) const { return loc(k.source()); }
  // The recorded location of a key, else of its nearest recorded parent,
  // else the start of the file.
  std::string loc_of(std::string path) const {
    for (;;) {
      if (auto it = where_.find(path); it != where_.end()) return it->second;
      auto dot = path.rfind('.');
      if (dot == std::string::npos) return source_ + ":1:1";
      path.resize(dot);
    }
  }

  // Where to report a rule that involves several keys: an override among
  // them if there is one (it is what the user just changed), else the first
  // recorded one, else `fallback`.
  std::string blame(const std::vector<std::string>& paths, const std::string& fallback) const {
    for (const auto& path : paths)
      if (auto it = where_.find(path); it != where_.end() && it->second.rfind("--set", 0) == 0)
        return it->second;
    for (const auto& path : paths)
      if (auto it = where_.find(path); it != where_.end()) return it->second;
    return loc_of(fallback);
  }

  [[noreturn]] void fail(const std::string& where, const std::string& msg) const {
    throw ScenarioError(where + ": " + msg);
  }
  [[noreturn]] void fail(const toml::node& n, const std::string& msg) const { fail(loc(n), msg); }
  [[noreturn]] void type_error(const toml::node& n, const std::string& path,
                               std::string_view expected) const {
    fail(n, "key '" + path + "' must be " + std::string(expected) + ", got " + describe(n));
  }

  // ---- one value ---------------------------------------------------------

  std::int64_t read_integer(const toml::node& n, const std::string& path, const Range& range) {
    if (!n.is_integer()) {
      if (n.is_floating_point())
        fail(n, "key '" + path + "' must be an integer, got " + describe(n) +
                    " (write it without '.' or exponent)");
      type_error(n, path, "an integer");
    }
    std::int64_t v = n.as_integer()->get();
    if (!range.contains(static_cast<double>(v)))
      fail(n, "key '" + path + "' " + must_be_in(range) + ", got " + std::to_string(v));
    return v;
  }

  double read_number(const toml::node& n, const std::string& path, const Range& range) {
    double x;
    if (n.is_integer())
      x = static_cast<double>(n.as_integer()->get());
    else if (n.is_floating_point())
      x = n.as_floating_point()->get();
    else
      type_error(n, path, "a number");
    if (!std::isfinite(x)) fail(n, "key '" + path + "' must be a finite number, got " + number(x));
    if (!range.contains(x)) fail(n, "key '" + path + "' " + must_be_in(range) + ", got " + number(x));
    return x;
  }

  const std::string& read_string(const toml::node& n, const std::string& path, unsigned flags) {
    if (!n.is_string()) type_error(n, path, "a string");
    const std::string& s = n.as_string()->get();
    if ((flags & kNonEmpty) && s.empty()) fail(n, "key '" + path + "' must not be empty");
    // A NUL would cut the name in /firms/name; a newline would break a message or a table.
    if (has_control_character(s))
      fail(n, "key '" + path + "' must not contain control characters, got " + quote_short(s));
    return s;
  }

  template <class E>
  E read_enum(const toml::node& n, const std::string& path) {
    const std::string& s = read_string(n, path, 0);
    for (const auto& e : enum_names(static_cast<const E*>(nullptr)))
      if (e.name == s) return e.value;
    auto choices = enum_choices(ValueRef(static_cast<E*>(nullptr)));
    std::vector<std::string> quoted;
    for (const auto& c : choices) quoted.push_back(quote_string(c));
    fail(n, "key '" + path + "' must be one of " + join(quoted, ", ") + ", got " + quote_short(s) +
                did_you_mean(nearest(s, choices)));
  }

  void read_value(const toml::node& n, const std::string& path, const ValueRef& ref, const Range& range,
                  unsigned flags) {
    std::visit(Overloaded{
                   [&](bool* b) {
                     if (!n.is_boolean()) type_error(n, path, "a boolean (true or false)");
                     *b = n.as_boolean()->get();
                   },
                   [&](int* i) { *i = static_cast<int>(read_integer(n, path, range)); },
                   [&](std::int64_t* i) { *i = read_integer(n, path, range); },
                   [&](std::uint64_t* u) { *u = static_cast<std::uint64_t>(read_integer(n, path, range)); },
                   [&](double* d) { *d = read_number(n, path, range); },
                   [&](std::string* s) { *s = read_string(n, path, flags); },
                   [&](std::vector<std::string>* v) {
                     const toml::array* a = n.as_array();
                     if (!a) type_error(n, path, "an array of strings");
                     v->clear();
                     for (std::size_t i = 0; i < a->size(); ++i) {
                       std::string element = path + "." + std::to_string(i);
                       v->push_back(read_string((*a)[i], element, kNonEmpty));
                       where_[element] = loc((*a)[i]);
                     }
                   },
                   [&](auto* e) { *e = read_enum<std::remove_pointer_t<decltype(e)>>(n, path); },
               },
               ref);
    where_[path] = loc(n);
  }

  // ---- tables ------------------------------------------------------------

  [[noreturn]] void unknown_key(const toml::key& k, const std::string& prefix,
                                const std::vector<std::string>& known) {
    std::string key(k.str());
    std::string path = prefix.empty() ? key : prefix + "." + key;
    std::string msg = "unknown key '" + printable(path, 60) + "'";
    std::string suggestion;
    if (auto it = global_hints().find(key); it != global_hints().end()) {
      suggestion = it->second;
      // Same table: the short name is enough.
      if (!prefix.empty() && suggestion.rfind(prefix + ".", 0) == 0)
        suggestion = suggestion.substr(prefix.size() + 1);
      if (std::find(known.begin(), known.end(), suggestion) == known.end() &&
          suggestion.find('.') == std::string::npos)
        suggestion.clear();  // a member hint that belongs to a different kind of table
    }
    if (suggestion.empty()) suggestion = nearest(key, known);
    if (!suggestion.empty()) fail(loc(k), msg + did_you_mean(suggestion));
    fail(loc(k),
         msg + "; known keys" + (prefix.empty() ? "" : " in '" + prefix + "'") + ": " + join(known, ", "));
  }

  const toml::table& as_table(const toml::node& n, const std::string& path) {
    const toml::table* t = n.as_table();
    if (!t) type_error(n, path, "a table");
    where_[path] = loc(*t);
    return *t;
  }

  // The array of tables at `path` ([[firms]]), checked element by element.
  std::vector<const toml::table*> table_array(const toml::node& n, const std::string& path) {
    const toml::array* a = n.as_array();
    if (!a) type_error(n, path, "an array of tables ([[" + path + "]])");
    where_[path] = loc(*a);
    std::vector<const toml::table*> out;
    for (std::size_t i = 0; i < a->size(); ++i)
      out.push_back(&as_table((*a)[i], path + "." + std::to_string(i)));
    return out;
  }

  template <class Owner>
  void read_table(const toml::table& t, const std::string& prefix, const std::vector<Field<Owner>>& fields,
                  Owner& owner, std::initializer_list<std::string_view> extra = {}) {
    for (auto&& [k, v] : t) {
      if (const Field<Owner>* f = find_field(fields, k.str())) {
        read_value(v, prefix + "." + std::string(k.str()), f->ref(owner), f->range, f->flags);
      } else if (std::find(extra.begin(), extra.end(), k.str()) == extra.end()) {
        unknown_key(k, prefix, field_keys(fields, extra));
      }
    }
    for (const auto& f : fields)
      if ((f.flags & kRequired) && !t.contains(f.key))
        fail(loc(t), "key '" + prefix + "." + std::string(f.key) + "' is required");
  }

  // ---- the whole document --------------------------------------------------

  Params convert(const toml::table& root) {
    Params p;
    std::vector<std::string> top;
    for (const auto& s : sections()) top.emplace_back(s.name);
    top.emplace_back("strategies");
    top.emplace_back("firms");
    top.emplace_back("events");
    for (auto&& [k, v] : root)
      if (std::find(top.begin(), top.end(), k.str()) == top.end()) unknown_key(k, "", top);

    for (const auto& s : sections()) {
      const toml::node* n = root.get(s.name);
      if (!n) continue;
      std::string name(s.name);
      const toml::table& t = as_table(*n, name);
      if (s.name == "customers")
        read_table(t, name, s.fields, p, {"segments"});
      else
        read_table(t, name, s.fields, p);
    }
    read_segments(root, p);
    read_strategies(root, p);
    read_firms(root, p);
    read_events(root, p);
    check(p);
    return p;
  }

  void read_segments(const toml::table& root, Params& p) {
    const toml::table* customers = root.get_as<toml::table>("customers");
    const toml::node* n = customers ? customers->get("segments") : nullptr;
    if (!n) return;
    auto tables = table_array(*n, "customers.segments");
    if (tables.empty()) fail(*n, "key 'customers.segments' must have at least one segment");
    if (tables.size() > static_cast<std::size_t>(kMaxSegments))
      fail(*tables[kMaxSegments],
           "key 'customers.segments' must have at most " + std::to_string(kMaxSegments) +
               " segments (a customer's segment is 4 bits), got " + std::to_string(tables.size()));
    p.segments.clear();
    for (std::size_t i = 0; i < tables.size(); ++i) {
      std::string prefix = "customers.segments." + std::to_string(i);
      Segment s;
      read_table(*tables[i], prefix, segment_fields(), s);
      for (std::size_t j = 0; j < p.segments.size(); ++j)
        if (p.segments[j].name == s.name)
          fail(loc_of(prefix + ".name"), "segment name " + quote_short(s.name) +
                                             " is used twice (also by customers.segments." +
                                             std::to_string(j) + "); give each segment its own name");
      p.segments.push_back(s);
    }
  }

  void read_strategies(const toml::table& root, Params& p) {
    const toml::node* n = root.get("strategies");
    if (!n) return;
    auto tables = table_array(*n, "strategies");
    for (std::size_t i = 0; i < tables.size(); ++i) {
      const toml::table& t = *tables[i];
      std::string prefix = "strategies." + std::to_string(i);
      StrategyParams s;
      if (const toml::node* b = t.get("base")) {
        const std::string& base = read_string(*b, prefix + ".base", kNonEmpty);
        if (is_builtin_strategy(base)) {
          s = builtin_strategy_params(base);
        } else {
          auto it = std::find_if(p.strategies.begin(), p.strategies.end(),
                                 [&](const StrategyParams& c) { return c.name == base; });
          if (it == p.strategies.end())
            fail(*b, "key '" + prefix + ".base' names unknown strategy " + quote_short(base) +
                         " (a base must be a built-in or an earlier [[strategies]] entry)" +
                         did_you_mean(nearest(base, all_strategy_names(p.strategies))));
          s = *it;
        }
      }
      read_table(t, prefix, strategy_fields(), s, {"base"});
      const std::string where = loc_of(prefix + ".name");
      if (is_builtin_strategy(s.name))
        fail(where, "key '" + prefix + ".name': " + quote_short(s.name) +
                        " is a built-in strategy; choose another name (base = " + quote_short(s.name) +
                        " starts from its values)");
      for (std::size_t j = 0; j < p.strategies.size(); ++j)
        if (p.strategies[j].name == s.name)
          fail(where, "key '" + prefix + ".name': strategy " + quote_short(s.name) +
                          " is already defined by strategies." + std::to_string(j));
      p.strategies.push_back(s);
    }
  }

  void read_firms(const toml::table& root, Params& p) {
    const toml::node* n = root.get("firms");
    if (!n)
      fail(source_ + ":1:1",
           "scenario has no [[firms]]; add at least one, e.g. [[firms]] strategy = \"success\"");
    auto tables = table_array(*n, "firms");
    if (tables.empty()) fail(*n, "key 'firms' must have at least one [[firms]] entry");
    auto names = all_strategy_names(p.strategies);
    for (std::size_t i = 0; i < tables.size(); ++i) {
      std::string prefix = "firms." + std::to_string(i);
      FirmGroup f;
      read_table(*tables[i], prefix, firm_fields(), f);
      if (std::find(names.begin(), names.end(), f.strategy) == names.end())
        fail(loc_of(prefix + ".strategy"), "key '" + prefix + ".strategy' names unknown strategy " +
                                               quote_short(f.strategy) +
                                               did_you_mean(nearest(f.strategy, names)) +
                                               " (built-ins: " + join(builtin_strategy_names(), ", ") + ")");
      bool defaulted = f.name.empty();
      if (defaulted) f.name = f.strategy;
      for (std::size_t j = 0; j < p.firms.size(); ++j)
        if (p.firms[j].name == f.name)
          fail(loc_of(prefix + ".name"), "firm name " + quote_short(f.name) + " of " + prefix +
                                             " is already used by firms." + std::to_string(j) +
                                             (defaulted ? " (the name defaults to the strategy name)" : "") +
                                             "; set a distinct 'name'");
      p.firms.push_back(f);
    }
  }

  void read_events(const toml::table& root, Params& p) {
    const toml::node* n = root.get("events");
    if (!n) return;
    auto tables = table_array(*n, "events");
    for (std::size_t i = 0; i < tables.size(); ++i) {
      Event e;
      read_table(*tables[i], "events." + std::to_string(i), event_fields(), e);
      p.events.push_back(e);
    }
  }

  // ---- cross-field checks ----------------------------------------------------

  // The firm names a run has at t = 0: a group "x" with count 3 is x-1, x-2, x-3
  // (as Simulation names them), a single firm keeps its name.
  static std::vector<std::string> expanded_firm_names(const Params& p) {
    std::vector<std::string> names;
    for (const auto& g : p.firms) {
      const std::string base = g.name.empty() ? g.strategy : g.name;
      for (int c = 0; c < g.count; ++c)
        names.push_back(g.count == 1 ? base : base + "-" + std::to_string(c + 1));
    }
    return names;
  }

  void check_events(const Params& p) {
    if (p.events.empty()) return;
    const auto firms = expanded_firm_names(p);
    const int attributes = p.attributes + p.latent_attributes;
    for (std::size_t i = 0; i < p.events.size(); ++i) {
      const Event& e = p.events[i];
      const std::string prefix = "events." + std::to_string(i);
      if (e.step > p.steps)
        fail(blame({prefix + ".step", "run.steps"}, prefix),
             "key '" + prefix + ".step' must be <= run.steps (" + std::to_string(p.steps) + "), got " +
                 std::to_string(e.step));
      if (std::find(firms.begin(), firms.end(), e.firm) == firms.end()) {
        std::vector<std::string> keys = {prefix + ".firm"};
        for (std::size_t j = 0; j < p.firms.size(); ++j) {
          keys.push_back("firms." + std::to_string(j) + ".count");
          keys.push_back("firms." + std::to_string(j) + ".name");
        }
        std::vector<std::string> first;
        for (std::size_t j = 0; j < std::min<std::size_t>(firms.size(), 12); ++j)
          first.push_back(printable(firms[j], 40));
        const std::string shown = join(first, ", ") + (firms.size() > 12 ? ", ..." : "");
        fail(blame(keys, prefix), "key '" + prefix + ".firm' names unknown firm " + quote_short(e.firm) +
                                      did_you_mean(nearest(e.firm, firms)) + " (firms: " + shown + ")");
      }
      if (e.attribute >= attributes)
        fail(blame({prefix + ".attribute", "market.attributes", "market.latent_attributes"}, prefix),
             "key '" + prefix + ".attribute' must be < market.attributes + market.latent_attributes (" +
                 std::to_string(attributes) + "), got " + std::to_string(e.attribute));
    }
  }

  void check_schedule(const Schedule& s, const std::string& name, bool allow_endogenous) {
    if (s.kind == ScheduleKind::Endogenous && !allow_endogenous)
      fail(loc_of(name + ".kind"), "key '" + name + ".kind' cannot be \"endogenous\" (only era can be)");
    // Eq. 27: w <- w + rate (best - w) = (1 - rate) w + rate best stays a
    // weighted mean of w and best in [0, 1] only for rate <= 1; above, it
    // overshoots, and for rate >= 2 the error |1 - rate|^t grows without bound.
    if (s.kind == ScheduleKind::Endogenous && s.rate > 1)
      fail(blame({name + ".rate", name + ".kind"}, name),
           "key '" + name + ".rate' must be in (0, 1] for an endogenous " + name +
               " (w <- w + rate (best - w) overshoots above 1 and diverges from 2 on), got " +
               number(s.rate));
    if (s.kind == ScheduleKind::Linear && s.t1 < s.t0)
      fail(blame({name + ".t1", name + ".t0", name + ".kind"}, name),
           "key '" + name + ".t1' must be >= " + name + ".t0 (" + number(s.t0) +
               ") for a linear schedule, got " + number(s.t1));
  }

  // The names a run gives its firm slots (expanded_firm_names, then
  // entrant-1 .. entrant-M) must be unique: events and /firms/name name firms by them.
  void check_firm_names(const Params& p) {
    std::map<std::string, std::size_t> group_of;  // expanded name -> [[firms]] index
    for (std::size_t i = 0; i < p.firms.size(); ++i) {
      const FirmGroup& g = p.firms[i];
      const std::string base = g.name.empty() ? g.strategy : g.name;
      const std::string prefix = "firms." + std::to_string(i);
      for (int c = 0; c < g.count; ++c) {
        const std::string name = g.count == 1 ? base : base + "-" + std::to_string(c + 1);
        const auto [it, fresh] = group_of.emplace(name, i);
        if (fresh) continue;
        const std::string other = "firms." + std::to_string(it->second);
        auto expands = [&](std::size_t j) {
          const FirmGroup& h = p.firms[j];
          return h.count == 1 ? std::string()
                              : " (count " + std::to_string(h.count) + " expands " +
                                    quote_short(h.name.empty() ? h.strategy : h.name) + " to -1 .. -" +
                                    std::to_string(h.count) + ")";
        };
        fail(blame({prefix + ".name", prefix + ".count", other + ".name", other + ".count"}, prefix),
             "firm name " + quote_short(name) + " of " + prefix + expands(i) + " is also a firm of " + other +
                 expands(it->second) + "; set names that stay distinct once groups are numbered");
      }
    }
    for (int e = 1; e <= p.max_entrants; ++e) {
      const std::string name = "entrant-" + std::to_string(e);
      if (auto it = group_of.find(name); it != group_of.end()) {
        const std::string prefix = "firms." + std::to_string(it->second);
        fail(blame({prefix + ".name", "economics.max_entrants"}, prefix),
             "firm name " + quote_short(name) + " of " + prefix + " is reserved for entrant slot " +
                 std::to_string(e) + " (economics.max_entrants = " + std::to_string(p.max_entrants) +
                 "); choose another name");
      }
    }
  }

  // Eq. 63: a profit-max price is c + mu / (alphabar (1 - s)) with s <= 0.95;
  // mu is bounded so that the markup stays within the price range (and money
  // within int64 cents) whenever a firm or entrant can price that way.
  void check_logit_scale(const Params& p) {
    auto pricing = [&](const std::string& name) {
      for (const auto& s : p.strategies)
        if (s.name == name) return s.pricing;
      return is_builtin_strategy(name) ? builtin_strategy_params(name).pricing : PricingRule::Fixed;
    };
    std::string user;
    for (const auto& g : p.firms)
      if (user.empty() && pricing(g.strategy) == PricingRule::ProfitMax) user = g.strategy;
    for (const auto& name : p.entry_mix)
      if (user.empty() && pricing(name) == PricingRule::ProfitMax) user = name;
    if (user.empty() || p.outside_option) return;  // Eq. A7 caps the price at a reservation price <= 1e6
    double alpha = 0;
    for (const auto& s : p.segments) alpha += s.share * s.price_sensitivity;
    alpha = std::max(alpha, 1e-9);  // as the pricing rule floors it
    const double bound = alpha * kMaxPrice / kMaxMarkupFactor;
    if (p.logit_scale > bound)
      fail(blame({"choice.logit_scale", "customers.segments"}, "choice"),
           "key 'choice.logit_scale' must be <= " + number(bound) +
               " when a firm prices by profit-max (strategy " + quote_short(user) +
               "): the markup mu / (alphabar (1 - s)) with alphabar = " + number(alpha) +
               " (mean price_sensitivity) and s <= 0.95 must stay <= 1e6, the largest price; got " +
               number(p.logit_scale));
  }

  // Eq. A6: the scaled starting cash and fixed cost stay within their ranges (and money within int64 cents).
  void check_money_scale(const Params& p) {
    if (!p.scale_money) return;
    const double k = static_cast<double>(p.customers) / p.reference_customers;
    for (const auto& [key, value] : {std::pair<std::string, double>{"economics.initial_cash", p.initial_cash},
                                     std::pair<std::string, double>{"economics.fixed_cost", p.fixed_cost}})
      if (value * k > kMaxMoneyAmount)
        fail(blame({key, "demand.scale_money", "demand.reference_customers", "customers.count"}, "demand"),
             "key '" + key + "' scaled by customers.count / demand.reference_customers = " + number(k) +
                 " (demand.scale_money) must stay <= 1e12, got " + number(value * k));
  }

  // Eq. S4-S6: nonprofits' clients are funded from the grant pool and have an outside option.
  void check_nonprofit_clients(const Params& p) {
    if (!p.nonprofit_clients) return;
    if (!p.grant_pool)
      fail(blame({"society.nonprofit_clients", "society.grant_pool"}, "society"),
           "key 'society.nonprofit_clients' = true needs 'society.grant_pool' = true: a nonprofit's client "
           "capacity is its share of the grant pool (Eq. S4)");
    if (!p.outside_option)
      fail(blame({"society.nonprofit_clients", "demand.outside_option"}, "society"),
           "key 'society.nonprofit_clients' = true needs 'demand.outside_option' = true: a client a "
           "nonprofit cannot take, or who cannot pay, buys nothing (Eq. S6)");
  }

  void check(const Params& p) {
    std::vector<std::string> keys;
    double share_sum = 0;
    for (std::size_t i = 0; i < p.segments.size(); ++i) {
      share_sum += p.segments[i].share;
      keys.push_back("customers.segments." + std::to_string(i) + ".share");
    }
    if (std::fabs(share_sum - 1.0) > kSegmentShareTolerance)
      fail(blame(keys, "customers.segments"),
           "segment shares (customers.segments.*.share) must sum to 1, got " + number(share_sum));

    if (p.attributes + p.latent_attributes > kMaxAttributes)
      fail(blame({"market.latent_attributes", "market.attributes"}, "market"),
           "market.attributes + market.latent_attributes must be <= 32, got " + std::to_string(p.attributes) +
               " + " + std::to_string(p.latent_attributes));

    check_schedule(p.era, "era", true);
    check_schedule(p.amplification, "amplification", false);

    const auto& net = p.network;
    const std::vector<std::string> net_keys = {"network.mean_degree", "network.kind", "customers.count"};
    if (net.kind == NetworkKind::WattsStrogatz && std::fmod(net.mean_degree, 2.0) != 0.0)
      fail(blame(net_keys, "network"),
           "key 'network.mean_degree' must be an even integer for watts-strogatz, got " +
               number(net.mean_degree));
    if (net.kind != NetworkKind::Complete) {
      // The network uses the degree rounded to an integer (Network::build).
      const std::int64_t k = std::llround(net.mean_degree);
      const std::string rounded =
          static_cast<double>(k) == net.mean_degree ? "" : " (rounded to " + std::to_string(k) + ")";
      if (!(k < p.customers))
        fail(blame(net_keys, "network"), "key 'network.mean_degree' must be < customers.count (" +
                                             std::to_string(p.customers) + "), got " +
                                             number(net.mean_degree) + rounded);
      if (static_cast<double>(p.customers) * static_cast<double>(k) >= 4294967296.0)
        fail(blame(net_keys, "network"),
             "customers.count * network.mean_degree must be < 2^32 (the edge index is "
             "32-bit), got " +
                 std::to_string(p.customers) + " * " + number(net.mean_degree) + rounded);
    }

    for (std::size_t i = 0; i < p.strategies.size(); ++i) {
      const auto& s = p.strategies[i];
      std::string prefix = "strategies." + std::to_string(i);
      keys.clear();
      for (const char* k : {".share_rd", ".share_imitation", ".share_service", ".share_enablement",
                            ".share_cocreation", ".share_marketing", ".base"})
        keys.push_back(prefix + k);
      double sum = s.share_rd + s.share_imitation + s.share_service + s.share_enablement +
                   s.share_cocreation + s.share_marketing;
      if (sum > 1.0 + 1e-9)
        fail(blame(keys, prefix),
             "strategy " + quote_short(s.name) +
                 ": the budget shares (share_rd + share_imitation + share_service + "
                 "share_enablement + share_cocreation + share_marketing) must sum to <= 1, got " +
                 number(sum));
      if (s.philanthropy_rate + s.payout_rate > 1.0 + 1e-9)
        fail(blame({prefix + ".philanthropy_rate", prefix + ".payout_rate", prefix + ".base"}, prefix),
             "strategy " + quote_short(s.name) + ": philanthropy_rate + payout_rate must be <= 1, got " +
                 number(s.philanthropy_rate + s.payout_rate));
    }

    std::int64_t slots = p.max_entrants;
    keys = {"economics.max_entrants"};
    for (std::size_t i = 0; i < p.firms.size(); ++i) {
      slots += p.firms[i].count;
      keys.push_back("firms." + std::to_string(i) + ".count");
    }
    if (slots > kMaxFirmSlots)
      fail(blame(keys, "firms"),
           "the firms (sum of [[firms]] count) plus economics.max_entrants must be <= 1000, got " +
               std::to_string(slots));

    check_firm_names(p);
    check_logit_scale(p);
    check_money_scale(p);
    check_nonprofit_clients(p);

    auto names = all_strategy_names(p.strategies);
    for (std::size_t i = 0; i < p.entry_mix.size(); ++i)
      if (std::find(names.begin(), names.end(), p.entry_mix[i]) == names.end())
        fail(loc_of("economics.entry_mix." + std::to_string(i)),
             "key 'economics.entry_mix." + std::to_string(i) + "' names unknown strategy " +
                 quote_short(p.entry_mix[i]) + did_you_mean(nearest(p.entry_mix[i], names)));
    check_events(p);
  }

  // ---- overrides -------------------------------------------------------------

  // Merges one "key.path=value" into the document.
  void apply_override(toml::table& root, const std::string& text) {
    const std::string where = "--set '" + printable(text) + "'";
    auto eq = text.find('=');
    if (eq == std::string::npos) fail(where, "expected key.path=value, e.g. --set market.maturity_rate=0.1");
    std::string path = trim(text.substr(0, eq));
    std::string value = trim(text.substr(eq + 1));
    if (path.empty()) fail(where, "missing key before '='");
    if (value.empty()) fail(where, "missing value after '=' (an empty string is written \"\")");

    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
      auto dot = path.find('.', start);
      parts.push_back(path.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    for (const auto& part : parts)
      if (part.empty()) fail(where, "malformed key '" + printable(path, 60) + "'");

    // Resolve the path against the registry: a scalar key of a section, or a
    // key of one entry of an array of tables.
    toml::table* target = nullptr;
    ValueRef kind;  // only its alternative matters: the type of the key
    std::string array_path;
    std::size_t head = 0;  // parts consumed by the array path
    if (parts[0] == "strategies" || parts[0] == "firms" || parts[0] == "events") {
      array_path = parts[0], head = 1;
    } else if (parts[0] == "customers" && parts.size() > 1 && parts[1] == "segments") {
      array_path = "customers.segments", head = 2;
    }

    std::string leaf;
    if (!array_path.empty()) {
      if (parts.size() != head + 2 || !is_index(parts[head]))
        fail(where, "'" + array_path + "' entries are set as " + array_path + ".INDEX.KEY=value, e.g. " +
                        array_path + ".0." +
                        (array_path == "firms"        ? "count=2"
                         : array_path == "strategies" ? "price=12"
                         : array_path == "events"     ? "capability=0.8"
                                                      : "share=0.5"));
      leaf = parts[head + 1];
      std::vector<std::string> known;
      if (array_path == "firms")
        known = field_keys(firm_fields());
      else if (array_path == "events")
        known = field_keys(event_fields());
      else if (array_path == "strategies")
        known = field_keys(strategy_fields(), {"base"});
      else
        known = field_keys(segment_fields());
      if (std::find(known.begin(), known.end(), leaf) == known.end()) {
        std::string s = nearest(leaf, known);
        fail(where, "unknown key '" + printable(path, 60) + "'" +
                        did_you_mean(s.empty() ? "" : array_path + "." + parts[head] + "." + s));
      }
      if (array_path == "firms")
        kind = find_field(firm_fields(), leaf)->ref(dummy_firm_);
      else if (array_path == "events")
        kind = find_field(event_fields(), leaf)->ref(dummy_event_);
      else if (array_path == "strategies")
        kind = leaf == "base" ? ValueRef(&dummy_string_)
                              : find_field(strategy_fields(), leaf)->ref(dummy_strategy_);
      else
        kind = find_field(segment_fields(), leaf)->ref(dummy_segment_);

      toml::array* arr = nullptr;
      toml::node* n = nullptr;
      if (array_path != "customers.segments") {
        n = root.get(array_path);
      } else if (toml::node* customers = root.get("customers")) {
        if (!customers->is_table()) type_error(*customers, "customers", "a table");
        n = customers->as_table()->get("segments");
      }
      if (n) {
        arr = n->as_array();
        if (!arr) type_error(*n, array_path, "an array of tables ([[" + array_path + "]])");
      }
      std::size_t size = arr ? arr->size() : 0;
      std::size_t index = std::stoul(parts[head]);
      if (index >= size)
        fail(where, "index " + parts[head] + " is out of range: the scenario has " + std::to_string(size) +
                        " [[" + array_path + "]] entr" + (size == 1 ? "y" : "ies") +
                        (size ? " (0.." + std::to_string(size - 1) + ")" : ""));
      target = (*arr)[index].as_table();
      if (!target) type_error((*arr)[index], array_path + "." + parts[head], "a table");
    } else {
      const Section* s = find_section(parts[0]);
      if (!s) {
        std::vector<std::string> top;
        for (const auto& sec : sections()) top.emplace_back(sec.name);
        top.emplace_back("strategies");
        top.emplace_back("firms");
        top.emplace_back("events");
        std::string suggestion;
        if (parts.size() == 1 && global_hints().count(parts[0]))
          suggestion = global_hints().at(parts[0]);
        else if (std::string near = nearest(parts[0], top); !near.empty())
          suggestion = near + path.substr(parts[0].size());
        fail(where, "unknown key '" + printable(path, 60) + "'" + did_you_mean(suggestion));
      }
      if (parts.size() == 1)
        fail(where, "'" + parts[0] + "' is a table; set one of its keys, e.g. --set " + parts[0] + "." +
                        std::string(s->fields.front().key) + "=...");
      leaf = parts[1];
      const Field<Params>* f = parts.size() == 2 ? find_field(s->fields, leaf) : nullptr;
      if (!f) {
        std::string suggestion;
        if (auto it = global_hints().find(parts.back()); it != global_hints().end())
          suggestion = it->second;
        else if (std::string near = nearest(leaf, field_keys(s->fields)); !near.empty())
          suggestion = parts[0] + "." + near;
        fail(where, "unknown key '" + printable(path, 60) + "'" + did_you_mean(suggestion));
      }
      kind = f->ref(dummy_params_);
      toml::node* n = root.get(parts[0]);
      if (!n) {
        root.insert(parts[0], toml::table{});
        n = root.get(parts[0]);
      }
      target = n->as_table();
      if (!target) type_error(*n, parts[0], "a table");
    }

    // Parse the value as TOML; a bare word is accepted for string keys.
    const std::string source = std::string(1, kOverrideMarker) + text;
    toml::table parsed;
    std::string problem;
    try {
      parsed = toml::parse("v = " + value, source);
      if (parsed.size() != 1 || !parsed.contains("v")) problem = "more than one value";
    } catch (const toml::parse_error& e) {
      problem = std::string(e.description());
    }
    bool stringy = std::holds_alternative<std::string*>(kind) || !enum_choices(kind).empty();
    if (!problem.empty() && stringy && is_bare_word(value)) {
      parsed = toml::parse("v = " + quote_string(value), source);
      problem.clear();
    }
    if (!problem.empty())
      fail(where, "the value is not a TOML value (" + problem + ")" +
                      (stringy ? "; strings are quoted, e.g. run.name=\"my run\"" : ""));
    parsed.get("v")->visit([&](auto& node) { target->insert_or_assign(leaf, std::move(node)); });
  }

 private:
  static std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
  }
  static bool is_index(const std::string& s) {
    return !s.empty() && s.size() <= 6 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
  // Letters, digits and a few punctuation marks; nothing TOML would need quoted
  // for a reason (no quotes, spaces, '#', '=', control characters).
  static bool is_bare_word(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      auto u = static_cast<unsigned char>(c);
      return u >= 0x80 || std::isalnum(u) || std::strchr("-_.+:/@", c) != nullptr;
    });
  }

  std::string source_;
  std::map<std::string, std::string> where_;  // key path -> location of its value
  // Targets for ValueRef when only the key's type is wanted.
  Params dummy_params_;
  Segment dummy_segment_;
  StrategyParams dummy_strategy_;
  FirmGroup dummy_firm_;
  Event dummy_event_;
  std::string dummy_string_;
};

}  // namespace

Params parse_scenario(std::string_view toml_text, const std::string& source,
                      const std::vector<std::string>& overrides) {
  Reader reader(source);
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    reader.fail(reader.loc(e.source()), "invalid TOML: " + std::string(e.description()));
  }
  for (const auto& o : overrides) reader.apply_override(root, o);
  return reader.convert(root);
}

Params load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  std::string text;
  try {
    text = read_input_file(path, "scenario");
  } catch (const InputFileError& e) {
    throw ScenarioError(e.what());
  }
  return parse_scenario(text, path, overrides);
}

}  // namespace missionsim

namespace missionsim::scenario {
std::string describe_node(const toml::node& n) { return describe(n); }
}  // namespace missionsim::scenario
