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
  net.wide_.resize(net.offsets_[n]);
  std::vector<std::uint32_t> fill(net.offsets_.begin(), net.offsets_.end() - 1);
  each_part([&](std::uint32_t lo, std::uint32_t width) {
    if (width == n) {
      for (std::size_t e = 0; e < a.size(); ++e) {
        net.wide_[fill[a[e]]++] = b[e];
        net.wide_[fill[b[e]]++] = a[e];
      }
      return;
    }
    for (std::size_t e = 0; e < a.size(); ++e) {
      if (a[e] - lo < width) net.wide_[fill[a[e]]++] = b[e];
      if (b[e] - lo < width) net.wide_[fill[b[e]]++] = a[e];
    }
  });
  // Sorted rows: better locality when a phase walks them. Sorting makes each row independent of the
  // order the entries were filled in.
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n, kEdgeGrain), [&](const auto& r) {
    for (std::uint32_t i = r.begin(); i != r.end(); ++i)
      std::sort(net.wide_.begin() + net.offsets_[i], net.wide_.begin() + net.offsets_[i + 1]);
  });
  return net;
}

namespace {

constexpr unsigned kCountShift = 4;  // far entries are counted per 16 customers, the finer of the blocks

// Far entries of layout P in each of its blocks, from the counts per 16 customers; false when a block
// holds more than its escapes can address.
template <class P>
bool block_bases(const std::vector<std::uint32_t>& far16, std::uint32_t n, std::vector<std::uint32_t>& base) {
  constexpr unsigned kGroup = 1u << (P::kBlockShift - kCountShift);
  const std::size_t blocks = (std::size_t{n} + (1u << P::kBlockShift) - 1) >> P::kBlockShift;
  base.assign(blocks + 1, 0);
  for (std::size_t b = 0; b < blocks; ++b) {
    std::uint64_t count = 0;
    for (std::size_t g = b * kGroup; g < std::min(far16.size(), (b + 1) * kGroup); ++g) count += far16[g];
    if (count > static_cast<std::uint64_t>(P::kNear)) return false;
    base[b + 1] = static_cast<std::uint32_t>(base[b] + count);
  }
  return true;
}

// Fills p's columns and far lists from the wide rows, block by block in parallel: each block writes only
// its own entries and its own part of far, in row order, so the result does not depend on the threads.
template <class P>
void fill_packed(P& p, const HugeVector<std::uint32_t>& offsets, const HugeVector<std::uint32_t>& wide,
                 std::uint32_t n) {
  using T = typename decltype(p.cols)::value_type;
  p.cols.resize(wide.size());
  p.far.resize(p.base.back());
  const std::size_t blocks = p.base.size() - 1;
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, blocks, kEdgeGrain >> P::kBlockShift), [&](const auto& r) {
        for (std::size_t b = r.begin(); b != r.end(); ++b) {
          std::uint32_t slot = 0;
          const auto i0 = static_cast<std::uint32_t>(b << P::kBlockShift);
          const auto i1 = static_cast<std::uint32_t>(std::min<std::size_t>(n, (b + 1) << P::kBlockShift));
          for (std::uint32_t i = i0; i < i1; ++i)
            for (std::size_t e = offsets[i]; e < offsets[i + 1]; ++e) {
              const std::int64_t d = std::int64_t{wide[e]} - i;
              if (d >= -P::kNear && d < P::kNear) {
                p.cols[e] = static_cast<T>(d);
              } else {
                p.cols[e] = static_cast<T>(static_cast<int>(slot) - 2 * P::kNear);
                p.far[p.base[b] + slot++] = wide[e];
              }
            }
        }
      });
}

}  // namespace

void Network::pack(Columns columns) {
  if (columns == Columns::Wide) return;
  // Far entries per 16 customers for both packed layouts, in parallel (each group writes its own count).
  const std::size_t groups = (std::size_t{n_} + (1u << kCountShift) - 1) >> kCountShift;
  std::vector<std::uint32_t> far8(groups), far16(groups);
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, groups, kEdgeGrain >> kCountShift), [&](const auto& r) {
        for (std::size_t g = r.begin(); g != r.end(); ++g) {
          std::uint32_t c8 = 0, c16 = 0;
          const auto i0 = static_cast<std::uint32_t>(g << kCountShift);
          const auto i1 = static_cast<std::uint32_t>(std::min<std::size_t>(n_, (g + 1) << kCountShift));
          for (std::uint32_t i = i0; i < i1; ++i)
            for (std::size_t e = offsets_[i]; e < offsets_[i + 1]; ++e) {
              const std::int64_t d = std::int64_t{wide_[e]} - i;
              c8 += d < -decltype(p8_)::kNear || d >= decltype(p8_)::kNear;
              c16 += d < -decltype(p16_)::kNear || d >= decltype(p16_)::kNear;
            }
          far8[g] = c8;
          far16[g] = c16;
        }
      });
  // The smallest layout that holds the graph, if smaller than the wide one; the one asked for if it holds
  // the graph.
  const bool any = columns == Columns::Automatic;
  std::size_t best = any ? wide_.size() * sizeof(std::uint32_t) : SIZE_MAX;
  Columns chosen = Columns::Wide;
  if ((any || columns == Columns::Packed16) && block_bases<decltype(p16_)>(far16, n_, p16_.base)) {
    const std::size_t size =
        wide_.size() * sizeof(std::int16_t) + (p16_.base.back() + p16_.base.size()) * sizeof(std::uint32_t);
    if (size < best) best = size, chosen = Columns::Packed16;
  }
  if ((any || columns == Columns::Packed8) && block_bases<decltype(p8_)>(far8, n_, p8_.base)) {
    const std::size_t size =
        wide_.size() * sizeof(std::int8_t) + (p8_.base.back() + p8_.base.size()) * sizeof(std::uint32_t);
    if (size < best) best = size, chosen = Columns::Packed8;
  }
  if (chosen == Columns::Packed16) fill_packed(p16_, offsets_, wide_, n_);
  if (chosen == Columns::Packed8) fill_packed(p8_, offsets_, wide_, n_);
  if (chosen != Columns::Packed16) p16_ = {};
  if (chosen != Columns::Packed8) p8_ = {};
  if (chosen != Columns::Wide) HugeVector<std::uint32_t>().swap(wide_);
  layout_ = chosen;
}

std::vector<std::uint32_t> Network::columns() const {
  if (complete_) return {};
  if (layout_ == Columns::Wide) return {wide_.begin(), wide_.end()};
  std::vector<std::uint32_t> out(entries());
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n_, kEdgeGrain), [&](const auto& r) {
    for (std::uint32_t i = r.begin(); i != r.end(); ++i) {
      std::size_t e = offsets_[i];
      each_neighbour(i, [&](std::uint32_t j) { out[e++] = j; });
    }
  });
  return out;
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

Network Network::build(const NetworkParams& p, std::uint32_t n, const Rng& rng, Columns columns) {
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
  Network net = from_edges(n, a, b);
  std::vector<std::uint32_t>().swap(a);  // the edge lists go before the narrow columns are made
  std::vector<std::uint32_t>().swap(b);
  net.pack(columns);
  return net;
}

}  // namespace missionsim
