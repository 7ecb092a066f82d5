// M1, Eq. 12 for a run of customers (the customer pass, phases/customers.cpp): every customer whom
// marketing reaches hears of the firm its awareness word notices, hear(c, i, g, 0) of word_of_mouth.hpp,
// with SIMD across the run's customers.
//
// Paths: AVX-512 (BW and VL; 8 customers a vector), AVX2 (4) and the scalar one, which is
// mech::notice_marketing per customer. The SIMD paths serve K = 4 with the step's awareness table
// (AdoptionTables) and at most kMaxFirms firms; the scalar one everything. The best path the CPU
// supports is chosen once at run time (__builtin_cpu_supports), so a portable build (no -march) still
// uses the wide ones. Every path gives the same slots and reputations (tests/test_marketing_run.cpp):
// - the known slot (the first equal to g) keeps its reputation, lifted from -128 to -127;
// - else the first stale slot (kNoFirm or a dead firm), else the live slot that is not the incumbent
//   with the least key 4 (rep + 128) + k, takes g with reputation 0; none: nothing changes.
// A word of a bucket with more than one outcome (kAwarenessMixed) is worked out by the scalar code;
// each customer's hearing touches only its own slots, so the order of the two does not matter.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/mechanisms/customer_context.hpp"
#include "core/simd_paths.hpp"

namespace missionsim::marketing {

// The paths (simd_paths.hpp): Scalar is notice_marketing customer by customer, Avx2 and Avx512 the
// kernels of marketing_run.cpp (there is no SSE2 path: a step given Sse2 takes the scalar one).
using simd::Isa;
using simd::isa_name;
using simd::supported;  // this build has the path and this CPU can run it

// The widest supported path of this kernel: Avx512, Avx2 or Scalar.
Isa best_isa();

// Firms the SIMD paths can look up as alive (one 64-entry table).
inline constexpr std::uint32_t kMaxFirms = 64;

// What the SIMD paths need of a step, made once per step (customer_pass).
struct StepTables {
  Isa isa = Isa::Scalar;  // the path notice_run takes: Scalar unless the step suits the SIMD paths
  alignas(64) std::uint16_t alive[kMaxFirms] = {};  // 1 for a live firm, else 0 (also past n_firms)
  std::uint64_t alive_bits = 0;                     // bit f: alive[f]
  // A copy of the context's awareness table with a spare entry, so that a 32-bit gather may read any
  // entry (its low 16 bits).
  static constexpr std::size_t kBuckets = std::size_t{1} << mech::kAwarenessBits;
  alignas(64) std::uint16_t awareness[kBuckets + 2] = {};

  // For the step of context c, by the given path (which must be supported) or by the best one.
  void build(const mech::CustomerContext& c, Isa wanted);
  void build(const mech::CustomerContext& c) { build(c, best_isa()); }
};

// Eq. 12 for customers first .. first + m - 1 (m <= 64): customer first + k, with bit k of reached set,
// notices the firm of its awareness word awareness[k] (words[draw::kAwareness] of the run's block 0).
// reached has no bit at or above m.
void notice_run(const mech::CustomerContext& c, const StepTables& t, std::uint32_t first, std::uint32_t m,
                const std::uint32_t* awareness, std::uint64_t reached);

}  // namespace missionsim::marketing
