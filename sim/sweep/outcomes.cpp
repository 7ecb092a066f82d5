// Derived-outcome expressions: a small recursive-descent parser and evaluator
// (grammar in outcomes.hpp and docs/SWEEP.md), and the steps of /outcomes/time.
#include "sweep/outcomes.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
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

class Parser {
 public:
  explicit Parser(const std::string& text) : s_(text) {}

  Expression parse() {
    Expression e;
    e.text = s_;
    refs_ = &e.references;
    skip();
    if (pos_ >= s_.size()) fail("expected an expression, got nothing");
    e.root = comparison(/*allowed=*/false);
    skip();
    if (pos_ < s_.size()) fail("expected an operator (+ - * /) or the end, got " + got());
    e.event = has_event_;
    if (has_event_ && has_bare_ref_)
      throw ExpressionError(bare_ref_pos_,
                            "an outcome name outside time_to/first_time/survival cannot be combined with an "
                            "event (one value per run); put it inside the event's condition");
    return e;
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const { throw ExpressionError(pos_, msg); }
  void skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  std::string got() const {
    if (pos_ >= s_.size()) return "the end of the expression";
    std::string out = "'";
    out += s_[pos_];
    out += '\'';
    return out;
  }
  bool eat(std::string_view op) {
    skip();
    if (s_.compare(pos_, op.size(), op) == 0) {
      pos_ += op.size();
      return true;
    }
    return false;
  }
  static std::unique_ptr<Node> make(Node::Kind k, std::unique_ptr<Node> a = nullptr,
                                    std::unique_ptr<Node> b = nullptr) {
    auto n = std::make_unique<Node>();
    n->kind = k;
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }

  // comparison := sum [ (< <= > >= == !=) sum ]; only inside time_to/first_time.
  std::unique_ptr<Node> comparison(bool allowed) {
    auto left = sum();
    skip();
    const std::size_t at = pos_;
    Node::Kind k;
    if (eat("<="))
      k = Node::Kind::Le;
    else if (eat(">="))
      k = Node::Kind::Ge;
    else if (eat("=="))
      k = Node::Kind::Eq;
    else if (eat("!="))
      k = Node::Kind::Ne;
    else if (eat("<"))
      k = Node::Kind::Lt;
    else if (eat(">"))
      k = Node::Kind::Gt;
    else if (eat("="))
      throw ExpressionError(at, "'=' is not an operator; compare with '==' (or <, <=, >, >=, !=)");
    else {
      if (allowed) fail("expected a comparison (<, <=, >, >=, ==, !=), got " + got());
      return left;
    }
    if (!allowed)
      throw ExpressionError(at,
                            "a comparison is only allowed inside time_to(...) or first_time(...), e.g. "
                            "time_to(adopters_share >= 0.5)");
    return make(k, std::move(left), sum());
  }

  std::unique_ptr<Node> sum() {
    auto n = product();
    for (;;) {
      if (eat("+"))
        n = make(Node::Kind::Add, std::move(n), product());
      else if (eat("-"))
        n = make(Node::Kind::Sub, std::move(n), product());
      else
        return n;
    }
  }
  std::unique_ptr<Node> product() {
    auto n = unary();
    for (;;) {
      if (eat("*"))
        n = make(Node::Kind::Mul, std::move(n), unary());
      else if (eat("/"))
        n = make(Node::Kind::Div, std::move(n), unary());
      else
        return n;
    }
  }
  std::unique_ptr<Node> unary() {
    if (eat("-")) return make(Node::Kind::Neg, unary());
    if (eat("+")) return unary();
    return primary();
  }

  std::unique_ptr<Node> primary() {
    skip();
    if (pos_ >= s_.size()) fail("expected a name, a number or '(', got the end of the expression");
    const char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      auto n = sum();
      if (!eat(")")) fail("expected ')', got " + got());
      return n;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return name();
    fail("expected a name, a number or '(', got " + got());
  }

  std::unique_ptr<Node> number() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.'))
      ++pos_;
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      std::size_t p = pos_ + 1;
      if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) ++p;
      if (p < s_.size() && std::isdigit(static_cast<unsigned char>(s_[p]))) {
        pos_ = p;
        while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      }
    }
    double v = 0;
    const auto r = std::from_chars(s_.data() + start, s_.data() + pos_, v);
    if (r.ec != std::errc() || r.ptr != s_.data() + pos_ || !std::isfinite(v))
      throw ExpressionError(start, "expected a number, got '" + s_.substr(start, pos_ - start) + "'");
    auto n = make(Node::Kind::Number);
    n->number = v;
    return n;
  }

  std::string identifier() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
      ++pos_;
    return s_.substr(start, pos_ - start);
  }

  std::unique_ptr<Node> name() {
    const std::size_t start = pos_;
    std::string word = identifier();
    // Event functions.
    if (word == "time_to" || word == "first_time" || word == "survival") {
      skip();
      if (pos_ >= s_.size() || s_[pos_] != '(') fail("expected '(' after '" + word + "', got " + got());
      if (in_event_) throw ExpressionError(start, "'" + word + "' cannot be nested inside another event");
      ++pos_;
      in_event_ = true;
      has_event_ = true;
      auto inner = word == "survival" ? sum() : comparison(/*allowed=*/true);
      in_event_ = false;
      if (!eat(")")) fail("expected ')' to close '" + word + "(', got " + got());
      return make(word == "survival" ? Node::Kind::Survival : Node::Kind::TimeTo, std::move(inner));
    }
    // Scope prefix: firm., strategy., market.
    Scope scope = Scope::Strategy;
    bool explicit_scope = false;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      if (word != "firm" && word != "strategy" && word != "market")
        throw ExpressionError(start,
                              "unknown prefix '" + word + ".'; use firm., strategy. or market." +
                                  did_you_mean(scenario::nearest(word, {"firm", "strategy", "market"})));
      scope = word == "firm" ? Scope::Firm : word == "market" ? Scope::Market : Scope::Strategy;
      explicit_scope = true;
      ++pos_;
      const std::size_t q = pos_;
      word = identifier();
      if (word.empty()) {
        pos_ = q;
        fail("expected an outcome name after '" + s_.substr(start, q - start) + "', got " + got());
      }
    }
    skip();
    const bool bracket = pos_ < s_.size() && s_[pos_] == '[';
    if (!explicit_scope) {
      scope = bracket ? Scope::Strategy : Scope::Market;
      if (!bracket && std::find(market_outcome_names().begin(), market_outcome_names().end(), word) ==
                          market_outcome_names().end()) {
        const auto& fs = firm_outcome_names();
        const auto& ss = strategy_outcome_names();
        if (std::find(ss.begin(), ss.end(), word) != ss.end() ||
            std::find(fs.begin(), fs.end(), word) != fs.end())
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
    if (std::find(known.begin(), known.end(), word) == known.end()) {
      const std::string what = scope == Scope::Firm       ? "firm"
                               : scope == Scope::Strategy ? "strategy"
                                                          : "market";
      throw ExpressionError(start, "unknown " + what + " outcome '" + word + "'" +
                                       did_you_mean(scenario::nearest(word, known)) + " (" + what +
                                       " outcomes: " + list(known) + ")");
    }
    Reference r;
    r.scope = scope;
    r.quantity = word;
    if (scope == Scope::Market) {
      if (bracket) fail("market outcome '" + word + "' takes no [name]");
    } else {
      if (!bracket)
        fail("expected '[' and a " + std::string(scope == Scope::Firm ? "firm" : "strategy") +
             " name after '" + word + "', got " + got());
      const std::size_t open = pos_++;
      const std::size_t close = s_.find(']', pos_);
      if (close == std::string::npos) throw ExpressionError(open, "'[' is never closed with ']'");
      std::string inner = s_.substr(pos_, close - pos_);
      while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.back()))) inner.pop_back();
      std::size_t lead = 0;
      while (lead < inner.size() && std::isspace(static_cast<unsigned char>(inner[lead]))) ++lead;
      inner.erase(0, lead);
      if (inner.empty()) throw ExpressionError(open + 1, "expected a name inside '[...]', got nothing");
      r.name = inner;
      pos_ = close + 1;
    }
    if (!in_event_ && !has_bare_ref_) has_bare_ref_ = true, bare_ref_pos_ = start;
    auto n = make(Node::Kind::Ref);
    const auto it = std::find(refs_->begin(), refs_->end(), r);
    n->ref = static_cast<std::size_t>(it - refs_->begin());
    if (it == refs_->end()) refs_->push_back(r);
    return n;
  }

  const std::string& s_;
  std::size_t pos_ = 0;
  std::vector<Reference>* refs_ = nullptr;
  bool in_event_ = false, has_event_ = false, has_bare_ref_ = false;
  std::size_t bare_ref_pos_ = 0;
};

double eval(const Node& n, const RunSeries& s, std::size_t row) {
  switch (n.kind) {
    case Node::Kind::Number:
      return n.number;
    case Node::Kind::Ref:
      return s.series[n.ref][row];
    case Node::Kind::Neg:
      return -eval(*n.a, s, row);
    case Node::Kind::Add:
      return eval(*n.a, s, row) + eval(*n.b, s, row);
    case Node::Kind::Sub:
      return eval(*n.a, s, row) - eval(*n.b, s, row);
    case Node::Kind::Mul:
      return eval(*n.a, s, row) * eval(*n.b, s, row);
    case Node::Kind::Div:
      return eval(*n.a, s, row) / eval(*n.b, s, row);
    // Comparisons with NaN are false (IEEE), so a NaN never triggers an event.
    case Node::Kind::Lt:
      return eval(*n.a, s, row) < eval(*n.b, s, row) ? 1.0 : 0.0;
    case Node::Kind::Le:
      return eval(*n.a, s, row) <= eval(*n.b, s, row) ? 1.0 : 0.0;
    case Node::Kind::Gt:
      return eval(*n.a, s, row) > eval(*n.b, s, row) ? 1.0 : 0.0;
    case Node::Kind::Ge:
      return eval(*n.a, s, row) >= eval(*n.b, s, row) ? 1.0 : 0.0;
    case Node::Kind::Eq:
      return eval(*n.a, s, row) == eval(*n.b, s, row) ? 1.0 : 0.0;
    case Node::Kind::Ne: {
      const double a = eval(*n.a, s, row), b = eval(*n.b, s, row);
      return !std::isnan(a) && !std::isnan(b) && a != b ? 1.0 : 0.0;
    }
    case Node::Kind::TimeTo: {
      for (std::size_t t = 0; t < s.steps.size(); ++t)
        if (eval(*n.a, s, t) != 0) return static_cast<double>(s.steps[t]);
      return kNaN;
    }
    case Node::Kind::Survival: {
      std::size_t t = 0;
      while (t < s.steps.size() && !(eval(*n.a, s, t) > 0)) ++t;
      if (t == s.steps.size()) return kNaN;  // never positive
      const std::size_t first = t;
      while (t < s.steps.size() && eval(*n.a, s, t) > 0) ++t;
      if (t == s.steps.size()) return kNaN;  // still positive at the end: it survived the run
      return static_cast<double>(s.steps[t] - s.steps[first]);
    }
  }
  return kNaN;
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

Expression parse_expression(const std::string& text) { return Parser(text).parse(); }

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
