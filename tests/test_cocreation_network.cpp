// Co-creation with network effects (docs/MODEL.md 7.22, Eq. H3): kernels on hand-built contributions.
#include <catch2/catch.hpp>

#include "core/mechanisms/cocreation_network.hpp"
#include "core/mechanisms/success.hpp"
#include "core/mechanisms/word_of_mouth.hpp"
#include "mini_market.hpp"

using namespace missionsim;

TEST_CASE("cocreation_network: the stock grows with the number of contributors, bounded (Eq. H3)",
          "[cocreation_network]") {
  Params p;
  p.cocreation_network.enabled = true;
  p.cocreation_network.scale = 0.05;
  p.cocreation_rate = 0.2;
  p.cocreation_decay = 0.05;
  const std::int64_t population = 20000;
  const double platform = 0.5, per = 0.25;  // every contributor adds effort * success = 0.25
  double last_net = -1;
  for (std::int64_t contributors : {0, 100, 500, 1000, 2000, 4000, 8000}) {
    const double k = per * static_cast<double>(contributors);
    const double net = mech::network_cocreation(p, 0.0, platform, k, population);
    // v1 (Eq. 24) sees only the mean contribution: the same for 100 or 8000 contributors.
    if (contributors > 0)
      CHECK(mech::cocreation(p, 0.0, platform, k, contributors) == Approx(0.2 * 0.5 * per));
    CHECK(net > last_net);                      // more contributors, more platform value for every customer
    CHECK(net < p.cocreation_rate * platform);  // bounded by rate * platform per step
    last_net = net;
  }
  // Diminishing returns: equal increments of contribution add less and less.
  const double g1 = mech::network_value(p.cocreation_network, 250, population);
  const double g2 = mech::network_value(p.cocreation_network, 500, population);
  const double g3 = mech::network_value(p.cocreation_network, 750, population);
  CHECK(g2 - g1 < g1);
  CHECK(g3 - g2 < g2 - g1);
  CHECK(mech::network_value(p.cocreation_network, 1e12, population) <= 1.0);
  // No contributors, no network value; more effort per contributor raises it as more contributors do.
  CHECK(mech::network_value(p.cocreation_network, 0, population) == 0.0);
  CHECK(mech::network_value(p.cocreation_network, 1000 * 0.5, population) >
        mech::network_value(p.cocreation_network, 1000 * 0.25, population));
  // Steady state: the stock converges to rate * platform * G / decay, below rate * platform / decay.
  double stock = 0;
  for (int t = 0; t < 2000; ++t) stock = mech::network_cocreation(p, stock, platform, 500, population);
  const double g = mech::network_value(p.cocreation_network, 500, population);
  CHECK(stock == Approx(0.2 * platform * g / 0.05));
  CHECK(stock < 0.2 * platform / 0.05);
}

namespace {

// Success after `steps` steps of a customer with effort `effort` (0..255) at a firm with offer o.
double success_after(Params p, Offer o, std::uint8_t effort, int steps = 200) {
  test::MiniMarket mm;
  mm.p = p;
  mm.effort = {effort, effort};
  mm.success = {0.f, 0.f};
  auto c = mm.ctx();
  c.p = &mm.p;
  double s = 0;
  for (int k = 0; k < steps; ++k) s = mech::progress(c, 0, o);
  return s;
}

Offer offer(double efficacy, double enablement, double cocreation, const Params& p) {
  Offer o{0.6, efficacy, enablement, cocreation, 0.5, 0, 0, 10, true};
  if (p.cocreation_network.enabled)  // as phase 1 sets it (plan_firm)
    o.effort_productivity = mech::effort_productivity(p.cocreation_network, enablement, cocreation);
  return o;
}

}  // namespace

TEST_CASE("cocreation_network: own effort is productive through the firm's enablement and platform (Eq. H4)",
          "[cocreation_network]") {
  CocreationNetwork cn;
  cn.support_scale = 0.25;
  cn.self_productivity = 0;
  CHECK(mech::effort_productivity(cn, 0, 0) == 0.0);  // no enablement, no platform: effort alone does nothing
  double last = 0;
  for (double x : {0.05, 0.1, 0.25, 0.5, 1.0, 4.0}) {
    const double m = mech::effort_productivity(cn, 0.5 * x, 0.5 * x);
    CHECK(m > last);  // more support, more productive effort
    CHECK(m < 1.0);   // bounded
    last = m;
  }
  CHECK(mech::effort_productivity(cn, 0.125, 0.125) == Approx(0.5));  // half at support_scale
  cn.self_productivity = 1;  // Eq. 25: effort counts fully at any firm
  CHECK(mech::effort_productivity(cn, 0, 0) == 1.0);
  CHECK(mech::effort_productivity(cn, 0.3, 0.2) == 1.0);
}

TEST_CASE(
    "cocreation_network: effort 0 costs the supported firm's customers more success than others' (Eq. H4)",
    "[cocreation_network]") {
  Params p;
  p.success_smoothing = 0.2;
  // A success firm (enablement and platform, weaker product) and a firm with neither (stronger product), at
  // the magnitudes of the baseline at t = 100 (docs/VALIDATION.md, co-creation, cause).
  const auto drops = [&](const Params& q) {
    const Offer sup = offer(0.5, 0.28, 0.2, q), none = offer(0.6, 0, 0, q);
    return std::pair{success_after(q, sup, 128) - success_after(q, sup, 0),
                     success_after(q, none, 128) - success_after(q, none, 0)};
  };
  // v1 (Eq. 25): effort adds the same rate at both firms; with the concave success curve (Eq. 26) the
  // firm with the lower rate loses more, so effort 0 widens the success firm's lead (the cause).
  const auto [v1_sup, v1_none] = drops(p);
  CHECK(v1_sup > 0);
  CHECK(v1_none > v1_sup);
  // With Eq. H4 effort works through the firm's support: effort 0 costs the success firm's customers and
  // not the others'.
  p.cocreation_network.enabled = true;
  const auto [h4_sup, h4_none] = drops(p);
  CHECK(h4_sup > 0.02);
  CHECK(h4_none == Approx(0.0).margin(1e-6));
  CHECK(h4_sup > h4_none);
}

TEST_CASE("cocreation_network: more contributors make every customer's effort more productive (Eq. H3-H4)",
          "[cocreation_network]") {
  Params p;
  p.cocreation_network.enabled = true;
  const std::int64_t population = 20000;
  const double platform = 0.5, enablement = 0.28;
  double last_success = -1, last_gain = 1e9;
  for (std::int64_t contributors : {0, 1000, 2000, 3000, 4000}) {
    double stock = 0;  // the steady stock of Eq. H3 at this number of contributors (effort * success 0.25)
    for (int t = 0; t < 500; ++t)
      stock =
          mech::network_cocreation(p, stock, platform, 0.25 * static_cast<double>(contributors), population);
    const Offer o = offer(0.5, enablement, stock, p);
    const double s = success_after(p, o, 128);
    CHECK(s > last_success);  // the co-creation effect grows with the number of contributors
    if (last_success >= 0) {
      CHECK(s - last_success < last_gain);  // each further 1000 contributors add less (bounded)
      last_gain = s - last_success;
    }
    last_success = s;
  }
  CHECK(last_success < 1.0);
}
