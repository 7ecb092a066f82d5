// Phases 5 and 6: the market (M2 maturity, M5 endogenous era) and the firm
// population (M8 entry, M13 adaptation), docs/MODEL.md 3, rows 5-6; and the
// adopted-neighbour counts the next step's adoption reads (Eq. 13).
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <vector>

#include "core/draws.hpp"
#include "core/mechanisms/adaptation.hpp"
#include "core/mechanisms/adaptation_value.hpp"
#include "core/mechanisms/era.hpp"
#include "core/mechanisms/kano_lifecycle.hpp"
#include "core/prefetch.hpp"
#include "core/state.hpp"

namespace missionsim {

void Simulation::Impl::update_market() {
  // Leader capabilities, remembered for imitation with a lag.
  auto& slot = m.leader_history[static_cast<std::size_t>(t) % m.leader_history.size()];
  std::fill(slot.begin(), slot.end(), 0.0);
  for (const auto& f : firms)
    if (f.alive)
      for (int a = 0; a < A; ++a) slot[a] = std::max(slot[a], f.q[a]);
  // Eq. 18: maturity follows the customer-weighted coverage of each attribute.
  if (m.adopters > 0) {
    for (int a = 0; a < A; ++a) {
      if (!m.offered[a]) continue;
      double coverage = 0;
      for (const auto& f : firms)
        if (f.alive) coverage += static_cast<double>(f.customers) * f.q[a];
      coverage /= static_cast<double>(m.adopters);
      m.maturity[a] = mech::mature(m.maturity[a], coverage, p.maturity_rate);
    }
  }
  m.w = mech::endogenous_era(p.era, m.w, firms);  // Eq. 27
}

void Simulation::Impl::enter_and_adapt() {
  enter();
  adapt();
}

// M8 entry (Eq. 43): with probability entry_rate an entrant takes the first free slot.
void Simulation::Impl::enter() {
  if (!(p.entry_rate > 0) || entry_pool.empty()) return;
  const auto step = static_cast<std::uint32_t>(t);
  const auto words = rng.words(Purpose::Entry, 0, step, draw::kEntryBlock);
  if (!(Rng::unit(words[draw::kEnter]) < p.entry_rate)) return;
  for (std::size_t fi = 0; fi < firms.size(); ++fi)
    if (!firms[fi].used) {
      const int s = entry_pool[Rng::index(words[draw::kEntrantStrategy],
                                          static_cast<std::uint32_t>(entry_pool.size()))];
      init_firm(static_cast<int>(fi), s, static_cast<std::uint32_t>(fi), step);
      return;
    }
}

// M13 strategy adaptation: Fermi imitation of a better-performing rival (Eq. 55-56), all firms
// deciding on this step's accounts before any strategy changes. The fitness compared is the margin
// (Eq. 55) or a long-run value's growth over the window (Eq. D1-D3).
void Simulation::Impl::adapt() {
  if (!(p.adaptation_rate > 0)) return;
  std::vector<double> fitness;  // empty: the margin (Eq. 55)
  if (p.adaptation_fitness != AdaptationFitness::Margin) fitness = long_run_fitness();
  std::vector<int> live;
  for (std::size_t fi = 0; fi < firms.size(); ++fi)
    if (firms[fi].alive) live.push_back(static_cast<int>(fi));
  if (live.size() < 2) return;
  std::vector<int> next(firms.size());
  for (std::size_t fi = 0; fi < firms.size(); ++fi) next[fi] = firms[fi].strategy;
  for (int fi : live) {
    const auto words = rng.words(Purpose::Firm, static_cast<std::uint32_t>(fi), static_cast<std::uint32_t>(t),
                                 draw::kFirmAdaptation);
    if (Rng::unit(words[draw::kAdapt]) >= p.adaptation_rate) continue;
    // A uniformly chosen rival other than itself.
    const auto self = static_cast<std::uint32_t>(std::find(live.begin(), live.end(), fi) - live.begin());
    const std::uint32_t k = Rng::index(words[draw::kRival], static_cast<std::uint32_t>(live.size() - 1));
    const int g = live[k >= self ? k + 1 : k];
    const double gap = fitness.empty() ? mech::margin(firms[g]) - mech::margin(firms[fi])
                                       : fitness[g] - fitness[fi];  // Eq. 56 on Eq. 55 or D2
    if (Rng::unit(words[draw::kAccept]) < mech::fermi(p.adaptation_sensitivity, gap))
      next[fi] = firms[g].strategy;
  }
  for (int fi : live) firms[fi].strategy = next[fi];
}

// Eq. D2: each live firm's growth of customer equity (Eq. D1) or cash (Eq. D3) over the last `window`
// steps, from a ring of its values; a firm first seen less than `window` steps ago is measured from its
// first value. Records this step's values. Makes no random draws.
std::vector<double> Simulation::Impl::long_run_fitness() {
  const auto W = static_cast<std::size_t>(p.adaptation_window);
  if (m.fitness_history.empty()) m.fitness_history.assign(W, std::vector<double>(firms.size(), kNaN));
  auto& slot = m.fitness_history[static_cast<std::size_t>(t) % W];  // the values of step t - W
  std::vector<double> fitness(firms.size(), 0.0);
  for (std::size_t fi = 0; fi < firms.size(); ++fi) {
    if (!firms[fi].alive) continue;
    const double now = mech::firm_value(p.adaptation_fitness, firms[fi], p.adaptation_discount);
    if (std::isnan(slot[fi]))
      for (auto& s : m.fitness_history) s[fi] = now;  // first seen: growth from here on
    fitness[fi] = mech::symmetric_growth(now, slot[fi]);
    slot[fi] = now;
  }
  return fitness;
}

// Keeps adopted_neighbours equal to the count over firm_next, touching only the neighbours of the
// customers whose adoption status changed this step (status_changed, listed by record(); about 1% of
// the customers), instead of every customer scanning every neighbour. No atomics: on one thread a plain
// loop; on P threads the changed customers are cut into P chunks, each chunk sorts its increments into P
// buckets by target range (range of j: j P / n), then each range applies its buckets from every chunk.
// Integer increments commute, so the result does not depend on the thread count.
void Simulation::Impl::update_adopted_neighbours() {
  if (net.complete() || status_changed.empty()) return;
  const std::uint32_t* changed = status_changed.data();
  const std::size_t changes = status_changed.size();
  const std::uint32_t* offsets = net.offsets().data();
  const std::uint16_t* firm = c.firm_next.data();
  // Visits the increments of changed customers [k0, k1): add(j, delta), delta +1 or -1 (mod 2^32).
  auto each_increment = [&](std::size_t k0, std::size_t k1, auto&& add) {
    for (std::size_t k = k0; k < k1; ++k) {
      // Scattered customers: fetch their offsets and firm ahead, then their rows (latency, not bandwidth).
      if (k + 16 < k1) {
        fetch_line(offsets + changed[k + 16]);
        fetch_line(firm + changed[k + 16]);
      }
      if (k + 8 < k1) net.prefetch_row(changed[k + 8]);
      const std::uint32_t i = changed[k];
      const std::uint32_t delta = firm[i] != kNoFirm ? 1u : ~0u;
      net.each_neighbour(i, [&](std::uint32_t j) { add(j, delta); });
    }
  };
  std::uint32_t* count = c.adopted_neighbours.data();
  const std::size_t threads =
      std::min(static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()),
               tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  const std::size_t parts = std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(1, changes / 32));
  if (parts == 1) {
    each_increment(0, changes, [count](std::uint32_t j, std::uint32_t delta) { count[j] += delta; });
    return;
  }
  std::vector<std::vector<Increment>>& buckets = increment_buckets;  // [chunk][range]
  buckets.resize(parts * parts);
  for (auto& b : buckets) b.clear();
  tbb::parallel_for(std::size_t{0}, parts, [&](std::size_t chunk) {
    std::vector<Increment>* mine = buckets.data() + chunk * parts;
    each_increment(changes * chunk / parts, changes * (chunk + 1) / parts,
                   [&](std::uint32_t j, std::uint32_t delta) {
                     mine[static_cast<std::uint64_t>(j) * parts / n].push_back({j, delta});
                   });
  });
  tbb::parallel_for(std::size_t{0}, parts, [&](std::size_t range) {
    for (std::size_t chunk = 0; chunk < parts; ++chunk)
      for (const Increment& inc : buckets[chunk * parts + range]) count[inc.j] += inc.delta;
  });
}

}  // namespace missionsim
