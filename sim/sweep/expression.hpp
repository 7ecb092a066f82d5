// The arithmetic expressions of sweep files: one grammar, one parser, one
// evaluator for both places a sweep file holds an expression (docs/SWEEP.md):
//
//   [[linked]] expression      names are swept parameters and earlier linked keys
//   [outcomes.derived] name    names are outcomes; adds events and comparisons
//
// Shared grammar (precedence from loosest to tightest):
//
//   expression := sum
//   sum        := product (('+' | '-') product)*
//   product    := unary (('*' | '/') unary)*
//   unary      := ('-' | '+') unary | power
//   power      := primary ('^' unary)?                 right-associative
//   primary    := number | '(' sum ')' | function '(' sum (',' sum)* ')' | name
//   number     := digits ['.' digits] [('e' | 'E') ['+' | '-'] digits]
//   function   := min max abs sqrt exp log floor ceil round
//
// What a name means (and which other words start a primary) is the dialect's:
// a subclass of ExpressionParser resolves it to a leaf index or a special
// node. Comparisons (< <= > >= == !=) are parsed by comparison(), which a
// dialect calls where it allows them.
#pragma once

#include <cmath>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace missionsim::sweep {

// A parse error at a 0-based character position of the expression.
class ExpressionError : public std::runtime_error {
 public:
  ExpressionError(std::size_t position, const std::string& message)
      : std::runtime_error(message), position_(position) {}
  std::size_t position() const { return position_; }

 private:
  std::size_t position_;
};

// The functions every dialect has, by index.
enum class MathFunction { Min, Max, Abs, Sqrt, Exp, Log, Floor, Ceil, Round };

struct ExprNode {
  enum class Kind {
    Number,    // number
    Leaf,      // a name the dialect resolved to `index`
    Special,   // a dialect's own construct `index` over `a` (e.g. an event)
    Function,  // MathFunction(index) of a (and b)
    Neg,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne
  };
  Kind kind = Kind::Number;
  double number = 0;
  std::size_t index = 0;
  std::unique_ptr<ExprNode> a, b;
};

// Recursive-descent parser of the shared grammar. A dialect overrides name()
// and may call the protected building blocks to parse what follows a word.
class ExpressionParser {
 public:
  explicit ExpressionParser(std::string_view text) : s_(text) {}
  virtual ~ExpressionParser() = default;

  // The whole text as one expression (comparisons refused at the top level
  // with `comparison_hint()`); throws ExpressionError.
  std::unique_ptr<ExprNode> parse();

 protected:
  // A word (letters, digits, '_' and '.', not starting with a digit) that is not
  // a function: the dialect returns its node, reading anything that follows
  // (e.g. "[name]") from pos(). `start` is where the word began.
  virtual std::unique_ptr<ExprNode> name(const std::string& word, std::size_t start) = 0;
  // Why a comparison is refused where the grammar does not allow one.
  virtual std::string comparison_hint() const {
    return "a comparison (<, <=, >, >=, ==, !=) is not allowed here";
  }

  std::unique_ptr<ExprNode> sum();
  // sum [OP sum]; with allowed = false an operator is refused with comparison_hint().
  std::unique_ptr<ExprNode> comparison(bool allowed);

  static std::unique_ptr<ExprNode> make(ExprNode::Kind k, std::unique_ptr<ExprNode> a = nullptr,
                                        std::unique_ptr<ExprNode> b = nullptr);
  [[noreturn]] void fail(const std::string& msg) const { throw ExpressionError(pos_, msg); }
  void skip();
  bool eat(std::string_view op);
  std::string got() const;  // the next character quoted, or "the end of the expression"
  bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  std::string identifier();  // letters, digits, '_' (no '.')
  std::size_t pos() const { return pos_; }
  void advance() { ++pos_; }
  void seek(std::size_t p) { pos_ = p; }
  std::string_view text() const { return s_; }

 private:
  std::unique_ptr<ExprNode> product();
  std::unique_ptr<ExprNode> unary();
  std::unique_ptr<ExprNode> primary();
  std::unique_ptr<ExprNode> number();
  std::unique_ptr<ExprNode> function(MathFunction f, const std::string& word);

  std::string_view s_;
  std::size_t pos_ = 0;
};

// The names of the math functions, for messages ("min, max, abs, ...").
std::string math_function_list();

double apply(MathFunction f, double a, double b);

// Evaluates a tree: leaf(index) gives a leaf's value, special(node) a
// dialect's construct. Comparisons give 1 or 0 and are false when an operand
// is NaN (IEEE), so a NaN never satisfies a condition.
template <class Leaf, class Special>
double evaluate(const ExprNode& n, const Leaf& leaf, const Special& special) {
  const auto ev = [&](const std::unique_ptr<ExprNode>& x) { return evaluate(*x, leaf, special); };
  using K = ExprNode::Kind;
  switch (n.kind) {
    case K::Number:
      return n.number;
    case K::Leaf:
      return leaf(n.index);
    case K::Special:
      return special(n);
    case K::Function:
      return apply(static_cast<MathFunction>(n.index), ev(n.a), n.b ? ev(n.b) : 0.0);
    case K::Neg:
      return -ev(n.a);
    case K::Add:
      return ev(n.a) + ev(n.b);
    case K::Sub:
      return ev(n.a) - ev(n.b);
    case K::Mul:
      return ev(n.a) * ev(n.b);
    case K::Div:
      return ev(n.a) / ev(n.b);
    case K::Pow:
      return std::pow(ev(n.a), ev(n.b));
    case K::Lt:
      return ev(n.a) < ev(n.b) ? 1.0 : 0.0;
    case K::Le:
      return ev(n.a) <= ev(n.b) ? 1.0 : 0.0;
    case K::Gt:
      return ev(n.a) > ev(n.b) ? 1.0 : 0.0;
    case K::Ge:
      return ev(n.a) >= ev(n.b) ? 1.0 : 0.0;
    case K::Eq:
      return ev(n.a) == ev(n.b) ? 1.0 : 0.0;
    case K::Ne: {
      const double a = ev(n.a), b = ev(n.b);
      return !std::isnan(a) && !std::isnan(b) && a != b ? 1.0 : 0.0;
    }
  }
  return std::nan("");
}

}  // namespace missionsim::sweep
