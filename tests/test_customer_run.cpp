// The customer pass's run helpers (sim/core/phases/customer_run.hpp).
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "core/mechanisms/word_of_mouth.hpp"
#include "core/phases/customer_run.hpp"

using namespace missionsim;

TEST_CASE("customer run: decay_run equals the Eq. 35 decay table for every reputation and keep",
          "[mechanisms][decay]") {
  // Every int8 value, twice and shifted, so that each lane of the 16-wide path and the scalar tail
  // see every value; lengths that end inside and after a vector.
  std::vector<std::int8_t> all;
  for (int rep = 0; rep < 3; ++rep)
    for (int r = -128; r < 128; ++r) all.push_back(static_cast<std::int8_t>(r + rep * 7));
  for (int keep = 0; keep < 256; ++keep) {
    const auto table = mech::decay_table(keep);
    for (std::size_t n : {all.size(), std::size_t{0}, std::size_t{5}, std::size_t{16}, std::size_t{47}}) {
      std::vector<std::int8_t> rep(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
      decay_run(rep.data(), n, keep);
      int bad = 0;
      for (std::size_t b = 0; b < n; ++b) bad += rep[b] != table[static_cast<std::uint8_t>(all[b])];
      INFO("keep " << keep << ", n " << n);
      CHECK(bad == 0);
    }
  }
}
