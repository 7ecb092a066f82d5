// Shareholder value: profit-maximising price, payout, cost cutting that
// externalises cost (harm, M11), extrinsic metric pressure on employees (M10).
#include <algorithm>

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
  return p;
}

namespace {
// Halves R&D and imitation after a loss (the cut is not spent elsewhere),
// otherwise spends as configured: the quarterly-numbers reflex (Eq. 64).
class Shareholder final : public Strategy {
 public:
  using Strategy::Strategy;
  Allocation allocate(const FirmView& firm, const MarketView& market) const override {
    Allocation a = Strategy::allocate(firm, market);
    if (firm.profit < 0) {  // cut investment other than sales when losing money
      a.rd *= 0.5;
      a.imitation *= 0.5;
    }
    return a;
  }
};
}  // namespace

std::unique_ptr<Strategy> make_shareholder(const StrategyParams& params) {
  return std::make_unique<Shareholder>(params);
}

}  // namespace missionsim::builtin
