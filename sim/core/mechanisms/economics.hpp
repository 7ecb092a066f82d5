// M8 firm economics (docs/MODEL.md 7.8): the investment budget (Eq. 36),
// the accounts of a step in integer cents (Eq. 39-41), bankruptcy (Eq. 42)
// and entry (Eq. 43, in phases/market.cpp). With M8 off, bankrupt_after is
// lowered to never and entry_rate to 0.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/money.hpp"
#include "core/params.hpp"
#include "core/state.hpp"

namespace missionsim::mech {

// Eq. 36: budget from last step's revenue; a firm launching (no sales yet) spends as if it sold a 24th
// of its starting cash per month.
inline double investment_budget(const StrategyParams& sp, const Params& p, std::int64_t revenue_c) {
  return sp.invest_rate * std::max(from_cents(revenue_c), revenue_c == 0 ? p.initial_cash / 24.0 : 0.0);
}

// Eq. A5 (demand.continuous_budget): the launch budget is not cut at the first sale but runs down with
// the cash left: the firm spends as if it sold a 24th of its cash (at most of its starting cash) until
// revenue exceeds that.
inline double investment_budget_continuous(const StrategyParams& sp, const Params& p, std::int64_t revenue_c,
                                           std::int64_t cash_c) {
  const double reserve = std::clamp(from_cents(cash_c), 0.0, p.initial_cash);
  return sp.invest_rate * std::max(from_cents(revenue_c), reserve / 24.0);
}

// What a firm earned and spent this step, before the accounts.
struct StepMoney {
  double price;              // Eq. 39 [money/customer]
  std::int64_t customers;    // served at the end of the step
  double grant;              // Eq. 54 [money]
  double paid_unit;          // Eq. 38 paid serving cost per customer [money]
  double investment;         // Eq. 37 budget spent [money]
  double philanthropy_rate;  // share of positive profit donated
  double payout_rate;        // share of positive profit paid out
  double harm_cost;          // Eq. H2 societal cost of the harm stock [money]; 0 with harm_cost off
  double impact_spend = 0;   // Eq. S8 cost of the impact delivered [money]; 0 with cost_per_impact off
};

// Eq. 39-41: revenue, costs (with the donation), profit, payout and cash of firm f, in checked cents.
// Returns the donation in cents.
inline std::int64_t settle_money(Firm& f, const Params& p, const StepMoney& s, int step) {
  const MoneyGuard money(f.name, step);
  const std::int64_t sales_c = money.mul(money.cents(s.price, "price"), s.customers, "sales");  // Eq. 39
  const std::int64_t grants_c = money.cents(s.grant, "grants");
  const std::int64_t operating_c = money.add(
      money.cents(p.fixed_cost, "fixed cost"),
      money.cents(s.paid_unit * static_cast<double>(s.customers), "serving cost"), "operating cost");
  std::int64_t operating_all_c =
      money.add(operating_c, money.cents(s.harm_cost, "societal harm cost"), "operating cost");
  if (s.impact_spend != 0)  // Eq. S8
    operating_all_c =
        money.add(operating_all_c, money.cents(s.impact_spend, "impact cost"), "operating cost");
  const std::int64_t invest_c = money.cents(s.investment, "investment");
  // Eq. 40: donations from the profit before gifts, revenue, costs, profit and payout.
  f.revenue_c = money.add(sales_c, grants_c, "revenue");
  const std::int64_t before_gifts =
      money.add(f.revenue_c, -money.add(operating_all_c, invest_c, "costs"), "profit");
  const std::int64_t donation_c =
      before_gifts > 0 ? money.cents(s.philanthropy_rate * from_cents(before_gifts), "donation") : 0;
  f.grants_c = grants_c;
  f.costs_c = money.add(money.add(operating_all_c, invest_c, "costs"), donation_c, "costs");
  f.profit_c = money.add(f.revenue_c, -f.costs_c, "profit");
  f.payout_c = f.profit_c > 0 ? money.cents(s.payout_rate * from_cents(f.profit_c), "payout") : 0;
  f.cash_c = money.add(f.cash_c, money.add(f.profit_c, -f.payout_c, "cash flow"), "cash");  // Eq. 41
  return donation_c;
}

// Eq. 42: a firm goes bankrupt after bankrupt_after consecutive steps with negative cash.
inline bool goes_bankrupt(const Params& p, Firm& f) {
  f.negative_cash_steps = f.cash_c < 0 ? f.negative_cash_steps + 1 : 0;
  return f.negative_cash_steps >= p.bankrupt_after;
}

}  // namespace missionsim::mech
