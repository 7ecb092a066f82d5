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

TEST_CASE("customer run: the run masks have bit k exactly where customer k passes the test",
          "[mechanisms][run]") {
  // Values at and around the bounds and the sign bit, for every run length (the SIMD body and the tail).
  const std::vector<std::uint32_t> values = {0u,          1u,          2u,          0x7FFFFFFFu, 0x80000000u,
                                             0x80000001u, 0xFFFFFFFEu, 0xFFFFFFFFu, 12345u,      0xDEADBEEFu};
  std::vector<std::uint32_t> w(64);
  std::vector<std::uint16_t> h(64);
  for (std::uint32_t m = 0; m <= 64; ++m) {
    for (std::uint32_t shift = 0; shift < 3; ++shift) {
      for (std::uint32_t k = 0; k < 64; ++k) {
        w[k] = values[(k * 7 + shift) % values.size()];
        h[k] = static_cast<std::uint16_t>((k + shift) % 3 == 0 ? 0xFFFF : w[k] & 0xFFFF);
      }
      CHECK(run_bits(m) == (m == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << m) - 1));
      for (std::uint64_t bound :
           {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0x80000000u}, std::uint64_t{0x80000001u},
            std::uint64_t{0xFFFFFFFFu}, std::uint64_t{1} << 32}) {
        std::uint64_t below = 0;
        for (std::uint32_t k = 0; k < m; ++k) below |= static_cast<std::uint64_t>(w[k] < bound) << k;
        INFO("m " << m << ", bound " << bound);
        CHECK(mask_below(w.data(), bound, m) == below);
      }
      std::uint64_t nonzero = 0, none = 0;
      for (std::uint32_t k = 0; k < m; ++k) {
        nonzero |= static_cast<std::uint64_t>(w[k] != 0) << k;
        none |= static_cast<std::uint64_t>(h[k] == 0xFFFF) << k;
      }
      INFO("m " << m);
      CHECK(mask_nonzero(w.data(), m) == nonzero);
      CHECK(mask_equal(h.data(), 0xFFFF, m) == none);
      std::vector<std::uint16_t> h2(h);
      for (std::uint32_t k = 0; k < 64; ++k)
        if ((k * 5 + shift) % 4 == 0) h2[k] = static_cast<std::uint16_t>(h2[k] ^ (1u << (k % 16)));
      std::uint64_t differ = 0;
      for (std::uint32_t k = 0; k < m; ++k) differ |= static_cast<std::uint64_t>(h[k] != h2[k]) << k;
      CHECK(mask_differ(h.data(), h2.data(), m) == differ);
      CHECK(mask_differ(h.data(), h.data(), m) == 0);
    }
  }
}
