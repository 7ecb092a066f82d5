// Outcomes over time and derived outcomes of a sweep (docs/SWEEP.md, "Outcomes").
//
// A sweep file may say when outcomes are taken ([outcomes] at = [...] or
// every = k) and declare derived outcomes ([outcomes.derived] name =
// "expression"). Expressions are parsed when the sweep file is read, so a bad
// one fails before any run starts, and evaluated by `sweep collect` on each
// run file:
//
//   per time  arithmetic (sweep/expression.hpp: + - * / ^, parentheses, numbers,
//             min, max, abs, sqrt, exp, log, floor, ceil, round) over outcome names,
//             evaluated at every step of /outcomes/time:
//               share[synergy] - share[philanthropy]      strategy outcomes
//               firm.cash[acme]                           firm outcomes (by firm name)
//               adopters_share, market.hhi                market outcomes
//   event     time_to(condition), first_time(condition): the first step at
//             which the condition (a comparison < <= > >= == != of two
//             arithmetic expressions) holds; survival(x): the steps from the
//             first step x > 0 to the first later step x is not; NaN when the
//             event never happens. Evaluated on every step of the run file.
//             Events combine with numbers and other events by arithmetic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sweep/expression.hpp"

namespace missionsim::sweep {

// Outcome names an expression may use, by scope.
const std::vector<std::string>& firm_outcome_names();      // firm.<x>[<firm>]
const std::vector<std::string>& strategy_outcome_names();  // <x>[<strategy>] or strategy.<x>[<strategy>]
const std::vector<std::string>& market_outcome_names();    // <x> or market.<x>

enum class Scope { Firm, Strategy, Market };

// One outcome series a run provides: scope, quantity and (firm or strategy) name.
struct Reference {
  Scope scope = Scope::Market;
  std::string quantity;
  std::string name;  // firm or strategy name; empty for the market
  bool operator==(const Reference&) const = default;
};

struct Expression {
  std::string text;
  std::unique_ptr<ExprNode> root;
  std::vector<Reference> references;  // distinct
  bool event = false;                 // kind "event" (one value per run) or "per_time"
};

// Parses an expression (grammar above); throws ExpressionError.
Expression parse_expression(const std::string& text);

// The values of an expression's references in one run: series[i][row] for
// references[i], over `steps` (the step of each row of the run file).
struct RunSeries {
  std::vector<std::int64_t> steps;
  std::vector<std::vector<double>> series;
};
// A per-time expression at one row.
double evaluate_at(const Expression& e, const RunSeries& s, std::size_t row);
// An event expression (every row of the run scanned).
double evaluate_event(const Expression& e, const RunSeries& s);

struct DerivedOutcome {
  std::string name;
  Expression expression;
  std::string where;  // "FILE:LINE:COLUMN" of its value
};

struct OutcomesSpec {
  bool given = false;            // an [outcomes] table is present
  std::vector<std::int64_t> at;  // [outcomes] at (ascending, distinct)
  std::int64_t every = 0;        // [outcomes] every (0: not given)
  std::vector<std::string> at_where;
  std::string every_where;
  std::vector<DerivedOutcome> derived;
};

// The steps of /outcomes/time for runs whose horizons (run.steps) lie in
// [min_horizon, max_horizon]: `at` or 0, k, 2k, ... below min_horizon, then
// the final step (max_horizon) last. Throws SweepError at the offending
// entry when a step lies beyond min_horizon.
std::vector<std::int64_t> outcome_steps(const OutcomesSpec& o, std::int64_t min_horizon,
                                        std::int64_t max_horizon);

}  // namespace missionsim::sweep
