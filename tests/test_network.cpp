#include <tbb/global_control.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

#include "core/network.hpp"

using namespace missionsim;

namespace {
// Every edge i-j appears as j-i too, and no node links to itself.
void require_symmetric_simple(const Network& net) {
  for (std::uint32_t i = 0; i < net.size(); ++i)
    for (std::uint32_t k = 0; k < net.degree(i); ++k) {
      const std::uint32_t j = net.neighbour(i, k);
      REQUIRE(j != i);
      bool back = false;
      net.each_neighbour(j, [&](std::uint32_t h) { back |= h == i; });
      REQUIRE(back);
    }
}
}  // namespace

TEST_CASE("network: Watts-Strogatz without rewiring is the ring lattice", "[network]") {
  NetworkParams p{NetworkKind::WattsStrogatz, 4, 0.0};
  const auto net = Network::build(p, 100, Rng(1));
  REQUIRE(net.entries() == 400);
  for (std::uint32_t i = 0; i < 100; ++i) {
    REQUIRE(net.degree(i) == 4);
    std::vector<std::uint32_t> row;
    net.each_neighbour(i, [&](std::uint32_t j) { row.push_back(j); });
    REQUIRE(row.size() == 4);
    for (std::uint32_t d : {1u, 2u, 98u, 99u})
      CHECK(std::binary_search(row.begin(), row.end(), (i + d) % 100));
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
    REQUIRE(one.layout() == four.layout());
    REQUIRE(one.columns() == four.columns());
    require_symmetric_simple(one);
  }
}

namespace {
// Every look-up of `net` against the wide CSR built from the same edges: neighbour(i, k), the row walk,
// the decoded columns.
void require_same_as_wide(const Network& net, const Network& wide) {
  REQUIRE(wide.layout() == Columns::Wide);
  REQUIRE(net.size() == wide.size());
  REQUIRE(net.offsets() == wide.offsets());
  const std::vector<std::uint32_t> cols = wide.columns();
  REQUIRE(cols.size() == wide.entries());
  REQUIRE(net.columns() == cols);
  std::size_t wrong = 0;
  for (std::uint32_t i = 0; i < net.size(); ++i) {
    REQUIRE(net.degree(i) == wide.degree(i));
    const std::uint32_t* row = cols.data() + wide.offsets()[i];
    REQUIRE(std::is_sorted(row, row + wide.degree(i)));
    for (std::uint32_t k = 0; k < net.degree(i); ++k) wrong += net.neighbour(i, k) != row[k];
    std::uint32_t k = 0;
    net.each_neighbour(i, [&](std::uint32_t j) { wrong += k >= wide.degree(i) || j != row[k++]; });
    wrong += k != wide.degree(i);
  }
  REQUIRE(wrong == 0);
}

// Entries of the wide CSR whose delta j - i is one of `deltas` (the edges of a near range).
std::size_t entries_at(const Network& wide, std::initializer_list<std::int64_t> deltas) {
  const std::vector<std::uint32_t> cols = wide.columns();
  std::size_t count = 0;
  for (std::uint32_t i = 0; i < wide.size(); ++i)
    for (std::uint32_t e = wide.offsets()[i]; e < wide.offsets()[i + 1]; ++e)
      for (const std::int64_t d : deltas) count += std::int64_t{cols[e]} - i == d;
  return count;
}

struct LayoutCase {
  const char* name;
  NetworkParams params;
  std::uint32_t n;
  Columns automatic;  // the layout chosen when none is asked for
  Columns packed16;   // the layout when Packed16 is asked for
  Columns packed8;    // the layout when Packed8 is asked for
};
}  // namespace

TEST_CASE("network: the narrow layouts give the same neighbours as the wide one", "[network]") {
  using enum Columns;
  const LayoutCase cases[] = {
      // Lattice deltas within +-5, one far entry per customer: int8 holds it.
      {"watts-strogatz", {NetworkKind::WattsStrogatz, 10, 0.1}, 20000, Packed8, Packed16, Packed8},
      // Uniform deltas over +-1,000: int8 blocks overflow (too many far), int16 holds every entry as near.
      {"erdos-renyi", {NetworkKind::ErdosRenyi, 8, 0}, 1000, Packed16, Packed16, Wide},
      // Uniform deltas over +-100,000: 70% far, int16 is not smaller than uint32 but holds them when
      // asked (deltas around +-16,384, the edge of its near range, are among them).
      {"erdos-renyi, wide", {NetworkKind::ErdosRenyi, 8, 0}, 100000, Wide, Packed16, Wide},
      // Deltas around +-64 (the int8 near range's edge): rewired lattice of half-width 66, int8 overflows.
      {"watts-strogatz, wide lattice",
       {NetworkKind::WattsStrogatz, 132, 0.01},
       3000,
       Packed16,
       Packed16,
       Wide},
      // Hubs: the first block of 64 customers has far more than 16,384 far neighbours.
      {"barabasi-albert", {NetworkKind::BarabasiAlbert, 20, 0}, 100000, Wide, Wide, Wide},
      {"barabasi-albert, small", {NetworkKind::BarabasiAlbert, 6, 0}, 4000, Packed16, Packed16, Wide},
      // Tiny: partial blocks, a ring of 2 and 3.
      {"tiny ring of 2", {NetworkKind::WattsStrogatz, 1, 0}, 2, Packed8, Packed16, Packed8},
      {"tiny ring of 3", {NetworkKind::WattsStrogatz, 2, 0.5}, 3, Packed8, Packed16, Packed8},
      {"tiny, 17", {NetworkKind::ErdosRenyi, 4, 0}, 17, Packed8, Packed16, Packed8},
  };
  for (const LayoutCase& c : cases) {
    SECTION(c.name) {
      const Rng rng(11);
      const Network wide = Network::build(c.params, c.n, rng, Wide);
      const Network automatic = Network::build(c.params, c.n, rng);
      const Network p16 = Network::build(c.params, c.n, rng, Packed16);
      const Network p8 = Network::build(c.params, c.n, rng, Packed8);
      CHECK(automatic.layout() == c.automatic);
      CHECK(p16.layout() == c.packed16);
      CHECK(p8.layout() == c.packed8);
      if (automatic.layout() != Wide) CHECK(automatic.bytes() < wide.bytes());  // chosen when smaller
      require_same_as_wide(automatic, wide);
      require_same_as_wide(p16, wide);
      require_same_as_wide(p8, wide);
      if (c.n == 100000 && c.params.kind == NetworkKind::ErdosRenyi)
        CHECK(entries_at(wide, {-16385, -16384, 16383, 16384}) > 0);
      if (c.n == 3000) CHECK(entries_at(wide, {-65, -64, 63, 64}) > 0);
    }
  }
}
