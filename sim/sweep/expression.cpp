// Arithmetic expressions of linked parameters (docs/SWEEP.md, "Linked
// parameters"): numbers, names of swept parameters and earlier linked keys,
// + - * / ^ (right-associative), unary minus, parentheses and the functions
// min, max, abs, sqrt, exp, log, floor, ceil, round. Compiled once to a
// postfix program; evaluated per design point.
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "scenario/registry.hpp"
#include "sweep/sweep.hpp"

namespace missionsim::sweep {
namespace {

struct Function {
  const char* name;
  int arity;
};
constexpr Function kFunctions[] = {{"min", 2}, {"max", 2},   {"abs", 1},  {"sqrt", 1}, {"exp", 1},
                                   {"log", 1}, {"floor", 1}, {"ceil", 1}, {"round", 1}};

class Parser {
 public:
  Parser(std::string_view text, const std::vector<std::string>& names, std::vector<Formula::Op>& out)
      : s_(text), names_(names), out_(out) {}

  void parse() {
    expr();
    skip();
    if (i_ < s_.size()) fail("unexpected '" + std::string(1, s_[i_]) + "'");
  }

 private:
  [[noreturn]] void fail(const std::string& msg, std::size_t at = std::string::npos) const {
    throw FormulaError(at == std::string::npos ? i_ : at, msg);
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    skip();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  void emit(Formula::Kind k, double v = 0, int index = 0) { out_.push_back({k, v, index}); }

  void expr() {
    term();
    for (;;) {
      if (eat('+'))
        term(), emit(Formula::Kind::Add);
      else if (eat('-'))
        term(), emit(Formula::Kind::Sub);
      else
        return;
    }
  }
  void term() {
    unary();
    for (;;) {
      if (eat('*'))
        unary(), emit(Formula::Kind::Mul);
      else if (eat('/'))
        unary(), emit(Formula::Kind::Div);
      else
        return;
    }
  }
  void unary() {
    if (eat('-')) return unary(), emit(Formula::Kind::Neg);
    if (eat('+')) return unary();
    primary();
    if (eat('^')) unary(), emit(Formula::Kind::Pow);
  }
  void primary() {
    skip();
    if (i_ >= s_.size()) fail("expression ends early: expected a number, a name or '('");
    const char c = s_[i_];
    if (c == '(') {
      ++i_;
      expr();
      if (!eat(')')) fail("expected ')'");
      return;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      const std::string rest(s_.substr(i_));
      char* end = nullptr;
      const double v = std::strtod(rest.c_str(), &end);
      if (end == rest.c_str()) fail("bad number");
      i_ += static_cast<std::size_t>(end - rest.c_str());
      return emit(Formula::Kind::Const, v);
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t start = i_;
      while (i_ < s_.size() &&
             (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' || s_[i_] == '.'))
        ++i_;
      const std::string name(s_.substr(start, i_ - start));
      skip();
      if (i_ < s_.size() && s_[i_] == '(') {
        ++i_;
        int f = 0;
        while (f < static_cast<int>(std::size(kFunctions)) && name != kFunctions[f].name) ++f;
        if (f == static_cast<int>(std::size(kFunctions)))
          fail("unknown function '" + name + "' (min, max, abs, sqrt, exp, log, floor, ceil, round)", start);
        for (int a = 0; a < kFunctions[f].arity; ++a) {
          if (a > 0 && !eat(','))
            fail("'" + name + "' takes " + std::to_string(kFunctions[f].arity) + " arguments");
          expr();
        }
        if (!eat(')')) fail("expected ')' after the arguments of '" + name + "'");
        return emit(Formula::Kind::Call, 0, f);
      }
      for (std::size_t k = 0; k < names_.size(); ++k)
        if (names_[k] == name) return emit(Formula::Kind::Var, 0, static_cast<int>(k));
      const std::string hint = scenario::nearest(name, names_);
      fail("unknown name '" + scenario::clip(name) +
               "' (an expression may use the swept parameters with numeric values and earlier "
               "[[linked]] keys)" +
               (hint.empty() ? "" : "; did you mean '" + hint + "'?"),
           start);
    }
    fail("unexpected '" + std::string(1, c) + "'");
  }

  std::string_view s_;
  const std::vector<std::string>& names_;
  std::vector<Formula::Op>& out_;
  std::size_t i_ = 0;
};

}  // namespace

Formula Formula::parse(std::string_view text, const std::vector<std::string>& names) {
  Formula e;
  Parser(text, names, e.program_).parse();
  return e;
}

double Formula::evaluate(const std::vector<double>& values) const {
  std::vector<double> stack;
  stack.reserve(program_.size());
  auto pop = [&] {
    const double v = stack.back();
    stack.pop_back();
    return v;
  };
  for (const Op& op : program_) {
    switch (op.kind) {
      case Kind::Const:
        stack.push_back(op.value);
        break;
      case Kind::Var:
        stack.push_back(values.at(static_cast<std::size_t>(op.index)));
        break;
      case Kind::Neg:
        stack.back() = -stack.back();
        break;
      case Kind::Add:
      case Kind::Sub:
      case Kind::Mul:
      case Kind::Div:
      case Kind::Pow: {
        const double b = pop(), a = pop();
        stack.push_back(op.kind == Kind::Add   ? a + b
                        : op.kind == Kind::Sub ? a - b
                        : op.kind == Kind::Mul ? a * b
                        : op.kind == Kind::Div ? a / b
                                               : std::pow(a, b));
        break;
      }
      case Kind::Call: {
        const std::string_view f = kFunctions[op.index].name;
        if (kFunctions[op.index].arity == 2) {
          const double b = pop(), a = pop();
          stack.push_back(f == "min" ? std::fmin(a, b) : std::fmax(a, b));
        } else {
          const double a = pop();
          stack.push_back(f == "abs"     ? std::fabs(a)
                          : f == "sqrt"  ? std::sqrt(a)
                          : f == "exp"   ? std::exp(a)
                          : f == "log"   ? std::log(a)
                          : f == "floor" ? std::floor(a)
                          : f == "ceil"  ? std::ceil(a)
                                         : std::round(a));
        }
        break;
      }
    }
  }
  return stack.empty() ? NAN : stack.back();
}

}  // namespace missionsim::sweep
