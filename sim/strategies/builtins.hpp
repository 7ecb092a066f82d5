// Parameter sets of the built-in mission strategies, one file each.
#pragma once

#include "strategies/strategy.hpp"

namespace missionsim::builtin {

StrategyParams shareholder();
StrategyParams satisfaction();
StrategyParams success();
StrategyParams synergy();
StrategyParams philanthropy();
StrategyParams nonprofit();

// Shareholder value: a policy with its own allocation rule.
std::unique_ptr<Strategy> make_shareholder(const StrategyParams& params);

}  // namespace missionsim::builtin
