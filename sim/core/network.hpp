// Social network among customers, stored as compressed sparse rows (CSR) with narrow columns.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/huge_pages.hpp"
#include "core/params.hpp"
#include "core/prefetch.hpp"
#include "core/rng.hpp"

namespace missionsim {

// How the CSR columns are stored. Rows are sorted ascending in every layout and neighbour(i, k) is the
// same customer in all of them; the narrow layouts only take fewer bytes per entry, which matters
// because the customer pass reads (a cache line of) nearly every row every step.
enum class Columns : std::uint8_t {
  Automatic,  // at build: the smallest of the layouts below that holds the graph
  Wide,       // uint32 customer indices
  Packed16,   // int16 deltas j - i, far neighbours listed per block of 64 customers
  Packed8,    // int8 deltas j - i, far neighbours listed per block of 16 customers
};

// Compact columns: entry e of row i holds v = j - i when -kNear <= v < kNear (near). Otherwise (far) it
// holds an escape v < -kNear: j is far[base[i >> Shift] + v + 2 kNear], the far neighbours of each block
// of 2^Shift customers being listed together, in row order, and a block holding at most kNear of them.
template <class T, unsigned Shift>
struct PackedColumns {
  static constexpr int kNear = 1 << (8 * sizeof(T) - 2);
  static constexpr unsigned kBlockShift = Shift;
  HugeVector<T> cols;               // [2 E]
  HugeVector<std::uint32_t> far;    // far neighbours, block after block
  std::vector<std::uint32_t> base;  // [blocks + 1]: the block's first entry in far

  std::uint32_t at(std::uint32_t i, std::size_t e) const {
    const int v = cols[e];
    if (v >= -kNear) return i + static_cast<std::uint32_t>(v);
    return far[base[i >> Shift] + static_cast<std::uint32_t>(v + 2 * kNear)];
  }
  std::size_t bytes() const {
    return cols.capacity() * sizeof(T) + (far.capacity() + base.capacity()) * sizeof(std::uint32_t);
  }
  std::size_t used_bytes() const {
    return cols.size() * sizeof(T) + (far.size() + base.size()) * sizeof(std::uint32_t);
  }
};

class Network {
 public:
  // Builds the graph of `params.kind` over n customers. Undirected: every edge appears in both endpoints'
  // rows. Deterministic in the seed, at any thread count. `columns` other than Automatic asks for that
  // layout, even if larger (tests, benchmarks); the wide one is kept when the graph does not fit it.
  static Network build(const NetworkParams& params, std::uint32_t n, const Rng& rng,
                       Columns columns = Columns::Automatic);

  bool complete() const { return complete_; }  // mean-field mixing: no stored edges
  Columns layout() const { return layout_; }   // Wide, Packed16 or Packed8 (Wide when complete)
  std::uint32_t size() const { return n_; }
  std::uint32_t degree(std::uint32_t i) const { return complete_ ? n_ - 1 : offsets_[i + 1] - offsets_[i]; }
  // Neighbour k (0 <= k < degree(i)) of i; the k-th smallest.
  std::uint32_t neighbour(std::uint32_t i, std::uint32_t k) const {
    switch (layout_) {  // a complete network has the Wide layout: tested only there
      case Columns::Packed8:
        return p8_.at(i, std::size_t{offsets_[i]} + k);
      case Columns::Packed16:
        return p16_.at(i, std::size_t{offsets_[i]} + k);
      default:
        if (complete_) return k < i ? k : k + 1;
        return wide_[std::size_t{offsets_[i]} + k];
    }
  }
  // neighbour(i, k) for a layout known at compile time, L == layout() (Wide also when complete).
  template <Columns L>
  std::uint32_t neighbour_in(std::uint32_t i, std::uint32_t k) const {
    if constexpr (L == Columns::Packed8) {
      return p8_.at(i, std::size_t{offsets_[i]} + k);
    } else if constexpr (L == Columns::Packed16) {
      return p16_.at(i, std::size_t{offsets_[i]} + k);
    } else {
      if (complete_) return k < i ? k : k + 1;
      return wide_[std::size_t{offsets_[i]} + k];
    }
  }
  // In the Packed8 layout: entry k of i's row as stored, j - i for a near neighbour j (at least
  // -kNear8, so within kNear8 places of i), an escape below -kNear8 for a far one, which neighbour_in
  // looks up in the far list.
  static constexpr int kNear8 = PackedColumns<std::int8_t, 4>::kNear;
  int packed8_entry(std::uint32_t i, std::uint32_t k) const { return p8_.cols[std::size_t{offsets_[i]} + k]; }
  // Calls f(std::integral_constant<Columns, layout()>{}): a loop of look-ups inside f, through
  // neighbour_in<decltype(f's argument)::value>, tests the layout once instead of at every look-up.
  template <class F>
  void with_layout(F&& f) const {
    switch (layout_) {
      case Columns::Packed8:
        f(std::integral_constant<Columns, Columns::Packed8>{});
        break;
      case Columns::Packed16:
        f(std::integral_constant<Columns, Columns::Packed16>{});
        break;
      default:
        f(std::integral_constant<Columns, Columns::Wide>{});
    }
  }
  // Calls f(j) for each neighbour j of i, ascending (not for a complete network).
  template <class F>
  void each_neighbour(std::uint32_t i, F&& f) const {
    const std::size_t e0 = offsets_[i], e1 = offsets_[i + 1];
    switch (layout_) {
      case Columns::Packed8:
        for (std::size_t e = e0; e < e1; ++e) f(p8_.at(i, e));
        break;
      case Columns::Packed16:
        for (std::size_t e = e0; e < e1; ++e) f(p16_.at(i, e));
        break;
      default:
        for (std::size_t e = e0; e < e1; ++e) f(wide_[e]);
    }
  }
  // Asks the CPU to fetch the entries of rows first .. last - 1 (and their blocks' far lists).
  void prefetch_rows(std::uint32_t first, std::uint32_t last) const {
    if (complete_ || first >= last) return;
    auto lines = [](const auto* p, const auto* end) {
      for (; p < end; p += 64 / sizeof(*p)) fetch_line(p);
    };
    const std::uint32_t e0 = offsets_[first], e1 = offsets_[last];
    auto packed = [&](const auto& p) {
      using P = std::remove_cvref_t<decltype(p)>;
      lines(p.cols.data() + e0, p.cols.data() + e1);
      const std::uint32_t* far = p.far.data();
      lines(far + p.base[first >> P::kBlockShift], far + p.base[((last - 1) >> P::kBlockShift) + 1]);
    };
    switch (layout_) {
      case Columns::Packed8:
        packed(p8_);
        break;
      case Columns::Packed16:
        packed(p16_);
        break;
      default:
        lines(wide_.data() + e0, wide_.data() + e1);
    }
  }
  // Asks the CPU to fetch what prefetch_rows(first, last) will read to find the rows: their offsets and
  // their blocks' entries in the far-list index, so that a later prefetch_rows does not wait on them.
  void prefetch_index(std::uint32_t first, std::uint32_t last) const {
    if (complete_ || first >= last) return;
    for (const std::uint32_t* p = offsets_.data() + first; p < offsets_.data() + last; p += 16) fetch_line(p);
    fetch_line(offsets_.data() + last);
    auto blocks = [&](const auto& p) {
      using P = std::remove_cvref_t<decltype(p)>;
      fetch_line(p.base.data() + (first >> P::kBlockShift));
      fetch_line(p.base.data() + ((last - 1) >> P::kBlockShift) + 1);
    };
    if (layout_ == Columns::Packed8) blocks(p8_);
    if (layout_ == Columns::Packed16) blocks(p16_);
  }
  // The first cache line of row i's entries (a scattered row of a few entries).
  void prefetch_row(std::uint32_t i) const {
    const std::size_t e = offsets_[i];
    switch (layout_) {
      case Columns::Packed8:
        fetch_line(p8_.cols.data() + e);
        break;
      case Columns::Packed16:
        fetch_line(p16_.cols.data() + e);
        break;
      default:
        fetch_line(wide_.data() + e);
    }
  }
  std::size_t entries() const { return complete_ ? 0 : offsets_[n_]; }   // directed adjacency entries
  const HugeVector<std::uint32_t>& offsets() const { return offsets_; }  // CSR row starts [n + 1]
  // The CSR columns as uint32 customer indices [2 E], decoded (a copy; empty when complete).
  std::vector<std::uint32_t> columns() const;
  std::size_t bytes() const {
    return offsets_.capacity() * sizeof(std::uint32_t) + wide_.capacity() * sizeof(std::uint32_t) +
           p16_.bytes() + p8_.bytes();
  }
  // The bytes of the rows' entries in the layout held (columns, far lists and their index; not the
  // offsets): what a pass that reads every row reads.
  std::size_t row_bytes() const {
    return wide_.size() * sizeof(std::uint32_t) + p16_.used_bytes() + p8_.used_bytes();
  }

 private:
  struct EdgeList;  // the generators' edges (network.cpp)
  struct Placed;    // row entries sorted by row (network.cpp)
  // Set-up (network.cpp): offsets_ and the row entries the edge list does not hold in row order, by a
  // counting sort, with the far entries of the packed layouts counted; then every row sorted into the
  // layout chosen.
  Placed place_rows(const EdgeList& edges, Columns columns);
  void encode(const EdgeList& edges, Placed& placed, Columns columns);
  bool complete_ = false;
  Columns layout_ = Columns::Wide;
  std::uint32_t n_ = 0;
  HugeVector<std::uint32_t> offsets_;   // [n + 1]
  HugeVector<std::uint32_t> wide_;      // [2 E] in the Wide layout, else empty
  PackedColumns<std::int16_t, 6> p16_;  // in the Packed16 layout, else empty
  PackedColumns<std::int8_t, 4> p8_;    // in the Packed8 layout, else empty
};

}  // namespace missionsim
