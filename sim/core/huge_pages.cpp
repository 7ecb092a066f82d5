// first_touch (huge_pages.hpp): the first write to fresh memory, split among the TBB threads.
#include "core/huge_pages.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <vector>

namespace missionsim {

void first_touch(std::initializer_list<Storage> storages) {
  constexpr std::size_t kPage = 4096;
  // The storages cut at huge-page boundaries: each piece is faulted in by one thread.
  struct Piece {
    unsigned char* begin;
    unsigned char* end;
  };
  std::vector<Piece> pieces;
  for (const Storage& s : storages) {
    auto* p = static_cast<unsigned char*>(s.data);
    unsigned char* const end = p + s.bytes;
    while (p < end) {
      const auto at = reinterpret_cast<std::uintptr_t>(p);
      unsigned char* next = p + (kHugePage - (at & (kHugePage - 1)));
      next = std::min(next, end);
      pieces.push_back({p, next});
      p = next;
    }
  }
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, pieces.size(), 1),
      [&](const tbb::blocked_range<std::size_t>& r) {
        for (std::size_t k = r.begin(); k != r.end(); ++k) {
          // One byte in each small page the piece spans, from its first byte on.
          for (unsigned char* q = pieces[k].begin; q < pieces[k].end;
               q = reinterpret_cast<unsigned char*>((reinterpret_cast<std::uintptr_t>(q) | (kPage - 1)) + 1))
            *static_cast<volatile unsigned char*>(q) = 0;
        }
      },
      tbb::simple_partitioner());
}

}  // namespace missionsim
