// The scenario key registry: one table row per TOML key.
//
// Each row names the key, the Params member it fills (an accessor), its range,
// unit and meaning. The reader (scenario.cpp), the writer (to_toml) and the
// key reference in docs/SCENARIO.md (scenario_keys_markdown) all iterate these
// rows, so parsing, validation, output and documentation cannot drift apart.
// Defaults are not repeated here: they are read from a default-constructed
// Params / Segment / StrategyParams / FirmGroup through the same accessor.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/params.hpp"

namespace missionsim::scenario {

// Where a key's value lives; the alternative decides the TOML type accepted.
using ValueRef =
    std::variant<bool*, int*, std::int64_t*, std::uint64_t*, double*, std::string*, ScheduleKind*,
                 NetworkKind*, PricingRule*, AdaptationFitness*, std::vector<std::string>*>;

// Valid values of a number: [lo, hi], either bound may be open or infinite.
struct Range {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;

  bool contains(double x) const;
  std::string text() const;  // "[0, 1]", "> 0", ">= 0"
};

constexpr Range closed(double lo, double hi) { return Range{lo, hi, false, false}; }
constexpr Range positive() { return Range{0.0, std::numeric_limits<double>::infinity(), true, false}; }
constexpr Range at_least(double lo) {
  return Range{lo, std::numeric_limits<double>::infinity(), false, false};
}
constexpr Range unbounded() { return Range{}; }

enum FieldFlag : unsigned {
  kRequired = 1u,  // the key must be present (e.g. [[firms]] strategy)
  kNonEmpty = 2u,  // a string that must not be empty
};

template <class Owner>
struct Field {
  std::string_view key;     // TOML key inside its table
  std::string_view member;  // the C++ member it fills, for docs and suggestions
  ValueRef (*ref)(Owner&);
  Range range;
  std::string_view unit;
  std::string_view doc;
  unsigned flags = 0;
};

// A top-level table of scalar keys, e.g. [market].
struct Section {
  std::string_view name;
  std::string_view doc;
  std::vector<Field<Params>> fields;
};

const std::vector<Section>& sections();
const std::vector<Field<Segment>>& segment_fields();          // [[customers.segments]]
const std::vector<Field<StrategyParams>>& strategy_fields();  // [[strategies]] (plus the special key "base")
const std::vector<Field<FirmGroup>>& firm_fields();           // [[firms]]
const std::vector<Field<Event>>& event_fields();              // [[events]]

template <class E>
struct EnumName {
  std::string_view name;
  E value;
};
std::span<const EnumName<ScheduleKind>> enum_names(const ScheduleKind*);
std::span<const EnumName<NetworkKind>> enum_names(const NetworkKind*);
std::span<const EnumName<PricingRule>> enum_names(const PricingRule*);
std::span<const EnumName<AdaptationFitness>> enum_names(const AdaptationFitness*);

// TOML text of the value behind `ref` ("0.05", "\"watts-strogatz\"", "[\"a\"]").
std::string toml_value_text(const ValueRef& ref);
// Human-readable type: "integer", "float", "boolean", "string" (also enums), "array of strings".
std::string type_text(const ValueRef& ref);
// The allowed strings of an enum-valued key; empty for other keys.
std::vector<std::string> enum_choices(const ValueRef& ref);

// Shortest text that reads back to the same double (std::to_chars).
std::string format_double(double x);
// TOML basic string with escapes.
std::string quote_string(std::string_view s);
// A user's string inside a message: quote_string of at most `max` bytes (not
// cutting a UTF-8 sequence), with "..." and the full length when cut:
// "\"aaaa...\" (1048576 bytes)". Messages stay one short line.
std::string quote_short(std::string_view s, std::size_t max = 60);
// The same without the quotes, for text inside '...': "aaaa... (1048576 bytes)".
std::string clip(std::string_view s, std::size_t max = 60);
// True when `s` holds a control character (U+0000..U+001F, U+007F).
bool has_control_character(std::string_view s);

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate nearest to `word`, or "" when none is close enough to be a likely typo.
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace missionsim::scenario
