// Co-creation with network effects (docs/MODEL.md 7.22, Eq. H3): kernels on hand-built contributions.
#include <catch2/catch.hpp>

#include "core/mechanisms/cocreation_network.hpp"
#include "core/mechanisms/success.hpp"

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
    CHECK(net > last_net);  // more contributors, more platform value for every customer
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
