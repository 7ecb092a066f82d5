// Initialisation (docs/MODEL.md 5): lowering the switches, firms, strategies
// and events, the network, the customers, and the observation at t = 0.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <stdexcept>

#include "core/draws.hpp"
#include "core/limits.hpp"
#include "core/mechanisms/era.hpp"
#include "core/money.hpp"
#include "core/state.hpp"

namespace missionsim {

// Each switch is read here and nowhere else; every replacement gives exactly the numbers the
// switched-off mechanism produced when the phases checked the switch (docs/MODEL.md 7, "Off:").
Lowered lower_switches(const Params& input) {
  Lowered l{input, true, true};
  Params& p = l.p;
  const Mechanisms& mech = input.mechanisms;
  if (!mech.adoption) p.bass_p = p.bass_q = 0;       // M1: hazard 0, never adopts
  if (!mech.kano) p.maturity_rate = 0;               // M2: maturity frozen
  if (!mech.expectations) p.expectation_lambda = 0;  // M3: E frozen
  l.success_on = mech.success;                       // M4: structural
  if (!mech.era) p.era = Schedule{ScheduleKind::Constant, input.era.start, input.era.start, 0, 0, 0.1};  // M5
  if (!mech.churn) p.churn_base = p.churn_dissatisfaction = 0;  // M6: hazard 0
  if (!mech.word_of_mouth) p.talk_rate = 0;                     // M7: no conversation
  if (!mech.economics) {                                        // M8: no bankruptcy, no entry
    p.bankrupt_after = INT_MAX;
    p.entry_rate = 0;
  }
  if (!mech.innovation) p.rd_efficiency = p.discovery_rate = p.imitation_speed = 0;  // M9
  if (!mech.employees) {  // M10: engagement frozen, no productivity discount (nor Eq. E4's output gain)
    p.engagement_speed = p.engagement_volatility = p.engagement_productivity = 0;
    p.people.pressure_output = 0;
  }
  l.social_on = mech.social;                    // M11: lowered into the strategies (strategy_index)
  if (!mech.society) p.grant_per_impact = 0;    // M12: no grants
  if (!mech.adaptation) p.adaptation_rate = 0;  // M13: strategies never change
  if (input.scale_money) {                      // Eq. A6: money amounts stated per reference population
    const double k = static_cast<double>(input.customers) / input.reference_customers;
    p.initial_cash *= k;
    p.fixed_cost *= k;
  }
  return l;
}

Simulation::Impl::Impl(const Params& params, StrategyFactory factory)
    : input(params), lowered(lower_switches(params)), rng(params.seed), strategy_factory(std::move(factory)) {
  if (p.customers < 1 || p.customers > std::numeric_limits<std::uint32_t>::max() - 1)
    throw std::invalid_argument("customers must be in [1, 4294967294]");
  if (p.firms.empty()) throw std::invalid_argument("a scenario needs at least one firm");
  if (p.segments.empty() || p.segments.size() > static_cast<std::size_t>(kMaxSegments))
    throw std::invalid_argument("1 to " + std::to_string(kMaxSegments) + " customer segments");
  n = static_cast<std::uint32_t>(p.customers);
  K = std::clamp(p.consideration_size, 1, kMaxConsideration);
  A = p.attributes + p.latent_attributes;
  if (A < 1 || A > kMaxAttributes)
    throw std::invalid_argument("attributes + latent_attributes must be in [1, " +
                                std::to_string(kMaxAttributes) + "]");
  m.offered.assign(A, 0);
  m.maturity.assign(A, kNaN);
  for (int a = 0; a < p.attributes; ++a) {
    m.offered[a] = 1;
    m.maturity[a] = p.initial_maturity;
  }
  m.leader_history.assign(std::max(1, p.imitation_lag + 1), std::vector<double>(A, 0.0));
  if (p.needs.heterogeneous)  // Eq. B2: segment importance weights, fixed for the run
    for (std::size_t s = 0; s < p.segments.size(); ++s)
      for (int a = 0; a < A; ++a)
        m.segment_weight.push_back(mech::segment_weight(
            rng, static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(a), p.needs.segment_contrast));
  resolve_firms_and_events();
  if (p.kano_respondents > 0)
    kano_panel = std::make_unique<KanoPanel>(p.kano_respondents, A, p.kano_noise, rng);
  info.attributes = A;
  info.steps = p.steps;
  info.population = p.customers;

  net = Network::build(p.network, n, rng);
  std::vector<double> seg_cum;
  double acc = 0;
  for (const auto& s : p.segments) seg_cum.push_back(acc += s.share);
  init_customers(seg_cum);
  // The segments as the trajectory describes them (/segments): names and sizes.
  info.segment_population.assign(p.segments.size(), 0);
  info.segment_values_population.assign(p.segments.size(), 0);
  for (const auto& s : p.segments) info.segment_names.push_back(s.name);
  {  // counted per traits byte first, in four interleaved tables (no chain of increments of one counter)
    std::vector<std::int64_t> per_traits(4 * 256, 0);
    std::uint32_t i = 0;
    for (; i + 4 <= n; i += 4)
      for (std::uint32_t q = 0; q < 4; ++q) ++per_traits[q * 256 + c.traits[i + q]];
    for (; i < n; ++i) ++per_traits[c.traits[i]];
    for (std::uint32_t v = 0; v < 4 * 256; ++v) {
      if (per_traits[v] == 0) continue;  // (segments beyond the scenario's never occur)
      const std::uint32_t traits = v & 255;
      const std::size_t g = traits & draw::kSegmentMask;
      info.segment_population[g] += per_traits[v];
      if (traits & draw::kValuesDriven) info.segment_values_population[g] += per_traits[v];
    }
  }

  // Eq. 27: the era weight at t = 0; Eq. 27a: the weight customers put on success.
  m.w = mech::schedule_value(p.era, 0);
  m.w_success = mech::success_weight(success_on, m.w);
  m.amp = mech::schedule_value(p.amplification, 0);
  observe_initial_state();
}

// Strategies: scenario-defined ones first, built-ins on demand; M11 off zeroes their social parameters.
int Simulation::Impl::strategy_index(const std::string& name) {
  for (std::size_t i = 0; i < strategies.size(); ++i)
    if (strategies[i]->name() == name) return static_cast<int>(i);
  auto add = [&](StrategyParams sp) {
    if (!lowered.social_on) sp.impact_per_customer = sp.philanthropy_rate = sp.cost_cutting = 0;
    std::unique_ptr<Strategy> policy = strategy_factory ? strategy_factory(sp) : nullptr;
    strategies.push_back(policy ? std::move(policy) : make_strategy(sp));
    return static_cast<int>(strategies.size() - 1);
  };
  for (const auto& sp : p.strategies)
    if (sp.name == name) return add(sp);
  if (is_builtin_strategy(name)) return add(builtin_strategy_params(name));
  throw std::invalid_argument("unknown strategy '" + name + "'");
}

void Simulation::Impl::resolve_firms_and_events() {
  std::vector<int> firm_strategy;
  for (const auto& g : p.firms) {
    int s = strategy_index(g.strategy);
    const std::string base = g.name.empty() ? g.strategy : g.name;
    for (int k = 0; k < g.count; ++k) {
      firm_strategy.push_back(s);
      info.firm_names.push_back(g.count == 1 ? base : base + "-" + std::to_string(k + 1));
    }
  }
  if (p.entry_mix.empty()) {
    entry_pool = firm_strategy;
    std::sort(entry_pool.begin(), entry_pool.end());
    entry_pool.erase(std::unique(entry_pool.begin(), entry_pool.end()), entry_pool.end());
  } else {
    for (const auto& name : p.entry_mix) entry_pool.push_back(strategy_index(name));
  }
  const int initial = static_cast<int>(firm_strategy.size());
  const int total = initial + std::max(0, p.max_entrants);
  if (total > kMaxFirmSlots)
    throw std::invalid_argument("firms + max_entrants must be at most " + std::to_string(kMaxFirmSlots));
  for (int e = 0; e < p.max_entrants; ++e) info.firm_names.push_back("entrant-" + std::to_string(e + 1));

  firms.resize(total);
  for (int f = 0; f < total; ++f) firms[f].name = info.firm_names[f];
  for (int f = 0; f < initial; ++f) init_firm(f, firm_strategy[f], static_cast<std::uint32_t>(f), 0);
  // Imitation can copy the initial leader from the first step on (Eq. 47).
  for (auto& slot : m.leader_history)
    for (int f = 0; f < initial; ++f)
      for (int a = 0; a < A; ++a) slot[a] = std::max(slot[a], firms[f].q[a]);
  // Eq. 9a: investments are spread over at least a tenth of an equal share of the market.
  m.scale_floor = std::max<std::int64_t>(1, p.customers / (10 * static_cast<std::int64_t>(initial)));
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
}

namespace {

// std::lround(v) for v <= 255: v - trunc(v) is exact, so the rounding half away from zero is one
// comparison (NaN and negative v, which a validated scenario never gives, go to std::lround).
std::uint8_t effort_byte(double v) {
  if (!(v >= 0)) return static_cast<std::uint8_t>(std::lround(v));
  const auto whole = static_cast<std::uint32_t>(v);
  return static_cast<std::uint8_t>(whole + (v - whole >= 0.5));
}

}  // namespace

// Eq. 2-4: customer traits, expectations and initial adoption (docs/MODEL.md 5.2).
void Simulation::Impl::init_customers(const std::vector<double>& seg_cum) {
  const double acc = seg_cum.back();
  const auto initial = static_cast<std::uint32_t>(info.firm_names.size() - std::max(0, p.max_entrants));
  {  // the arrays' fresh memory faulted in by all threads, before the fills below write it (huge_pages.hpp)
    const std::size_t nk = static_cast<std::size_t>(n) * K, nc = net.complete() ? 0 : n;
    const std::size_t ns = success_expectations_on() ? n : 0;
    first_touch({room_for(c.firm_prev, n), room_for(c.firm_next, n), room_for(c.voice_prev, n),
                 room_for(c.voice_next, n), room_for(c.tenure, n), room_for(c.expectation, n),
                 room_for(c.satisfaction, n), room_for(c.success, n), room_for(c.difficulty, n),
                 room_for(c.effort, n), room_for(c.traits, n), room_for(c.consider, nk),
                 room_for(c.reputation, nk), room_for(c.adopted_neighbours, nc),
                 room_for(c.success_expectation, ns), room_for(c.success_weight, ns)});
  }
  c.firm_prev.assign(n, kNoFirm);
  c.voice_prev.assign(n, 0);
  c.tenure.assign(n, 0);
  c.expectation.resize(n);
  c.satisfaction.assign(n, 0.5f);
  c.success.assign(n, 0.0f);
  c.difficulty.resize(n);
  c.effort.resize(n);
  c.traits.resize(n);
  c.consider.assign(static_cast<std::size_t>(n) * K, kNoFirm);
  c.reputation.assign(static_cast<std::size_t>(n) * K, 0);
  if (success_expectations_on()) {  // part C, Eq. C1-C4: everyone starts at the era's start weight
    c.success_expectation.assign(n, static_cast<float>(p.success_expectations.initial));
    c.success_weight.assign(n, static_cast<float>(mech::schedule_value(p.era, 0)));
  }
  // Each customer's seven draws are words 0-3 of its blocks 0 and 1 (a Stream's order), made for a run of
  // customers at a time (Rng::words_run: the same words as Rng::words).
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n, kGrain), [&](const auto& r) {
    constexpr std::uint32_t kRun = 256;
    std::uint32_t w[8][kRun];
    for (std::uint32_t i0 = r.begin(), m = 0; i0 < r.end(); i0 += m) {
      m = std::min(kRun, r.end() - i0);
      rng.words_run(Purpose::Init, i0, 0, 0, m, {{w[0], w[1], w[2], w[3]}});
      rng.words_run(Purpose::Init, i0, 0, 1, m, {{w[4], w[5], w[6], w[7]}});
      for (std::uint32_t q = 0; q < m; ++q) {
        const std::uint32_t i = i0 + q;
        // Eq. 2: segment and values-driven flag.
        double u = Rng::unit(w[0][q]) * acc;
        std::uint8_t seg = 0;
        while (seg + 1u < seg_cum.size() && u > seg_cum[seg]) ++seg;
        const Segment& sg = p.segments[seg];
        const bool values_driven = Rng::unit(w[1][q]) < sg.values_share;
        c.traits[i] = static_cast<std::uint8_t>(seg | (values_driven ? draw::kValuesDriven : 0));
        // Eq. 3: effort, goal difficulty and initial expectation.
        c.effort[i] = effort_byte(255.0 * std::clamp(sg.effort_mean * (0.5 + Rng::unit(w[2][q])), 0.0, 1.0));
        c.difficulty[i] = static_cast<float>(sg.difficulty_mean * (0.5 + Rng::unit(w[3][q])));
        c.expectation[i] = static_cast<float>(
            std::clamp(p.initial_expectation + p.expectation_spread * (Rng::unit(w[4][q]) - 0.5), 0.0, 1.0));
        // Eq. 4: initially adopted customers, uniformly among the initial firms.
        const double ua = Rng::unit(w[5][q]);
        const std::uint32_t uf = w[6][q];
        if (ua < p.initial_adopted) {
          auto f = static_cast<std::uint16_t>(Rng::index(uf, initial));
          // Eq. S6: with society.nonprofit_clients only a client starts at a grant-funded firm.
          if (p.nonprofit_clients && !sg.nonprofit_client &&
              strategies[firms[f].strategy]->params().grant_funded)
            continue;
          c.firm_prev[i] = f;
          c.consider[static_cast<std::size_t>(i) * K] = f;
        }
      }
    }
  });
  c.firm_next = c.firm_prev;
  if (!net.complete()) {
    // Eq. 13 at t = 0. Row i lists j as often as row j lists i, so the count is also what the adopted
    // customers' rows add up to: few adopters (none by default) add along their own rows only.
    c.adopted_neighbours.assign(n, 0);
    std::vector<std::uint32_t> adopters;
    for (std::uint32_t i = 0; i < n && adopters.size() <= n / 8; ++i)
      if (c.firm_prev[i] != kNoFirm) adopters.push_back(i);
    if (adopters.size() <= n / 8) {
      std::uint32_t* count = c.adopted_neighbours.data();
      for (const std::uint32_t i : adopters) net.each_neighbour(i, [count](std::uint32_t j) { ++count[j]; });
    } else {
      tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n, kGrain), [&](const auto& r) {
        for (std::uint32_t i = r.begin(); i != r.end(); ++i) {
          std::uint32_t a = 0;
          net.each_neighbour(i, [&](std::uint32_t j) { a += c.firm_prev[j] != kNoFirm; });
          c.adopted_neighbours[i] = a;
        }
      });
    }
  }
  c.voice_next = c.voice_prev;
}

// Eq. 1: a firm takes its slot with its strategy's price, starting cash and capabilities.
void Simulation::Impl::init_firm(int f, int strategy, std::uint32_t stream_id, std::uint32_t step) {
  Firm& firm = firms[f];
  firm.strategy = strategy;
  firm.alive = firm.used = true;
  firm.negative_cash_steps = 0;
  firm.price = strategies[strategy]->params().price;
  firm.q.assign(A, 0.0);
  Stream s(rng, Purpose::InitFirm, stream_id, step);
  for (int a = 0; a < A; ++a)
    if (m.offered[a])
      firm.q[a] = std::clamp(p.initial_capability + p.capability_spread * (2.0 * s.unit() - 1.0), 0.0, 1.0);
  firm.engagement = p.engagement_initial;
  firm.service_quality = p.engagement_initial;  // Eq. E3 (read only with people.enabled)
  firm.cash_c = to_cents(p.initial_cash);
  firm.harm = firm.impact = firm.phil_impact = firm.cocreation = 0;
  firm.customers = firm.customers_before = 0;
}

// The t = 0 row: counts only; means are NaN until customers experience a firm.
void Simulation::Impl::observe_initial_state() {
  obs = Observables{};
  for (auto& f : firms) f.customers = 0;
  for (std::uint32_t i = 0; i < n; ++i)
    if (c.firm_prev[i] != kNoFirm) ++firms[c.firm_prev[i]].customers;
  m.adopters = 0;
  for (auto& f : firms) m.adopters += f.customers;
  double sum_e = 0;
  for (std::uint32_t i = 0; i < n; ++i) sum_e += c.expectation[i];  // serial: t = 0 only
  obs.expectation_mean = sum_e / n;
  obs.disconfirmation_mean = kNaN;
  if (success_expectations_on()) {  // part C: t = 0 means (serial)
    double se = 0, sw = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      se += c.success_expectation[i];
      sw += c.success_weight[i];
    }
    obs.success_expectation_mean = se / n;
    obs.success_weight_mean = sw / n;
    m.w = obs.success_weight_mean;  // Eq. C4
  }
  record();
}

}  // namespace missionsim
