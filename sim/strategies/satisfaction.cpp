// Satisfaction leader: product attributes, service and fast imitation at the
// market price.
#include "strategies/builtins.hpp"

namespace missionsim::builtin {

StrategyParams satisfaction() {
  StrategyParams p;
  p.name = "satisfaction";
  p.pricing = PricingRule::Market;
  p.price = 10.0;
  p.invest_rate = 0.25;
  p.share_rd = 0.35;
  p.share_imitation = 0.25;
  p.share_service = 0.2;
  p.share_marketing = 0.2;
  p.metric_pressure = 0.3;
  p.purpose = 0.3;
  return p;
}

}  // namespace missionsim::builtin
