// Social network among customers, stored as compressed sparse rows (CSR).
#pragma once

#include <cstdint>
#include <vector>

#include "core/params.hpp"
#include "core/rng.hpp"

namespace missionsim {

class Network {
 public:
  // Builds the graph of `params.kind` over n customers. Undirected: every
  // edge appears in both endpoints' rows. Deterministic in the seed.
  static Network build(const NetworkParams& params, std::uint32_t n, const Rng& rng);

  bool complete() const { return complete_; }  // mean-field mixing: no stored edges
  std::uint32_t size() const { return n_; }
  std::uint32_t degree(std::uint32_t i) const { return complete_ ? n_ - 1 : offsets_[i + 1] - offsets_[i]; }
  // Neighbour k (0 <= k < degree(i)) of i.
  std::uint32_t neighbour(std::uint32_t i, std::uint32_t k) const {
    if (complete_) return k < i ? k : k + 1;
    return neighbours_[offsets_[i] + k];
  }
  const std::uint32_t* row(std::uint32_t i) const { return neighbours_.data() + offsets_[i]; }
  std::size_t entries() const { return neighbours_.size(); }                    // directed adjacency entries
  const std::vector<std::uint32_t>& offsets() const { return offsets_; }        // CSR row starts [n + 1]
  const std::vector<std::uint32_t>& neighbours() const { return neighbours_; }  // CSR columns [2 E]
  std::size_t bytes() const {
    return offsets_.capacity() * sizeof(std::uint32_t) + neighbours_.capacity() * sizeof(std::uint32_t);
  }

 private:
  static Network from_edges(std::uint32_t n, const std::vector<std::uint32_t>& a,
                            const std::vector<std::uint32_t>& b);
  bool complete_ = false;
  std::uint32_t n_ = 0;
  std::vector<std::uint32_t> offsets_;     // [n + 1]
  std::vector<std::uint32_t> neighbours_;  // [2 E]
};

}  // namespace missionsim
