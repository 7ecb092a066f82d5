// Customer success ("the customer mission"): enablement, co-creation and
// engaged employees, value-based price.
#include "strategies/builtins.hpp"

namespace missionsim::builtin {

StrategyParams success() {
  StrategyParams p;
  p.name = "success";
  p.pricing = PricingRule::Value;
  p.price = 10.0;
  p.value_premium = 0.5;
  p.invest_rate = 0.25;
  p.share_rd = 0.15;
  p.share_imitation = 0.05;
  p.share_service = 0.25;
  p.share_enablement = 0.3;
  p.share_cocreation = 0.15;
  p.share_marketing = 0.1;
  p.metric_pressure = 0.1;
  p.purpose = 0.7;
  return p;
}

}  // namespace missionsim::builtin
