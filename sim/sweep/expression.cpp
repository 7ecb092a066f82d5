// The shared expression grammar of sweep files (sweep/expression.hpp) and the
// linked-parameter dialect (docs/SWEEP.md, "Linked parameters"): names are the
// swept parameters with numeric values and earlier linked keys.
#include "sweep/expression.hpp"

#include <cctype>
#include <charconv>
#include <iterator>

#include "scenario/registry.hpp"
#include "sweep/sweep.hpp"

namespace missionsim::sweep {
namespace {

constexpr struct {
  const char* name;
  int arity;
} kFunctions[] = {{"min", 2}, {"max", 2},   {"abs", 1},  {"sqrt", 1}, {"exp", 1},
                  {"log", 1}, {"floor", 1}, {"ceil", 1}, {"round", 1}};

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

}  // namespace

std::string math_function_list() {
  std::string s;
  for (const auto& f : kFunctions) s += (s.empty() ? "" : ", ") + std::string(f.name);
  return s;
}

double apply(MathFunction f, double a, double b) {
  switch (f) {
    case MathFunction::Min:
      return std::fmin(a, b);
    case MathFunction::Max:
      return std::fmax(a, b);
    case MathFunction::Abs:
      return std::fabs(a);
    case MathFunction::Sqrt:
      return std::sqrt(a);
    case MathFunction::Exp:
      return std::exp(a);
    case MathFunction::Log:
      return std::log(a);
    case MathFunction::Floor:
      return std::floor(a);
    case MathFunction::Ceil:
      return std::ceil(a);
    case MathFunction::Round:
      return std::round(a);
  }
  return std::nan("");
}

std::unique_ptr<ExprNode> ExpressionParser::make(ExprNode::Kind k, std::unique_ptr<ExprNode> a,
                                                 std::unique_ptr<ExprNode> b) {
  auto n = std::make_unique<ExprNode>();
  n->kind = k;
  n->a = std::move(a);
  n->b = std::move(b);
  return n;
}

void ExpressionParser::skip() {
  while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
}

bool ExpressionParser::eat(std::string_view op) {
  skip();
  if (s_.substr(pos_, op.size()) == op) {
    pos_ += op.size();
    return true;
  }
  return false;
}

std::string ExpressionParser::got() const {
  if (pos_ >= s_.size()) return "the end of the expression";
  std::string out = "'";  // appended, not operator+: GCC 12 warns falsely (-Wrestrict) on "'" + string
  out += s_[pos_];
  out += '\'';
  return out;
}

std::string ExpressionParser::identifier() {
  const std::size_t start = pos_;
  while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
  return std::string(s_.substr(start, pos_ - start));
}

std::unique_ptr<ExprNode> ExpressionParser::parse() {
  skip();
  if (pos_ >= s_.size()) fail("expected an expression, got nothing");
  auto root = comparison(/*allowed=*/false);
  skip();
  if (pos_ < s_.size()) fail("expected an operator (+ - * / ^) or the end, got " + got());
  return root;
}

std::unique_ptr<ExprNode> ExpressionParser::comparison(bool allowed) {
  auto left = sum();
  skip();
  const std::size_t op = pos_;
  using K = ExprNode::Kind;
  K k;
  if (eat("<="))
    k = K::Le;
  else if (eat(">="))
    k = K::Ge;
  else if (eat("=="))
    k = K::Eq;
  else if (eat("!="))
    k = K::Ne;
  else if (eat("<"))
    k = K::Lt;
  else if (eat(">"))
    k = K::Gt;
  else if (eat("="))
    throw ExpressionError(op, "'=' is not an operator; compare with '==' (or <, <=, >, >=, !=)");
  else {
    if (allowed) fail("expected a comparison (<, <=, >, >=, ==, !=), got " + got());
    return left;
  }
  if (!allowed) throw ExpressionError(op, comparison_hint());
  return make(k, std::move(left), sum());
}

std::unique_ptr<ExprNode> ExpressionParser::sum() {
  auto n = product();
  for (;;) {
    if (eat("+"))
      n = make(ExprNode::Kind::Add, std::move(n), product());
    else if (eat("-"))
      n = make(ExprNode::Kind::Sub, std::move(n), product());
    else
      return n;
  }
}

std::unique_ptr<ExprNode> ExpressionParser::product() {
  auto n = unary();
  for (;;) {
    if (eat("*"))
      n = make(ExprNode::Kind::Mul, std::move(n), unary());
    else if (eat("/"))
      n = make(ExprNode::Kind::Div, std::move(n), unary());
    else
      return n;
  }
}

std::unique_ptr<ExprNode> ExpressionParser::unary() {
  if (eat("-")) return make(ExprNode::Kind::Neg, unary());
  if (eat("+")) return unary();
  auto n = primary();
  if (eat("^")) return make(ExprNode::Kind::Pow, std::move(n), unary());
  return n;
}

std::unique_ptr<ExprNode> ExpressionParser::primary() {
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
  if (!std::isalpha(static_cast<unsigned char>(c)) && c != '_')
    fail("expected a name, a number or '(', got " + got());
  const std::size_t start = pos_;
  while (pos_ < s_.size() && word_char(s_[pos_])) ++pos_;
  const std::string word(s_.substr(start, pos_ - start));
  const std::size_t after = pos_;
  skip();
  if (at('(')) {
    for (std::size_t f = 0; f < std::size(kFunctions); ++f)
      if (word == kFunctions[f].name) return function(static_cast<MathFunction>(f), word);
  }
  pos_ = after;
  return name(word, start);
}

std::unique_ptr<ExprNode> ExpressionParser::function(MathFunction f, const std::string& word) {
  const int arity = kFunctions[static_cast<std::size_t>(f)].arity;
  ++pos_;  // '('
  auto n = make(ExprNode::Kind::Function, sum());
  n->index = static_cast<std::size_t>(f);
  if (arity == 2) {
    if (!eat(",")) fail("'" + word + "' takes 2 arguments: expected ',', got " + got());
    n->b = sum();
  }
  if (!eat(")")) fail("expected ')' after the arguments of '" + word + "', got " + got());
  return n;
}

std::unique_ptr<ExprNode> ExpressionParser::number() {
  const std::size_t start = pos_;
  while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.')) ++pos_;
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
    throw ExpressionError(start,
                          "expected a number, got '" + std::string(s_.substr(start, pos_ - start)) + "'");
  auto n = make(ExprNode::Kind::Number);
  n->number = v;
  return n;
}

// The linked-parameter dialect: a name is one of `names`, a leaf by its index.
namespace {

class LinkedParser : public ExpressionParser {
 public:
  LinkedParser(std::string_view text, const std::vector<std::string>& names)
      : ExpressionParser(text), names_(names) {}

 protected:
  std::unique_ptr<ExprNode> name(const std::string& word, std::size_t start) override {
    skip();
    if (at('('))
      throw ExpressionError(start, "unknown function '" + word + "' (" + math_function_list() + ")");
    for (std::size_t k = 0; k < names_.size(); ++k)
      if (names_[k] == word) {
        auto n = make(ExprNode::Kind::Leaf);
        n->index = k;
        return n;
      }
    const std::string hint = scenario::nearest(word, names_);
    throw ExpressionError(start, "unknown name '" + scenario::clip(word) +
                                     "' (an expression may use the swept parameters with numeric values and "
                                     "earlier [[linked]] keys)" +
                                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  std::string comparison_hint() const override {
    return "a comparison (<, <=, >, >=, ==, !=) has no value for a parameter; use min, max or arithmetic";
  }

 private:
  const std::vector<std::string>& names_;
};

}  // namespace

Formula Formula::parse(std::string_view text, const std::vector<std::string>& names) {
  Formula f;
  f.root_ = LinkedParser(text, names).parse();
  return f;
}

double Formula::evaluate(const std::vector<double>& values) const {
  if (!root_) return std::nan("");
  return sweep::evaluate(
      *root_, [&](std::size_t i) { return values.at(i); }, [](const ExprNode&) { return std::nan(""); });
}

}  // namespace missionsim::sweep
