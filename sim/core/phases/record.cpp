// Phase 7: observation (docs/MODEL.md 4.11 and 7.14-7.15): the row of the
// trajectory after the step (or at t = 0).
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include "core/draws.hpp"
#include "core/money.hpp"
#include "core/state.hpp"

namespace missionsim {

void Simulation::Impl::record() {
  const std::size_t F = firms.size();
  Observables& o = obs;
  o.step = t;
  auto sized = [F](auto& v) { v.assign(F, {}); };
  sized(o.customers), sized(o.share), sized(o.price), sized(o.revenue), sized(o.grants), sized(o.costs);
  sized(o.profit), sized(o.payout), sized(o.cash), sized(o.satisfaction), sized(o.success), sized(o.nps);
  sized(o.engagement), sized(o.social_impact), sized(o.harm), sized(o.retention), sized(o.strategy_id),
      sized(o.promoters), sized(o.detractors), sized(o.alive);
  double hhi = 0;
  for (std::size_t fi = 0; fi < F; ++fi) {
    const Firm& f = firms[fi];
    o.strategy_id[fi] = f.used ? f.strategy : -1;
    o.alive[fi] = f.alive ? 1 : 0;
    o.customers[fi] = f.alive ? f.customers : 0;
    o.share[fi] = static_cast<double>(o.customers[fi]) / static_cast<double>(n);  // Eq. 58
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
    o.promoters[fi] = f.promoter_share;
    o.detractors[fi] = f.detractor_share;
    if (m.adopters > 0) {
      const double s = static_cast<double>(o.customers[fi]) / static_cast<double>(m.adopters);
      hhi += s * s;  // Eq. 58
    }
  }
  // Customers of each firm by segment, and the values-driven ones (Eq. 2), from
  // each customer's firm after the step. Integer counts: the same sums in any order.
  const std::size_t G = p.segments.size();
  using Counts = std::vector<std::int64_t>;  // [2 G F]: by segment, then values-driven by segment
  const Counts counts = tbb::parallel_reduce(
      tbb::blocked_range<std::uint32_t>(0, n, kGrain), Counts(2 * G * F, 0),
      [&](const tbb::blocked_range<std::uint32_t>& r, Counts acc) {
        for (std::uint32_t i = r.begin(); i != r.end(); ++i) {
          const std::uint16_t f = c.firm_next[i];
          if (f == kNoFirm || !firms[f].alive) continue;
          const std::size_t k = (c.traits[i] & draw::kSegmentMask) * F + f;
          ++acc[k];
          if (c.traits[i] & draw::kValuesDriven) ++acc[G * F + k];
        }
        return acc;
      },
      [](Counts a, const Counts& b) {
        for (std::size_t k = 0; k < a.size(); ++k) a[k] += b[k];
        return a;
      });
  o.segment_customers.assign(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(G * F));
  o.values_customers.assign(counts.begin() + static_cast<std::ptrdiff_t>(G * F), counts.end());

  o.adopters = m.adopters;
  o.churn_rate = m.last_churn;
  o.hhi = hhi;
  o.success_weight = m.w;
  o.amplification = m.amp;
  double impact = 0, harm_flow = 0;
  for (const auto& f : firms) {
    impact += f.impact;
    harm_flow += f.harm_flow;
  }
  o.societal_value = impact - harm_flow;  // Eq. 59
  o.kano_maturity.assign(m.maturity.begin(), m.maturity.end());
  // Eq. K1-K4: the virtual Kano questionnaire on every discovered attribute.
  o.kano_better.assign(A, kNaN);
  o.kano_worse.assign(A, kNaN);
  if (kano_panel)
    for (int a = 0; a < A; ++a) {
      if (!m.offered[a]) continue;
      const KanoCounts k =
          kano_panel->survey(a, m.maturity[a], a < p.attributes ? 1.0 : p.kano_beta, p.needs.kano_asymmetric);
      o.kano_better[a] = k.better();
      o.kano_worse[a] = k.worse();
    }
}

}  // namespace missionsim
