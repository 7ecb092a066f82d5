// What one step of the model reports: the rows the trajectory writer appends.
// Field names match the HDF5 datasets of docs/OUTPUT.md.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace missionsim {

// Static description of a run, known before the first step.
struct RunInfo {
  std::vector<std::string> firm_names;       // [F], including reserved entrant slots
  std::vector<std::string> firm_strategies;  // [F], strategy at t = 0 (entrant slots: "")
  std::vector<std::string> strategy_names;   // [S], index space of strategy_id
  int attributes = 0;                        // A, offered + latent
  int steps = 0;                             // planned steps (rows = steps + 1, t = 0 included)
  std::int64_t population = 0;
  // Customer segments ([[segments]], docs/MODEL.md Eq. 2): names, customers in
  // each and how many of them are values-driven. Empty: no /segments group.
  std::vector<std::string> segment_names;               // [G]
  std::vector<std::int64_t> segment_population;         // [G]
  std::vector<std::int64_t> segment_values_population;  // [G]
};

struct Observables {
  int step = 0;
  // Per firm [F]. Means over a firm's customers are NaN when it has none.
  std::vector<std::int64_t> customers;
  std::vector<double> share;          // customers / population
  std::vector<double> price;          // [money/customer/step]
  std::vector<double> revenue;        // [money/step], sales + grants
  std::vector<double> grants;         // [money/step]
  std::vector<double> costs;          // [money/step], operating + investment + donations
  std::vector<double> profit;         // revenue - costs [money/step]
  std::vector<double> payout;         // [money/step]
  std::vector<double> cash;           // [money]; cash(t) = cash(t-1) + profit(t) - payout(t), exact in cents
  std::vector<double> satisfaction;   // mean S of customers, 0..1
  std::vector<double> success;        // mean s of customers, 0..1
  std::vector<double> nps;            // -100..100
  std::vector<double> engagement;     // 0..1
  std::vector<double> social_impact;  // impact delivered this step [impact/step]
  std::vector<double> harm;           // harm stock [harm]
  std::vector<double> retention;      // share of last step's customers still with the firm, 0..1
  std::vector<double> promoters;      // share of the firm's customers who are promoters, 0..1
  std::vector<double> detractors;     // share of the firm's customers who are detractors, 0..1
  std::vector<std::int32_t> strategy_id;  // index into RunInfo::strategy_names, -1 for an empty slot
  std::vector<std::uint8_t> alive;
  // Market.
  std::int64_t adopters = 0;
  double churn_rate = 0;        // customers who left their firm this step / adopters at the start
  double hhi = 0;               // sum of squared shares among adopters, 0..1
  double success_weight = 0;    // era weight w(t)
  double amplification = 0;     // social-media amplification a(t)
  double expectation_mean = 0;  // mean E over all customers
  double disconfirmation_mean =
      0;                      // mean P - E over customers who experienced a firm this step (NaN if none)
  double societal_value = 0;  // impact minus harm flow this step
  // Part C (Eq. C1-C4), NaN when [success_expectations] is off.
  double success_expectation_mean = std::numeric_limits<double>::quiet_NaN();  // mean success expectation
  double success_weight_mean = std::numeric_limits<double>::quiet_NaN();       // mean own weight on success
  double non_buyers = 0;              // customers who chose the outside option this step (Eq. A1; 0 when off)
  std::vector<double> kano_maturity;  // [A]; NaN for attributes not yet discovered
  std::vector<double>
      kano_better;  // [A] Better = (A+O)/(A+O+M+I) of the virtual Kano questionnaire; NaN if undiscovered
  std::vector<double> kano_worse;  // [A] Worse = -(O+M)/(A+O+M+I); NaN if undiscovered
  // Per segment and firm [G x F], row-major (g * F + f): customers of firm f in
  // segment g, and the values-driven ones among them. Sum over g = customers.
  std::vector<std::int64_t> segment_customers;
  std::vector<std::int64_t> values_customers;
};

}  // namespace missionsim
