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

}  // namespace missionsim::builtin
