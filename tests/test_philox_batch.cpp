// Philox4x32-10 for runs of counters (sim/core/philox_batch.hpp) against Random123's philox4x32: every
// path this machine runs (scalar, SSE2, AVX2, AVX-512F), every run length around the vector widths, and
// counters and keys across the whole 32-bit range.
#include <Random123/philox.h>

#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/philox_batch.hpp"
#include "core/rng.hpp"

using namespace missionsim;

namespace {

// Random123's words for counter {first + j, c1, c2, c3} and key {k0, k1}.
std::array<std::uint32_t, 4> reference(std::uint32_t k0, std::uint32_t k1, philox::Counters c,
                                       std::uint32_t j) {
  const r123::Philox4x32 philox;
  const auto r = philox({{c.first + j, c.c1, c.c2, c.c3}}, {{k0, k1}});
  return {r.v[0], r.v[1], r.v[2], r.v[3]};
}

// Number of (run, word) mismatches of one path for one key and counter run of length n.
int mismatches(philox::Isa isa, std::uint32_t k0, std::uint32_t k1, philox::Counters c, std::size_t n) {
  std::vector<std::uint32_t> w(4 * n + 4, 0xDEADBEEF);  // + 4 guard words past the last row
  const philox::WordRows rows{{w.data(), w.data() + n, w.data() + 2 * n, w.data() + 3 * n}};
  philox::words_run(isa, k0, k1, c, n, rows);
  int bad = 0;
  for (std::uint32_t j = 0; j < n; ++j) {
    const auto ref = reference(k0, k1, c, j);
    for (int k = 0; k < 4; ++k) bad += rows.w[k][j] != ref[k];
  }
  for (std::size_t g = 4 * n; g < w.size(); ++g) bad += w[g] != 0xDEADBEEF;  // nothing written past the end
  return bad;
}

}  // namespace

TEST_CASE("philox batch: every path gives Random123's words", "[rng][philox]") {
  // Keys and counters from a fixed Philox stream, plus the edges of the 32-bit range.
  std::vector<std::array<std::uint32_t, 6>> cases = {
      {0, 0, 0, 0, 0, 0},
      {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFF0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF},  // the first word wraps
      {1, 0, 0, 1, 0, 3},                                                        // seed 1, customer block 0
  };
  const Rng gen(2026);
  for (std::uint32_t i = 0; i < 40; ++i) {
    const auto a = gen.words(Purpose::Init, i, 0, 0), b = gen.words(Purpose::Init, i, 0, 1);
    cases.push_back({a[0], a[1], a[2], a[3], b[0], b[1]});
  }
  int tested = 0;
  for (philox::Isa isa : {philox::Isa::Scalar, philox::Isa::Sse2, philox::Isa::Avx2, philox::Isa::Avx512}) {
    if (!philox::supported(isa)) {
      WARN("path " << philox::isa_name(isa) << " not supported on this CPU: not tested");
      continue;
    }
    ++tested;
    INFO("path " << philox::isa_name(isa));
    for (const auto& k : cases) {
      const philox::Counters c{k[2], k[3], k[4], k[5]};
      for (std::size_t n : {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100}) {
        INFO("key " << k[0] << " " << k[1] << ", counter " << c.first << " " << c.c1 << " " << c.c2 << " "
                    << c.c3 << ", n " << n);
        CHECK(mismatches(isa, k[0], k[1], c, n) == 0);
      }
    }
  }
  CHECK(tested >= 2);  // scalar and SSE2 at least on x86-64
  CHECK(philox::supported(philox::best_isa()));
}

TEST_CASE("philox batch: Rng::words_run equals Rng::words agent by agent", "[rng][philox]") {
  const Rng rng(0x123456789ABCDEFull);
  constexpr std::size_t n = 77;
  std::array<std::array<std::uint32_t, n>, 4> w{};
  rng.words_run(Purpose::Customer, 4090, 17, 0, n, {{w[0].data(), w[1].data(), w[2].data(), w[3].data()}});
  for (std::uint32_t j = 0; j < n; ++j) {
    const auto ref = rng.words(Purpose::Customer, 4090 + j, 17, 0);
    for (int k = 0; k < 4; ++k) CHECK(w[k][j] == ref[k]);
  }
}

TEST_CASE("rng: unit_bound gives the integer form of unit(x) < p", "[rng]") {
  // p at, just below and just above unit(x) for words x across the range, and the edges.
  std::vector<double> ps = {0.0,
                            -0.0,
                            -1.0,
                            1.0,
                            1.5,
                            0x1p-40,
                            0x1p-33,
                            0x1p-32,
                            0.5,
                            1.0 - 0x1p-33,
                            std::nextafter(1.0, 0.0),
                            std::numeric_limits<double>::quiet_NaN(),
                            std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity(),
                            std::numeric_limits<double>::denorm_min()};
  std::vector<std::uint32_t> xs = {0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF};
  const Rng gen(99);
  for (std::uint32_t i = 0; i < 2000; ++i) {
    const auto w = gen.words(Purpose::Init, i, 0, 0);
    xs.push_back(w[0]);
    xs.push_back(w[1] >> (w[2] % 32));  // small words too
    ps.push_back(Rng::unit(w[3]));
  }
  for (std::uint32_t x : std::vector<std::uint32_t>(xs.begin(), xs.begin() + 200)) {
    const double u = Rng::unit(x);
    ps.insert(ps.end(), {u, std::nextafter(u, 0.0), std::nextafter(u, 2.0)});
  }
  int bad = 0;
  for (double p : ps) {
    const std::uint64_t b = Rng::unit_bound(p);
    for (std::uint32_t x : xs) bad += (Rng::unit(x) < p) != (x < b);
  }
  CHECK(bad == 0);
  CHECK(Rng::unit_bound(0.5) == 0x80000000u);  // unit(x) < 1/2 for x < 2^31
}
