// The step loop, read as the model's process overview (docs/MODEL.md 3).
// The state is in state.hpp, initialisation in init.cpp, each phase in
// phases/*.cpp and each mechanism's equations in mechanisms/*.hpp.
#include "core/simulation.hpp"

#include "core/state.hpp"

namespace missionsim {

// ---------------------------------------------------------------------------
// One step. Ordering and parallel invariants (docs/MODEL.md 3):
//   plan_firms (serial over firms) reads the state of step t-1 and fixes
//     every firm's offer for step t; nothing firm-level changes during the
//     customer pass.
//   customer_pass (parallel over customers) reads other customers only
//     through firm_prev/voice_prev (step t-1) and writes customer i's own
//     fields and firm_next[i]/voice_next[i]; per-firm sums use a
//     deterministic reduction with a fixed grain, so they are identical for
//     any thread count. Every draw is a Philox word addressed by
//     (purpose, agent, step, block) (draws.hpp), never a generator position.
//   settle_accounts, innovate_and_imitate, update_market, enter_and_adapt
//     (serial over firm slots, in slot order) see the customer pass complete.
//   record, then the customer buffers swap: firm_next becomes firm_prev.

void Simulation::Impl::step() {
  ++t;
  plan_firms();  // 1: prices, budgets, engagement, performance, reach (M1, M4, M5, M8, M10, M11)
  PassStats stats;
  customer_pass(stats);  // 2: word of mouth, awareness, adoption, experience, success, voice, churn
  if (count_work) {
    work.customer_steps += n;
    work.customer_block1 += stats.customer_block1;
    work.far_neighbour_reads += stats.far_neighbour_reads;
  }
  if (p.nonprofit_clients) ration_nonprofit_clients(stats);  // 2a: nonprofits within capacity (Eq. S4-S6)
  const std::int64_t adopters_before = m.adopters;
  std::int64_t left = 0;
  for (const FirmTally& f : stats.firm) left += f.left;
  settle_accounts(stats);  // 3: statistics, accounts, impact, harm, bankruptcy (M8, M11, M12)
  innovate_and_imitate();  // 4: R&D, discovery, imitation (M9)
  update_market();         // 5: leader ring, maturity (M2), endogenous era (M5)
  enter_and_adapt();       // 6: entry (M8), strategy adaptation (M13)
  // 7: observation. Eq. 57: churn rate (switches and exits over last step's adopters).
  m.last_churn = adopters_before > 0 ? static_cast<double>(left) / static_cast<double>(adopters_before) : 0.0;
  obs.expectation_mean = stats.sum_expectation / static_cast<double>(n);
  obs.disconfirmation_mean = stats.n_disconfirmation
                                 ? stats.sum_disconfirmation / static_cast<double>(stats.n_disconfirmation)
                                 : kNaN;
  if (success_expectations_on()) {  // part C, Eq. C4: the era is the mean of the customers' own weights
    obs.success_expectation_mean = stats.sum_success_expectation / static_cast<double>(n);
    obs.success_weight_mean = stats.sum_success_weight / static_cast<double>(n);
    m.w = obs.success_weight_mean;
  }
  obs.non_buyers = static_cast<double>(stats.non_buyers);
  record();
  update_adopted_neighbours();
  c.firm_prev.swap(c.firm_next);  // every customer wrote firm_next and voice_next this step
  c.voice_prev.swap(c.voice_next);
}

// ---------------------------------------------------------------------------

Simulation::Simulation(const Params& params) : impl_(std::make_unique<Impl>(params)) {}
Simulation::Simulation(const Params& params, StrategyFactory factory)
    : impl_(std::make_unique<Impl>(params, std::move(factory))) {}
Simulation::~Simulation() = default;
void Simulation::step() { impl_->step(); }
int Simulation::time() const { return impl_->t; }
const Params& Simulation::params() const { return impl_->input; }
const RunInfo& Simulation::info() const { return impl_->info; }
const Observables& Simulation::observables() const { return impl_->obs; }
std::int64_t Simulation::cash_cents(int f) const { return impl_->firms.at(f).cash_c; }
std::int64_t Simulation::profit_cents(int f) const { return impl_->firms.at(f).profit_c; }
std::int64_t Simulation::payout_cents(int f) const { return impl_->firms.at(f).payout_c; }
std::int64_t Simulation::client_capacity(int f) const {
  const auto& cap = impl_->client_capacity;
  return static_cast<std::size_t>(f) < cap.size() ? cap[static_cast<std::size_t>(f)] : -1;
}
std::size_t Simulation::network_edges() const { return impl_->net.entries(); }
std::size_t Simulation::network_bytes() const { return impl_->net.bytes(); }
std::size_t Simulation::state_bytes() const { return impl_->c.bytes() + impl_->net.bytes(); }
const WorkCounts& Simulation::work() const { return impl_->work; }
void Simulation::count_work(bool on) { impl_->count_work = on; }

CustomerArrays Simulation::customers() const {
  const Customers& c = impl_->c;
  CustomerArrays a;
  a.firm = c.firm_prev;  // after the swap at the end of step(), firm_prev is the current firm
  a.voice = c.voice_prev;
  a.tenure = c.tenure;
  a.expectation = c.expectation;
  a.satisfaction = c.satisfaction;
  a.success = c.success;
  a.difficulty = c.difficulty;
  a.effort = c.effort;
  a.traits = c.traits;
  a.consider = c.consider;
  a.reputation = c.reputation;
  a.adopted_neighbours = c.adopted_neighbours;
  a.consideration_slots = impl_->K;
  return a;
}

NetworkCsr Simulation::network() const {
  const Network& net = impl_->net;
  NetworkCsr csr;
  csr.complete = net.complete();
  csr.size = net.size();
  csr.offsets = net.offsets();
  std::call_once(impl_->csr_once, [&] { impl_->csr_columns = net.columns(); });
  csr.neighbours = impl_->csr_columns;
  return csr;
}

}  // namespace missionsim
