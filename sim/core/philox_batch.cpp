// Philox4x32-10 for runs of counters (philox_batch.hpp): one kernel (philox_batch_kernel.inc) compiled
// for SSE2, AVX2 and AVX-512F, and Random123's scalar code, chosen once at run time.
#include "core/philox_batch.hpp"

#include <Random123/philox.h>

#include <cstdint>
#include <cstring>

#include "core/target_region.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#define MISSIONSIM_PHILOX_X86 1
#include <immintrin.h>
#else
#define MISSIONSIM_PHILOX_X86 0
#endif

namespace missionsim::philox {

namespace {

constexpr std::uint32_t kM0 = 0xD2511F53;  // PHILOX_M4x32_0
constexpr std::uint32_t kM1 = 0xCD9E8D57;  // PHILOX_M4x32_1
constexpr std::uint32_t kW0 = 0x9E3779B9;  // PHILOX_W32_0
constexpr std::uint32_t kW1 = 0xBB67AE85;  // PHILOX_W32_1

// What every lane of a run shares: the round keys and the lane-independent parts of rounds 1 and 2.
struct Consts {
  std::uint32_t key0[10], key1[10];  // round r's key (r from 0)
  std::uint32_t r1_x2_xor;           // round 1: c3 ^ key1
  std::uint32_t r2_x0_xor;           // round 2: lo(M1 c2) ^ key0 of round 2
  std::uint32_t r2_x2_xor;           // round 2: hi(M0 x0) ^ key1 of round 2, x0 = round 1's word 0
  std::uint32_t r2_x3;               // round 2: lo(M0 x0)
};

Consts consts(std::uint32_t k0, std::uint32_t k1, const Counters& c) {
  Consts k{};
  for (int r = 0; r < 10; ++r) {
    k.key0[r] = k0 + static_cast<std::uint32_t>(r) * kW0;
    k.key1[r] = k1 + static_cast<std::uint32_t>(r) * kW1;
  }
  const std::uint64_t p1 = std::uint64_t{kM1} * c.c2;
  const std::uint32_t r1_x0 = static_cast<std::uint32_t>(p1 >> 32) ^ c.c1 ^ k.key0[0];
  const std::uint32_t r1_x1 = static_cast<std::uint32_t>(p1);
  const std::uint64_t p2 = std::uint64_t{kM0} * r1_x0;
  k.r1_x2_xor = c.c3 ^ k.key1[0];
  k.r2_x0_xor = r1_x1 ^ k.key0[1];
  k.r2_x2_xor = static_cast<std::uint32_t>(p2 >> 32) ^ k.key1[1];
  k.r2_x3 = static_cast<std::uint32_t>(p2);
  return k;
}

void words_run_scalar(std::uint32_t k0, std::uint32_t k1, Counters c, std::size_t n, WordRows out) {
  const r123::Philox4x32 philox;
  const r123::Philox4x32::key_type key = {{k0, k1}};
  for (std::size_t j = 0; j < n; ++j) {
    const r123::Philox4x32::ctr_type ctr = {{c.first + static_cast<std::uint32_t>(j), c.c1, c.c2, c.c3}};
    const auto r = philox(ctr, key);
    for (int w = 0; w < 4; ++w) out.w[w][j] = r.v[w];
  }
}

#if MISSIONSIM_PHILOX_X86

namespace sse2 {
using V = __m128i;
constexpr std::size_t kLanes = 4;
inline V set1(std::uint32_t x) { return _mm_set1_epi32(static_cast<int>(x)); }
inline V iota() { return _mm_setr_epi32(0, 1, 2, 3); }
inline V add(V a, V b) { return _mm_add_epi32(a, b); }
inline V xor_(V a, V b) { return _mm_xor_si128(a, b); }
inline void mulhilo(V a, V m, V& lo, V& hi) {
  const V even = _mm_mul_epu32(a, m);                            // 64-bit products of lanes 0, 2
  const V odd = _mm_mul_epu32(_mm_srli_epi64(a, 32), m);         // of lanes 1, 3
  const V e = _mm_shuffle_epi32(even, _MM_SHUFFLE(3, 1, 2, 0));  // lo0 lo2 hi0 hi2
  const V o = _mm_shuffle_epi32(odd, _MM_SHUFFLE(3, 1, 2, 0));   // lo1 lo3 hi1 hi3
  lo = _mm_unpacklo_epi32(e, o);
  hi = _mm_unpackhi_epi32(e, o);
}
inline void store(std::uint32_t* p, V v) { _mm_storeu_si128(reinterpret_cast<V*>(p), v); }
#include "core/philox_batch_kernel.inc"
}  // namespace sse2

MISSIONSIM_TARGET_BEGIN("avx2")
namespace avx2 {
using V = __m256i;
constexpr std::size_t kLanes = 8;
inline V set1(std::uint32_t x) { return _mm256_set1_epi32(static_cast<int>(x)); }
inline V iota() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
inline V add(V a, V b) { return _mm256_add_epi32(a, b); }
inline V xor_(V a, V b) { return _mm256_xor_si256(a, b); }
inline void mulhilo(V a, V m, V& lo, V& hi) {
  const V even = _mm256_mul_epu32(a, m);                        // 64-bit products of the even lanes
  const V odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);  // of the odd lanes
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}
inline void store(std::uint32_t* p, V v) { _mm256_storeu_si256(reinterpret_cast<V*>(p), v); }
#include "core/philox_batch_kernel.inc"
}  // namespace avx2
MISSIONSIM_TARGET_END

MISSIONSIM_TARGET_BEGIN("avx512f")
namespace avx512 {
using V = __m512i;
constexpr std::size_t kLanes = 16;
inline V set1(std::uint32_t x) { return _mm512_set1_epi32(static_cast<int>(x)); }
inline V iota() { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
inline V add(V a, V b) { return _mm512_add_epi32(a, b); }
inline V xor_(V a, V b) { return _mm512_xor_si512(a, b); }
// The zero-masked forms with every lane selected: the plain ones merge into an undefined vector, which
// GCC 12 reports as maybe uninitialised.
inline void mulhilo(V a, V m, V& lo, V& hi) {
  constexpr __mmask8 all = 0xFF;
  const V even = _mm512_maskz_mul_epu32(all, a, m);  // 64-bit products of the even lanes
  const V odd = _mm512_maskz_mul_epu32(all, _mm512_maskz_srli_epi64(all, a, 32), m);  // of the odd lanes
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_maskz_slli_epi64(all, odd, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_maskz_srli_epi64(all, even, 32), odd);
}
inline void store(std::uint32_t* p, V v) { _mm512_storeu_si512(p, v); }
#include "core/philox_batch_kernel.inc"
}  // namespace avx512
MISSIONSIM_TARGET_END

#endif  // MISSIONSIM_PHILOX_X86

}  // namespace

void words_run(Isa isa, std::uint32_t k0, std::uint32_t k1, Counters ctr, std::size_t n, WordRows out) {
#if MISSIONSIM_PHILOX_X86
  switch (isa) {
    case Isa::Scalar:
      break;
    case Isa::Sse2:
      return sse2::words_run_kernel(consts(k0, k1, ctr), ctr.first, n, out);
    case Isa::Avx2:
      return avx2::words_run_kernel(consts(k0, k1, ctr), ctr.first, n, out);
    case Isa::Avx512:
      return avx512::words_run_kernel(consts(k0, k1, ctr), ctr.first, n, out);
  }
#else
  (void)isa;
#endif
  words_run_scalar(k0, k1, ctr, n, out);
}

void words_run(std::uint32_t k0, std::uint32_t k1, Counters ctr, std::size_t n, WordRows out) {
  words_run(best_isa(), k0, k1, ctr, n, out);
}

}  // namespace missionsim::philox
