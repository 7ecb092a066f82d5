// Phase 1: firms plan (serial over firms; reads the state at the end of t-1).
// docs/MODEL.md 3, row 1.
#include <algorithm>
#include <cmath>

#include "core/mechanisms/adoption.hpp"
#include "core/mechanisms/cocreation_network.hpp"
#include "core/mechanisms/demand.hpp"
#include "core/mechanisms/economics.hpp"
#include "core/mechanisms/employees.hpp"
#include "core/mechanisms/era.hpp"
#include "core/mechanisms/experience.hpp"
#include "core/mechanisms/kano_lifecycle.hpp"
#include "core/mechanisms/people.hpp"
#include "core/mechanisms/shared.hpp"
#include "core/mechanisms/social.hpp"
#include "core/mechanisms/success.hpp"
#include "core/money.hpp"
#include "core/state.hpp"

namespace missionsim {

void Simulation::Impl::plan_firms() {
  apply_events();
  // Eq. 8 and 27: era weight and amplification for this step; Eq. 27a: the weight on success.
  if (!success_expectations_on()) m.w = mech::era_weight(p.era, t, m.w);  // part C: m.w is Eq. C4
  m.amp = mech::schedule_value(p.amplification, t);
  m.w_success = mech::success_weight(success_on, m.w);

  const MarketView market = market_view();
  // Firms without experienced customers are published at the mean of those with.
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

  m.offers.assign(firms.size(), Offer{});
  m.reach_cum.assign(firms.size(), 0.0);
  double reach_sum = 0;
  for (std::size_t fi = 0; fi < firms.size(); ++fi) {
    m.offers[fi].alive = firms[fi].alive;
    if (firms[fi].alive) {
      plan_firm(fi, market, mean_sat, mean_succ);
      reach_sum += firms[fi].reach;
    }
    m.reach_cum[fi] = reach_sum;
  }
  m.reach_total = reach_sum;
  if (p.needs.heterogeneous) fill_needs_tables();
  m.p_eff = mech::effective_innovation(p, reach_sum);  // Eq. 11
}

// Scheduled capability changes ([[events]], docs/MODEL.md 7.16) take effect before anything is decided.
void Simulation::Impl::apply_events() {
  for (const auto& e : events) {
    if (e.step != t || !firms[e.firm].alive) continue;
    for (int a = 0; a < A; ++a)
      if (m.offered[a] && (e.attribute < 0 || e.attribute == a)) firms[e.firm].q[a] = e.capability;
  }
}

// One live firm's decisions and offer, in the order of docs/MODEL.md 3 (phase 1).
void Simulation::Impl::plan_firm(std::size_t fi, const MarketView& market, double mean_sat,
                                 double mean_succ) {
  Firm& f = firms[fi];
  const Strategy& strat = *strategies.at(f.strategy);
  const StrategyParams& sp = strat.params();
  const FirmView view = firm_view(f, market);
  f.price = std::max(0.0, strat.price(view, market));  // Eq. 60-63
  f.budget = p.continuous_budget ? mech::investment_budget_continuous(sp, p, f.revenue_c, f.cash_c)  // A5
                                 : mech::investment_budget(sp, p, f.revenue_c);                      // Eq. 36
  const std::int64_t served = std::max(f.customers, m.scale_floor);
  f.alloc = strat.allocate(view, market);  // Eq. 37, 64
  const double service = mech::effect(f.alloc.service * f.budget, served, p.spend_scale);
  f.enablement = mech::enablement(success_on, f.alloc.enablement * f.budget, served, p.enablement_scale);
  if (success_on) {
    const double platform = mech::effect(f.alloc.cocreation * f.budget, served, p.spend_scale);
    f.cocreation = p.cocreation_network.enabled
                       ? mech::network_cocreation(p, f.cocreation, platform, f.contribution, n)     // Eq. H3
                       : mech::cocreation(p, f.cocreation, platform, f.contribution, f.customers);  // Eq. 24
  }
  const double target =
      p.people.enabled
          ? mech::people_engagement_target(
                p.people, sp, mech::people_intensity(p, sp, f.alloc.service * f.budget, served))  // Eq. E1-E2
          : mech::engagement_target(sp, service, sp.cost_cutting);                                // Eq. 48
  f.engagement = mech::engage(p, rng, static_cast<std::uint32_t>(fi), static_cast<std::uint32_t>(t),
                              f.engagement, target);  // Eq. 49
  if (p.people.enabled) f.service_quality = mech::service_quality(p.people, f.service_quality, f.engagement);
  const mech::ProductValue product =
      mech::product_value(f.q, m.offered, m.maturity, p.attributes, p.kano_beta, p.needs.kano_asymmetric);
  f.performance = mech::perceived_performance(
      product.product, p.people.enabled ? f.service_quality : f.engagement, p.service_weight);  // Eq. 19, E3
  f.efficacy = product.efficacy;                                                                // Eq. 22
  f.values = mech::values_score(p, f);                                                          // Eq. 53
  f.reach = mech::marketing_reach(f.alloc.marketing * f.budget, n, p.contact_cost);             // Eq. 10

  Offer& o = m.offers[fi];
  o.performance = f.performance;
  o.efficacy = f.efficacy;
  o.enablement = f.enablement;
  o.cocreation = f.cocreation;
  if (p.cocreation_network.enabled)  // Eq. H4
    o.effort_productivity = mech::effort_productivity(p.cocreation_network, f.enablement, f.cocreation);
  o.pub_sat = std::isnan(f.sat_mean) ? mean_sat : f.sat_mean;
  o.pub_succ = std::isnan(f.succ_mean) ? mean_succ : f.succ_mean;
  o.values = f.values;
  o.price = f.price;
  o.clients_only = p.nonprofit_clients && sp.grant_funded;          // Eq. S6
  o.service = p.people.enabled ? f.service_quality : f.engagement;  // Eq. F2
}

// Eq. B4 tables for the customer pass: weighted Kano value per live firm, segment and attribute.
void Simulation::Impl::fill_needs_tables() {
  mech::NeedsTables& nt = m.needs;
  const int S = static_cast<int>(p.segments.size());
  nt.S = S;
  nt.A = A;
  nt.value.assign(firms.size() * S * A, 0.0);
  nt.weight.assign(static_cast<std::size_t>(S) * A, 0.0);
  nt.service.assign(firms.size(), 0.0);
  for (int s = 0; s < S; ++s)
    for (int a = 0; a < A; ++a)
      if (m.offered[a])
        nt.weight[s * A + a] = (a < p.attributes ? 1.0 : p.kano_beta) * m.segment_weight[s * A + a];
  for (std::size_t fi = 0; fi < firms.size(); ++fi) {
    const Firm& f = firms[fi];
    if (!f.alive) continue;
    nt.service[fi] = p.service_weight * (p.people.enabled ? f.service_quality : f.engagement);  // Eq. E3
    for (int s = 0; s < S; ++s) {
      const double shift = p.segments[s].kano_shift;
      for (int a = 0; a < A; ++a) {
        const double w = nt.weight[s * A + a];
        if (w == 0) continue;
        const double mat = std::clamp(m.maturity[a] + shift, 0.0, 1.0);
        nt.value[(fi * S + s) * A + a] = w * mech::kano_value(f.q[a], mat, p.needs.kano_asymmetric);
      }
    }
  }
}

MarketView Simulation::Impl::market_view() const {
  MarketView v;
  double sum_price = 0, sum_value = 0;
  std::int64_t cp = 0, cv = 0;
  for (const auto& f : firms) {
    if (!f.alive || f.customers == 0) continue;
    if (!strategies.at(f.strategy)->params().grant_funded) {  // subsidised prices do not set the market price
      sum_price += f.price * f.customers;
      cp += f.customers;
    }
    if (!std::isnan(f.sat_mean)) {
      sum_value += ((1 - m.w) * f.sat_mean + m.w * f.succ_mean) * f.customers;
      cv += f.customers;
    }
  }
  v.mean_price = cp > 0 ? sum_price / cp : 0;
  v.mean_value = cv > 0 ? sum_value / cv : 0;
  v.success_weight = m.w;
  double ps = 0;
  for (const auto& s : p.segments) ps += s.share * s.price_sensitivity;
  v.mean_price_sensitivity = ps;
  v.logit_scale = p.logit_scale;
  if (p.outside_option) {
    v.outside = true;
    v.price_cap = mech::revenue_maximising_reservation(p.segments);  // Eq. A7
  }
  return v;
}

FirmView Simulation::Impl::firm_view(const Firm& f, const MarketView& market) const {
  FirmView v;
  v.customers = f.customers;
  v.share_of_adopters = m.adopters > 0 ? static_cast<double>(f.customers) / m.adopters : 0;
  v.share_of_market = static_cast<double>(f.customers) / static_cast<double>(n);
  v.value = std::isnan(f.sat_mean) ? market.mean_value : (1 - m.w) * f.sat_mean + m.w * f.succ_mean;
  v.unit_cost = f.unit_cost > 0 ? f.unit_cost : p.serve_cost;
  v.revenue = from_cents(f.revenue_c);
  v.profit = from_cents(f.profit_c);
  v.cash = from_cents(f.cash_c);
  v.price = f.price;
  v.firm = static_cast<int>(&f - firms.data());
  v.step = t;
  return v;
}

}  // namespace missionsim
