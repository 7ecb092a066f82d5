// The state of one run (docs/MODEL.md 2): customers as struct of arrays,
// firms, the market, the offer table the customer pass reads, and the owner
// Simulation::Impl with one member function per phase (sim/core/phases/).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/huge_pages.hpp"
#include "core/kano.hpp"
#include "core/mechanisms/needs.hpp"
#include "core/network.hpp"
#include "core/observables.hpp"
#include "core/params.hpp"
#include "core/rng.hpp"
#include "core/simulation.hpp"
#include "strategies/strategy.hpp"

namespace missionsim {

inline constexpr std::uint16_t kNoFirm = 0xFFFF;
inline constexpr std::size_t kGrain =
    4096;  // customers per reduction leaf; fixed so sums never depend on threads
inline constexpr double kRepUnit = 16.0;  // int8 reputation: 16 = one recommendation (Eq. 34)
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Firm {
  std::string name;
  int strategy = -1;  // index into Impl::strategies
  bool alive = false;
  bool used = false;  // slot ever occupied (entrant slots start unused)
  int negative_cash_steps = 0;
  double price = 0;
  std::vector<double> q;  // capability per attribute, 0..1
  double engagement = 0.5;
  double service_quality = 0.5;  // service quality stock (Eq. E3); moves only with people.enabled
  double enablement = 0;   // enablement effect this step, 0..1 (Eq. 23)
  double cocreation = 0;   // co-creation stock (Eq. 24)
  double reach = 0;        // marketing reach this step, 0..1 (Eq. 10)
  double performance = 0;  // perceived performance P_f this step (Eq. 19)
  double efficacy = 0;     // core efficacy this step (Eq. 22)
  double values = 0;       // values score seen by values-driven customers (Eq. 53)
  double unit_cost = 0;    // serving cost per customer, paid + externalised [money]
  double harm = 0;         // harm stock
  double harm_flow = 0;    // harm added last step
  double impact = 0;       // impact delivered last step
  double phil_impact = 0;  // part of impact from donations
  // Spending decided at planning [money].
  double budget = 0;
  Allocation alloc;
  // Accounting of the last settled step [cents].
  std::int64_t cash_c = 0, revenue_c = 0, grants_c = 0, costs_c = 0, profit_c = 0, payout_c = 0;
  // Customer statistics of the last step.
  std::int64_t customers = 0;
  std::int64_t customers_before = 0;
  double sat_mean = kNaN, succ_mean = kNaN, nps = kNaN, retention = kNaN;
  double promoter_share = kNaN, detractor_share = kNaN;  // the two halves of nps, 0..1
  double contribution = 0;                               // sum over customers of effort * success
};

// What the customer pass knows of a firm: fixed by plan_firms for the step.
struct Offer {
  double performance, efficacy, enablement, cocreation, pub_sat, pub_succ, values, price;
  bool alive;
  bool clients_only = false;  // Eq. S6: a grant-funded firm with society.nonprofit_clients on
  double effort_productivity = 1.0;  // Eq. H4: own effort's productivity at this firm (1: v1, Eq. 25)
  double service = 0.0;  // service quality g_f (engagement, or Eq. E3's service quality): Eq. F2 recovery
};

// Per-firm sums of one customer pass; joined in a fixed tree (deterministic). One firm's sums share a
// cache line: an adopter's experience adds to all of them.
struct FirmTally {
  std::int64_t experienced = 0, count_end = 0, promoters = 0, detractors = 0, left = 0;
  double sum_sat = 0, sum_succ = 0, contribution = 0;
};
struct PassStats {
  std::vector<FirmTally> firm;  // [F]
  double sum_expectation = 0, sum_disconfirmation = 0;
  std::int64_t n_disconfirmation = 0;
  double sum_success_expectation = 0, sum_success_weight = 0;  // part C (Eq. C1-C4)
  std::int64_t non_buyers = 0;  // Eq. A1: choices of the outside option this step
  std::int64_t customer_block1 = 0, far_neighbour_reads = 0;  // WorkCounts (simulation.hpp) of this pass

  explicit PassStats(std::size_t f = 0) : firm(f) {}
  void join(const PassStats& o) {
    for (std::size_t i = 0; i < firm.size(); ++i) {
      FirmTally& a = firm[i];
      const FirmTally& b = o.firm[i];
      a.experienced += b.experienced;
      a.count_end += b.count_end;
      a.promoters += b.promoters;
      a.detractors += b.detractors;
      a.left += b.left;
      a.sum_sat += b.sum_sat;
      a.sum_succ += b.sum_succ;
      a.contribution += b.contribution;
    }
    sum_expectation += o.sum_expectation;
    sum_disconfirmation += o.sum_disconfirmation;
    n_disconfirmation += o.n_disconfirmation;
    sum_success_expectation += o.sum_success_expectation;
    sum_success_weight += o.sum_success_weight;
    non_buyers += o.non_buyers;
    customer_block1 += o.customer_block1;
    far_neighbour_reads += o.far_neighbour_reads;
  }
};

// Customers, struct of arrays (docs/MODEL.md 2.2).
struct Customers {
  HugeVector<std::uint16_t> firm_prev, firm_next;  // current firm (kNoFirm: not adopted)
  HugeVector<std::int8_t> voice_prev, voice_next;  // +1 promoter, -1 detractor, 0 passive or none
  HugeVector<std::uint16_t> tenure;                // steps with the current firm
  HugeVector<std::uint32_t>
      adopted_neighbours;  // neighbours j with firm_prev[j] set (Eq. 13); empty when complete
  HugeVector<float> expectation, satisfaction, success, difficulty;
  HugeVector<std::uint8_t> effort;     // own effort, 0..255 -> 0..1
  HugeVector<std::uint8_t> traits;     // draw::kSegmentMask segment, draw::kValuesDriven flag
  HugeVector<std::uint16_t> consider;  // [n K] known firms
  HugeVector<std::int8_t> reputation;  // [n K] heard reputation, units of 1/16
  // Part C (Eq. C1-C4), empty when [success_expectations] is off: success expectation, own weight on
  // success, and a copy of success at the end of t-1 that neighbours' stories read.
  HugeVector<float> success_expectation, success_weight, success_seen;

  std::size_t bytes() const {
    auto b = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
    return b(firm_prev) + b(firm_next) + b(voice_prev) + b(voice_next) + b(tenure) + b(expectation) +
           b(satisfaction) + b(success) + b(difficulty) + b(effort) + b(traits) + b(consider) +
           b(reputation) + b(adopted_neighbours) + b(success_expectation) + b(success_weight) +
           b(success_seen);
  }
};

// Market-level state (docs/MODEL.md 2.4) and the tables plan_firms hands to the customer pass.
struct Market {
  std::vector<std::uint8_t> offered;                // [A]
  std::vector<double> maturity;                     // [A]
  std::vector<std::vector<double>> leader_history;  // ring of best capability per attribute
  // [adaptation] fitness customer-equity or cash (Eq. D2): ring [window][F] of each firm's value; empty
  // with the margin fitness.
  std::vector<std::vector<double>> fitness_history;
  double w_success = 0;          // weight customers put on success: w, or 0 when M4 is off (Eq. 27a)
  std::int64_t scale_floor = 1;  // smallest customer base an investment is spread over (Eq. 9a)
  double w = 0;                  // era weight (Eq. 8, 27); with part C on, the mean customer weight (Eq. C4)
  double amp = 1;                // amplification a(t)
  double p_eff = 0;              // effective innovation (Eq. 11)
  std::int64_t adopters = 0;
  double last_churn = 0;
  double grant_pool = 0;          // grant pool of this step [money] (Eq. S1); 0 unless society.grant_pool
  double impact_last = 0;         // impact all firms delivered in the previous step (Eq. S1)
  std::vector<Offer> offers;      // [F], rebuilt each step
  std::vector<double> reach_cum;  // cumulative reach over firms
  double reach_total = 0;
  std::vector<double> segment_weight;  // [S][A] importance weights (Eq. B2); empty unless needs.heterogeneous
  mech::NeedsTables needs;             // Eq. B4 tables of this step; filled only when needs.heterogeneous
};

struct ResolvedEvent {
  int step, firm, attribute;
  double capability;
};

// The [mechanisms] switches lowered once (docs/MODEL.md 7, each "Off:" line):
// a switched-off mechanism becomes a zero rate (or a never-reached threshold,
// or a constant schedule) where that gives exactly the same numbers, so the
// phases carry no switch checks; M4 stays a structural flag, and M11 is
// lowered into the strategies' parameters when they are created.
struct Lowered {
  Params p;         // the scenario with switched-off mechanisms as numbers
  bool success_on;  // M4: success, enablement and co-creation move (Eq. 23-26)
  bool social_on;   // M11: strategies keep impact_per_customer, philanthropy_rate, cost_cutting
};
Lowered lower_switches(const Params& input);

struct Simulation::Impl {
  const Params input;     // the scenario as given (Simulation::params(), written to /scenario)
  const Lowered lowered;  // what the phases use
  const Params& p = lowered.p;
  const bool success_on = lowered.success_on;
  // Part C (Eq. C1-C4) runs: switched on and M4 on (without M4 success never moves).
  bool success_expectations_on() const { return p.success_expectations.enabled && success_on; }
  Rng rng;
  RunInfo info;
  Observables obs;
  WorkCounts work;          // summed while count_work is on (Simulation::count_work)
  bool count_work = false;
  int t = 0;
  std::uint32_t n = 0;
  int K = 4;  // consideration slots per customer
  int A = 0;  // attributes, offered + latent

  StrategyFactory strategy_factory;  // null, or asked first for each policy object
  std::vector<std::unique_ptr<Strategy>> strategies;
  std::vector<Firm> firms;
  Network net;
  // The network's columns as uint32 indices for Simulation::network(), decoded on its first call.
  mutable std::once_flag csr_once;
  mutable std::vector<std::uint32_t> csr_columns;
  std::unique_ptr<KanoPanel> kano_panel;  // null when market.kano_respondents = 0
  std::vector<ResolvedEvent> events;
  std::vector<int> entry_pool;  // strategies entrants draw from
  Customers c;
  Market m;
  std::vector<double> pool_grants;            // each firm's grant from the pool this step (Eq. S3) [money]
  std::vector<std::int64_t> client_capacity;  // Eq. S5 per firm this step; -1: no limit (empty when off)
  // Customers whose adoption status changed in the last step, in customer order: listed by record()'s
  // pass over the customers, consumed by update_adopted_neighbours (phases/record.cpp, market.cpp).
  std::vector<std::uint32_t> status_changed;
  // update_adopted_neighbours on more than one thread: the increments (target, +1 or -1 mod 2^32) of each
  // chunk of changed customers, by target range ([chunk][range]); kept from step to step so that their
  // storage is reused instead of grown again.
  struct Increment {
    std::uint32_t j, delta;
  };
  std::vector<std::vector<Increment>> increment_buckets;
  // Customers by (values-driven, segment, firm of firm_prev; kNoFirm counted at F), as the last record()
  // left them: record() updates them from the customers whose firm changed instead of counting every
  // customer again. Empty until the first record().
  std::vector<std::int64_t> firm_counts;

  explicit Impl(const Params& params, StrategyFactory strategy_factory = {});
  void step();

  // Initialisation (init.cpp).
  int strategy_index(const std::string& name);
  void resolve_firms_and_events();
  void init_customers(const std::vector<double>& seg_cum);
  void init_firm(int f, int strategy_index, std::uint32_t stream_id, std::uint32_t step);
  void observe_initial_state();

  // Phases (phases/*.cpp), in step order.
  void plan_firms();
  void customer_pass(PassStats& stats);
  void settle_accounts(const PassStats& stats);
  void share_grant_pool(const PassStats& stats);    // Eq. S1-S3
  void ration_nonprofit_clients(PassStats& stats);  // Eq. S4-S5 (phases/society.cpp)
  void innovate_and_imitate();
  void update_market();
  void enter_and_adapt();
  void record();
  void update_adopted_neighbours();
  // record()'s pass over the customers: counts [2][G][F + 1] by values-driven flag, segment and firm
  // (column F: no live firm), and the customers whose adoption status changed (empty on a complete network).
  struct CustomerScan {
    std::vector<std::int64_t> counts;
    std::vector<std::uint32_t> changed;
  };
  CustomerScan scan_customers();
  // Whether a customer may hold a firm that is not alive at the next customer pass (firm_counts).
  bool dead_firm_held() const;

  // Helpers of the phases.
  void apply_events();
  void fill_needs_tables();
  void plan_firm(std::size_t fi, const MarketView& market, double mean_sat, double mean_succ);
  void settle_firm(std::size_t fi, const PassStats& st);
  void release_customers_of_dead_firms();
  void enter();
  void adapt();
  std::vector<double> long_run_fitness();  // Eq. D1-D3
  static void clear_flows(Firm& f);
  MarketView market_view() const;
  FirmView firm_view(const Firm& f, const MarketView& market) const;
  std::int64_t live_adopter_count() const;
};

}  // namespace missionsim
