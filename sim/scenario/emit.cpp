// Writing scenarios: the resolved TOML (to_toml) and the key reference of
// docs/SCENARIO.md (scenario_keys_markdown), both generated from the registry.
#include <sstream>
#include <type_traits>

#include "scenario/registry.hpp"
#include "scenario/scenario.hpp"

namespace missionsim {

namespace {

using namespace scenario;

// The valid values of a key as text: its range for numbers, its choices for
// enums (each wrapped in `quote`), nothing for booleans and free strings.
template <class Owner>
std::string valid_values(const Field<Owner>& f, const ValueRef& ref, std::string_view sep,
                         std::string_view quote) {
  std::string out;
  if (auto choices = enum_choices(ref); !choices.empty()) {
    for (std::size_t i = 0; i < choices.size(); ++i) {
      if (i) out.append(sep);
      out.append(quote).append(choices[i]).append(quote);
    }
  } else if (std::holds_alternative<int*>(ref) || std::holds_alternative<std::int64_t*>(ref) ||
             std::holds_alternative<std::uint64_t*>(ref) || std::holds_alternative<double*>(ref)) {
    out = f.range.text();
  }
  return out;
}

// "[0, 1] [1/step]": the trailing comment of a key in the resolved TOML.
template <class Owner>
std::string comment(const Field<Owner>& f, Owner& owner) {
  std::string text = valid_values(f, f.ref(owner), " | ", "");
  if (!f.unit.empty()) {
    if (!text.empty()) text += ' ';
    text.append("[").append(f.unit).append("]");
  }
  return text;
}

template <class Owner>
void write_fields(std::ostream& out, const std::vector<Field<Owner>>& fields, Owner& owner) {
  for (const auto& f : fields) {
    std::string line = std::string(f.key) + " = " + toml_value_text(f.ref(owner));
    std::string c = comment(f, owner);
    if (!c.empty()) {
      if (line.size() < 40)
        line.resize(40, ' ');
      else
        line += "  ";
      line += "# " + c;
    }
    out << line << '\n';
  }
}

std::string md_escape(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

template <class Owner>
void markdown_table(std::ostream& out, const std::vector<Field<Owner>>& fields, const Owner& defaults,
                    std::string_view extra_row = {}) {
  Owner owner = defaults;
  out << "| Key | Type | Default | Range | Unit | Meaning |\n";
  out << "|-----|------|---------|-------|------|---------|\n";
  for (const auto& f : fields) {
    ValueRef ref = f.ref(owner);
    std::string range = valid_values(f, ref, ", ", "`");
    std::string def = "required";
    if constexpr (std::is_same_v<Owner, FirmGroup>) {
      if (f.key == "name") def = "the strategy";
    }
    if (def == "required" && !(f.flags & kRequired))
      def = std::string(1, '`').append(toml_value_text(ref)).append(1, '`');
    out << "| `" << f.key << "` | " << type_text(ref) << " | " << md_escape(def) << " | " << md_escape(range)
        << " | " << f.unit << " | " << md_escape(std::string(f.doc)) << " |\n";
    if (f.key == "name" && !extra_row.empty()) out << extra_row;
  }
  out << '\n';
}

}  // namespace

std::string to_toml(const Params& params) {
  Params p = params;  // the accessors take a mutable owner
  std::ostringstream out;
  out << "# Resolved scenario: every key with its value, defaults filled in.\n"
      << "# Keys, ranges and units: docs/SCENARIO.md.\n";
  for (const auto& s : sections()) {
    out << "\n[" << s.name << "]\n";
    write_fields(out, s.fields, p);
    if (s.name == "customers") {
      for (auto& seg : p.segments) {
        out << "\n[[customers.segments]]\n";
        write_fields(out, segment_fields(), seg);
      }
    }
  }
  for (auto& strategy : p.strategies) {
    out << "\n[[strategies]]\n";
    write_fields(out, strategy_fields(), strategy);
  }
  for (auto& firm : p.firms) {
    out << "\n[[firms]]\n";
    write_fields(out, firm_fields(), firm);
  }
  for (auto& event : p.events) {
    out << "\n[[events]]\n";
    write_fields(out, event_fields(), event);
  }
  return out.str();
}

std::string scenario_keys_markdown() {
  std::ostringstream out;
  const Params defaults;
  for (const auto& s : sections()) {
    out << "### [" << s.name << "]\n\n" << s.doc << "\n\n";
    markdown_table(out, s.fields, defaults);
    if (s.name == "customers") {
      out << "### [[customers.segments]]\n\n"
          << "Customer segments, one table each. Without any, the population is one segment with the "
             "defaults "
             "below. At most 16 segments; the shares of all segments must sum to 1 (within 1e-9); names must "
             "be unique.\n\n";
      markdown_table(out, segment_fields(), Segment{});
    }
  }
  out << "### [[strategies]]\n\n"
      << "Scenario-defined strategies. `base` names a built-in or an earlier [[strategies]] entry whose "
         "values are the "
         "defaults; without it the defaults are those below. The six budget shares must sum to <= 1 and "
         "philanthropy_rate + payout_rate to <= 1.\n\n";
  markdown_table(
      out, strategy_fields(), StrategyParams{},
      "| `base` | string | none | built-in or earlier [[strategies]] name |  | strategy whose values are "
      "the defaults of this one |\n");
  out << "### [[firms]]\n\n"
      << "The firms at t = 0, one table per group; at least one. A group with count > 1 expands at run time "
         "into "
         "firms named name-1, name-2, ...; every expanded name must be unique and none may be an entrant "
         "slot's "
         "(entrant-1 .. entrant-M, M = economics.max_entrants). Sum of counts + economics.max_entrants <= "
         "1000.\n\n";
  FirmGroup firm_defaults;
  markdown_table(out, firm_fields(), firm_defaults);
  out << "### [[events]]\n\n"
      << "Scheduled capability changes (shocks, validation experiments), optional: at the start of step "
         "`step`, "
         "before firms plan, firm `firm` gets capability `capability` on attribute `attribute` (every "
         "attribute "
         "offered at that step when -1). Events are applied in file order, so a later event on the same step "
         "wins. Nothing happens if the firm is no longer alive.\n\n";
  markdown_table(out, event_fields(), Event{});
  return out.str();
}

}  // namespace missionsim
