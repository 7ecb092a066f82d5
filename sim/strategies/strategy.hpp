// Mission strategies: the policy a firm follows when it prices and spends.
//
// A strategy is a parameter set (StrategyParams) plus two decisions a C++
// policy may override: the monthly price (Eq. 60-63) and the split of the
// investment budget (Eq. 37, 64). A new policy lives in one file: derive from
// Strategy, override what differs, and add one line to builtin.cpp.
#pragma once

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/params.hpp"

namespace missionsim {

// Market facts a policy may use, all from the previous step.
struct MarketView {
  double mean_price = 0;              // share-weighted mean price of live firms [money]
  double mean_value = 0;              // share-weighted mean experience value (1-w) S + w s
  double success_weight = 0;          // w(t)
  double mean_price_sensitivity = 0;  // population mean [1/money]
  double logit_scale = 0;             // mu
  bool outside = false;               // demand.outside_option: shares are of the whole market (Eq. A7)
  double price_cap = std::numeric_limits<double>::infinity();  // Eq. A7: reservation-price cap
};

// One firm's facts, from the previous step.
struct FirmView {
  std::int64_t customers = 0;
  double share_of_adopters = 0;  // 0..1
  double share_of_market = 0;    // customers / population, 0..1
  double value = 0;              // (1-w) S + w s of its customers (market mean if none)
  double unit_cost = 0;          // serving cost per customer [money]
  double revenue = 0;            // last step [money]
  double profit = 0;             // last step [money]
  double cash = 0;               // [money]
  double price = 0;              // current price [money]
  int firm = -1;                 // slot index of the firm (for policies with per-firm state)
  int step = 0;                  // the step being planned
};

// How the investment budget is split (Eq. 37); shares of the budget, sum <= 1.
struct Allocation {
  double rd = 0, imitation = 0, service = 0, enablement = 0, cocreation = 0, marketing = 0;
};

class Strategy {
 public:
  explicit Strategy(StrategyParams params) : params_(std::move(params)) {}
  virtual ~Strategy() = default;

  const StrategyParams& params() const { return params_; }
  const std::string& name() const { return params_.name; }

  // Eq. 60-63: price from the pricing rule.
  virtual double price(const FirmView& firm, const MarketView& market) const;
  // Eq. 37: the budget split: the fixed shares of params(), R&D and imitation cut by loss_cut after a
  // loss (Eq. 64).
  virtual Allocation allocate(const FirmView& firm, const MarketView& market) const;

 private:
  StrategyParams params_;
};

// The six built-ins: shareholder, satisfaction, success, synergy, philanthropy, nonprofit.
std::vector<std::string> builtin_strategy_names();
bool is_builtin_strategy(const std::string& name);
// Default parameters of a built-in (throws std::invalid_argument for an unknown name).
StrategyParams builtin_strategy_params(const std::string& name);
// The policy object for a strategy, driven by `params` alone (built-in or
// scenario-defined alike).
std::unique_ptr<Strategy> make_strategy(const StrategyParams& params);

}  // namespace missionsim
