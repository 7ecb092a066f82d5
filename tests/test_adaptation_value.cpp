// Strategy adaptation on long-run value (docs/MODEL.md 7.25, Eq. D1-D3): kernels on hand-built firms.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/mechanisms/adaptation.hpp"
#include "core/mechanisms/adaptation_value.hpp"
#include "sim_helpers.hpp"

using namespace missionsim;

namespace {

// A firm with `customers` customers at price `price`, serving cost `unit_cost` per customer, retention
// `retention`, and profit at the given margin of revenue.
Firm firm(std::int64_t customers, double price, double unit_cost, double retention, double margin) {
  Firm f;
  f.alive = f.used = true;
  f.customers = customers;
  f.revenue_c = static_cast<std::int64_t>(std::llround(100.0 * price * static_cast<double>(customers)));
  f.unit_cost = unit_cost;
  f.retention = retention;
  f.profit_c = static_cast<std::int64_t>(std::llround(margin * static_cast<double>(f.revenue_c)));
  return f;
}

}  // namespace

TEST_CASE("adaptation_value: customer equity rises with customers, margin and retention (Eq. D1)",
          "[adaptation_value]") {
  const double d = 0.01;
  const Firm base = firm(1000, 10, 6, 0.95, 0.1);
  const double ce = mech::customer_equity(base, d);
  CHECK(ce > 0);
  CHECK(mech::customer_equity(firm(2000, 10, 6, 0.95, 0.1), d) > ce);  // more customers
  CHECK(mech::customer_equity(firm(1000, 11, 6, 0.95, 0.1), d) > ce);  // larger margin per customer
  CHECK(mech::customer_equity(firm(1000, 10, 6, 0.98, 0.1), d) > ce);  // they stay longer
  CHECK(mech::customer_equity(base, 0.05) < ce);                       // a higher discount rate
  // The lifetime value of one customer is bounded by margin / discount at full retention.
  CHECK(mech::customer_equity(firm(1, 10, 6, 1.0, 0.1), d) <= 4.0 / d + 1e-9);
  CHECK(mech::customer_equity(firm(0, 10, 6, 0.95, 0.1), d) == 0.0);  // no customers
  CHECK(mech::customer_equity(firm(1000, 5, 6, 0.95, 0.1), d) < 0);   // serving at a loss
  Firm none = base;
  none.retention = std::nan("");  // nobody experienced the firm
  CHECK(mech::customer_equity(none, d) == 0.0);
  // The cash fitness follows cash.
  Firm rich = base;
  rich.cash_c = 123456;
  CHECK(mech::firm_value(AdaptationFitness::Cash, rich, d) == Approx(1234.56));
  CHECK(mech::firm_value(AdaptationFitness::CustomerEquity, rich, d) == Approx(ce));
}

TEST_CASE("adaptation_value: symmetric growth is bounded, signed and defined through zero (Eq. D2)",
          "[adaptation_value]") {
  CHECK(mech::symmetric_growth(0, 0) == 0.0);
  CHECK(mech::symmetric_growth(5, 0) == Approx(2.0));   // entry from nothing: the upper bound
  CHECK(mech::symmetric_growth(0, 5) == Approx(-2.0));  // exit: the lower bound
  CHECK(mech::symmetric_growth(110, 100) > 0);
  CHECK(mech::symmetric_growth(90, 100) < 0);
  CHECK(mech::symmetric_growth(110, 100) == Approx(-mech::symmetric_growth(100, 110)));
  CHECK(mech::symmetric_growth(110, 100) == Approx(std::log(1.1)).epsilon(0.01));  // ~ log growth
  for (double a : {-50.0, -1.0, 0.0, 1.0, 1e6})
    for (double b : {-1e6, -2.0, 0.0, 3.0, 40.0}) {
      const double g = mech::symmetric_growth(a, b);
      CHECK(g >= -2.0);
      CHECK(g <= 2.0);
    }
}

TEST_CASE("adaptation_value: a founder's fitness prefers the growing franchise to the shrinking cash cow",
          "[adaptation_value]") {
  const double d = 0.01;
  // A cash cow: margin 0.4 of revenue, but keeps 85% of its customers a step and shrinks 1000 -> 600
  // over the window. A franchise: margin 0.05 of revenue, keeps 98% and grows 200 -> 600.
  const Firm cow_then = firm(1000, 12, 4, 0.85, 0.4), cow_now = firm(600, 12, 4, 0.85, 0.4);
  const Firm fr_then = firm(200, 10, 7, 0.98, 0.05), fr_now = firm(600, 10, 7, 0.98, 0.05);
  // Eq. 55-56 on margin: the franchise would imitate the cash cow.
  CHECK(mech::margin(cow_now) > mech::margin(fr_now));
  CHECK(mech::fermi(5.0, mech::margin(cow_now) - mech::margin(fr_now)) > 0.5);
  // Eq. D1-D2: growth of customer equity ranks them the other way, so the cash cow would imitate the
  // franchise.
  const double g_cow =
      mech::symmetric_growth(mech::customer_equity(cow_now, d), mech::customer_equity(cow_then, d));
  const double g_fr =
      mech::symmetric_growth(mech::customer_equity(fr_now, d), mech::customer_equity(fr_then, d));
  CHECK(g_fr > 0);
  CHECK(g_cow < 0);
  CHECK(mech::fermi(5.0, g_fr - g_cow) > 0.5);
}

TEST_CASE("adaptation_value: the long-run fitness changes who imitates whom, margin stays v1",
          "[adaptation_value]") {
  Params p = test::tiny_params(1500, 36);
  p.mechanisms.adaptation = true;
  p.adaptation_rate = 0.3;
  const auto v1 = test::observe_run(p);
  p.adaptation_fitness = AdaptationFitness::Margin;
  p.adaptation_window = 5;  // ignored with the margin fitness
  const auto margin = test::observe_run(p);
  CHECK(margin.back().strategy_id == v1.back().strategy_id);
  CHECK(test::same_bits(margin.back().cash, v1.back().cash));
  p.adaptation_fitness = AdaptationFitness::CustomerEquity;
  const auto ce = test::observe_run(p);
  bool differs = false;  // same draws, other comparisons: some firm ends with another strategy
  for (std::size_t t = 0; t < ce.size(); ++t) differs = differs || ce[t].strategy_id != v1[t].strategy_id;
  CHECK(differs);
}
