#include "strategies/strategy.hpp"

#include <algorithm>

namespace missionsim {

double Strategy::price(const FirmView& firm, const MarketView& market) const {
  const auto& p = params_;
  switch (p.pricing) {
    // Eq. 60: fixed and subsidised prices.
    case PricingRule::Fixed:
    case PricingRule::Subsidised:
      return p.price;
    // Eq. 61: the customer-weighted mean price of the market.
    case PricingRule::Market:
      return market.mean_price > 0 ? market.mean_price : p.price;
    case PricingRule::Value: {
      // Eq. 62: premium in proportion to relative experience value.
      if (market.mean_value <= 0) return p.price;
      double rel = (firm.value - market.mean_value) / market.mean_value;
      return std::max(0.0, p.price * (1.0 + p.value_premium * rel));
    }
    case PricingRule::ProfitMax: {
      // Eq. 63: logit first-order condition, markup = mu / (alpha (1 - s)).
      double alpha = std::max(market.mean_price_sensitivity, 1e-9);
      double s = std::clamp(market.outside ? firm.share_of_market : firm.share_of_adopters, 0.0, 0.95);
      const double markup_price = firm.unit_cost + market.logit_scale / (alpha * (1.0 - s));
      // Eq. A7: with the outside option no customer pays more than its reservation price.
      return std::min(markup_price, market.price_cap);
    }
  }
  return p.price;
}

// Eq. 37: the fixed budget shares of the strategy; Eq. 64: after a loss, R&D and imitation are cut by
// loss_cut (the cut is not spent elsewhere).
Allocation Strategy::allocate(const FirmView& firm, const MarketView&) const {
  const auto& p = params_;
  Allocation a{p.share_rd,         p.share_imitation,  p.share_service,
               p.share_enablement, p.share_cocreation, p.share_marketing};
  if (firm.profit < 0 && p.loss_cut > 0) {
    a.rd *= 1.0 - p.loss_cut;
    a.imitation *= 1.0 - p.loss_cut;
  }
  return a;
}

}  // namespace missionsim
