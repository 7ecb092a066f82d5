// The step loop. Equation numbers refer to docs/MODEL.md.
#include "core/simulation.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "core/kano.hpp"
#include "core/network.hpp"
#include "core/rng.hpp"
#include "strategies/strategy.hpp"

namespace missionsim {

namespace {

constexpr std::uint16_t kNoFirm = 0xFFFF;
constexpr std::size_t kGrain = 4096;  // customers per reduction leaf; fixed so sums never depend on threads
constexpr int kMaxAttributes = 32;
constexpr double kRepUnit = 16.0;  // int8 reputation: 16 = one recommendation (Eq. 34)
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Saturating effect of a spend per customer (Eq. 9): x / (x + scale), in [0, 1).
double effect(double spend, std::int64_t customers, double scale) {
  double x = std::max(0.0, spend) / static_cast<double>(std::max<std::int64_t>(customers, 1));
  return x / (x + scale);
}

std::int64_t to_cents(double money) { return std::llround(money * 100.0); }
double from_cents(std::int64_t c) { return static_cast<double>(c) / 100.0; }

// Money is int64 cents. Every amount a firm settles stays below 2^62 cents
// (4.6e16 money) in magnitude, so a sum of two never wraps; an amount outside
// that range (or not finite) means the scenario drove the model out of its
// numeric range, and the run stops with the firm and step rather than write a
// wrapped number.
class MoneyGuard {
 public:
  MoneyGuard(const std::string& firm, int step) : firm_(firm), step_(step) {}
  std::int64_t cents(double money, const char* what) const {
    const double c = money * 100.0;
    if (!(std::fabs(c) < kLimit)) fail(what, money);
    return std::llround(c);
  }
  std::int64_t add(std::int64_t a, std::int64_t b, const char* what) const { return checked(a + b, what); }
  std::int64_t mul(std::int64_t a, std::int64_t b, const char* what) const {
    std::int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) fail(what, static_cast<double>(a) * static_cast<double>(b) / 100.0);
    return checked(r, what);
  }

 private:
  static constexpr double kLimit = 0x1p62;
  std::int64_t checked(std::int64_t c, const char* what) const {
    if (!(std::fabs(static_cast<double>(c)) < kLimit)) fail(what, from_cents(c));
    return c;
  }
  [[noreturn]] void fail(const char* what, double money) const {
    char amount[32];
    std::snprintf(amount, sizeof amount, "%.6g", money);
    throw std::overflow_error("money overflow at step " + std::to_string(step_) + ": firm '" + firm_ + "' " +
                              what + " = " + amount +
                              " is outside the exact range of integer cents (|amount| < 4.6e16); the "
                              "scenario drives prices or accounts out of range (e.g. choice.logit_scale)");
  }
  const std::string& firm_;
  int step_;
};

// Eq. 8: the value of a schedule at step t.
double schedule_value(const Schedule& s, double t) {
  switch (s.kind) {
    case ScheduleKind::Constant:
    case ScheduleKind::Endogenous:
      return s.start;
    case ScheduleKind::Linear:
      if (t <= s.t0) return s.start;
      if (t >= s.t1) return s.end;
      return s.start + (s.end - s.start) * (t - s.t0) / (s.t1 - s.t0);
    case ScheduleKind::Logistic:
      return s.start + (s.end - s.start) * logistic(s.rate * (t - s.t0));
    case ScheduleKind::Step:
      return t < s.t0 ? s.start : s.end;
  }
  return s.start;
}

}  // namespace

// ---------------------------------------------------------------------------
// State

struct Firm {
  std::string name;
  int strategy = -1;  // index into Impl::strategies
  bool alive = false;
  bool used = false;  // slot ever occupied (entrant slots start unused)
  int negative_cash_steps = 0;
  double price = 0;
  std::vector<double> q;  // capability per attribute, 0..1
  double engagement = 0.5;
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
  double contribution = 0;  // sum over customers of effort * success
};

// Per-firm sums of one customer pass; joined in a fixed tree (deterministic).
struct PassStats {
  std::vector<std::int64_t> experienced, count_end, promoters, detractors, left;
  std::vector<double> sum_sat, sum_succ, contribution;
  double sum_expectation = 0, sum_disconfirmation = 0;
  std::int64_t n_disconfirmation = 0;

  explicit PassStats(std::size_t f = 0)
      : experienced(f),
        count_end(f),
        promoters(f),
        detractors(f),
        left(f),
        sum_sat(f),
        sum_succ(f),
        contribution(f) {}
  void join(const PassStats& o) {
    for (std::size_t i = 0; i < experienced.size(); ++i) {
      experienced[i] += o.experienced[i];
      count_end[i] += o.count_end[i];
      promoters[i] += o.promoters[i];
      detractors[i] += o.detractors[i];
      left[i] += o.left[i];
      sum_sat[i] += o.sum_sat[i];
      sum_succ[i] += o.sum_succ[i];
      contribution[i] += o.contribution[i];
    }
    sum_expectation += o.sum_expectation;
    sum_disconfirmation += o.sum_disconfirmation;
    n_disconfirmation += o.n_disconfirmation;
  }
};

struct Simulation::Impl {
  Params p;
  Rng rng;
  RunInfo info;
  Observables obs;
  int t = 0;
  std::uint32_t n = 0;
  int K = 4;  // consideration slots per customer
  int A = 0;  // attributes, offered + latent

  std::vector<std::unique_ptr<Strategy>> strategies;
  std::vector<Firm> firms;
  Network net;
  std::unique_ptr<KanoPanel> kano_panel;  // null when market.kano_respondents = 0
  struct ResolvedEvent {
    int step, firm, attribute;
    double capability;
  };
  std::vector<ResolvedEvent> events;

  // Customers, struct of arrays (docs/MODEL.md, entities).
  std::vector<std::uint16_t> firm_prev, firm_next;  // current firm (kNoFirm: not adopted)
  std::vector<std::int8_t> voice_prev, voice_next;  // +1 promoter, -1 detractor, 0 passive or none
  std::vector<std::uint16_t> tenure;                // steps with the current firm
  std::vector<std::uint32_t>
      adopted_neighbours;  // neighbours j with firm_prev[j] set (Eq. 13); empty when complete
  std::vector<float> expectation, satisfaction, success, difficulty;
  std::vector<std::uint8_t> effort;     // own effort, 0..255 -> 0..1
  std::vector<std::uint8_t> traits;     // bits 0-3 segment, bit 7 values-driven
  std::vector<std::uint16_t> consider;  // [n K] known firms
  std::vector<std::int8_t> reputation;  // [n K] heard reputation, units of 1/16

  // Market.
  std::vector<std::uint8_t> offered;                // [A]
  std::vector<double> maturity;                     // [A]
  std::vector<std::vector<double>> leader_history;  // ring of best capability per attribute
  double w_success = 0;          // weight customers put on success: w, or 0 when M4 is off (Eq. 27a)
  std::int64_t scale_floor = 1;  // smallest customer base an investment is spread over (Eq. 9a)
  double w = 0;                  // era weight (Eq. 8, 27)
  double amp = 1;                // amplification a(t)
  double p_eff = 0;              // effective innovation (Eq. 11)
  std::int64_t adopters = 0;
  double last_churn = 0;

  // Per-firm tables handed to the customer pass (rebuilt each step).
  struct Offer {
    double performance, efficacy, enablement, cocreation, pub_sat, pub_succ, values, price;
    bool alive;
  };
  std::vector<Offer> offers;
  std::vector<double> reach_cum;  // cumulative reach over firms
  double reach_total = 0;
  std::vector<int> entry_pool_;  // strategies entrants draw from

  explicit Impl(const Params& params);
  void init_firm(int f, int strategy_index, std::uint32_t stream_id, std::uint32_t step);
  void plan_firms();
  void customer_pass(PassStats& stats);
  void settle_accounts(const PassStats& stats);
  static void clear_flows(Firm& f);
  void innovate_and_imitate();
  void update_market();
  void enter_and_adapt();
  void record();
  void update_adopted_neighbours();
  void step();

  MarketView market_view() const;
  FirmView firm_view(const Firm& f, const MarketView& market) const;
  std::int64_t live_adopter_count() const;
};

// ---------------------------------------------------------------------------
// Initialisation (docs/MODEL.md, Initialisation)

Simulation::Impl::Impl(const Params& params) : p(params), rng(params.seed) {
  if (p.customers < 1 || p.customers > std::numeric_limits<std::uint32_t>::max() - 1)
    throw std::invalid_argument("customers must be in [1, 4294967294]");
  if (p.firms.empty()) throw std::invalid_argument("a scenario needs at least one firm");
  if (p.segments.empty() || p.segments.size() > 16) throw std::invalid_argument("1 to 16 customer segments");
  n = static_cast<std::uint32_t>(p.customers);
  K = std::clamp(p.consideration_size, 1, 8);
  A = p.attributes + p.latent_attributes;
  if (A < 1 || A > kMaxAttributes)
    throw std::invalid_argument("attributes + latent_attributes must be in [1, 32]");

  // Strategies: scenario-defined ones override nothing; built-ins on demand.
  auto strategy_index = [&](const std::string& name) -> int {
    for (std::size_t i = 0; i < strategies.size(); ++i)
      if (strategies[i]->name() == name) return static_cast<int>(i);
    for (const auto& sp : p.strategies)
      if (sp.name == name) {
        strategies.push_back(make_strategy(sp));
        return static_cast<int>(strategies.size() - 1);
      }
    if (is_builtin_strategy(name)) {
      strategies.push_back(make_strategy(builtin_strategy_params(name)));
      return static_cast<int>(strategies.size() - 1);
    }
    throw std::invalid_argument("unknown strategy '" + name + "'");
  };

  std::vector<int> firm_strategy;
  for (const auto& g : p.firms) {
    int s = strategy_index(g.strategy);
    const std::string base = g.name.empty() ? g.strategy : g.name;
    for (int c = 0; c < g.count; ++c) {
      firm_strategy.push_back(s);
      info.firm_names.push_back(g.count == 1 ? base : base + "-" + std::to_string(c + 1));
    }
  }
  std::vector<int> entry_pool;
  if (p.entry_mix.empty()) {
    entry_pool = firm_strategy;
    std::sort(entry_pool.begin(), entry_pool.end());
    entry_pool.erase(std::unique(entry_pool.begin(), entry_pool.end()), entry_pool.end());
  } else {
    for (const auto& name : p.entry_mix) entry_pool.push_back(strategy_index(name));
  }
  const int initial = static_cast<int>(firm_strategy.size());
  const int total = initial + std::max(0, p.max_entrants);
  if (total > 1000) throw std::invalid_argument("firms + max_entrants must be at most 1000");
  for (int e = 0; e < p.max_entrants; ++e) info.firm_names.push_back("entrant-" + std::to_string(e + 1));
  // Entrants' strategies are drawn when they enter; record the pool order for strategy_id.
  entry_pool_ = entry_pool;

  offered.assign(A, 0);
  maturity.assign(A, kNaN);
  for (int a = 0; a < p.attributes; ++a) {
    offered[a] = 1;
    maturity[a] = p.initial_maturity;
  }
  leader_history.assign(std::max(1, p.imitation_lag + 1), std::vector<double>(A, 0.0));

  firms.resize(total);
  for (int f = 0; f < total; ++f) firms[f].name = info.firm_names[f];
  for (int f = 0; f < initial; ++f) init_firm(f, firm_strategy[f], static_cast<std::uint32_t>(f), 0);

  // Imitation can copy the initial leader from the first step on (Eq. 47).
  for (auto& slot : leader_history)
    for (int f = 0; f < initial; ++f)
      for (int a = 0; a < A; ++a) slot[a] = std::max(slot[a], firms[f].q[a]);
  // Eq. 9a: investments are spread over at least a tenth of an equal share of the market.
  scale_floor = std::max<std::int64_t>(1, p.customers / (10 * static_cast<std::int64_t>(initial)));
  if (p.kano_respondents > 0)
    kano_panel = std::make_unique<KanoPanel>(p.kano_respondents, A, p.kano_noise, rng);
  for (const auto& e : p.events) {
    const auto it = std::find(info.firm_names.begin(), info.firm_names.end(), e.firm);
    if (it == info.firm_names.end()) throw std::invalid_argument("event names unknown firm '" + e.firm + "'");
    if (e.attribute >= A)
      throw std::invalid_argument("event attribute " + std::to_string(e.attribute) +
                                  " >= " + std::to_string(A));
    events.push_back({e.step, static_cast<int>(it - info.firm_names.begin()), e.attribute, e.capability});
  }

  for (const auto& s : strategies) info.strategy_names.push_back(s->name());
  for (int f = 0; f < total; ++f)
    info.firm_strategies.push_back(firms[f].strategy >= 0 ? strategies[firms[f].strategy]->name() : "");
  info.attributes = A;
  info.steps = p.steps;
  info.population = p.customers;

  net = Network::build(p.network, n, rng);

  // Customers.
  firm_prev.assign(n, kNoFirm);
  voice_prev.assign(n, 0);
  tenure.assign(n, 0);
  expectation.resize(n);
  satisfaction.assign(n, 0.5f);
  success.assign(n, 0.0f);
  difficulty.resize(n);
  effort.resize(n);
  traits.resize(n);
  consider.assign(static_cast<std::size_t>(n) * K, kNoFirm);
  reputation.assign(static_cast<std::size_t>(n) * K, 0);
  std::vector<double> seg_cum;
  double acc = 0;
  for (const auto& s : p.segments) seg_cum.push_back(acc += s.share);
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n, kGrain), [&](const auto& r) {
    for (std::uint32_t i = r.begin(); i != r.end(); ++i) {
      Stream s(rng, Purpose::Init, i, 0);
      // Eq. 2: segment and values-driven flag.
      double u = s.unit() * acc;
      std::uint8_t seg = 0;
      while (seg + 1u < seg_cum.size() && u > seg_cum[seg]) ++seg;
      const Segment& sg = p.segments[seg];
      const bool values_driven = s.unit() < sg.values_share;
      traits[i] = static_cast<std::uint8_t>(seg | (values_driven ? 0x80 : 0));
      // Eq. 3: effort, goal difficulty and initial expectation.
      effort[i] = static_cast<std::uint8_t>(
          std::lround(255.0 * std::clamp(sg.effort_mean * (0.5 + s.unit()), 0.0, 1.0)));
      difficulty[i] = static_cast<float>(sg.difficulty_mean * (0.5 + s.unit()));
      expectation[i] = static_cast<float>(
          std::clamp(p.initial_expectation + p.expectation_spread * (s.unit() - 0.5), 0.0, 1.0));
      // Eq. 4: initially adopted customers, uniformly among the initial firms.
      const double ua = s.unit();
      const std::uint32_t uf = s.word();
      if (ua < p.initial_adopted) {
        auto f = static_cast<std::uint16_t>(Rng::index(uf, static_cast<std::uint32_t>(initial)));
        firm_prev[i] = f;
        consider[static_cast<std::size_t>(i) * K] = f;
      }
    }
  });
  firm_next = firm_prev;
  if (!net.complete()) {
    adopted_neighbours.assign(n, 0);
    tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n, kGrain), [&](const auto& r) {
      for (std::uint32_t i = r.begin(); i != r.end(); ++i) {
        const std::uint32_t* row = net.row(i);
        std::uint32_t a = 0;
        for (std::uint32_t k = 0; k < net.degree(i); ++k) a += firm_prev[row[k]] != kNoFirm;
        adopted_neighbours[i] = a;
      }
    });
  }
  voice_next = voice_prev;

  // Eq. 27: the era weight at t = 0 (start when M5 is off); Eq. 27a: the weight customers put on success.
  w = p.mechanisms.era ? schedule_value(p.era, 0) : p.era.start;
  w_success = p.mechanisms.success ? w : 0.0;
  amp = schedule_value(p.amplification, 0);
  obs = Observables{};
  // t = 0 statistics: counts only.
  for (auto& f : firms) f.customers = 0;
  for (std::uint32_t i = 0; i < n; ++i)
    if (firm_prev[i] != kNoFirm) ++firms[firm_prev[i]].customers;
  adopters = 0;
  for (auto& f : firms) adopters += f.customers;
  double sum_e = 0;
  for (std::uint32_t i = 0; i < n; ++i) sum_e += expectation[i];  // serial: t = 0 only
  obs.expectation_mean = sum_e / n;
  obs.disconfirmation_mean = kNaN;
  record();
}

void Simulation::Impl::init_firm(int f, int strategy_index, std::uint32_t stream_id, std::uint32_t step) {
  Firm& firm = firms[f];
  firm.strategy = strategy_index;
  firm.alive = firm.used = true;
  firm.negative_cash_steps = 0;
  firm.price = strategies[strategy_index]->params().price;
  firm.q.assign(A, 0.0);
  Stream s(rng, Purpose::InitFirm, stream_id, step);
  // Eq. 1: initial capability on each offered attribute.
  for (int a = 0; a < A; ++a)
    if (offered[a])
      firm.q[a] = std::clamp(p.initial_capability + p.capability_spread * (2.0 * s.unit() - 1.0), 0.0, 1.0);
  firm.engagement = p.engagement_initial;
  firm.cash_c = to_cents(p.initial_cash);
  firm.harm = firm.impact = firm.phil_impact = firm.cocreation = 0;
  firm.customers = firm.customers_before = 0;
}

MarketView Simulation::Impl::market_view() const {
  MarketView m;
  double sum_price = 0, sum_value = 0;
  std::int64_t c = 0, cv = 0;
  for (std::size_t fi = 0; fi < firms.size(); ++fi) {
    const Firm& f = firms[fi];
    if (!f.alive || f.customers == 0) continue;
    if (!strategies[f.strategy]->params().grant_funded) {  // subsidised prices do not set the market price
      sum_price += f.price * f.customers;
      c += f.customers;
    }
    if (!std::isnan(f.sat_mean)) {
      sum_value += ((1 - w) * f.sat_mean + w * f.succ_mean) * f.customers;
      cv += f.customers;
    }
  }
  m.mean_price = c > 0 ? sum_price / c : 0;
  m.mean_value = cv > 0 ? sum_value / cv : 0;
  m.success_weight = w;
  double ps = 0;
  for (const auto& s : p.segments) ps += s.share * s.price_sensitivity;
  m.mean_price_sensitivity = ps;
  m.logit_scale = p.logit_scale;
  return m;
}

FirmView Simulation::Impl::firm_view(const Firm& f, const MarketView& market) const {
  FirmView v;
  v.customers = f.customers;
  v.share_of_adopters = adopters > 0 ? static_cast<double>(f.customers) / adopters : 0;
  v.value = std::isnan(f.sat_mean) ? market.mean_value : (1 - w) * f.sat_mean + w * f.succ_mean;
  v.unit_cost = f.unit_cost > 0 ? f.unit_cost : p.serve_cost;
  v.revenue = from_cents(f.revenue_c);
  v.profit = from_cents(f.profit_c);
  v.cash = from_cents(f.cash_c);
  v.price = f.price;
  return v;
}

// ---------------------------------------------------------------------------
// Phase 1: firms plan (serial over firms; reads last step's state).

void Simulation::Impl::plan_firms() {
  const auto& mech = p.mechanisms;
  // Scheduled capability changes ([[events]]) take effect before anything is decided.
  for (const auto& e : events) {
    if (e.step != t || !firms[e.firm].alive) continue;
    for (int a = 0; a < A; ++a)
      if (offered[a] && (e.attribute < 0 || e.attribute == a)) firms[e.firm].q[a] = e.capability;
  }
  // Eq. 8 and 27: era weight and amplification for this step; Eq. 27a: the weight on success.
  if (!mech.era) {
    w = p.era.start;
  } else if (p.era.kind != ScheduleKind::Endogenous) {
    w = schedule_value(p.era, t);
  }
  amp = schedule_value(p.amplification, t);
  w_success = mech.success ? w : 0.0;

  const MarketView market = market_view();
  double sat_sum = 0, succ_sum = 0;
  int pub_n = 0;
  for (const auto& f : firms)
    if (f.alive && !std::isnan(f.sat_mean)) {
      sat_sum += f.sat_mean;
      succ_sum += f.succ_mean;
      ++pub_n;
    }
  const double mean_sat = pub_n ? sat_sum / pub_n : 0.5;
  const double mean_succ = pub_n ? succ_sum / pub_n : 0.0;

  offers.assign(firms.size(), Offer{});
  reach_cum.assign(firms.size(), 0.0);
  double reach_sum = 0;
  for (std::size_t fi = 0; fi < firms.size(); ++fi) {
    Firm& f = firms[fi];
    Offer& o = offers[fi];
    o.alive = f.alive;
    if (!f.alive) {
      reach_cum[fi] = reach_sum;
      continue;
    }
    const Strategy& strat = *strategies[f.strategy];
    const StrategyParams& sp = strat.params();
    const FirmView view = firm_view(f, market);
    f.price = std::max(0.0, strat.price(view, market));  // Eq. 60-63
    // Eq. 36-37: the investment budget and its split.
    // A firm launching (no sales yet) spends as if it sold a 24th of its starting cash per month.
    f.budget =
        sp.invest_rate * std::max(from_cents(f.revenue_c), f.revenue_c == 0 ? p.initial_cash / 24.0 : 0.0);
    const std::int64_t served = std::max(f.customers, scale_floor);
    f.alloc = strat.allocate(view, market);
    // Eq. 37: service intensity; Eq. 23: enablement intensity.
    const double service = effect(f.alloc.service * f.budget, served, p.spend_scale);
    f.enablement = mech.success ? effect(f.alloc.enablement * f.budget, served, p.enablement_scale) : 0.0;
    // Eq. 24: co-creation stock fed by contributing customers.
    if (mech.success) {
      const double platform = effect(f.alloc.cocreation * f.budget, served, p.spend_scale);
      const double per_customer = f.customers > 0 ? f.contribution / f.customers : 0.0;
      f.cocreation = (1 - p.cocreation_decay) * f.cocreation + p.cocreation_rate * platform * per_customer;
    }
    // Eq. 48-49: engagement target from purpose, people investment, metric pressure and cost cutting.
    if (mech.employees) {
      const double target = std::clamp(0.5 + 0.4 * sp.purpose + 0.4 * service - 0.4 * sp.metric_pressure -
                                           0.3 * (mech.social ? sp.cost_cutting : 0.0),
                                       0.0, 1.0);
      f.engagement += p.engagement_speed * (target - f.engagement);
      // Eq. 49: a firm-level shock for what the model leaves out (managers, workload, layoffs).
      if (p.engagement_volatility > 0) {
        const auto u =
            rng.words(Purpose::Firm, static_cast<std::uint32_t>(fi), static_cast<std::uint32_t>(t), 2);
        f.engagement = std::clamp(f.engagement + p.engagement_volatility * Rng::normal(u[0], u[1]), 0.0, 1.0);
      }
    }
    // Eq. 15-19: perceived performance from the Kano value of capabilities and service quality.
    double value = 0, beta_sum = 0, q_sum = 0;
    int offered_n = 0;
    for (int a = 0; a < A; ++a) {
      if (!offered[a]) continue;
      const double m = maturity[a];
      const double beta = a < p.attributes ? 1.0 : p.kano_beta;  // discovered attributes weigh kano_beta
      value += beta * ((1 - m) * f.q[a] - m * (1 - f.q[a]));     // Eq. 15
      beta_sum += beta;
      q_sum += f.q[a];
      ++offered_n;
    }
    const double quality = beta_sum > 0 ? value / beta_sum : 0.0;                        // Eq. 16, in [-1, 1]
    const double product = 0.5 * (1.0 + quality);                                        // Eq. 17, in [0, 1]
    f.performance = (1 - p.service_weight) * product + p.service_weight * f.engagement;  // Eq. 19
    f.efficacy = offered_n ? q_sum / offered_n : 0.0;                                    // Eq. 22
    // Eq. 53: values score = visible impact per customer minus harm per customer.
    const double per = static_cast<double>(std::max<std::int64_t>(f.customers, 1));
    f.values =
        mech.social
            ? std::clamp(p.impact_visibility *
                                 ((f.impact - f.phil_impact) + p.philanthropy_visibility * f.phil_impact) /
                                 per -
                             f.harm / per,
                         -5.0, 5.0)
            : 0.0;
    // Eq. 10: marketing reach.
    const double marketing = f.alloc.marketing * f.budget;
    f.reach = 1.0 - std::exp(-marketing / (static_cast<double>(n) * p.contact_cost));
    reach_sum += f.reach;
    reach_cum[fi] = reach_sum;

    o.performance = f.performance;
    o.efficacy = f.efficacy;
    o.enablement = f.enablement;
    o.cocreation = f.cocreation;
    o.pub_sat = std::isnan(f.sat_mean) ? mean_sat : f.sat_mean;
    o.pub_succ = std::isnan(f.succ_mean) ? mean_succ : f.succ_mean;
    o.values = f.values;
    o.price = f.price;
  }
  reach_total = reach_sum;
  p_eff = p.bass_p * (1.0 + p.marketing_lift * std::min(1.0, reach_sum));  // Eq. 11
}

// ---------------------------------------------------------------------------
// Phase 2: customers (parallel; reads firm_prev/voice_prev of neighbours,
// writes only its own fields and firm_next/voice_next).

void Simulation::Impl::customer_pass(PassStats& stats) {
  const auto& mech = p.mechanisms;
  const std::uint32_t step = static_cast<std::uint32_t>(t);
  const std::size_t F = firms.size();
  // Eq. 33: conversation probability.
  const double talk = mech.word_of_mouth ? std::min(1.0, p.talk_rate * amp) : 0.0;
  const double adopted_share_complete =
      static_cast<double>(adopters) / static_cast<double>(n);  // N/M of the Bass recursion
  const Offer* off = offers.data();
  const double lambda = mech.expectations ? p.expectation_lambda : 0.0;
  std::vector<double> seg_ps, seg_vw;
  for (const auto& s : p.segments) {
    seg_ps.push_back(s.price_sensitivity);
    seg_vw.push_back(s.values_weight);
  }
  std::vector<std::uint16_t> live;
  for (std::size_t f = 0; f < F; ++f)
    if (off[f].alive) live.push_back(static_cast<std::uint16_t>(f));

  struct Body {
    Simulation::Impl& s;
    const Offer* off;
    const std::vector<std::uint16_t>& live;
    const std::vector<double>& seg_ps;
    const std::vector<double>& seg_vw;
    double talk, adopted_share_complete, lambda;
    std::uint32_t step;
    PassStats st;

    Body(Simulation::Impl& s_, const Offer* o, const std::vector<std::uint16_t>& l,
         const std::vector<double>& ps, const std::vector<double>& vw, double tk, double asc, double lam,
         std::uint32_t stp, std::size_t F)
        : s(s_),
          off(o),
          live(l),
          seg_ps(ps),
          seg_vw(vw),
          talk(tk),
          adopted_share_complete(asc),
          lambda(lam),
          step(stp),
          st(F) {}
    Body(Body& b, tbb::split)
        : s(b.s),
          off(b.off),
          live(b.live),
          seg_ps(b.seg_ps),
          seg_vw(b.seg_vw),
          talk(b.talk),
          adopted_share_complete(b.adopted_share_complete),
          lambda(b.lambda),
          step(b.step),
          st(b.st.experienced.size()) {}
    void join(Body& o) { st.join(o.st); }

    // Eq. 34: hear about firm g with reputation change delta (units of 1/16).
    void hear(std::uint32_t i, std::uint16_t g, int delta) {
      const int K = s.K;
      std::uint16_t* slots = &s.consider[static_cast<std::size_t>(i) * K];
      std::int8_t* rep = &s.reputation[static_cast<std::size_t>(i) * K];
      int free_slot = -1, worst = -1;
      for (int k = 0; k < K; ++k) {
        if (slots[k] == g) {
          rep[k] = static_cast<std::int8_t>(std::clamp(rep[k] + delta, -127, 127));
          return;
        }
        const bool stale = slots[k] == kNoFirm || !off[slots[k]].alive;
        if (stale && free_slot < 0) free_slot = k;
        if (!stale && slots[k] != s.firm_prev[i] && (worst < 0 || rep[k] < rep[worst])) worst = k;
      }
      if (delta < 0) return;  // a warning about a firm one does not consider changes nothing
      const int k = free_slot >= 0 ? free_slot : worst;
      if (k < 0) return;  // every slot holds the incumbent (K = 1)
      slots[k] = g;
      rep[k] = static_cast<std::int8_t>(std::clamp(delta, -127, 127));
    }

    double reputation_of(std::uint32_t i, std::uint16_t g) const {
      const std::uint16_t* slots = &s.consider[static_cast<std::size_t>(i) * s.K];
      const std::int8_t* rep = &s.reputation[static_cast<std::size_t>(i) * s.K];
      for (int k = 0; k < s.K; ++k)
        if (slots[k] == g) return rep[k] / kRepUnit;
      return 0.0;
    }

    // Eq. 30: utility of firm g for customer i (incumbent f0 judged by experience).
    double utility(std::uint32_t i, std::uint16_t g, std::uint16_t f0, double ps, double vw) const {
      const double w = s.w_success;
      double sat, succ;
      if (g == f0 && s.p.incumbent_by_experience) {
        sat = s.satisfaction[i];
        succ = s.success[i];
      } else {
        sat = off[g].pub_sat;
        succ = off[g].pub_succ;
      }
      double u = (1 - w) * sat + w * succ + vw * off[g].values - ps * off[g].price +
                 s.p.reputation_weight * reputation_of(i, g);
      if (g == f0) u += s.p.switching_cost;
      return u;
    }

    // Eq. 31: multinomial logit draw over the firms i considers (all live firms
    // with full awareness), plus the incumbent f0 when it has one.
    std::uint16_t choose(std::uint32_t i, std::uint16_t f0, double ps, double vw, double u) const {
      const double mu = s.p.logit_scale;
      std::uint16_t opts[9];
      int m = 0;
      const std::uint16_t* cand;
      int nc;
      if (s.p.full_awareness) {
        cand = live.data();
        nc = static_cast<int>(live.size());
      } else {
        const std::uint16_t* slots = &s.consider[static_cast<std::size_t>(i) * s.K];
        for (int k = 0; k < s.K; ++k)
          if (slots[k] != kNoFirm && off[slots[k]].alive && slots[k] != f0) opts[m++] = slots[k];
        if (f0 != kNoFirm && off[f0].alive) opts[m++] = f0;
        cand = opts;
        nc = m;
      }
      if (nc == 0) return kNoFirm;
      double umax = -std::numeric_limits<double>::infinity();
      for (int k = 0; k < nc; ++k) umax = std::max(umax, utility(i, cand[k], f0, ps, vw));
      double sum = 0;
      for (int k = 0; k < nc; ++k) sum += std::exp((utility(i, cand[k], f0, ps, vw) - umax) / mu);
      double target = u * sum, cum = 0;
      for (int k = 0; k < nc; ++k) {
        cum += std::exp((utility(i, cand[k], f0, ps, vw) - umax) / mu);
        if (target < cum) return cand[k];
      }
      return cand[nc - 1];
    }

    void operator()(const tbb::blocked_range<std::uint32_t>& r) {
      const auto& p = s.p;
      const auto& mech = p.mechanisms;
      const Network& net = s.net;
      // Raw pointers: int8 stores may alias anything, so the compiler would
      // otherwise reload every vector's data pointer after each of them.
      const std::uint16_t* __restrict firm_prev_ = s.firm_prev.data();
      std::uint16_t* __restrict firm_next_ = s.firm_next.data();
      const std::int8_t* __restrict voice_prev_ = s.voice_prev.data();
      std::int8_t* __restrict voice_next_ = s.voice_next.data();
      float* __restrict expectation_ = s.expectation.data();
      float* __restrict satisfaction_ = s.satisfaction.data();
      float* __restrict success_ = s.success.data();
      const float* __restrict difficulty_ = s.difficulty.data();
      const std::uint8_t* __restrict effort_ = s.effort.data();
      const std::uint8_t* __restrict traits_ = s.traits.data();
      std::uint16_t* __restrict tenure_ = s.tenure.data();
      std::int8_t* __restrict reputation_ = s.reputation.data();
      const int keep = static_cast<int>(std::lround(256.0 * (1.0 - p.reputation_decay)));  // Eq. 35, in 1/256
      for (std::uint32_t i = r.begin(); i != r.end(); ++i) {
        const auto w0 = s.rng.words(Purpose::Customer, i, step, 0);
        std::array<std::uint32_t, 4> w1{};
        bool have_w1 = false;
        auto second = [&]() -> const std::array<std::uint32_t, 4>& {
          if (!have_w1) {
            w1 = s.rng.words(Purpose::Customer, i, step, 1);
            have_w1 = true;
          }
          return w1;
        };
        std::uint16_t f0 = firm_prev_[i];
        if (f0 != kNoFirm && !off[f0].alive) f0 = kNoFirm;  // released by a bankruptcy
        const std::uint8_t seg = traits_[i] & 0x0F;
        const double ps = seg_ps[seg];
        const double vw = (traits_[i] & 0x80) ? seg_vw[seg] : 0.0;
        const std::uint32_t deg = net.degree(i);

        // M7 word of mouth (Eq. 33-34): one conversation with a random neighbour.
        if (deg > 0 && Rng::unit(w0[0]) < talk) {
          const std::uint32_t j = net.neighbour(i, Rng::index(w0[1], deg));
          const std::uint16_t fj = firm_prev_[j];
          const std::int8_t vj = voice_prev_[j];
          if (fj != kNoFirm && off[fj].alive && vj != 0) {
            const double u = Rng::unit(second()[0]);
            if (vj > 0 && u < p.refer_prob) hear(i, fj, static_cast<int>(kRepUnit));
            if (vj < 0 && u < p.warn_prob) hear(i, fj, -static_cast<int>(kRepUnit));
          }
        }
        // Eq. 12: marketing makes a firm known.
        if (s.reach_total > 0) {
          const double u = Rng::unit(w0[2]);
          const double scale = std::max(1.0, s.reach_total);
          if (u * scale < s.reach_total) {
            const double target = u * scale;
            auto it = std::upper_bound(s.reach_cum.begin(), s.reach_cum.end(), target);
            const auto g = static_cast<std::uint16_t>(
                std::min<std::size_t>(it - s.reach_cum.begin(), s.reach_cum.size() - 1));
            if (off[g].alive) hear(i, g, 0);
          }
        }
        // Reputation decays toward zero (Eq. 35).
        if (keep < 256) {
          std::int8_t* rep = reputation_ + static_cast<std::size_t>(i) * s.K;
          for (int k = 0; k < s.K; ++k)
            rep[k] = static_cast<std::int8_t>(rep[k] * keep / 256);  // toward zero
        }

        std::uint16_t f1 = f0;
        if (f0 == kNoFirm) {
          // M1 Bass adoption (Eq. 13): innovation plus imitation of adopting neighbours.
          if (mech.adoption && !live.empty()) {
            double frac;
            if (net.complete()) {
              frac = adopted_share_complete;
            } else if (deg > 0) {
              frac = static_cast<double>(s.adopted_neighbours[i]) / deg;
            } else {
              frac = 0.0;
            }
            const double h = s.p_eff + p.bass_q * frac;
            if (Rng::unit(w0[3]) < h) {
              const double u = Rng::unit(second()[1]);
              f1 = choose(i, kNoFirm, ps, vw, u);
              if (f1 == kNoFirm) {
                // Knows no firm yet: picks by marketing reach, or uniformly (Eq. 14).
                if (s.reach_total > 0) {
                  auto it = std::upper_bound(s.reach_cum.begin(), s.reach_cum.end(), u * s.reach_total);
                  f1 = static_cast<std::uint16_t>(
                      std::min<std::size_t>(it - s.reach_cum.begin(), s.reach_cum.size() - 1));
                  if (!off[f1].alive)
                    f1 = live[Rng::index(second()[3], static_cast<std::uint32_t>(live.size()))];
                } else {
                  f1 = live[Rng::index(second()[3], static_cast<std::uint32_t>(live.size()))];
                }
              }
              hear(i, f1, 0);
              tenure_[i] = 0;
            }
          }
          voice_next_[i] = 0;
        } else {
          // M3 expectation-disconfirmation (Eq. 20-21) and M4 success (Eq. 25-26).
          const Offer& o = off[f0];
          const double P = o.performance;
          const double E = expectation_[i];
          // Eq. 20: disconfirmation against last step's expectation, then adaptation.
          const double D = P - E;
          expectation_[i] = static_cast<float>(E + lambda * D);
          // Eq. 21: satisfaction, in single precision.
          const double S =
              1.0f / (1.0f + std::exp(-static_cast<float>(p.satisfaction_bias + p.disconfirmation_gain * D +
                                                          p.performance_gain * (P - 0.5))));
          satisfaction_[i] = static_cast<float>(S);
          double succ = success_[i];
          if (mech.success) {
            // Eq. 25: progress rate; Eq. 26: success target and smoothing.
            const double rate =
                o.efficacy + o.enablement + p.effort_weight * (effort_[i] / 255.0) + o.cocreation;
            const double target = 1.0f - std::exp(-static_cast<float>(rate) / difficulty_[i]);
            succ += p.success_smoothing * (target - succ);
            success_[i] = static_cast<float>(succ);
          }
          // Eq. 28: experience value; Eq. 32: voice on the NPS scale from the experience the era values.
          const double x = (1 - s.w_success) * S + s.w_success * succ;
          const std::int8_t voice = x >= 0.85 ? 1 : (x < 0.65 ? -1 : 0);
          st.experienced[f0] += 1;
          st.sum_sat[f0] += S;
          st.sum_succ[f0] += succ;
          st.promoters[f0] += voice > 0;
          st.detractors[f0] += voice < 0;
          st.contribution[f0] += (effort_[i] / 255.0) * succ;
          st.sum_disconfirmation += D;
          st.n_disconfirmation += 1;
          voice_next_[i] = voice;

          // M6 reconsideration and exit (Eq. 29) and choice (Eq. 30-31).
          if (mech.churn) {
            const double hazard = p.churn_base + p.churn_dissatisfaction * (1.0 - x);
            if (Rng::unit(w0[3]) < hazard) {
              const auto& b = second();
              if (Rng::unit(b[2]) < p.exit_share) {
                f1 = kNoFirm;
              } else {
                f1 = choose(i, f0, ps, vw, Rng::unit(b[1]));
              }
            }
          }
          if (f1 != f0) {
            st.left[f0] += 1;
            tenure_[i] = 0;
            voice_next_[i] = 0;
            if (f1 != kNoFirm) hear(i, f1, 0);
          } else if (tenure_[i] < 0xFFFF) {
            ++tenure_[i];
          }
        }
        firm_next_[i] = f1;
        if (f1 != kNoFirm) st.count_end[f1] += 1;
        st.sum_expectation += expectation_[i];
      }
    }
  };

  Body body(*this, off, live, seg_ps, seg_vw, talk, adopted_share_complete, lambda, step, F);
  tbb::parallel_deterministic_reduce(tbb::blocked_range<std::uint32_t>(0, n, kGrain), body,
                                     tbb::simple_partitioner());
  stats = std::move(body.st);
}

// ---------------------------------------------------------------------------
// Phase 3: accounts (serial over firms). Money is integer cents so that
// cash(t) = cash(t-1) + profit(t) - payout(t) holds exactly (Eq. 41).

void Simulation::Impl::settle_accounts(const PassStats& st) {
  const auto& mech = p.mechanisms;
  bool someone_died = false;
  for (std::size_t fi = 0; fi < firms.size(); ++fi) {
    Firm& f = firms[fi];
    if (!f.alive) {
      // A firm that no longer operates has no flows this step and no customers to average over; its
      // stocks (cash, harm, engagement) and last price stay as they were (docs/OUTPUT.md, identities).
      if (f.used) clear_flows(f);
      continue;
    }
    const StrategyParams& sp = strategies[f.strategy]->params();
    const std::int64_t customers = st.count_end[fi];
    const std::int64_t experienced = st.experienced[fi];
    f.customers_before = f.customers;
    f.customers = customers;
    // Eq. 57: NPS and retention over the customers who had the firm at the start of the step.
    f.sat_mean = experienced ? st.sum_sat[fi] / experienced : kNaN;
    f.succ_mean = experienced ? st.sum_succ[fi] / experienced : kNaN;
    f.nps =
        experienced ? 100.0 * static_cast<double>(st.promoters[fi] - st.detractors[fi]) / experienced : kNaN;
    f.retention = experienced ? static_cast<double>(experienced - st.left[fi]) / experienced : kNaN;
    f.contribution = st.contribution[fi];

    // Eq. 50: impact embedded in the product grows with the success it delivers.
    const double per_customer_impact = mech.social ? sp.impact_per_customer : 0.0;
    const double embedded = per_customer_impact * st.sum_succ[fi];
    // Eq. 38: unit serving cost, lower with engagement; a share is externalised.
    const double base_unit =
        p.serve_cost * (1.0 - (mech.employees ? p.engagement_productivity * f.engagement : 0.0));
    const double cut = mech.social ? sp.cost_cutting : 0.0;
    const double paid_unit =
        base_unit * (1.0 - cut) + p.enablement_cost * f.enablement + p.impact_cost * per_customer_impact;
    f.unit_cost = paid_unit;
    const double externalised = base_unit * cut * static_cast<double>(customers);

    const MoneyGuard money(f.name, t);
    const std::int64_t sales_c = money.mul(money.cents(f.price, "price"), customers, "sales");  // Eq. 39
    const std::int64_t grants_c =
        mech.society && sp.grant_funded ? money.cents(p.grant_per_impact * embedded, "grants") : 0;  // Eq. 54
    const std::int64_t operating_c =
        money.add(money.cents(p.fixed_cost, "fixed cost"),
                  money.cents(paid_unit * static_cast<double>(customers), "serving cost"), "operating cost");
    const std::int64_t invest_c =
        money.cents(f.budget * (f.alloc.rd + f.alloc.imitation + f.alloc.service + f.alloc.enablement +
                                f.alloc.cocreation + f.alloc.marketing),
                    "investment");
    // Eq. 40: donations, revenue, costs, profit and payout.
    f.revenue_c = money.add(sales_c, grants_c, "revenue");
    const std::int64_t before_gifts =
        money.add(f.revenue_c, -money.add(operating_c, invest_c, "costs"), "profit");
    const std::int64_t donation_c =
        mech.social && before_gifts > 0
            ? money.cents(sp.philanthropy_rate * from_cents(before_gifts), "donation")
            : 0;
    f.grants_c = grants_c;
    f.costs_c = money.add(money.add(operating_c, invest_c, "costs"), donation_c, "costs");
    f.profit_c = money.add(f.revenue_c, -f.costs_c, "profit");
    f.payout_c = f.profit_c > 0 ? money.cents(sp.payout_rate * from_cents(f.profit_c), "payout") : 0;
    f.cash_c = money.add(f.cash_c, money.add(f.profit_c, -f.payout_c, "cash flow"), "cash");  // Eq. 41

    // Eq. 52: harm stock.
    f.harm_flow = mech.social ? p.harm_per_cost * externalised : 0.0;
    f.harm = (1 - p.harm_decay) * f.harm + f.harm_flow;
    // Eq. 51: philanthropic and total impact.
    f.phil_impact = p.philanthropy_efficiency * from_cents(donation_c);
    f.impact = embedded + f.phil_impact;

    // M8 bankruptcy (Eq. 42).
    f.negative_cash_steps = f.cash_c < 0 ? f.negative_cash_steps + 1 : 0;
    if (mech.economics && f.negative_cash_steps >= p.bankrupt_after) {
      f.alive = false;
      someone_died = true;
    }
  }
  // Released customers become non-adopters (they may adopt again, Eq. 13).
  if (someone_died) {
    tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n, kGrain), [&](const auto& r) {
      for (std::uint32_t i = r.begin(); i != r.end(); ++i) {
        const std::uint16_t f = firm_next[i];
        if (f != kNoFirm && !firms[f].alive) {
          firm_next[i] = kNoFirm;
          voice_next[i] = 0;
          tenure[i] = 0;
        }
      }
    });
    for (auto& f : firms)
      if (!f.alive && f.used && f.customers > 0) f.customers = 0;
  }
  adopters = live_adopter_count();
}

void Simulation::Impl::clear_flows(Firm& f) {
  f.revenue_c = f.grants_c = f.costs_c = f.profit_c = f.payout_c = 0;
  f.impact = f.phil_impact = f.harm_flow = 0;
  f.customers_before = f.customers = 0;
  f.sat_mean = f.succ_mean = f.nps = f.retention = kNaN;
  f.contribution = 0;
}

std::int64_t Simulation::Impl::live_adopter_count() const {
  std::int64_t a = 0;
  for (const auto& f : firms)
    if (f.alive) a += f.customers;
  return a;
}

// ---------------------------------------------------------------------------
// Phase 4: innovation and imitation (M9, serial over firms).

void Simulation::Impl::innovate_and_imitate() {
  if (!p.mechanisms.innovation) return;
  const auto& lagged = leader_history[static_cast<std::size_t>(t) % leader_history.size()];
  for (std::size_t fi = 0; fi < firms.size(); ++fi) {
    Firm& f = firms[fi];
    if (!f.alive) continue;
    // Eq. 44: R&D and imitation intensities.
    const std::int64_t served = std::max(f.customers_before, scale_floor);
    const double rd = effect(f.alloc.rd * f.budget, served, p.spend_scale);
    const double imitation = effect(f.alloc.imitation * f.budget, served, p.spend_scale);
    auto words = rng.words(Purpose::Firm, static_cast<std::uint32_t>(fi), static_cast<std::uint32_t>(t), 0);
    // Eq. 45: discovery of a latent attribute, a new delighter.
    if (Rng::unit(words[0]) < p.discovery_rate * rd) {
      for (int a = 0; a < A; ++a)
        if (!offered[a]) {
          offered[a] = 1;
          maturity[a] = 0.0;
          f.q[a] = p.initial_capability;
          break;
        }
    }
    for (int a = 0; a < A; ++a) {
      if (!offered[a]) continue;
      f.q[a] += p.rd_efficiency * rd * (1.0 - f.q[a]);  // Eq. 46
      const double gap = lagged[a] - f.q[a];
      if (gap > 0) f.q[a] += p.imitation_speed * imitation * gap;  // Eq. 47
    }
  }
}

// ---------------------------------------------------------------------------
// Phase 5: market (M2 maturity, M5 endogenous era) and firm population (M8 entry, M13 adaptation).

void Simulation::Impl::update_market() {
  // Leader capabilities, remembered for imitation with a lag.
  auto& slot = leader_history[static_cast<std::size_t>(t) % leader_history.size()];
  std::fill(slot.begin(), slot.end(), 0.0);
  for (const auto& f : firms)
    if (f.alive)
      for (int a = 0; a < A; ++a) slot[a] = std::max(slot[a], f.q[a]);

  // Eq. 18: maturity follows the customer-weighted coverage of each attribute.
  if (p.mechanisms.kano && adopters > 0) {
    for (int a = 0; a < A; ++a) {
      if (!offered[a]) continue;
      double coverage = 0;
      for (const auto& f : firms)
        if (f.alive) coverage += static_cast<double>(f.customers) * f.q[a];
      coverage /= static_cast<double>(adopters);
      maturity[a] += p.maturity_rate * (coverage - maturity[a]);
    }
  }
  // Eq. 27: endogenous era, expectations ratchet toward the best success on the market.
  if (p.mechanisms.era && p.era.kind == ScheduleKind::Endogenous) {
    double best = 0;
    for (const auto& f : firms)
      if (f.alive && !std::isnan(f.succ_mean)) best = std::max(best, f.succ_mean);
    w += p.era.rate * (best - w);
  }
}

void Simulation::Impl::enter_and_adapt() {
  const auto step = static_cast<std::uint32_t>(t);
  // M8 entry (Eq. 43).
  if (p.mechanisms.economics && p.entry_rate > 0 && !entry_pool_.empty()) {
    auto words = rng.words(Purpose::Entry, 0, step, 0);
    if (Rng::unit(words[0]) < p.entry_rate) {
      for (std::size_t fi = 0; fi < firms.size(); ++fi)
        if (!firms[fi].used) {
          int s = entry_pool_[Rng::index(words[1], static_cast<std::uint32_t>(entry_pool_.size()))];
          init_firm(static_cast<int>(fi), s, static_cast<std::uint32_t>(fi), step);
          break;
        }
    }
  }
  // M13 strategy adaptation: Fermi imitation of a better-performing rival (Eq. 55-56).
  if (p.mechanisms.adaptation && p.adaptation_rate > 0) {
    std::vector<int> live;
    for (std::size_t fi = 0; fi < firms.size(); ++fi)
      if (firms[fi].alive) live.push_back(static_cast<int>(fi));
    if (live.size() < 2) return;
    auto margin = [&](const Firm& f) {
      return f.revenue_c > 0 ? static_cast<double>(f.profit_c) / static_cast<double>(f.revenue_c) : -1.0;
    };
    std::vector<int> next(firms.size());
    for (std::size_t fi = 0; fi < firms.size(); ++fi) next[fi] = firms[fi].strategy;
    for (int fi : live) {
      auto words = rng.words(Purpose::Firm, static_cast<std::uint32_t>(fi), step, 1);
      if (Rng::unit(words[0]) >= p.adaptation_rate) continue;
      // A uniformly chosen rival other than itself.
      const auto self = static_cast<std::uint32_t>(std::find(live.begin(), live.end(), fi) - live.begin());
      std::uint32_t k = Rng::index(words[1], static_cast<std::uint32_t>(live.size() - 1));
      const int g = live[k >= self ? k + 1 : k];
      const double gap = margin(firms[g]) - margin(firms[fi]);
      if (Rng::unit(words[2]) < logistic(p.adaptation_sensitivity * gap)) next[fi] = firms[g].strategy;
    }
    for (int fi : live) firms[fi].strategy = next[fi];
  }
}

// Keeps adopted_neighbours equal to the count over firm_next, touching only
// the neighbours of customers whose adoption status changed this step (a few
// percent), instead of every customer scanning every neighbour. Integer
// increments commute, so the result does not depend on the thread count.
void Simulation::Impl::update_adopted_neighbours() {
  if (net.complete()) return;
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n, kGrain), [&](const auto& r) {
    for (std::uint32_t i = r.begin(); i != r.end(); ++i) {
      const bool before = firm_prev[i] != kNoFirm;
      const bool after = firm_next[i] != kNoFirm;
      if (before == after) continue;
      const std::uint32_t* row = net.row(i);
      for (std::uint32_t k = 0; k < net.degree(i); ++k) {
        std::atomic_ref<std::uint32_t> count(adopted_neighbours[row[k]]);
        if (after)
          count.fetch_add(1, std::memory_order_relaxed);
        else
          count.fetch_sub(1, std::memory_order_relaxed);
      }
    }
  });
}

// ---------------------------------------------------------------------------
// Recording.

void Simulation::Impl::record() {
  const std::size_t F = firms.size();
  Observables& o = obs;
  o.step = t;
  auto sized = [F](auto& v) { v.assign(F, {}); };
  sized(o.customers), sized(o.share), sized(o.price), sized(o.revenue), sized(o.grants), sized(o.costs);
  sized(o.profit), sized(o.payout), sized(o.cash), sized(o.satisfaction), sized(o.success), sized(o.nps);
  sized(o.engagement), sized(o.social_impact), sized(o.harm), sized(o.retention), sized(o.strategy_id),
      sized(o.alive);
  // Eq. 58: shares and HHI.
  double hhi = 0;
  for (std::size_t fi = 0; fi < F; ++fi) {
    const Firm& f = firms[fi];
    o.strategy_id[fi] = f.used ? f.strategy : -1;
    o.alive[fi] = f.alive ? 1 : 0;
    o.customers[fi] = f.alive ? f.customers : 0;
    o.share[fi] = static_cast<double>(o.customers[fi]) / static_cast<double>(n);
    o.price[fi] = f.used ? f.price : kNaN;
    o.revenue[fi] = from_cents(f.revenue_c);
    o.grants[fi] = from_cents(f.grants_c);
    o.costs[fi] = from_cents(f.costs_c);
    o.profit[fi] = from_cents(f.profit_c);
    o.payout[fi] = from_cents(f.payout_c);
    o.cash[fi] = from_cents(f.cash_c);
    o.satisfaction[fi] = f.sat_mean;
    o.success[fi] = f.succ_mean;
    o.nps[fi] = f.nps;
    o.engagement[fi] = f.used ? f.engagement : kNaN;
    o.social_impact[fi] = f.impact;
    o.harm[fi] = f.harm;
    o.retention[fi] = f.retention;
    if (adopters > 0) {
      const double s = static_cast<double>(o.customers[fi]) / static_cast<double>(adopters);
      hhi += s * s;
    }
  }
  o.adopters = adopters;
  o.churn_rate = last_churn;
  o.hhi = hhi;
  o.success_weight = w;
  o.amplification = amp;
  double impact = 0, harm_flow = 0;
  for (const auto& f : firms) {
    impact += f.impact;
    harm_flow += f.harm_flow;
  }
  o.societal_value = impact - harm_flow;  // Eq. 59
  o.kano_maturity.assign(maturity.begin(), maturity.end());
  // Eq. K1-K4: the virtual Kano questionnaire on every discovered attribute.
  o.kano_better.assign(A, kNaN);
  o.kano_worse.assign(A, kNaN);
  if (kano_panel)
    for (int a = 0; a < A; ++a) {
      if (!offered[a]) continue;
      const KanoCounts c = kano_panel->survey(a, maturity[a], a < p.attributes ? 1.0 : p.kano_beta);
      o.kano_better[a] = c.better();
      o.kano_worse[a] = c.worse();
    }
}

// ---------------------------------------------------------------------------
// The step. Ordering and parallel invariants:
//   plan_firms (serial) reads the state of step t-1 and fixes every firm's
//     offer for step t; nothing firm-level changes during the customer pass.
//   customer_pass (parallel over customers) reads neighbours only through
//     firm_prev/voice_prev (step t-1) and writes customer i's own fields and
//     firm_next[i]/voice_next[i]; per-firm sums use a deterministic reduction
//     with a fixed grain, so they are identical for any thread count.
//   settle_accounts, innovate_and_imitate, update_market, enter_and_adapt
//     (serial over firms) see the customer pass complete.
//   record, then the customer buffers swap: firm_next becomes firm_prev.

void Simulation::Impl::step() {
  ++t;
  plan_firms();
  PassStats stats;
  customer_pass(stats);
  const std::int64_t adopters_before = adopters;
  std::int64_t left = 0;
  for (auto v : stats.left) left += v;
  settle_accounts(stats);
  innovate_and_imitate();
  update_market();
  enter_and_adapt();
  // Eq. 57: churn rate (switches and exits over last step's adopters).
  last_churn = adopters_before > 0 ? static_cast<double>(left) / static_cast<double>(adopters_before) : 0.0;
  obs.expectation_mean = stats.sum_expectation / static_cast<double>(n);
  obs.disconfirmation_mean = stats.n_disconfirmation
                                 ? stats.sum_disconfirmation / static_cast<double>(stats.n_disconfirmation)
                                 : kNaN;
  record();
  update_adopted_neighbours();
  firm_prev.swap(firm_next);  // every customer wrote firm_next and voice_next this step
  voice_prev.swap(voice_next);
}

// ---------------------------------------------------------------------------

Simulation::Simulation(const Params& params) : impl_(std::make_unique<Impl>(params)) {}
Simulation::~Simulation() = default;
void Simulation::step() { impl_->step(); }
int Simulation::time() const { return impl_->t; }
const Params& Simulation::params() const { return impl_->p; }
const RunInfo& Simulation::info() const { return impl_->info; }
const Observables& Simulation::observables() const { return impl_->obs; }
std::int64_t Simulation::cash_cents(int f) const { return impl_->firms.at(f).cash_c; }
std::int64_t Simulation::profit_cents(int f) const { return impl_->firms.at(f).profit_c; }
std::int64_t Simulation::payout_cents(int f) const { return impl_->firms.at(f).payout_c; }
std::size_t Simulation::network_edges() const { return impl_->net.entries(); }
std::size_t Simulation::state_bytes() const {
  const auto& s = *impl_;
  auto b = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  return b(s.firm_prev) + b(s.firm_next) + b(s.voice_prev) + b(s.voice_next) + b(s.tenure) +
         b(s.expectation) + b(s.satisfaction) + b(s.success) + b(s.difficulty) + b(s.effort) + b(s.traits) +
         b(s.consider) + b(s.reputation) + b(s.adopted_neighbours) + s.net.bytes();
}

}  // namespace missionsim
