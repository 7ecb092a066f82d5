// The network set-up against plain reference constructions: Watts-Strogatz rows straight from Eq. 5's
// draws, the same graph in every layout and at every thread count, and the adopted-neighbour counts at
// t = 0 (Eq. 13) against a count over the rows.
#include <tbb/global_control.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

#include "core/network.hpp"
#include "sim_helpers.hpp"

using namespace missionsim;

namespace {

struct Csr {
  std::vector<std::uint32_t> offsets, columns;
};

// Eq. 5 spelled out: edge (i, j), j = 1 .. k/2, joins i and i + j (mod n), or, when its draw rewires it,
// i and a uniform other customer; each row is the sorted list of its edges' other ends.
Csr watts_strogatz_reference(std::uint32_t n, std::uint32_t k, double rewire, const Rng& rng) {
  const std::uint32_t half = std::max<std::uint32_t>(1, k / 2);
  std::vector<std::vector<std::uint32_t>> rows(n);
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t j = 1; j <= half; ++j) {
      auto t = static_cast<std::uint32_t>((std::uint64_t{i} + j) % n);
      const auto w = rng.words(Purpose::Network, i, j, 0);
      if (Rng::unit(w[0]) < rewire) {
        const std::uint32_t c = Rng::index(w[1], n - 1);
        t = c < i ? c : c + 1;
      }
      rows[i].push_back(t);
      rows[t].push_back(i);
    }
  Csr csr{{0}, {}};
  for (auto& row : rows) {
    std::sort(row.begin(), row.end());
    csr.columns.insert(csr.columns.end(), row.begin(), row.end());
    csr.offsets.push_back(static_cast<std::uint32_t>(csr.columns.size()));
  }
  return csr;
}

Network build_at(int threads, const NetworkParams& params, std::uint32_t n, const Rng& rng, Columns columns) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  return Network::build(params, n, rng, columns);
}

}  // namespace

TEST_CASE("network set-up: Watts-Strogatz rows are Eq. 5's edges, in every layout and at 1-3 threads",
          "[network][determinism]") {
  struct Case {
    std::uint32_t n, k;
    double rewire;
  };
  // Partial runs of draws and blocks, rings that wrap, multi-edges (a rewired edge onto a lattice
  // neighbour), every edge rewired, and sizes over several tasks of 4096 customers.
  const Case cases[] = {{2, 1, 0.0},     {3, 2, 0.5},     {17, 4, 0.3},     {300, 6, 1.0},
                        {1000, 10, 0.1}, {9001, 8, 0.05}, {20000, 10, 0.2}, {3000, 132, 0.01}};
  const Rng rng(23);
  for (const Case& c : cases) {
    CAPTURE(c.n, c.k, c.rewire);
    const Csr want = watts_strogatz_reference(c.n, c.k, c.rewire, rng);
    const NetworkParams params{NetworkKind::WattsStrogatz, static_cast<double>(c.k), c.rewire};
    for (const Columns columns : {Columns::Automatic, Columns::Wide, Columns::Packed16, Columns::Packed8})
      for (const int threads : {1, 2, 3}) {
        CAPTURE(static_cast<int>(columns), threads);
        const Network net = build_at(threads, params, c.n, rng, columns);
        REQUIRE(std::vector<std::uint32_t>(net.offsets().begin(), net.offsets().end()) == want.offsets);
        REQUIRE(net.columns() == want.columns);
      }
  }
}

TEST_CASE("network set-up: listed edges give the same rows in every layout and at 1-3 threads",
          "[network][determinism]") {
  const Rng rng(31);
  for (const NetworkParams params :
       {NetworkParams{NetworkKind::ErdosRenyi, 8, 0}, NetworkParams{NetworkKind::BarabasiAlbert, 6, 0}})
    for (const std::uint32_t n : {17u, 1000u, 13000u}) {
      CAPTURE(static_cast<int>(params.kind), n);
      const Network wide = build_at(1, params, n, rng, Columns::Wide);
      const std::vector<std::uint32_t> cols = wide.columns();
      for (std::uint32_t i = 0; i < n; ++i) {
        const auto* row = cols.data() + wide.offsets()[i];
        REQUIRE(std::is_sorted(row, row + wide.degree(i)));
      }
      for (const Columns columns : {Columns::Automatic, Columns::Wide, Columns::Packed16, Columns::Packed8})
        for (const int threads : {1, 2, 3}) {
          CAPTURE(static_cast<int>(columns), threads);
          const Network net = build_at(threads, params, n, rng, columns);
          REQUIRE(net.offsets() == wide.offsets());
          REQUIRE(net.columns() == cols);
        }
    }
}

// Eq. 13 at t = 0: few adopters (their rows scattered) and many (every row counted) at 1 and 2 threads.
TEST_CASE("network set-up: adopted-neighbour counts at t = 0 count the rows", "[network][determinism]") {
  for (const double adopted : {0.0, 0.02, 0.5})
    for (const int threads : {1, 2}) {
      CAPTURE(adopted, threads);
      tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
      Params p = test::tiny_params(12000, 1);
      p.initial_adopted = adopted;
      p.network = {NetworkKind::WattsStrogatz, 10, 0.2};
      const Simulation sim(p);
      const CustomerArrays c = sim.customers();
      const NetworkCsr net = sim.network();
      REQUIRE(c.adopted_neighbours.size() == 12000);
      std::size_t adopters = 0, wrong = 0;
      for (std::uint32_t i = 0; i < 12000; ++i) {
        adopters += c.firm[i] != 0xFFFF;
        std::uint32_t count = 0;
        for (std::uint32_t e = net.offsets[i]; e < net.offsets[i + 1]; ++e)
          count += c.firm[net.neighbours[e]] != 0xFFFF;
        wrong += c.adopted_neighbours[i] != count;
      }
      CHECK(wrong == 0);
      if (adopted > 0) CHECK(adopters > 12000 * adopted / 2);
    }
}
