#include "core/network.hpp"

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace missionsim {

namespace {

constexpr std::size_t kEdgeGrain = 4096;  // customers (or edges) per task of the parallel set-up loops

// Customer ranges for the set-up loops that write per-customer entries: one per thread allowed (at most
// one per kEdgeGrain customers); 1 on one thread, so that loop is the plain serial one.
std::uint32_t set_up_parts(std::uint32_t n) {
  const std::size_t threads =
      std::min(static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()),
               tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  return static_cast<std::uint32_t>(
      std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(1, n / kEdgeGrain)));
}

}  // namespace

Network Network::from_edges(std::uint32_t n, const std::vector<std::uint32_t>& a,
                            const std::vector<std::uint32_t>& b) {
  Network net;
  net.n_ = n;
  net.offsets_.assign(static_cast<std::size_t>(n) + 1, 0);
  // Degrees, then rows, in parallel without atomics: the customers are cut into one range per thread and
  // each task walks every edge in order but writes only the entries of its own customers, so each row is
  // filled in edge order exactly as a serial loop fills it.
  const std::uint32_t parts = set_up_parts(n);
  auto each_part = [&](auto&& body) {
    tbb::parallel_for(std::uint32_t{0}, parts, [&](std::uint32_t part) {
      const auto lo = static_cast<std::uint32_t>(static_cast<std::uint64_t>(n) * part / parts);
      const auto hi = static_cast<std::uint32_t>(static_cast<std::uint64_t>(n) * (part + 1) / parts);
      body(lo, hi - lo);
    });
  };
  std::uint32_t* degree = net.offsets_.data() + 1;
  each_part([&](std::uint32_t lo, std::uint32_t width) {
    if (width == n) {  // one thread: the plain loop
      for (std::size_t e = 0; e < a.size(); ++e) {
        ++degree[a[e]];
        ++degree[b[e]];
      }
      return;
    }
    for (std::size_t e = 0; e < a.size(); ++e) {
      if (a[e] - lo < width) ++degree[a[e]];
      if (b[e] - lo < width) ++degree[b[e]];
    }
  });
  for (std::uint32_t i = 0; i < n; ++i) net.offsets_[i + 1] += net.offsets_[i];
  net.neighbours_.resize(net.offsets_[n]);
  std::vector<std::uint32_t> fill(net.offsets_.begin(), net.offsets_.end() - 1);
  each_part([&](std::uint32_t lo, std::uint32_t width) {
    if (width == n) {
      for (std::size_t e = 0; e < a.size(); ++e) {
        net.neighbours_[fill[a[e]]++] = b[e];
        net.neighbours_[fill[b[e]]++] = a[e];
      }
      return;
    }
    for (std::size_t e = 0; e < a.size(); ++e) {
      if (a[e] - lo < width) net.neighbours_[fill[a[e]]++] = b[e];
      if (b[e] - lo < width) net.neighbours_[fill[b[e]]++] = a[e];
    }
  });
  // Sorted rows: better locality when a phase walks them. Sorting makes each row independent of the
  // order the entries were filled in.
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n, kEdgeGrain), [&](const auto& r) {
    for (std::uint32_t i = r.begin(); i != r.end(); ++i)
      std::sort(net.neighbours_.begin() + net.offsets_[i], net.neighbours_.begin() + net.offsets_[i + 1]);
  });
  return net;
}

namespace {

using Edges = std::vector<std::uint32_t>;

void watts_strogatz(const NetworkParams& p, std::uint32_t n, std::uint32_t k, const Rng& rng, Edges& a,
                    Edges& b) {
  // Ring lattice with k/2 neighbours on each side; each edge's far end is
  // rewired to a uniform random node with probability `rewire` (Watts & Strogatz 1998). Eq. 5.
  // Edge (i, j) is entry i * half + j - 1 and its draw is addressed by (i, j): filled in parallel.
  const std::uint32_t half = std::max<std::uint32_t>(1, k / 2);
  a.resize(static_cast<std::size_t>(n) * half);
  b.resize(static_cast<std::size_t>(n) * half);
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n, kEdgeGrain), [&](const auto& r) {
    for (std::uint32_t i = r.begin(); i != r.end(); ++i) {
      for (std::uint32_t j = 1; j <= half; ++j) {
        std::uint32_t t = static_cast<std::uint32_t>((static_cast<std::uint64_t>(i) + j) % n);
        auto w = rng.words(Purpose::Network, i, j, 0);
        if (Rng::unit(w[0]) < p.rewire) {
          std::uint32_t c = Rng::index(w[1], n - 1);
          t = c < i ? c : c + 1;  // never a self-loop
        }
        const std::size_t e = static_cast<std::size_t>(i) * half + j - 1;
        a[e] = i;
        b[e] = t;
      }
    }
  });
}

void erdos_renyi(std::uint32_t n, std::uint32_t k, const Rng& rng, Edges& a, Edges& b) {
  // G(n, m) with m = n k / 2 edges drawn uniformly (multi-edges are rare and kept). Eq. 6.
  // Edge e's draw is addressed by e: filled in parallel.
  const std::uint64_t m = static_cast<std::uint64_t>(n) * k / 2;
  a.resize(m);
  b.resize(m);
  tbb::parallel_for(tbb::blocked_range<std::uint64_t>(0, m, kEdgeGrain), [&](const auto& r) {
    for (std::uint64_t e = r.begin(); e != r.end(); ++e) {
      auto w =
          rng.words(Purpose::Network, static_cast<std::uint32_t>(e), static_cast<std::uint32_t>(e >> 32), 1);
      std::uint32_t u = Rng::index(w[0], n);
      std::uint32_t c = Rng::index(w[1], n - 1);
      a[e] = u;
      b[e] = c < u ? c : c + 1;
    }
  });
}

void barabasi_albert(std::uint32_t n, std::uint32_t k, const Rng& rng, Edges& a, Edges& b) {
  // Preferential attachment (Barabasi & Albert 1999): each new node links
  // to m = k/2 existing nodes chosen with probability proportional to degree,
  // by picking a uniform endpoint of the edges so far. Eq. 7.
  const std::uint32_t m = std::max<std::uint32_t>(1, k / 2);
  const std::uint32_t seed_nodes = std::min(n, m + 1);
  for (std::uint32_t i = 0; i < seed_nodes; ++i)
    for (std::uint32_t j = i + 1; j < seed_nodes; ++j) {
      a.push_back(i);
      b.push_back(j);
    }
  for (std::uint32_t i = seed_nodes; i < n; ++i) {
    Stream s(rng, Purpose::Network, i, 2);
    std::vector<std::uint32_t> chosen(m);
    std::uint32_t got = 0;
    for (std::uint32_t tries = 0; got < m && tries < 16 * m; ++tries) {
      const std::size_t ends = a.size() * 2;
      std::uint32_t t;
      if (ends == 0) {
        t = s.index(i);
      } else {
        std::uint64_t pick = (static_cast<std::uint64_t>(s.word()) << 32 | s.word()) % ends;
        t = pick % 2 == 0 ? a[pick / 2] : b[pick / 2];
      }
      if (std::find(chosen.begin(), chosen.begin() + got, t) == chosen.begin() + got) chosen[got++] = t;
    }
    for (std::uint32_t g = 0; g < got; ++g) {
      a.push_back(i);
      b.push_back(chosen[g]);
    }
  }
}

}  // namespace

Network Network::build(const NetworkParams& p, std::uint32_t n, const Rng& rng) {
  if (p.kind == NetworkKind::Complete || n < 2) {
    Network net;
    net.complete_ = true;
    net.n_ = n;
    return net;
  }
  const auto k = static_cast<std::uint32_t>(std::llround(p.mean_degree));
  if (k < 1 || k >= n) throw std::invalid_argument("network mean_degree must be in [1, customers)");
  std::vector<std::uint32_t> a, b;
  switch (p.kind) {
    case NetworkKind::WattsStrogatz:
      watts_strogatz(p, n, k, rng, a, b);
      break;
    case NetworkKind::ErdosRenyi:
      erdos_renyi(n, k, rng, a, b);
      break;
    case NetworkKind::BarabasiAlbert:
      barabasi_albert(n, k, rng, a, b);
      break;
    case NetworkKind::Complete:
      break;
  }
  return from_edges(n, a, b);
}

}  // namespace missionsim
