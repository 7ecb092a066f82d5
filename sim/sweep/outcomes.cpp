// Derived-outcome expressions: the outcome dialect of the shared expression
// grammar (sweep/expression.hpp; names in outcomes.hpp and docs/SWEEP.md), and
// the steps of /outcomes/time.
#include "sweep/outcomes.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "scenario/registry.hpp"
#include "sweep/sweep.hpp"

namespace missionsim::sweep {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string did_you_mean(const std::string& s) { return s.empty() ? "" : "; did you mean '" + s + "'?"; }

std::string list(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// Events: Special nodes of the shared grammar.
enum Event : std::size_t { kTimeTo = 0, kSurvival = 1 };

// The derived-outcome dialect: names are outcomes (with a scope prefix and a
// [firm or strategy] name), plus the events time_to/first_time/survival.
class Parser : public ExpressionParser {
 public:
  explicit Parser(const std::string& text) : ExpressionParser(text), text_(text) {}

  Expression run() {
    Expression e;
    e.text = text_;
    refs_ = &e.references;
    e.root = parse();
    e.event = has_event_;
    if (has_event_ && has_bare_ref_)
      throw ExpressionError(bare_ref_pos_,
                            "an outcome name outside time_to/first_time/survival cannot be combined with an "
                            "event (one value per run); put it inside the event's condition");
    return e;
  }

 protected:
  std::string comparison_hint() const override {
    return "a comparison is only allowed inside time_to(...) or first_time(...), e.g. "
           "time_to(adopters_share >= 0.5)";
  }

  std::unique_ptr<ExprNode> name(const std::string& full, std::size_t start) override {
    if (full == "time_to" || full == "first_time" || full == "survival") return event(full, start);
    // Scope prefix: firm., strategy., market.
    std::string word = full;
    Scope scope = Scope::Strategy;
    bool explicit_scope = false;
    if (const std::size_t dot = full.find('.'); dot != std::string::npos) {
      const std::string prefix = full.substr(0, dot);
      if (prefix != "firm" && prefix != "strategy" && prefix != "market")
        throw ExpressionError(start,
                              "unknown prefix '" + prefix + ".'; use firm., strategy. or market." +
                                  did_you_mean(scenario::nearest(prefix, {"firm", "strategy", "market"})));
      scope = prefix == "firm" ? Scope::Firm : prefix == "market" ? Scope::Market : Scope::Strategy;
      explicit_scope = true;
      word = full.substr(dot + 1);
      if (word.empty() || word.find('.') != std::string::npos)
        throw ExpressionError(start + dot + 1,
                              "expected an outcome name after '" + prefix + ".', got '" + word + "'");
    }
    skip();
    const bool bracket = at('[');
    if (at('('))
      throw ExpressionError(start, "unknown function '" + full +
                                       "' (events: time_to, first_time, survival; " + math_function_list() +
                                       ")");
    if (!explicit_scope) {
      scope = bracket ? Scope::Strategy : Scope::Market;
      if (!bracket && !contains(market_outcome_names(), word)) {
        const auto& fs = firm_outcome_names();
        const auto& ss = strategy_outcome_names();
        if (contains(ss, word) || contains(fs, word))
          fail("expected '[' and a strategy name after '" + word + "' (e.g. " + word +
               "[synergy]; firm.<x>[<firm name>] for a firm), got " + got());
        std::vector<std::string> all = market_outcome_names();
        all.insert(all.end(), ss.begin(), ss.end());
        all.insert(all.end(), {"firm", "strategy", "market", "time_to", "first_time", "survival"});
        throw ExpressionError(start, "unknown name '" + word + "'" +
                                         did_you_mean(scenario::nearest(word, all)) +
                                         " (market outcomes: " + list(market_outcome_names()) +
                                         "; strategy outcomes <x>[<strategy>]: " + list(ss) +
                                         "; firm outcomes firm.<x>[<firm>]: " + list(fs) +
                                         "; events: time_to, first_time, survival)");
      }
    }
    const auto& known = scope == Scope::Firm       ? firm_outcome_names()
                        : scope == Scope::Strategy ? strategy_outcome_names()
                                                   : market_outcome_names();
    const std::string what = scope == Scope::Firm ? "firm" : scope == Scope::Strategy ? "strategy" : "market";
    if (!contains(known, word))
      throw ExpressionError(start, "unknown " + what + " outcome '" + word + "'" +
                                       did_you_mean(scenario::nearest(word, known)) + " (" + what +
                                       " outcomes: " + list(known) + ")");
    Reference r;
    r.scope = scope;
    r.quantity = word;
    if (scope == Scope::Market) {
      if (bracket) fail("market outcome '" + word + "' takes no [name]");
    } else {
      if (!bracket) fail("expected '[' and a " + what + " name after '" + word + "', got " + got());
      r.name = bracketed();
    }
    if (!in_event_ && !has_bare_ref_) has_bare_ref_ = true, bare_ref_pos_ = start;
    auto n = make(ExprNode::Kind::Leaf);
    const auto it = std::find(refs_->begin(), refs_->end(), r);
    n->index = static_cast<std::size_t>(it - refs_->begin());
    if (it == refs_->end()) refs_->push_back(r);
    return n;
  }

 private:
  static bool contains(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }

  // "[ name ]" at pos(): the name, trimmed.
  std::string bracketed() {
    const std::size_t open = pos();
    const std::size_t close = text_.find(']', open + 1);
    if (close == std::string::npos) throw ExpressionError(open, "'[' is never closed with ']'");
    std::string inner = text_.substr(open + 1, close - open - 1);
    while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.back()))) inner.pop_back();
    std::size_t lead = 0;
    while (lead < inner.size() && std::isspace(static_cast<unsigned char>(inner[lead]))) ++lead;
    inner.erase(0, lead);
    if (inner.empty()) throw ExpressionError(open + 1, "expected a name inside '[...]', got nothing");
    seek(close + 1);
    return inner;
  }

  std::unique_ptr<ExprNode> event(const std::string& word, std::size_t start) {
    skip();
    if (!at('(')) fail("expected '(' after '" + word + "', got " + got());
    if (in_event_) throw ExpressionError(start, "'" + word + "' cannot be nested inside another event");
    advance();
    in_event_ = true;
    has_event_ = true;
    auto inner = word == "survival" ? sum() : comparison(/*allowed=*/true);
    in_event_ = false;
    if (!eat(")")) fail("expected ')' to close '" + word + "(', got " + got());
    auto n = make(ExprNode::Kind::Special, std::move(inner));
    n->index = word == "survival" ? kSurvival : kTimeTo;
    return n;
  }

  const std::string& text_;
  std::vector<Reference>* refs_ = nullptr;
  bool in_event_ = false, has_event_ = false, has_bare_ref_ = false;
  std::size_t bare_ref_pos_ = 0;
};

double eval(const ExprNode& root, const RunSeries& s, std::size_t row) {
  const auto special = [&s](const ExprNode& n) -> double {
    if (n.index == kTimeTo) {
      for (std::size_t t = 0; t < s.steps.size(); ++t)
        if (eval(*n.a, s, t) != 0) return static_cast<double>(s.steps[t]);
      return kNaN;
    }
    std::size_t t = 0;  // kSurvival
    while (t < s.steps.size() && !(eval(*n.a, s, t) > 0)) ++t;
    if (t == s.steps.size()) return kNaN;  // never positive
    const std::size_t first = t;
    while (t < s.steps.size() && eval(*n.a, s, t) > 0) ++t;
    if (t == s.steps.size()) return kNaN;  // still positive at the end: it survived the run
    return static_cast<double>(s.steps[t] - s.steps[first]);
  };
  return evaluate(
      root, [&s, row](std::size_t i) { return s.series[i][row]; }, special);
}

}  // namespace

const std::vector<std::string>& firm_outcome_names() {
  static const std::vector<std::string> v = {"share",        "customers", "profit",         "cash",
                                             "satisfaction", "success",   "societal_value", "alive"};
  return v;
}
const std::vector<std::string>& strategy_outcome_names() {
  static const std::vector<std::string> v = {"share",   "customers",      "profit", "satisfaction",
                                             "success", "societal_value", "firms"};
  return v;
}
const std::vector<std::string>& market_outcome_names() {
  static const std::vector<std::string> v = {"adopters_share", "hhi", "societal_value"};
  return v;
}

Expression parse_expression(const std::string& text) { return Parser(text).run(); }

double evaluate_at(const Expression& e, const RunSeries& s, std::size_t row) { return eval(*e.root, s, row); }
double evaluate_event(const Expression& e, const RunSeries& s) { return eval(*e.root, s, 0); }

std::vector<std::int64_t> outcome_steps(const OutcomesSpec& o, std::int64_t min_horizon,
                                        std::int64_t max_horizon) {
  std::vector<std::int64_t> steps;
  const std::string horizon = min_horizon == max_horizon
                                  ? "the run's horizon run.steps = " + std::to_string(min_horizon)
                                  : "the shortest run's horizon run.steps = " + std::to_string(min_horizon) +
                                        " (run.steps is a parameter)";
  for (std::size_t i = 0; i < o.at.size(); ++i)
    if (o.at[i] > min_horizon)
      throw SweepError(o.at_where[i] + ": key 'outcomes.at." + std::to_string(i) + "' must be <= " + horizon +
                       ", got " + std::to_string(o.at[i]));
  if (o.every > 0) {
    if (o.every > min_horizon)
      throw SweepError(o.every_where + ": key 'outcomes.every' must be <= " + horizon + ", got " +
                       std::to_string(o.every));
    for (std::int64_t t = 0; t < min_horizon; t += o.every) steps.push_back(t);
  } else {
    steps = o.at;
  }
  if (steps.empty() || steps.back() != max_horizon) steps.push_back(max_horizon);
  return steps;
}

}  // namespace missionsim::sweep
