#include <array>
#include <catch2/catch.hpp>
#include <cmath>

#include "core/rng.hpp"

using namespace missionsim;

TEST_CASE("rng: a draw is a pure function of seed, purpose and counter", "[rng]") {
  Rng a(7), b(7), c(8);
  REQUIRE(a.words(Purpose::Customer, 5, 3, 0) == b.words(Purpose::Customer, 5, 3, 0));
  CHECK(a.words(Purpose::Customer, 5, 3, 0) != c.words(Purpose::Customer, 5, 3, 0));
  CHECK(a.words(Purpose::Customer, 5, 3, 0) != a.words(Purpose::Firm, 5, 3, 0));
  CHECK(a.words(Purpose::Customer, 5, 3, 0) != a.words(Purpose::Customer, 6, 3, 0));
  CHECK(a.words(Purpose::Customer, 5, 3, 0) != a.words(Purpose::Customer, 5, 4, 0));
  CHECK(a.words(Purpose::Customer, 5, 3, 0) != a.words(Purpose::Customer, 5, 3, 1));
  // Seeds differing only in the high word give different streams.
  CHECK(Rng(1).words(Purpose::Init, 0, 0, 0) !=
        Rng(1 + (std::uint64_t{1} << 32)).words(Purpose::Init, 0, 0, 0));
}

TEST_CASE("rng: unit() lies in the open interval and index() in range", "[rng]") {
  CHECK(Rng::unit(0) > 0.0);
  CHECK(Rng::unit(0xFFFFFFFFu) < 1.0);
  CHECK(Rng::index(0xFFFFFFFFu, 10) == 9);
  CHECK(Rng::index(0, 10) == 0);
}

TEST_CASE("rng: uniforms pass a chi-square test over 20 bins", "[rng]") {
  Rng rng(2026);
  std::array<int, 20> bins{};
  const int blocks = 50000;
  for (int i = 0; i < blocks; ++i)
    for (auto w : rng.words(Purpose::Customer, static_cast<std::uint32_t>(i), 1, 0))
      ++bins[static_cast<std::size_t>(Rng::unit(w) * 20)];
  const double expected = blocks * 4.0 / 20;
  double chi2 = 0;
  for (int c : bins) chi2 += (c - expected) * (c - expected) / expected;
  // 19 degrees of freedom: P(chi2 > 43.8) = 0.001.
  CHECK(chi2 < 43.8);
}

TEST_CASE("rng: Stream hands out consecutive blocks", "[rng]") {
  Rng rng(3);
  Stream s(rng, Purpose::Init, 9, 0);
  auto b0 = rng.words(Purpose::Init, 9, 0, 0);
  auto b1 = rng.words(Purpose::Init, 9, 0, 1);
  for (int k = 0; k < 4; ++k) CHECK(s.word() == b0[k]);
  for (int k = 0; k < 4; ++k) CHECK(s.word() == b1[k]);
}
