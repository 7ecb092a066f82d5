// Registry of the built-in strategies.
#include <stdexcept>

#include "strategies/builtins.hpp"

namespace missionsim {

namespace {
struct Entry {
  const char* name;
  StrategyParams (*params)();
};
constexpr Entry kBuiltins[] = {
    {"shareholder", builtin::shareholder},   {"satisfaction", builtin::satisfaction},
    {"success", builtin::success},           {"synergy", builtin::synergy},
    {"philanthropy", builtin::philanthropy}, {"nonprofit", builtin::nonprofit},
};
}  // namespace

std::vector<std::string> builtin_strategy_names() {
  std::vector<std::string> names;
  for (const auto& e : kBuiltins) names.emplace_back(e.name);
  return names;
}

bool is_builtin_strategy(const std::string& name) {
  for (const auto& e : kBuiltins)
    if (name == e.name) return true;
  return false;
}

StrategyParams builtin_strategy_params(const std::string& name) {
  for (const auto& e : kBuiltins)
    if (name == e.name) return e.params();
  throw std::invalid_argument("unknown built-in strategy '" + name + "'");
}

std::unique_ptr<Strategy> make_strategy(const StrategyParams& params) {
  return std::make_unique<Strategy>(params);
}

}  // namespace missionsim
