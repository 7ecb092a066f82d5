#include "core/network.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace missionsim {

Network Network::from_edges(std::uint32_t n, const std::vector<std::uint32_t>& a,
                            const std::vector<std::uint32_t>& b) {
  Network net;
  net.n_ = n;
  net.offsets_.assign(static_cast<std::size_t>(n) + 1, 0);
  for (std::size_t e = 0; e < a.size(); ++e) {
    ++net.offsets_[a[e] + 1];
    ++net.offsets_[b[e] + 1];
  }
  for (std::uint32_t i = 0; i < n; ++i) net.offsets_[i + 1] += net.offsets_[i];
  net.neighbours_.resize(net.offsets_[n]);
  std::vector<std::uint32_t> fill(net.offsets_.begin(), net.offsets_.end() - 1);
  for (std::size_t e = 0; e < a.size(); ++e) {
    net.neighbours_[fill[a[e]]++] = b[e];
    net.neighbours_[fill[b[e]]++] = a[e];
  }
  // Sorted rows: better locality when a phase walks them.
  for (std::uint32_t i = 0; i < n; ++i)
    std::sort(net.neighbours_.begin() + net.offsets_[i], net.neighbours_.begin() + net.offsets_[i + 1]);
  return net;
}

namespace {

using Edges = std::vector<std::uint32_t>;

void watts_strogatz(const NetworkParams& p, std::uint32_t n, std::uint32_t k, const Rng& rng, Edges& a,
                    Edges& b) {
  // Ring lattice with k/2 neighbours on each side; each edge's far end is
  // rewired to a uniform random node with probability `rewire` (Watts & Strogatz 1998). Eq. 5.
  const std::uint32_t half = std::max<std::uint32_t>(1, k / 2);
  a.reserve(static_cast<std::size_t>(n) * half);
  b.reserve(static_cast<std::size_t>(n) * half);
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t j = 1; j <= half; ++j) {
      std::uint32_t t = static_cast<std::uint32_t>((static_cast<std::uint64_t>(i) + j) % n);
      auto w = rng.words(Purpose::Network, i, j, 0);
      if (Rng::unit(w[0]) < p.rewire) {
        std::uint32_t c = Rng::index(w[1], n - 1);
        t = c < i ? c : c + 1;  // never a self-loop
      }
      a.push_back(i);
      b.push_back(t);
    }
  }
}

void erdos_renyi(std::uint32_t n, std::uint32_t k, const Rng& rng, Edges& a, Edges& b) {
  // G(n, m) with m = n k / 2 edges drawn uniformly (multi-edges are rare and kept). Eq. 6.
  const std::uint64_t m = static_cast<std::uint64_t>(n) * k / 2;
  a.reserve(m);
  b.reserve(m);
  for (std::uint64_t e = 0; e < m; ++e) {
    auto w =
        rng.words(Purpose::Network, static_cast<std::uint32_t>(e), static_cast<std::uint32_t>(e >> 32), 1);
    std::uint32_t u = Rng::index(w[0], n);
    std::uint32_t c = Rng::index(w[1], n - 1);
    a.push_back(u);
    b.push_back(c < u ? c : c + 1);
  }
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
