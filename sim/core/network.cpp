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

constexpr unsigned kCountShift = 4;  // far entries are counted per 16 customers, the finer of the blocks

// Calls body(lo, width) for each of the set-up parts of customers [0, n), in parallel. The parts start at
// multiples of 16 customers, so that each counts the far entries of whole groups of 16.
template <class Body>
void each_part(std::uint32_t n, Body&& body) {
  const std::uint32_t parts = set_up_parts(n);
  auto bound = [&](std::uint32_t part) {
    if (part == parts) return n;
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(n) * part / parts) &
           ~((1u << kCountShift) - 1);
  };
  tbb::parallel_for(std::uint32_t{0}, parts, [&](std::uint32_t part) {
    const std::uint32_t lo = bound(part), hi = bound(part + 1);
    body(lo, hi - lo);
  });
}

// The bits of `bits` set in [from, to).
std::uint64_t set_bits(const std::uint64_t* bits, std::size_t from, std::size_t to) {
  if (from >= to) return 0;
  const std::size_t first = from >> 6, last = (to - 1) >> 6;
  const std::uint64_t head = ~std::uint64_t{0} << (from & 63),
                      tail = ~std::uint64_t{0} >> (63 - ((to - 1) & 63));
  // std::popcount without -mpopcnt is a call to the compiler's library: a few shifts and adds instead.
  auto ones = [](std::uint64_t w) {
    w -= (w >> 1) & 0x5555555555555555u;
    w = (w & 0x3333333333333333u) + ((w >> 2) & 0x3333333333333333u);
    return (((w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fu) * 0x0101010101010101u) >> 56;
  };
  if (first == last) return ones(bits[first] & head & tail);
  std::uint64_t count = ones(bits[first] & head) + ones(bits[last] & tail);
  for (std::size_t w = first + 1; w < last; ++w) count += ones(bits[w]);
  return count;
}

// Whether entry j of row i is far in a packed layout of near range `near`: j - i outside [-near, near).
bool far_entry(std::uint32_t i, std::uint32_t j, std::int64_t near) {
  return static_cast<std::uint64_t>(std::int64_t{j} - i + near) >= static_cast<std::uint64_t>(2 * near);
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
// being offsets_ when `a` is explicit (the placed entries are then the whole rows). And the far entries
// of each packed layout per 16 customers, from which its blocks' far lists are sized before any row is
// written (empty when only the wide layout is asked for).
struct Network::Placed {
  HugeVector<std::uint32_t> entries;
  HugeVector<std::uint32_t> start;  // [n + 1] when run > 0, else empty
  std::vector<std::uint32_t> far8, far16;
};

// A counting sort by row of the entries the edge list does not hold in row order: both ends of every edge
// when `a` is explicit, the off-ring ends otherwise. In parallel without atomics: the customers are cut
// into one range per thread and each task walks every edge in order but counts and places only the
// entries of its own rows. Leaves offsets_ the final row starts; each row's entries are placed in an order
// that does not matter, the rows being sorted afterwards. Unless only the wide layout is asked for, the
// same walk counts every entry that is far in Packed8 or Packed16: those of the edges listed, and those
// of the ring where it wraps around (and everywhere when it reaches past Packed8's near range).
Network::Placed Network::place_rows(const EdgeList& edges, Columns columns) {
  const std::uint32_t n = n_, run = edges.run;
  const std::uint32_t* a = edges.a.data();
  const std::uint32_t* b = edges.b.data();
  const std::size_t m = edges.b.size();
  Placed placed;
  first_touch(
      {room_for(offsets_, std::size_t{n} + 1), room_for(placed.start, run > 0 ? std::size_t{n} + 1 : 0)});
  offsets_.assign(std::size_t{n} + 1, 0);
  if (run > 0) placed.start.assign(std::size_t{n} + 1, 0);
  const bool count_far = columns != Columns::Wide;
  if (count_far) {
    const std::size_t groups = (std::size_t{n} + (1u << kCountShift) - 1) >> kCountShift;
    placed.far8.assign(groups, 0);
    placed.far16.assign(groups, 0);
  }
  std::uint32_t* far8 = placed.far8.data();
  std::uint32_t* far16 = placed.far16.data();
  constexpr std::int64_t near8 = decltype(p8_)::kNear, near16 = decltype(p16_)::kNear;
  auto count = [&](std::uint32_t i, std::uint32_t j) {  // entry j of row i
    far8[i >> kCountShift] += far_entry(i, j, near8);
    far16[i >> kCountShift] += far_entry(i, j, near16);
  };
  // The listed entries (placed, or a row's own edges off the ring) are counted as far per group of rows
  // after the scan, from the rows' counts; the scan takes off the few that are near (a rare branch,
  // where count's updates at a random row would each cost a miss of the cache).
  auto uncount_near = [&](std::uint32_t i, std::uint32_t j) {  // listed entry j of row i
    if (far_entry(i, j, near16)) return;
    --far16[i >> kCountShift];
    far8[i >> kCountShift] -= !far_entry(i, j, near8);
  };
  auto near_edge = [](std::uint32_t i, std::uint32_t j) {  // j - i in [-near16, near16]: near at an end
    return static_cast<std::uint64_t>(std::int64_t{j} - i + near16) <= static_cast<std::uint64_t>(2 * near16);
  };
  const std::uint64_t* bits = edges.on_ring.data();
  auto on_ring = [bits](std::size_t e) { return (bits[e >> 6] >> (e & 63)) & 1; };
  auto count_ring = [&](std::uint32_t x) {  // row x's ring entries: the ends of ring edges (x - j, j), (x, j)
    for (std::uint32_t j = 1; j <= run; ++j) {
      const std::uint32_t i = x >= j ? x - j : x + (n - j);
      if (on_ring(std::size_t{i} * run + j - 1)) count(x, i);
      const std::uint64_t end = std::uint64_t{x} + j;
      if (on_ring(std::size_t{x} * run + j - 1))
        count(x, static_cast<std::uint32_t>(end < n ? end : end - n));
    }
  };
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
          if (count_far && near_edge(r.i, r.t)) {
            if (all || r.t - lo < width) uncount_near(r.t, r.i);
            if (all || r.i - lo < width) uncount_near(r.i, r.t);
          }
        }
      if (count_far) {
        // Ring entries j - i = -run .. run: near unless the ring wraps around in row i or run >= near8.
        auto rows = [&](std::uint32_t from, std::uint32_t to) {
          for (std::uint32_t x = std::max(from, lo); x < std::min(to, lo + width); ++x) count_ring(x);
        };
        if (run >= near8) {
          rows(0, n);
        } else {
          rows(0, run);
          rows(std::max(run, n - run), n);
        }
      }
      return;
    }
    for (std::size_t e = 0; e < m; ++e) {
      if (all || a[e] - lo < width) ++next[a[e]];
      if (all || b[e] - lo < width) ++next[b[e]];
      if (count_far && near_edge(a[e], b[e])) {
        if (all || a[e] - lo < width) uncount_near(a[e], b[e]);
        if (all || b[e] - lo < width) uncount_near(b[e], a[e]);
      }
    }
  });
  std::uint32_t placed_entries = 0, entries = 0, group_start = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t count = next[i];
    next[i] = placed_entries;
    placed_entries += count;
    if (count_far && ((i + 1) % (1u << kCountShift) == 0 || i + 1 == n)) {
      // The group's placed entries and own entries off the ring, all far but the near ones taken off.
      const std::uint32_t first = i & ~((1u << kCountShift) - 1);
      const std::uint64_t own_off = std::uint64_t{i + 1 - first} * run -
                                    set_bits(bits, std::size_t{first} * run, std::size_t{i + 1} * run);
      far8[i >> kCountShift] += static_cast<std::uint32_t>(placed_entries - group_start + own_off);
      far16[i >> kCountShift] += static_cast<std::uint32_t>(placed_entries - group_start + own_off);
      group_start = placed_entries;
    }
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
// one asked for if it holds the graph, chosen from place_rows' counts of far entries before any row is
// written. In parallel by chunks of kEdgeGrain rows, each writing only its own entries (and its own part
// of far), so the result does not depend on the threads.
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
  // Row x sorted into row[0, degree) (row has room for degree + 1).
  auto sorted_row = [&](std::uint32_t x, const OffRing*& cursor, std::uint32_t* row) {
    std::size_t m = 0;
    if (run == 0 || x < run || x >= n - run) {  // listed edges, or a ring that wraps around here
      each_entry(x, cursor, [&](std::uint32_t j) { row[m++] = j; });
      return sort_row(row, m);
    }
    // The ring entries present, x - run .. x - 1 and x + 1 .. x + run, come in order (each written, and
    // kept when its bit is set: no branch on the bits); the few others (placed, or this row's own edges
    // off the ring) are inserted.
    const std::size_t own = std::size_t{x} * run;
    for (std::uint32_t j = run; j >= 1; --j) {
      row[m] = x - j;
      m += on_ring(own - std::size_t{j} * run + j - 1);
    }
    for (std::uint32_t j = 1; j <= run; ++j) {
      row[m] = x + j;
      m += on_ring(own + j - 1);
    }
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
  // Layout P for every row: near entries (sorted) as deltas, far ones as escapes numbered in row order
  // within the block, their customers listed in P's far list after those of the blocks before (a chunk
  // is whole blocks, so its far entries start at its first block's).
  auto fill = [&](auto& p) {
    using P = std::remove_cvref_t<decltype(p)>;
    using T = typename decltype(p.cols)::value_type;
    constexpr std::int64_t kNear = P::kNear;
    first_touch({room_for(p.cols, offsets_[n]), room_for(p.far, p.base.back())});
    p.cols.resize(offsets_[n]);
    p.far.resize(p.base.back());
    each_chunk([&](std::size_t, std::uint32_t i0, std::uint32_t i1, const OffRing* cursor) {
      std::uint32_t* far = p.far.data() + p.base[i0 >> P::kBlockShift];
      std::uint32_t* const far_end = p.far.data() + p.base[((i1 - 1) >> P::kBlockShift) + 1];
      std::vector<std::uint32_t> row;
      std::uint32_t slot = 0;
      // This task's own copies of what the rows read: the stores to the columns (of a char type in
      // Packed8, which may alias anything) would otherwise have each read again through the captures.
      const std::uint32_t lattice_run = run, customers = n;
      const std::uint64_t* const ring_bits = bits;
      const std::uint32_t *const row_off = off, *const placed_start = start, *const placed_in = in;
      T* const all_cols = p.cols.data();
      auto ring = [ring_bits](std::size_t e) { return (ring_bits[e >> 6] >> (e & 63)) & 1; };
      // Entry j of row x, given room in far: written to far, kept there when far.
      auto put = [&](std::uint32_t x, std::uint32_t j, T& col) {
        const std::int64_t d = std::int64_t{j} - x;
        const bool near = static_cast<std::uint64_t>(d + kNear) < static_cast<std::uint64_t>(2 * kNear);
        col = static_cast<T>(near ? d : std::int64_t{slot} - 2 * kNear);
        *far = j;
        far += !near;
        slot += !near;
      };
      // A lattice row x (its ring entries near: run < kNear, no wrapping around) whose few others (placed
      // entries, own edges off the ring) all lie below x - run or above x + run: those sorted, then the
      // ring entries, written without a branch on their bits (each written, and passed when its bit is
      // clear: the chunk's last row, where that can write past the row's end, does not come here), then
      // those above. False (nothing taken) for any other row.
      // With run <= 7 the row's ring bits, of edges (x - j, j) at own - (run - 1) j - 1 and (x, j) at own
      // + j - 1 (own = x run), span run^2 + 1 <= 64 bits: read as one word.
      const std::size_t ring_words = edges.on_ring.size();
      auto lattice_row = [&](auto one_word, std::uint32_t x, const OffRing*& cur, T* cols) {
        constexpr std::size_t kFew = 8;
        const std::uint32_t run = lattice_run;
        const std::size_t own = std::size_t{x} * run, first = own - std::size_t{run} * (run - 1) - 1;
        std::uint64_t word = 0;
        if constexpr (decltype(one_word)::value) {
          const unsigned shift = first & 63;
          word = ring_bits[first >> 6] >> shift;
          if (shift != 0 && (first >> 6) + 1 < ring_words)
            word |= ring_bits[(first >> 6) + 1] << (64 - shift);
        }
        auto left = [&](std::uint32_t j) -> std::uint64_t {  // edge (x - j, j) on the ring
          if constexpr (decltype(one_word)::value) return (word >> ((run - j) * (run - 1))) & 1;
          return ring(own - std::size_t{j} * run + j - 1);
        };
        auto right_of = [&](std::uint32_t j) -> std::uint64_t {  // edge (x, j) on the ring
          if constexpr (decltype(one_word)::value) return (word >> (run * (run - 1) + j)) & 1;
          return ring(own + j - 1);
        };
        std::uint32_t right = 0;
        for (std::uint32_t j = 1; j <= run; ++j) right += static_cast<std::uint32_t>(right_of(j));
        const std::uint32_t own_off = run - right, p0 = placed_start[x], p1 = placed_start[x + 1];
        if (p1 - p0 + own_off > kFew) return false;
        std::uint32_t below[kFew], above[kFew];
        std::size_t nb = 0, na = 0;
        bool inside = false;
        auto sort_in = [&](std::uint32_t v) {
          auto insert = [v](std::uint32_t* list, std::size_t& m) {
            std::size_t h = m++;
            for (; h > 0 && list[h - 1] > v; --h) list[h] = list[h - 1];
            list[h] = v;
          };
          if (v < x - run)
            insert(below, nb);
          else if (v > x + run)
            insert(above, na);
          else
            inside = true;
        };
        for (std::uint32_t e = p0; e < p1; ++e) sort_in(placed_in[e]);
        for (std::uint32_t k = 0; k < own_off; ++k) sort_in(cur[k].t);
        if (inside) return false;
        cur += own_off;
        std::size_t m = 0;
        for (std::size_t k = 0; k < nb; ++k) put(x, below[k], cols[m++]);
        for (std::uint32_t j = run; j >= 1; --j) {
          cols[m] = static_cast<T>(-static_cast<int>(j));
          m += left(j);
        }
        for (std::uint32_t j = 1; j <= run; ++j) {
          cols[m] = static_cast<T>(j);
          m += right_of(j);
        }
        for (std::size_t k = 0; k < na; ++k) put(x, above[k], cols[m++]);
        return true;
      };
      const bool lattice = lattice_run > 0 && lattice_run < kNear && customers > 2 * lattice_run;
      for (std::uint32_t i = i0; i < i1; ++i) {
        if ((i & ((1u << P::kBlockShift) - 1)) == 0) slot = 0;
        const std::uint32_t degree = row_off[i + 1] - row_off[i];
        T* cols = all_cols + row_off[i];
        if (lattice && i >= lattice_run && i < customers - lattice_run && i + 1 < i1 &&
            far_end - far >= degree &&
            (lattice_run <= 7 ? lattice_row(std::true_type{}, i, cursor, cols)
                              : lattice_row(std::false_type{}, i, cursor, cols)))
          continue;
        if (row.size() <= degree) row.resize(std::size_t{degree} + 1);
        sorted_row(i, cursor, row.data());
        if (far_end - far >= degree) {  // room for every entry: each written to far, kept when far
          for (std::uint32_t k = 0; k < degree; ++k) put(i, row[k], cols[k]);
        } else {  // the chunk's last far entries: not past them, where the next chunk's start
          for (std::uint32_t k = 0; k < degree; ++k) {
            const std::int64_t d = std::int64_t{row[k]} - i;
            if (d >= -kNear && d < kNear) {
              cols[k] = static_cast<T>(d);
            } else {
              cols[k] = static_cast<T>(std::int64_t{slot++} - 2 * kNear);
              *far++ = row[k];
            }
          }
        }
      }
    });
  };
  layout_ = Columns::Wide;
  if (columns != Columns::Wide) {
    const bool any = columns == Columns::Automatic;
    const std::size_t entries = offsets_[n];
    std::size_t best = any ? entries * sizeof(std::uint32_t) : SIZE_MAX;
    if ((any || columns == Columns::Packed16) && block_bases<decltype(p16_)>(placed.far16, n, p16_.base)) {
      const std::size_t size =
          entries * sizeof(std::int16_t) + (p16_.base.back() + p16_.base.size()) * sizeof(std::uint32_t);
      if (size < best) best = size, layout_ = Columns::Packed16;
    }
    if ((any || columns == Columns::Packed8) && block_bases<decltype(p8_)>(placed.far8, n, p8_.base)) {
      const std::size_t size =
          entries * sizeof(std::int8_t) + (p8_.base.back() + p8_.base.size()) * sizeof(std::uint32_t);
      if (size < best) best = size, layout_ = Columns::Packed8;
    }
  }
  if (layout_ != Columns::Packed16) p16_ = {};
  if (layout_ != Columns::Packed8) p8_ = {};
  if (layout_ == Columns::Packed16) fill(p16_);
  if (layout_ == Columns::Packed8) fill(p8_);
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
      // Room for the edges rewired (their mean and four standard deviations): no copies as it grows.
      const double mean = p.rewire * static_cast<double>(last - c * kEdgeGrain) * half;
      off_ring[c].reserve(static_cast<std::size_t>(mean + 4 * std::sqrt(mean) + 16));
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
  Placed placed = net.place_rows(edges, columns);
  Edges().swap(edges.a);  // the edge lists go before the columns are made
  Edges().swap(edges.b);
  net.encode(edges, placed, columns);
  return net;
}

}  // namespace missionsim
