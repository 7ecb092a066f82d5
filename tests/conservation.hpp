// The conservation laws and output identities of docs/OUTPUT.md ("Identities"),
// checked on every row of a run. One checker for the unit tests and the
// validation suite: feed it the state at t = 0 and after every step.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/observables.hpp"
#include "core/params.hpp"
#include "core/simulation.hpp"

namespace missionsim::test {

// Counts checks and keeps the first violation for the failure message.
struct Conservation {
  std::int64_t checks = 0, violations = 0;
  std::string first;

  void expect(bool ok, const std::string& what, int step) {
    ++checks;
    if (ok) return;
    if (violations++ == 0) first = "step " + std::to_string(step) + ": " + what;
  }
};

inline std::int64_t cents(double money) { return std::llround(money * 100.0); }

class OutputIdentities {
 public:
  explicit OutputIdentities(const Params& p) : harm_decay_(p.harm_decay) {}

  // Checks the row of `sim` against the previous row (none at t = 0).
  void check(const Simulation& sim, Conservation& c) {
    const Observables& o = sim.observables();
    const std::int64_t n = sim.info().population;
    const std::size_t F = o.customers.size();
    const Observables* prev = prev_ ? &*prev_ : nullptr;
    std::int64_t sum = 0;
    double share_sum = 0, hhi = 0, impact = 0, harm_flow = 0;
    for (std::size_t f = 0; f < F; ++f) {
      const std::string firm = " of firm " + std::to_string(f);
      const int fi = static_cast<int>(f);
      c.expect(o.customers[f] >= 0, "negative customer count" + firm, o.step);
      c.expect(o.alive[f] || o.customers[f] == 0, "a firm that is not alive has customers" + firm, o.step);
      c.expect(o.share[f] == static_cast<double>(o.customers[f]) / static_cast<double>(n),
               "share is not customers / population" + firm, o.step);
      sum += o.customers[f];
      share_sum += o.share[f];
      if (o.adopters > 0) {
        const double s = static_cast<double>(o.customers[f]) / static_cast<double>(o.adopters);
        hhi += s * s;
      }
      // Money: whole cents, exactly those of the accounts; profit = revenue - costs; grants part of revenue.
      c.expect(cents(o.cash[f]) == sim.cash_cents(fi) && cents(o.profit[f]) == sim.profit_cents(fi) &&
                   cents(o.payout[f]) == sim.payout_cents(fi),
               "reported cash, profit or payout is not the exact cents" + firm, o.step);
      c.expect(cents(o.profit[f]) == cents(o.revenue[f]) - cents(o.costs[f]),
               "profit != revenue - costs" + firm, o.step);
      c.expect(o.grants[f] >= 0 && o.grants[f] <= o.revenue[f], "grants outside [0, revenue]" + firm, o.step);
      c.expect(o.payout[f] >= 0 && (o.payout[f] == 0 || o.profit[f] > 0),
               "payout negative or paid without profit" + firm, o.step);
      // Slots: strategy_id -1 exactly while unused; price and engagement NaN there.
      const bool used = o.strategy_id[f] >= 0;
      c.expect(used || (!o.alive[f] && std::isnan(o.price[f]) && std::isnan(o.engagement[f])),
               "an unused slot is alive or has a price or engagement" + firm, o.step);
      c.expect(!used || (!std::isnan(o.price[f]) && !std::isnan(o.engagement[f])),
               "a used slot has no price or engagement" + firm, o.step);
      c.expect(std::isnan(o.retention[f]) || (o.retention[f] >= 0 && o.retention[f] <= 1),
               "retention outside [0, 1]" + firm, o.step);
      // Customer means: over the customers the firm had at the start of the step; NaN exactly when none.
      const bool had = prev && prev->customers[f] > 0;
      for (const auto& [name, v] : {std::pair{"satisfaction", o.satisfaction[f]},
                                    {"success", o.success[f]},
                                    {"nps", o.nps[f]},
                                    {"retention", o.retention[f]}})
        c.expect(std::isnan(v) == !had,
                 std::string(name) +
                     (had ? " is NaN although the firm had customers at the start"
                          : " is not NaN although the firm had no customers at the start") +
                     firm,
                 o.step);
      if (!prev) continue;
      c.expect(prev->strategy_id[f] < 0 || used, "a used slot became unused" + firm, o.step);
      const bool operated = prev->alive[f];  // a firm operates during step t when alive at the end of t-1
      if (operated) {
        // Eq. 41: cash(t) = cash(t-1) + profit(t) - payout(t), exact in cents.
        c.expect(cents(o.cash[f]) == cents(prev->cash[f]) + cents(o.profit[f]) - cents(o.payout[f]),
                 "cash(t) != cash(t-1) + profit(t) - payout(t)" + firm, o.step);
        const double flow = o.harm[f] - (1 - harm_decay_) * prev->harm[f];  // Eq. 52
        harm_flow += flow;
      } else {
        c.expect(o.revenue[f] == 0 && o.grants[f] == 0 && o.costs[f] == 0 && o.profit[f] == 0 &&
                     o.payout[f] == 0 && o.social_impact[f] == 0,
                 "a firm that did not operate this step has flows" + firm, o.step);
        c.expect(o.harm[f] == prev->harm[f], "the harm stock of a firm that did not operate moved" + firm,
                 o.step);
        c.expect(!used || prev->strategy_id[f] < 0 || o.cash[f] == prev->cash[f],
                 "the cash of a closed firm moved" + firm, o.step);
      }
      impact += o.social_impact[f];
    }
    c.expect(sum == o.adopters, "customers per firm do not sum to the adopters", o.step);
    c.expect(o.adopters >= 0 && o.adopters <= n, "adopters outside [0, population]", o.step);
    c.expect(std::fabs(share_sum - static_cast<double>(o.adopters) / static_cast<double>(n)) <= 1e-12,
             "shares do not sum to adopters / population", o.step);
    c.expect(std::fabs(o.hhi - hhi) <= 1e-12, "hhi is not the sum of squared shares among adopters", o.step);
    c.expect(o.churn_rate >= 0 && o.churn_rate <= 1, "churn rate outside [0, 1]", o.step);
    if (prev) {
      // Eq. 59: impact minus harm flow of this step, over the firms that operated in it.
      const double scale = std::max({1.0, std::fabs(impact), std::fabs(harm_flow)});
      c.expect(std::fabs(o.societal_value - (impact - harm_flow)) <= 1e-9 * scale,
               "societal value != impact - harm flow of this step (got " + std::to_string(o.societal_value) +
                   ", expected " + std::to_string(impact - harm_flow) + ")",
               o.step);
    }
    // /segments: each firm's customers split by segment, the values-driven ones among them.
    const RunInfo& info = sim.info();
    const std::size_t G = info.segment_names.size();
    c.expect(G > 0 && o.segment_customers.size() == G * F && o.values_customers.size() == G * F,
             "segment counts are not [segments x firms]", o.step);
    if (o.segment_customers.size() == G * F && o.values_customers.size() == G * F) {
      std::int64_t population = 0;
      for (std::size_t g = 0; g < G; ++g) {
        std::int64_t in_segment = 0, values = 0;
        for (std::size_t f = 0; f < F; ++f) {
          in_segment += o.segment_customers[g * F + f];
          values += o.values_customers[g * F + f];
          c.expect(o.values_customers[g * F + f] >= 0 &&
                       o.values_customers[g * F + f] <= o.segment_customers[g * F + f],
                   "values-driven customers outside [0, customers] in segment " + std::to_string(g), o.step);
        }
        c.expect(in_segment <= info.segment_population[g] && values <= info.segment_values_population[g] &&
                     info.segment_values_population[g] <= info.segment_population[g],
                 "segment " + std::to_string(g) + " has more customers than its population", o.step);
        population += info.segment_population[g];
      }
      c.expect(population == n, "segment populations do not sum to the population", o.step);
      for (std::size_t f = 0; f < F; ++f) {
        std::int64_t total = 0;
        for (std::size_t g = 0; g < G; ++g) total += o.segment_customers[g * F + f];
        c.expect(total == o.customers[f],
                 "segment customers of firm " + std::to_string(f) + " do not sum to its customers", o.step);
      }
    }
    for (std::size_t a = 0; a < o.kano_maturity.size(); ++a) {
      c.expect(!prev || std::isnan(prev->kano_maturity[a]) || !std::isnan(o.kano_maturity[a]),
               "a discovered attribute became undiscovered", o.step);
      c.expect(std::isnan(o.kano_better[a]) == std::isnan(o.kano_worse[a]),
               "Kano better and worse disagree on discovery", o.step);
    }
    prev_ = o;
  }

 private:
  double harm_decay_;
  std::optional<Observables> prev_;
};

}  // namespace missionsim::test
