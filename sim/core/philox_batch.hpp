// Philox4x32-10 for a run of consecutive counters, with SIMD across counters.
//
// words_run computes, for j in [0, n), the four words of Random123's philox4x32 (10 rounds) for the
// counter {first + j, c1, c2, c3} and the key {k0, k1}: bit for bit what r123::Philox4x32 returns, so a
// draw never depends on which path made it (tests/test_philox_batch.cpp compares every path against
// Random123). The customer pass uses it for block 0 of Purpose::Customer (the counter's first word is
// the customer, rng.hpp), a run of customers at a time.
//
// Paths: AVX-512F (16 counters a vector), AVX2 (8), SSE2 (4, the x86-64 baseline) and Random123's scalar
// code. The best one the CPU and the operating system support is chosen once at run time
// (simd_paths.hpp), so a portable build (no -march) still uses the wide ones.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/simd_paths.hpp"

namespace missionsim::philox {

// The paths (simd_paths.hpp): Scalar is Random123's code, the others the kernel of philox_batch.cpp.
using simd::best_isa;  // the widest supported path (the one words_run without an Isa uses)
using simd::Isa;
using simd::isa_name;
using simd::supported;  // this build has the path and this CPU can run it

// Output rows: words[w][j] is word w of counter first + j.
struct WordRows {
  std::uint32_t* w[4];
};

// The counter's first word runs over first, first + 1, ..., first + n - 1 (mod 2^32).
struct Counters {
  std::uint32_t first, c1, c2, c3;
};

// Philox4x32-10 of n consecutive counters with the key {k0, k1}, by the given path (which must be
// supported) or by the best one.
void words_run(Isa isa, std::uint32_t k0, std::uint32_t k1, Counters ctr, std::size_t n, WordRows out);
void words_run(std::uint32_t k0, std::uint32_t k1, Counters ctr, std::size_t n, WordRows out);

}  // namespace missionsim::philox
