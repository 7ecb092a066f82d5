// Nonprofit paid by society (M12): subsidised price, impact for its clients,
// grants in proportion to the impact delivered.
#include "strategies/builtins.hpp"

namespace missionsim::builtin {

StrategyParams nonprofit() {
  StrategyParams p;
  p.name = "nonprofit";
  p.pricing = PricingRule::Subsidised;
  p.price = 2.0;
  p.invest_rate = 0.3;
  p.share_rd = 0.1;
  p.share_imitation = 0.1;
  p.share_service = 0.3;
  p.share_enablement = 0.4;
  p.share_marketing = 0.1;
  p.impact_per_customer = 1.0;
  p.metric_pressure = 0.0;
  p.purpose = 1.0;
  p.grant_funded = true;
  return p;
}

}  // namespace missionsim::builtin
