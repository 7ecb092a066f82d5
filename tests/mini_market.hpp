// A hand-built market for the mechanism kernels' unit tests: every field of
// mech::CustomerContext set by hand, so a test changes what it needs and
// calls a kernel on customer 0 or 1.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/mechanisms/customer_context.hpp"
#include "core/network.hpp"
#include "core/params.hpp"
#include "core/rng.hpp"
#include "core/state.hpp"

namespace missionsim::test {

// Two customers on a complete network (each the other's only neighbour), three live firms, K = 2
// consideration slots; every field set by hand.
struct MiniMarket {
  static constexpr std::uint32_t kN = 2;
  static constexpr int kK = 2;
  Params p;
  Rng rng{99};
  Network net = Network::build(NetworkParams{NetworkKind::Complete, 2, 0}, kN, rng);
  std::vector<std::uint16_t> firm_prev = {kNoFirm, 0}, firm_next = {kNoFirm, kNoFirm};
  std::vector<std::int8_t> voice_prev = {0, 1}, voice_next = {0, 0};
  std::vector<float> expectation = {0.5f, 0.5f}, satisfaction = {0.5f, 0.5f}, success = {0.f, 0.f},
                     difficulty = {1.f, 1.f};
  std::vector<std::uint8_t> effort = {128, 128}, traits = {0, 0};
  std::vector<std::uint16_t> tenure = {0, 0};
  std::vector<std::uint16_t> consider = std::vector<std::uint16_t>(kN * kK, kNoFirm);
  std::vector<std::int8_t> reputation = std::vector<std::int8_t>(kN * kK, 0);
  std::vector<std::uint32_t> adopted_neighbours = {1, 0};
  std::vector<Offer> offers = {Offer{0.6, 0.5, 0, 0, 0.5, 0, 0, 10, true},
                               Offer{0.6, 0.5, 0, 0, 0.5, 0, 0, 10, true},
                               Offer{0.6, 0.5, 0, 0, 0.5, 0, 0, 10, true}};
  std::vector<std::uint16_t> live = {0, 1, 2};
  std::vector<double> reach_cum = {0, 0, 0};
  std::vector<double> seg_ps = {0.02}, seg_vw = {1.0};
  std::vector<double> seg_wtp = {1e6};
  double reach_total = 0, p_eff = 0, adopted_share_complete = 0.5, w_success = 0, talk = 0;
  int keep = 256;
  bool success_on = true;
  std::array<std::int8_t, 256> decayed{};

  std::int8_t rep(std::uint32_t i, int k) const { return reputation[i * kK + k]; }
  std::uint16_t slot(std::uint32_t i, int k) const { return consider[i * kK + k]; }

  mech::CustomerContext ctx() {
    decayed = mech::decay_table(keep);
    return mech::CustomerContext{firm_prev.data(),
                                 firm_next.data(),
                                 voice_prev.data(),
                                 voice_next.data(),
                                 expectation.data(),
                                 satisfaction.data(),
                                 success.data(),
                                 difficulty.data(),
                                 effort.data(),
                                 traits.data(),
                                 tenure.data(),
                                 consider.data(),
                                 reputation.data(),
                                 adopted_neighbours.data(),
                                 kK,
                                 &net,
                                 offers.data(),
                                 live.data(),
                                 static_cast<std::uint32_t>(live.size()),
                                 reach_cum.data(),
                                 static_cast<std::uint32_t>(reach_cum.size()),
                                 reach_total,
                                 p_eff,
                                 adopted_share_complete,
                                 w_success,
                                 talk,
                                 keep,
                                 decayed.data(),
                                 seg_ps.data(),
                                 seg_vw.data(),
                                 &p,
                                 success_on,
                                 &rng,
                                 1,
                                 nullptr,
                                 seg_wtp.data()};
  }
};

}  // namespace missionsim::test
