// Phase 7: observation (docs/MODEL.md 4.11 and 7.14-7.15): the row of the
// trajectory after the step (or at t = 0).
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <array>
#include <bit>
#include <utility>
#include <vector>

#include "core/draws.hpp"
#include "core/money.hpp"
#include "core/phases/customer_run.hpp"
#include "core/state.hpp"

namespace missionsim {

namespace {

// What a pass over the customers after a step reads (ScanBody, ChangeBody).
struct ScanInput {
  const std::uint16_t* prev;  // firm_prev
  const std::uint16_t* next;  // firm_next
  const std::uint8_t* traits;
  const std::uint32_t* bucket;  // [256]: traits -> first count of its (values-driven, segment) row
  std::size_t F;                // firm slots; kNoFirm is counted at F
  std::size_t size;             // 2 G (F + 1): rows not values-driven, then values-driven, by segment
  bool track;                   // list status changes (false on a complete network: nothing reads them)
};

// The customers whose adoption status changed (firm_prev against firm_next) among customers
// [first, last), appended in customer order: 64 at a time, a bit for each (SSE2 compares,
// customer_run.hpp), then the set bits.
void add_status_changes(const ScanInput& in, std::uint32_t first, std::uint32_t last,
                        std::vector<std::uint32_t>& changed) {
  for (std::uint32_t i = first; i < last; i += 64) {
    const std::uint32_t m = std::min<std::uint32_t>(64, last - i);
    for (std::uint64_t bits = mask_equal(in.prev + i, kNoFirm, m) ^ mask_equal(in.next + i, kNoFirm, m);
         bits != 0; bits &= bits - 1)
      changed.push_back(i + static_cast<std::uint32_t>(std::countr_zero(bits)));
  }
}

// One pass over every customer (the first record()): counts by (values-driven, segment, firm of
// firm_next, kNoFirm at F) and the customers whose adoption status changed, in customer order. Integer
// counts and an ordered join: the same result for any thread count.
struct ScanBody {
  ScanInput in;
  // kLanes interleaved copies of the counts: customer i adds to copy i % kLanes, so runs of customers
  // in the same bucket (non-adopters, mostly) do not wait on one memory add after another. A count is
  // at most n < 2^32.
  static constexpr std::size_t kLanes = 4;
  std::vector<std::uint32_t> counts;
  std::vector<std::uint32_t> changed;

  explicit ScanBody(const ScanInput& input) : in(input), counts(kLanes * input.size, 0) {}
  ScanBody(const ScanBody& o, tbb::split) : ScanBody(o.in) {}

  void operator()(const tbb::blocked_range<std::uint32_t>& r) {
    // Locals: the counts could alias the members, which would then be reloaded every customer.
    const std::uint16_t* const nx = in.next;
    const std::uint8_t* const tr = in.traits;
    const std::uint32_t* const bk = in.bucket;
    const std::size_t nf = in.F;
    std::uint32_t* const acc0 = counts.data();
    std::uint32_t* const acc1 = acc0 + in.size;
    std::uint32_t* const acc2 = acc1 + in.size;
    std::uint32_t* const acc3 = acc2 + in.size;
    auto key = [&](std::uint32_t i) { return bk[tr[i]] + std::min<std::size_t>(nx[i], nf); };
    std::uint32_t i = r.begin();
    for (; i + kLanes <= r.end(); i += kLanes) {
      ++acc0[key(i)];
      ++acc1[key(i + 1)];
      ++acc2[key(i + 2)];
      ++acc3[key(i + 3)];
    }
    for (; i != r.end(); ++i) ++acc0[key(i)];
    if (in.track) add_status_changes(in, r.begin(), r.end(), changed);  // about 1% of the customers
  }
  void join(ScanBody& rhs) {  // rhs covers the customers after this body's
    for (std::size_t k = 0; k < counts.size(); ++k) counts[k] += rhs.counts[k];
    changed.insert(changed.end(), rhs.changed.begin(), rhs.changed.end());
  }
};

// The customers whose firm changed in a step (firm_prev against firm_next), in customer order: what they
// move between the counts by (values-driven, segment, firm), and which of them changed adoption status.
// About 1-2% of the customers, found 64 at a time (mask_differ); integer deltas and an ordered join, so
// the same result for any thread count.
struct ChangeBody {
  ScanInput in;
  std::vector<std::int64_t> delta;
  std::vector<std::uint32_t> changed;

  explicit ChangeBody(const ScanInput& input) : in(input), delta(input.size, 0) {}
  ChangeBody(const ChangeBody& o, tbb::split) : ChangeBody(o.in) {}

  void operator()(const tbb::blocked_range<std::uint32_t>& r) {
    const std::uint16_t* const pv = in.prev;
    const std::uint16_t* const nx = in.next;
    std::int64_t* const d = delta.data();
    for (std::uint32_t i = r.begin(); i < r.end(); i += 64) {
      const std::uint32_t m = std::min<std::uint32_t>(64, r.end() - i);
      for (std::uint64_t bits = mask_differ(pv + i, nx + i, m); bits != 0; bits &= bits - 1) {
        const std::uint32_t j = i + static_cast<std::uint32_t>(std::countr_zero(bits));
        const std::uint32_t b = in.bucket[in.traits[j]];
        d[b + std::min<std::size_t>(pv[j], in.F)] -= 1;
        d[b + std::min<std::size_t>(nx[j], in.F)] += 1;
        if (in.track && (pv[j] == kNoFirm) != (nx[j] == kNoFirm)) changed.push_back(j);
      }
    }
  }
  void join(ChangeBody& rhs) {  // rhs covers the customers after this body's
    for (std::size_t k = 0; k < delta.size(); ++k) delta[k] += rhs.delta[k];
    changed.insert(changed.end(), rhs.changed.begin(), rhs.changed.end());
  }
};

}  // namespace

Simulation::Impl::CustomerScan Simulation::Impl::scan_customers() {
  const std::size_t F = firms.size(), F1 = F + 1, G = p.segments.size(), half = G * F1;
  std::array<std::uint32_t, 256> bucket{};
  for (std::size_t t = 0; t < bucket.size(); ++t) {
    const std::size_t g = std::min<std::size_t>(t & draw::kSegmentMask, G - 1);  // traits hold g < G
    bucket[t] = static_cast<std::uint32_t>(((t & draw::kValuesDriven) ? half : 0) + g * F1);
  }
  const ScanInput input{c.firm_prev.data(), c.firm_next.data(), c.traits.data(), bucket.data(), F,
                        2 * half,           !net.complete()};
  std::vector<std::uint32_t> changed;
  if (firm_counts.size() == 2 * half) {
    // firm_counts counts firm_prev (record() left it counting what is now firm_prev): move the customers
    // whose firm changed.
    ChangeBody body(input);
    tbb::parallel_reduce(tbb::blocked_range<std::uint32_t>(0, n, kGrain), body);
    for (std::size_t k = 0; k < firm_counts.size(); ++k) firm_counts[k] += body.delta[k];
    changed = std::move(body.changed);
  } else {  // the first record(): every customer is counted
    ScanBody body(input);
    tbb::parallel_reduce(tbb::blocked_range<std::uint32_t>(0, n, kGrain), body);
    firm_counts.assign(2 * half, 0);
    for (std::size_t l = 0; l < ScanBody::kLanes; ++l)
      for (std::size_t k = 0; k < 2 * half; ++k) firm_counts[k] += body.counts[l * 2 * half + k];
    changed = std::move(body.changed);
  }
  // counts [2][G][F + 1] by column, a firm that is not alive counted in column F: all customers, then the
  // values-driven ones.
  std::vector<std::int64_t> counts(2 * half, 0);
  for (std::size_t g = 0; g < G; ++g)
    for (std::size_t f = 0; f < F1; ++f) {
      const std::size_t k = g * F1 + (f < F && firms[f].alive ? f : F);
      const std::int64_t plain = firm_counts[g * F1 + f], values = firm_counts[half + g * F1 + f];
      counts[k] += plain + values;
      counts[half + k] += values;
    }
  return {std::move(counts), std::move(changed)};
}

// firm_counts counts firm_prev from one record() to the next step's customer pass, by segment and firm:
// a firm that is not alive but still counted is held by someone. Before the first record() nothing is
// counted, so someone may hold one. settle_accounts releases the customers of a firm that goes bankrupt,
// so after it nobody does; the pass tests each customer's firm only when someone might.
bool Simulation::Impl::dead_firm_held() const {
  const std::size_t F = firms.size(), F1 = F + 1, G = p.segments.size(), half = G * F1;
  if (firm_counts.size() != 2 * half) return true;
  for (std::size_t f = 0; f < F; ++f) {
    if (m.offers[f].alive) continue;
    for (std::size_t g = 0; g < G; ++g)
      if (firm_counts[g * F1 + f] != 0 || firm_counts[half + g * F1 + f] != 0) return true;
  }
  return false;
}

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
  // each customer's firm after the step; the same pass lists the customers whose
  // adoption status changed, for update_adopted_neighbours (Eq. 13 input).
  const std::size_t G = p.segments.size();
  CustomerScan scan = scan_customers();
  o.segment_customers.resize(G * F);
  o.values_customers.resize(G * F);
  const std::size_t F1 = F + 1;  // column F counts customers of no live firm; dropped here
  for (std::size_t g = 0; g < G; ++g)
    for (std::size_t fi = 0; fi < F; ++fi) {
      o.segment_customers[g * F + fi] = scan.counts[g * F1 + fi];
      o.values_customers[g * F + fi] = scan.counts[(G + g) * F1 + fi];
    }
  status_changed = std::move(scan.changed);

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
