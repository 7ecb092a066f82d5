#include <tbb/global_control.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "core/network.hpp"

using namespace missionsim;

namespace {
// Every edge i-j appears as j-i too, and no node links to itself.
void require_symmetric_simple(const Network& net) {
  for (std::uint32_t i = 0; i < net.size(); ++i)
    for (std::uint32_t k = 0; k < net.degree(i); ++k) {
      const std::uint32_t j = net.neighbour(i, k);
      REQUIRE(j != i);
      const std::uint32_t* row = net.row(j);
      REQUIRE(std::binary_search(row, row + net.degree(j), i));
    }
}
}  // namespace

TEST_CASE("network: Watts-Strogatz without rewiring is the ring lattice", "[network]") {
  NetworkParams p{NetworkKind::WattsStrogatz, 4, 0.0};
  const auto net = Network::build(p, 100, Rng(1));
  REQUIRE(net.entries() == 400);
  for (std::uint32_t i = 0; i < 100; ++i) {
    REQUIRE(net.degree(i) == 4);
    const std::uint32_t* row = net.row(i);
    for (std::uint32_t d : {1u, 2u, 98u, 99u}) CHECK(std::binary_search(row, row + 4, (i + d) % 100));
  }
}

TEST_CASE("network: rewired small world keeps the mean degree and symmetry", "[network]") {
  NetworkParams p{NetworkKind::WattsStrogatz, 10, 0.2};
  const auto net = Network::build(p, 5000, Rng(5));
  CHECK(net.entries() == 50000);
  require_symmetric_simple(net);
  // Deterministic in the seed.
  const auto again = Network::build(p, 5000, Rng(5));
  for (std::uint32_t i = 0; i < 5000; i += 97) {
    REQUIRE(again.degree(i) == net.degree(i));
    for (std::uint32_t k = 0; k < net.degree(i); ++k) CHECK(again.neighbour(i, k) == net.neighbour(i, k));
  }
}

TEST_CASE("network: Erdos-Renyi and Barabasi-Albert have the requested mean degree", "[network]") {
  const std::uint32_t n = 4000;
  const auto er = Network::build({NetworkKind::ErdosRenyi, 8, 0}, n, Rng(2));
  CHECK(er.entries() == n * 8);
  require_symmetric_simple(er);
  const auto ba = Network::build({NetworkKind::BarabasiAlbert, 6, 0}, n, Rng(2));
  require_symmetric_simple(ba);
  CHECK(static_cast<double>(ba.entries()) / n == Approx(6.0).epsilon(0.01));
  std::uint32_t min_deg = n, max_deg = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    min_deg = std::min(min_deg, ba.degree(i));
    max_deg = std::max(max_deg, ba.degree(i));
  }
  CHECK(min_deg >= 3);      // every late node brings m = 3 links
  CHECK(max_deg > 10 * 6);  // preferential attachment grows hubs
}

TEST_CASE("network: complete mixing stores no edges", "[network]") {
  const auto net = Network::build({NetworkKind::Complete, 10, 0}, 50, Rng(1));
  CHECK(net.complete());
  CHECK(net.entries() == 0);
  CHECK(net.degree(7) == 49);
  CHECK(net.neighbour(7, 6) == 6);
  CHECK(net.neighbour(7, 7) == 8);
}

// The set-up fills edges and sorts rows in parallel; the graph must not depend on the thread count.
TEST_CASE("network: the same graph at 1 and 4 threads", "[network][determinism]") {
  const std::uint32_t n = 30000;  // several tasks of 4096
  for (const NetworkKind kind : {NetworkKind::WattsStrogatz, NetworkKind::ErdosRenyi}) {
    auto build = [&](int threads) {
      tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
      return Network::build({kind, 10, 0.2}, n, Rng(7));
    };
    const Network one = build(1), four = build(4);
    REQUIRE(one.offsets() == four.offsets());
    REQUIRE(one.neighbours() == four.neighbours());
    require_symmetric_simple(one);
  }
}
