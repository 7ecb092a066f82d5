// Phase 2: the customer pass (parallel over customers). docs/MODEL.md 3,
// row 2: customer i reads other customers only through firm_prev and
// voice_prev (the end of t-1) and writes only its own entries and
// firm_next[i], voice_next[i]; per-firm sums are a deterministic reduction.
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <tbb/partitioner.h>

#include "core/mechanisms/adoption.hpp"
#include "core/mechanisms/choice.hpp"
#include "core/mechanisms/customer_context.hpp"
#include "core/mechanisms/experience.hpp"
#include "core/mechanisms/incidents.hpp"
#include "core/mechanisms/success.hpp"
#include "core/mechanisms/word_of_mouth.hpp"
#include "core/state.hpp"

namespace missionsim {

namespace {

// Eq. 57 inputs: what customer i's experience of f0 adds to the per-firm sums.
void tally(PassStats& st, std::uint16_t f0, const mech::Experience& e, double succ, std::int8_t voice,
           double effort) {
  st.experienced[f0] += 1;
  st.sum_sat[f0] += e.satisfaction;
  st.sum_succ[f0] += succ;
  st.promoters[f0] += voice > 0;
  st.detractors[f0] += voice < 0;
  st.contribution[f0] += effort * succ;
  st.sum_disconfirmation += e.disconfirmation;
  st.n_disconfirmation += 1;
}

// An adopter of live firm f0: experience, success, voice, then reconsideration (docs/MODEL.md 3, item 5).
std::uint16_t serve(const mech::CustomerContext& c, PassStats& st, std::uint32_t i, std::uint16_t f0,
                    double ps, double vw, mech::CustomerDraws& d) {
  const Offer& o = c.off[f0];
  const double P = c.needs ? mech::personal_performance(*c.needs, c.p->needs, c.p->service_weight, *c.rng, i,
                                                        c.traits[i] & draw::kSegmentMask, f0)  // Eq. B2-B4
                           : o.performance;
  mech::Experience e = mech::experience(c, i, P);  // M3, Eq. 20-21
  if (c.p->incidents.enabled) mech::service_incident(c, i, o, e);  // Eq. F1-F2
  const double succ = mech::progress(c, i, o);           // M4, Eq. 25-26
  const double s_x = mech::compare_success(c, i, succ);  // Eq. C1, C3, C8 (succ unless judged)
  const double x = mech::experience_value(mech::success_weight_of(c, i), e.satisfaction, s_x);  // Eq. 28
  const std::int8_t voice = mech::voice(x);                                                     // Eq. 32
  tally(st, f0, e, succ, voice, c.effort[i] / 255.0);
  c.voice_next[i] = voice;
  bool outside = false;
  const std::uint16_t f1 = mech::reconsider(c, i, f0, x, ps, vw, d, &outside);  // M6, Eq. 29-31, A1
  st.non_buyers += outside;
  if (f1 != f0) {
    st.left[f0] += 1;
    c.tenure[i] = 0;
    c.voice_next[i] = 0;
    if (f1 != kNoFirm) mech::hear(c, i, f1, 0);
  } else if (c.tenure[i] < 0xFFFF) {
    ++c.tenure[i];
  }
  return f1;
}

// One customer's step, in the order of docs/MODEL.md 3.
inline void customer_step(const mech::CustomerContext& c, PassStats& st, std::uint32_t i) {
  mech::CustomerDraws d(*c.rng, i, c.step);
  std::uint16_t f0 = c.firm_prev[i];
  if (f0 != kNoFirm && !c.off[f0].alive) f0 = kNoFirm;  // released by a bankruptcy
  const std::uint8_t seg = c.traits[i] & draw::kSegmentMask;
  const double ps = c.seg_ps[seg];
  const double vw_of[2] = {0.0, c.seg_vw[seg]};  // a load, not a branch on a random trait bit
  const double vw = vw_of[(c.traits[i] & draw::kValuesDriven) != 0];
  const std::uint32_t degree = c.net->degree(i);

  const int heard = mech::converse(c, i, degree, d);  // M7, Eq. 33-34
  mech::notice_marketing(c, i, d);                    // M1, Eq. 12
  mech::decay_reputation(c, i);                       // M7, Eq. 35
  std::uint16_t f1;
  if (f0 == kNoFirm) {
    bool outside = false;
    f1 = mech::adopt(c, i, degree, ps, vw, d, heard, &outside);  // M1, Eq. 13-14, A1-A4, C5-C6
    st.non_buyers += outside;
    c.voice_next[i] = 0;
  } else {
    f1 = serve(c, st, i, f0, ps, vw, d);
  }
  c.firm_next[i] = f1;
  if (f1 != kNoFirm) st.count_end[f1] += 1;
  st.sum_expectation += c.expectation[i];
  if (c.success_expectation) {
    st.sum_success_expectation += c.success_expectation[i];
    st.sum_success_weight += c.success_weight[i];
  }
}

// tbb::parallel_deterministic_reduce body: one PassStats per leaf, joined in a fixed tree.
struct Pass {
  const mech::CustomerContext& ctx;
  PassStats st;
  Pass(const mech::CustomerContext& c, std::size_t F) : ctx(c), st(F) {}
  Pass(Pass& b, tbb::split) : ctx(b.ctx), st(b.st.experienced.size()) {}
  void join(Pass& o) { st.join(o.st); }
  void operator()(const tbb::blocked_range<std::uint32_t>& r) {
    // Local copies of the context and the generator key: stores through the customers' int8 arrays may
    // alias any non-local memory, so the compiler would otherwise reload them after every such store.
    const Rng rng = *ctx.rng;
    mech::CustomerContext c = ctx;
    c.rng = &rng;
    for (std::uint32_t i = r.begin(); i != r.end(); ++i) customer_step(c, st, i);
  }
};

}  // namespace

void Simulation::Impl::customer_pass(PassStats& stats) {
  std::vector<double> seg_ps, seg_vw, seg_wtp;
  std::vector<std::uint8_t> seg_client;
  for (const auto& s : p.segments) {
    seg_ps.push_back(s.price_sensitivity);
    seg_vw.push_back(s.values_weight);
    seg_wtp.push_back(s.reservation_price);
    seg_client.push_back(s.nonprofit_client ? 1 : 0);
  }
  std::vector<std::uint16_t> live;
  for (std::size_t f = 0; f < firms.size(); ++f)
    if (m.offers[f].alive) live.push_back(static_cast<std::uint16_t>(f));

  const int keep = mech::reputation_keep(p.reputation_decay);
  const auto decayed = mech::decay_table(keep);
  const mech::CustomerContext ctx{
      c.firm_prev.data(),
      c.firm_next.data(),
      c.voice_prev.data(),
      c.voice_next.data(),
      c.expectation.data(),
      c.satisfaction.data(),
      c.success.data(),
      c.difficulty.data(),
      c.effort.data(),
      c.traits.data(),
      c.tenure.data(),
      c.consider.data(),
      c.reputation.data(),
      c.adopted_neighbours.data(),
      K,
      &net,
      m.offers.data(),
      live.data(),
      static_cast<std::uint32_t>(live.size()),
      m.reach_cum.data(),
      static_cast<std::uint32_t>(m.reach_cum.size()),
      m.reach_total,
      m.p_eff,
      static_cast<double>(m.adopters) / static_cast<double>(n),  // N/M of the Bass recursion
      m.w_success,
      mech::talk_probability(p.talk_rate, m.amp),
      keep,
      decayed.data(),
      seg_ps.data(),
      seg_vw.data(),
      &p,
      success_on,
      &rng,
      static_cast<std::uint32_t>(t),
      p.needs.heterogeneous ? &m.needs : nullptr,
      seg_wtp.data()};
  mech::CustomerContext ctx_c = ctx;
  if (success_expectations_on()) {  // part C, Eq. C1-C4
    c.success_seen.assign(c.success.begin(), c.success.end());
    ctx_c.success_expectation = c.success_expectation.data();
    ctx_c.success_weight = c.success_weight.data();
    ctx_c.success_seen = c.success_seen.data();
  }
  std::vector<std::uint16_t> referral;
  if (p.nonprofit_clients) {  // Eq. S6
    for (std::uint16_t f : live)
      if (m.offers[f].clients_only) referral.push_back(f);
    ctx_c.seg_client = seg_client.data();
    ctx_c.referral = referral.data();
    ctx_c.n_referral = static_cast<std::uint32_t>(referral.size());
  }
  mech::AdoptionTables adoption_tables;  // Eq. 12-13 shortcuts of this step (same outcomes)
  adoption_tables.attach(ctx_c);
  Pass pass(ctx_c, firms.size());
  tbb::parallel_deterministic_reduce(tbb::blocked_range<std::uint32_t>(0, n, kGrain), pass,
                                     tbb::simple_partitioner());
  stats = std::move(pass.st);
}

}  // namespace missionsim
