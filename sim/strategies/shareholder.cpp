// Shareholder value: profit-maximising price, payout, cost cutting that
// externalises cost (harm, M11), extrinsic metric pressure on employees (M10).
#include "strategies/builtins.hpp"

namespace missionsim::builtin {

StrategyParams shareholder() {
  StrategyParams p;
  p.name = "shareholder";
  p.pricing = PricingRule::ProfitMax;
  p.price = 10.0;
  p.invest_rate = 0.15;
  p.share_rd = 0.1;
  p.share_imitation = 0.3;
  p.share_service = 0.0;
  p.share_marketing = 0.6;
  p.payout_rate = 0.5;
  p.cost_cutting = 0.3;
  p.metric_pressure = 0.7;
  p.purpose = 0.0;
  p.loss_cut = 0.5;  // halves R&D and imitation after a loss: the quarterly-numbers reflex (Eq. 64)
  return p;
}

}  // namespace missionsim::builtin
