// Philanthropy: the satisfaction mix plus donations from profit, not tied to
// what customers buy ("shoots the coloured balls directly").
#include "strategies/builtins.hpp"

namespace missionsim::builtin {

StrategyParams philanthropy() {
  StrategyParams p = satisfaction();
  p.name = "philanthropy";
  p.philanthropy_rate = 0.2;
  p.purpose = 0.4;
  return p;
}

}  // namespace missionsim::builtin
