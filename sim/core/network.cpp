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

// A Watts-Strogatz edge (i, j) that does not end at its ring end (i + j) mod n.
struct OffRing {
  std::uint32_t i, ring, t;  // t: where it ends instead
};

}  // namespace

// Edges as the generators list them. Erdos-Renyi and Barabasi-Albert: edge e joins a[e] and b[e].
// Watts-Strogatz (run > 0): customer i's edges (i, j), j = 1 .. run, each end at the ring end (i + j) mod n
// (bit i run + j - 1 of on_ring set) or else are listed in off_ring, per chunk of kEdgeGrain customers in
// customer order. A row then finds its ring entries from the bits; only the off-ring ends need placing.
struct Network::EdgeList {
  std::uint32_t run = 0;
  HugeVector<std::uint32_t> a, b;  // on huge pages: fewer page faults (and zeroed pages) than malloc's
  std::vector<std::uint64_t> on_ring;
  std::vector<std::vector<OffRing>> off_ring;  // [chunk]
};

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

// Calls body(lo, width) for each of the set-up parts of customers [0, n), in parallel.
template <class Body>
void each_part(std::uint32_t n, Body&& body) {
  const std::uint32_t parts = set_up_parts(n);
  tbb::parallel_for(std::uint32_t{0}, parts, [&](std::uint32_t part) {
    const auto lo = static_cast<std::uint32_t>(static_cast<std::uint64_t>(n) * part / parts);
    const auto hi = static_cast<std::uint32_t>(static_cast<std::uint64_t>(n) * (part + 1) / parts);
    body(lo, hi - lo);
  });
}

// Ascending order of the few entries of a typical row, which its assembly leaves nearly sorted.
void sort_row(std::uint32_t* row, std::size_t m) {
  if (m > 32) return std::sort(row, row + m);
  for (std::size_t k = 1; k < m; ++k) {
    const std::uint32_t v = row[k];
    std::size_t h = k;
    for (; h > 0 && row[h - 1] > v; --h) row[h] = row[h - 1];
    row[h] = v;
  }
}

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

}  // namespace

// The row entries that place_rows sorted by row: row i's are entries[start[i], start[i + 1]), start
// being offsets_ when `a` is explicit (the placed entries are then the whole rows).
struct Network::Placed {
  HugeVector<std::uint32_t> entries;
  HugeVector<std::uint32_t> start;  // [n + 1] when run > 0, else empty
};

// A counting sort by row of the entries the edge list does not hold in row order: both ends of every edge
// when `a` is explicit, the off-ring ends otherwise. In parallel without atomics: the customers are cut
// into one range per thread and each task walks every edge in order but counts and places only the
// entries of its own rows. Leaves offsets_ the final row starts; each row's entries are placed in an order
// that does not matter, the rows being sorted afterwards.
Network::Placed Network::place_rows(const EdgeList& edges) {
  const std::uint32_t n = n_, run = edges.run;
  const std::uint32_t* a = edges.a.data();
  const std::uint32_t* b = edges.b.data();
  const std::size_t m = edges.b.size();
  Placed placed;
  offsets_.assign(std::size_t{n} + 1, 0);
  if (run > 0) placed.start.assign(std::size_t{n} + 1, 0);
  // next[i] = start[i + 1]: first the number of row i's placed entries, then (after the scan) where row
  // i's next one goes, and at the end where row i + 1's placed entries start. With run > 0, lost[i] =
  // offsets_[i + 1] counts the ring entries row i lacks until the scan.
  std::uint32_t* next = (run > 0 ? placed.start.data() : offsets_.data()) + 1;
  std::uint32_t* lost = offsets_.data() + 1;
  each_part(n, [&](std::uint32_t lo, std::uint32_t width) {
    const bool all = width == n;  // one thread: no range tests
    if (run > 0) {
      for (const auto& chunk : edges.off_ring)
        for (const OffRing& r : chunk) {
          if (all || r.t - lo < width) ++next[r.t];
          if (all || r.ring - lo < width) ++lost[r.ring];
        }
      return;
    }
    for (std::size_t e = 0; e < m; ++e) {
      if (all || a[e] - lo < width) ++next[a[e]];
      if (all || b[e] - lo < width) ++next[b[e]];
    }
  });
  std::uint32_t placed_entries = 0, entries = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t count = next[i];
    next[i] = placed_entries;
    placed_entries += count;
    if (run > 0) lost[i] = entries += 2 * run - lost[i] + count;  // its run, its ring entries, the placed
  }
  placed.entries.resize(placed_entries);
  std::uint32_t* out = placed.entries.data();
  each_part(n, [&](std::uint32_t lo, std::uint32_t width) {
    const bool all = width == n;
    if (run > 0) {
      for (const auto& chunk : edges.off_ring)
        for (const OffRing& r : chunk)
          if (all || r.t - lo < width) out[next[r.t]++] = r.i;
      return;
    }
    for (std::size_t e = 0; e < m; ++e) {
      if (all || a[e] - lo < width) out[next[a[e]]++] = b[e];
      if (all || b[e] - lo < width) out[next[b[e]]++] = a[e];
    }
  });
  return placed;
}

// Sorts every row into the smallest layout that holds the graph (if smaller than the wide one), or the
// one asked for if it holds the graph. In parallel by chunks of kEdgeGrain rows, each writing only its own
// entries (and its own part of far), so the result does not depend on the threads.
void Network::encode(const EdgeList& edges, Placed& placed, Columns columns) {
  const std::uint32_t n = n_, run = edges.run;
  const std::uint64_t* bits = edges.on_ring.data();
  const std::uint32_t* in = placed.entries.data();
  const std::uint32_t* off = offsets_.data();
  const std::uint32_t* start = run > 0 ? placed.start.data() : off;
  const std::size_t chunks = (std::size_t{n} + kEdgeGrain - 1) / kEdgeGrain;
  auto on_ring = [bits](std::size_t e) { return (bits[e >> 6] >> (e & 63)) & 1; };
  // Calls f(c, i0, i1, cursor) for each chunk c of rows [i0, i1), in parallel; `cursor` starts at the
  // chunk's off-ring edges, which the chunk's rows, read in order, take one after the other.
  auto each_chunk = [&](auto&& f) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1), [&](const auto& r) {
      for (std::size_t c = r.begin(); c != r.end(); ++c)
        f(c, static_cast<std::uint32_t>(c * kEdgeGrain),
          static_cast<std::uint32_t>(std::min<std::size_t>(n, (c + 1) * kEdgeGrain)),
          run > 0 ? edges.off_ring[c].data() : nullptr);
    });
  };
  // Row x's entries, nearly ascending: its ring entries i = x - j (mod n) of the ring edges (i, j), its
  // placed entries, the ends of its own edges.
  auto each_entry = [&](std::uint32_t x, const OffRing*& cursor, auto&& f) {
    for (std::uint32_t j = run; j >= 1; --j) {
      const std::uint32_t i = x >= j ? x - j : x + (n - j);
      if (on_ring(std::size_t{i} * run + j - 1)) f(i);
    }
    for (std::size_t e = start[x]; e < start[x + 1]; ++e) f(in[e]);
    for (std::uint32_t j = 1; j <= run; ++j) {
      if (on_ring(std::size_t{x} * run + j - 1)) {
        const std::uint64_t end = std::uint64_t{x} + j;
        f(static_cast<std::uint32_t>(end < n ? end : end - n));
      } else {
        f((cursor++)->t);
      }
    }
  };
  auto sorted_row = [&](std::uint32_t x, const OffRing*& cursor, std::uint32_t* row) {
    std::size_t m = 0;
    if (run == 0 || x < run || x >= n - run) {  // listed edges, or a ring that wraps around here
      each_entry(x, cursor, [&](std::uint32_t j) { row[m++] = j; });
      return sort_row(row, m);
    }
    // The ring entries present, x - run .. x - 1 and x + 1 .. x + run, come in order; the few others
    // (placed, or this row's own edges off the ring) are inserted.
    const std::size_t own = std::size_t{x} * run;
    for (std::uint32_t j = run; j >= 1; --j)
      if (on_ring(own - std::size_t{j} * run + j - 1)) row[m++] = x - j;
    for (std::uint32_t j = 1; j <= run; ++j)
      if (on_ring(own + j - 1)) row[m++] = x + j;
    const std::size_t ring = m, degree = off[x + 1] - off[x];
    const std::size_t others = degree - ring, own_off = others - (start[x + 1] - start[x]);
    if (others > 8) {  // many: all sorted
      for (std::size_t e = start[x]; e < start[x + 1]; ++e) row[m++] = in[e];
      for (std::size_t k = 0; k < own_off; ++k) row[m++] = (cursor++)->t;
      return sort_row(row, m);
    }
    auto insert = [&](std::uint32_t v) {
      std::size_t h = m++;
      for (; h > 0 && row[h - 1] > v; --h) row[h] = row[h - 1];
      row[h] = v;
    };
    for (std::size_t e = start[x]; e < start[x + 1]; ++e) insert(in[e]);
    for (std::size_t k = 0; k < own_off; ++k) insert((cursor++)->t);
  };
  // Near entries of row i (sorted) as deltas, far ones as escapes numbered in row order within the block
  // (slot), far(i, j) being called for each far one.
  auto encode_row = [&](auto& p, std::uint32_t i, const std::uint32_t* row, std::uint32_t& slot, auto&& far) {
    using P = std::remove_cvref_t<decltype(p)>;
    using T = typename decltype(p.cols)::value_type;
    T* cols = p.cols.data() + off[i];
    for (std::uint32_t k = 0, degree = off[i + 1] - off[i]; k < degree; ++k) {
      const std::int64_t d = std::int64_t{row[k]} - i;
      if (d >= -P::kNear && d < P::kNear) {
        cols[k] = static_cast<T>(d);
      } else {
        cols[k] = static_cast<T>(static_cast<int>(slot++) - 2 * P::kNear);
        far(i, row[k]);
      }
    }
  };
  // The rows [i0, i1) of a chunk sorted and encoded as P.
  auto fill_rows = [&](auto& p, std::uint32_t i0, std::uint32_t i1, const OffRing* cursor, auto&& far) {
    using P = std::remove_cvref_t<decltype(p)>;
    std::vector<std::uint32_t> row;
    std::uint32_t slot = 0;
    for (std::uint32_t i = i0; i < i1; ++i) {
      if ((i & ((1u << P::kBlockShift) - 1)) == 0) slot = 0;
      const std::uint32_t degree = off[i + 1] - off[i];
      if (row.size() < degree) row.resize(degree);
      sorted_row(i, cursor, row.data());
      encode_row(p, i, row.data(), slot, far);
    }
  };
  layout_ = Columns::Wide;
  if (columns != Columns::Wide) {
    // One pass sorts the rows into the layout tried first (Packed16 if asked for, else Packed8), its far
    // entries listed per chunk of kEdgeGrain customers, and counts the far entries of the layouts that
    // may be chosen per 16 customers; the layout chosen from the counts is nearly always the one tried.
    const bool first16 = columns == Columns::Packed16;
    const std::size_t groups = (std::size_t{n} + (1u << kCountShift) - 1) >> kCountShift;
    std::vector<std::uint32_t> far8(groups), far16(groups);
    std::vector<std::vector<std::uint32_t>> chunk_far(chunks);
    // The far entries of the layout tried are counted as they are listed; trying Packed8 (Packed16 is
    // not asked for), those are the ones that may be far for Packed16 too.
    auto far_from = [](std::uint32_t i, std::uint32_t j, std::int64_t near) {
      const std::int64_t d = std::int64_t{j} - i;
      return d < -near || d >= near;
    };
    auto try_first = [&](auto& p) {
      p.cols.resize(offsets_[n]);
      each_chunk([&](std::size_t c, std::uint32_t i0, std::uint32_t i1, const OffRing* cursor) {
        std::vector<std::uint32_t>& far = chunk_far[c];
        auto listed = [&](std::uint32_t i, std::uint32_t j) {
          far.push_back(j);
          if (first16) {
            ++far16[i >> kCountShift];
          } else {
            ++far8[i >> kCountShift];
            far16[i >> kCountShift] += far_from(i, j, decltype(p16_)::kNear);
          }
        };
        fill_rows(p, i0, i1, cursor, listed);
      });
    };
    if (first16)
      try_first(p16_);
    else
      try_first(p8_);
    const bool any = columns == Columns::Automatic;
    const std::size_t entries = offsets_[n];
    std::size_t best = any ? entries * sizeof(std::uint32_t) : SIZE_MAX;
    if ((any || columns == Columns::Packed16) && block_bases<decltype(p16_)>(far16, n, p16_.base)) {
      const std::size_t size =
          entries * sizeof(std::int16_t) + (p16_.base.back() + p16_.base.size()) * sizeof(std::uint32_t);
      if (size < best) best = size, layout_ = Columns::Packed16;
    }
    if ((any || columns == Columns::Packed8) && block_bases<decltype(p8_)>(far8, n, p8_.base)) {
      const std::size_t size =
          entries * sizeof(std::int8_t) + (p8_.base.back() + p8_.base.size()) * sizeof(std::uint32_t);
      if (size < best) best = size, layout_ = Columns::Packed8;
    }
    // The layout tried first: its far list is the chunks' lists one after the other.
    auto join_far = [&](auto& p) {
      std::vector<std::size_t> at(chunks + 1, 0);
      for (std::size_t c = 0; c < chunks; ++c) at[c + 1] = at[c] + chunk_far[c].size();
      p.far.resize(at[chunks]);
      tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
        std::copy(chunk_far[c].begin(), chunk_far[c].end(), p.far.begin() + at[c]);
      });
    };
    if (layout_ == Columns::Packed16 && first16) join_far(p16_);
    if (layout_ == Columns::Packed8 && !first16) join_far(p8_);
    // Otherwise (rare: the graph does not fit the layout tried, or another is smaller) another pass; a
    // chunk's far entries start at its first block's (a chunk is whole blocks).
    auto fill = [&](auto& p) {
      using P = std::remove_cvref_t<decltype(p)>;
      p.cols.resize(offsets_[n]);
      p.far.resize(p.base.back());
      each_chunk([&](std::size_t, std::uint32_t i0, std::uint32_t i1, const OffRing* cursor) {
        std::uint32_t* far = p.far.data() + p.base[i0 >> P::kBlockShift];
        fill_rows(p, i0, i1, cursor, [&](std::uint32_t, std::uint32_t j) { *far++ = j; });
      });
    };
    if (layout_ == Columns::Packed16 && !first16) fill(p16_);
    if (layout_ == Columns::Packed8 && first16) fill(p8_);
  }
  if (layout_ != Columns::Packed16) p16_ = {};
  if (layout_ != Columns::Packed8) p8_ = {};
  if (layout_ == Columns::Wide) {
    if (run == 0)  // the placed entries are the whole rows
      wide_.swap(placed.entries);
    else
      wide_.resize(offsets_[n]);
    each_chunk([&](std::size_t, std::uint32_t i0, std::uint32_t i1, const OffRing* cursor) {
      for (std::uint32_t i = i0; i < i1; ++i) {
        if (run > 0) {
          std::size_t e = off[i];
          each_entry(i, cursor, [&](std::uint32_t j) { wide_[e++] = j; });
        }
        sort_row(wide_.data() + off[i], off[i + 1] - off[i]);
      }
    });
  }
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

using Edges = HugeVector<std::uint32_t>;

void watts_strogatz(const NetworkParams& p, std::uint32_t n, std::uint32_t k, const Rng& rng,
                    std::vector<std::uint64_t>& on_ring, std::vector<std::vector<OffRing>>& off_ring) {
  // Ring lattice with k/2 neighbours on each side; each edge's far end is
  // rewired to a uniform random node with probability `rewire` (Watts & Strogatz 1998). Eq. 5.
  // Edge (i, j)'s draw is addressed by (i, j): made in parallel by chunks of kEdgeGrain customers (a
  // whole number of words of on_ring), for a run of customers and one j at a time (Rng::words_run: the
  // same words as Rng::words), then read customer by customer.
  const std::uint32_t half = std::max<std::uint32_t>(1, k / 2);
  on_ring.assign((static_cast<std::size_t>(n) * half + 63) / 64, 0);
  const std::uint64_t rewired = Rng::unit_bound(p.rewire);  // w < rewired <=> Rng::unit(w) < p.rewire
  const std::size_t chunks = (std::size_t{n} + kEdgeGrain - 1) / kEdgeGrain;
  off_ring.resize(chunks);
  const std::uint32_t run_of = std::clamp<std::uint32_t>(8192 / half, 16, 256);  // customers per draw run
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1), [&](const auto& r) {
    std::vector<std::uint32_t> w(std::size_t{half + 1} * 2 * run_of);  // words 0, 1 [j][customer]; 2, 3
    std::uint32_t* w0 = w.data();
    std::uint32_t* w1 = w0 + std::size_t{half} * run_of;
    std::uint32_t* scratch = w1 + std::size_t{half} * run_of;
    for (std::size_t c = r.begin(); c != r.end(); ++c) {
      const auto last = static_cast<std::uint32_t>(std::min<std::size_t>(n, (c + 1) * kEdgeGrain));
      for (auto i0 = static_cast<std::uint32_t>(c * kEdgeGrain), m = 0u; i0 < last; i0 += m) {
        m = std::min(run_of, last - i0);
        for (std::uint32_t j = 1; j <= half; ++j) {
          const std::size_t at = std::size_t{j - 1} * run_of;
          rng.words_run(Purpose::Network, i0, j, 0, m, {{w0 + at, w1 + at, scratch, scratch + run_of}});
        }
        for (std::uint32_t q = 0; q < m; ++q) {
          const std::uint32_t i = i0 + q;
          for (std::uint32_t j = 1; j <= half; ++j) {
            const std::uint64_t end = std::uint64_t{i} + j;  // (i + j) mod n: j <= half < n
            const auto ring = static_cast<std::uint32_t>(end < n ? end : end - n);
            const std::size_t at = std::size_t{j - 1} * run_of + q, e = std::size_t{i} * half + j - 1;
            std::uint32_t t = ring;
            if (w0[at] < rewired) {
              const std::uint32_t other = Rng::index(w1[at], n - 1);
              t = other < i ? other : other + 1;  // never a self-loop
            }
            if (t == ring)
              on_ring[e >> 6] |= std::uint64_t{1} << (e & 63);
            else
              off_ring[c].push_back({i, ring, t});
          }
        }
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
  EdgeList edges;
  switch (p.kind) {
    case NetworkKind::WattsStrogatz:
      edges.run = std::max<std::uint32_t>(1, k / 2);
      watts_strogatz(p, n, k, rng, edges.on_ring, edges.off_ring);
      break;
    case NetworkKind::ErdosRenyi:
      erdos_renyi(n, k, rng, edges.a, edges.b);
      break;
    case NetworkKind::BarabasiAlbert:
      barabasi_albert(n, k, rng, edges.a, edges.b);
      break;
    case NetworkKind::Complete:
      break;
  }
  Network net;
  net.n_ = n;
  Placed placed = net.place_rows(edges);
  Edges().swap(edges.a);  // the edge lists go before the columns are made
  Edges().swap(edges.b);
  net.encode(edges, placed, columns);
  return net;
}

}  // namespace missionsim
