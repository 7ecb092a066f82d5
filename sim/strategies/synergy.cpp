// Synergy: the customer mission with a social mission built into the product
// (the jeans made from bottles): impact grows with the success it delivers.
#include "strategies/builtins.hpp"

namespace missionsim::builtin {

StrategyParams synergy() {
  StrategyParams p = success();
  p.name = "synergy";
  p.impact_per_customer = 0.5;
  p.purpose = 0.9;
  return p;
}

}  // namespace missionsim::builtin
