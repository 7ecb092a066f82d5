// Eq. 12 for a run of customers (marketing_run.hpp): a scalar path and SIMD paths for AVX2 and AVX-512,
// compiled with target pragmas and chosen at run time, as philox_batch.cpp does.
#include "core/phases/marketing_run.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/mechanisms/adoption.hpp"
#include "core/mechanisms/word_of_mouth.hpp"
#include "core/target_region.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#define MISSIONSIM_MARKETING_X86 1
#include <immintrin.h>
#else
#define MISSIONSIM_MARKETING_X86 0
#endif

namespace missionsim::marketing {

namespace {

constexpr int kShift = 32 - mech::kAwarenessBits;

// The body of mech::notice_marketing for one customer and word.
inline void notice_one(const mech::CustomerContext& c, std::uint32_t i, std::uint32_t word) {
  const std::uint16_t g = mech::marketing_notice(c, word);
  if (g != kNoFirm) mech::hear(c, i, g, 0);
}

void notice_scalar(const mech::CustomerContext& c, std::uint32_t first, const std::uint32_t* awareness,
                   std::uint64_t reached) {
  for (; reached != 0; reached &= reached - 1) {
    const std::uint32_t k = static_cast<std::uint32_t>(std::countr_zero(reached));
    notice_one(c, first + k, awareness[k]);
  }
}

// The mixed buckets' customers, by the scalar definition.
inline void notice_mixed(const mech::CustomerContext& c, std::uint32_t first, const std::uint32_t* awareness,
                         std::uint64_t mixed) {
  for (; mixed != 0; mixed &= mixed - 1) {
    const std::uint32_t k = static_cast<std::uint32_t>(std::countr_zero(mixed));
    const std::uint16_t g = mech::noticed_firm(c, awareness[k]);
    if (g != kNoFirm) mech::hear(c, first + k, g, 0);
  }
}

#if MISSIONSIM_MARKETING_X86

// In both SIMD paths a vector holds whole customers: the four 16-bit slots of one customer are one
// 64-bit lane (consider is [n 4] uint16), its reputations are widened to the same 16-bit lanes, and its
// firm g and incumbent are repeated in all four.

MISSIONSIM_TARGET_BEGIN("avx512f,avx512bw,avx512vl")
namespace avx512 {

// Masks of 32 lanes, 4 a customer (one nibble): the first set lane of each customer, and all four lanes
// of each customer that has one.
struct Nibbles {
  std::uint32_t first, any;
};
inline Nibbles nibbles(std::uint32_t x) {
  std::uint32_t p = x | ((x << 1) & 0xEEEEEEEEu);  // p: x or-ed over the customer's lower lanes
  p |= (p << 2) & 0xCCCCCCCCu;
  return {x & ~((p << 1) & 0xEEEEEEEEu), ((p & 0x88888888u) >> 3) * 0xFu};
}

// The zero-masked forms with every lane selected: the plain ones merge into an undefined vector, which
// GCC 12 reports as maybe uninitialised (as in philox_batch.cpp).
constexpr __mmask8 kAll = 0xFF;

// 8 uint16 -> each one in all four 16-bit lanes of its 64-bit lane.
inline __m512i spread(__m128i v) {
  __m512i x = _mm512_maskz_cvtepu16_epi64(kAll, v);
  x = _mm512_or_si512(x, _mm512_maskz_slli_epi64(kAll, x, 16));
  return _mm512_or_si512(x, _mm512_maskz_slli_epi64(kAll, x, 32));
}
// The same from 8 uint32 below 2^16.
inline __m512i spread32(__m256i v) {
  __m512i x = _mm512_maskz_cvtepu32_epi64(kAll, v);
  x = _mm512_or_si512(x, _mm512_maskz_slli_epi64(kAll, x, 16));
  return _mm512_or_si512(x, _mm512_maskz_slli_epi64(kAll, x, 32));
}

// Returns the customers whose bucket is mixed (bit k: customer first + k), left to the scalar code.
std::uint64_t notice(const mech::CustomerContext& c, const StepTables& t, std::uint32_t first,
                     std::uint32_t m, const std::uint32_t* words, std::uint64_t reached) {
  std::uint64_t mixed = 0;
  const __m512i alive_lo = _mm512_load_si512(t.alive), alive_hi = _mm512_load_si512(t.alive + 32);
  const __m512i above = _mm512_set1_epi16(static_cast<short>(mech::kAwarenessMixed));
  const __m512i n_table = _mm512_set1_epi16(static_cast<short>(kMaxFirms));
  const __m512i rep_min = _mm512_set1_epi16(-128), rep_lifted = _mm512_set1_epi16(-127);
  const __m512i bias = _mm512_set1_epi16(128), none_key = _mm512_set1_epi16(0x7FFF);
  const __m512i slot_k = _mm512_set1_epi64(0x0003000200010000);  // k of each lane
  const __m512i zero = _mm512_setzero_si512();
  const __m256i no_firm = _mm256_set1_epi32(kNoFirm), low16 = _mm256_set1_epi32(0xFFFF);
  const __m256i mixed_g = _mm256_set1_epi32(mech::kAwarenessMixed);
  for (std::uint32_t j = 0; j < m; j += 8) {
    const __mmask8 here = static_cast<__mmask8>((reached >> j) & 0xFF);
    if (here == 0) continue;
    const std::uint32_t cnt = std::min<std::uint32_t>(8, m - j);
    // g of the reached customers (kNoFirm for the others): the step's table by the word's top bits,
    // gathered as 32 bits of which the low 16 are the entry (StepTables::awareness has a spare entry).
    const __m256i bucket = _mm256_srli_epi32(_mm256_maskz_loadu_epi32(here, words + j), kShift);
    const __m256i g32 = _mm256_and_si256(
        _mm256_mmask_i32gather_epi32(no_firm, here, bucket, t.awareness, sizeof(std::uint16_t)), low16);
    mixed |= static_cast<std::uint64_t>(_mm256_cmpeq_epi32_mask(g32, mixed_g)) << j;
    // No early exit for a group in which no customer has a firm g, or none changes: whether one does is
    // a coin toss the CPU guessed wrong, and the rest of the group's work with empty masks (stores
    // included) costs less than the guesses (bench-1m stepping, one thread: +2-3%).
    const __mmask32 lanes = cnt == 8 ? ~__mmask32{0} : static_cast<__mmask32>((1u << (4 * cnt)) - 1);
    const std::size_t i0 = std::size_t{first} + j;
    std::uint16_t* slots_p = c.consider + i0 * 4;
    std::int8_t* rep_p = c.reputation + i0 * 4;
    const __m512i S = _mm512_maskz_loadu_epi16(lanes, slots_p);
    __m512i R = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(lanes, rep_p));
    const __m512i G = spread32(g32);
    const __m512i I = spread(_mm_maskz_loadu_epi16(static_cast<__mmask8>((1u << cnt) - 1), c.firm_prev + i0));
    const __mmask32 valid = _mm512_cmplt_epu16_mask(G, above);  // the customer has a firm g
    // Known: the first slot equal to g; -128 becomes -127.
    const Nibbles known = nibbles(_mm512_mask_cmpeq_epi16_mask(valid, S, G));
    const __mmask32 lift = known.first & _mm512_cmpeq_epi16_mask(R, rep_min);
    // Unknown: a live slot is a firm of the table that is alive (kNoFirm and past F are not).
    const __m512i alive = _mm512_permutex2var_epi16(alive_lo, S, alive_hi);
    const __mmask32 live = _mm512_cmplt_epu16_mask(S, n_table) & _mm512_test_epi16_mask(alive, alive);
    const Nibbles stale = nibbles(~live);
    const __mmask32 cand = live & _mm512_cmpneq_epi16_mask(S, I);
    const __m512i key = _mm512_mask_mov_epi16(
        none_key, cand, _mm512_or_si512(_mm512_slli_epi16(_mm512_add_epi16(R, bias), 2), slot_k));
    __m512i least = _mm512_min_epu16(key, _mm512_maskz_rol_epi64(kAll, key, 16));
    least = _mm512_min_epu16(least, _mm512_maskz_rol_epi64(kAll, least, 32));
    const __mmask32 worst = _mm512_mask_cmpeq_epi16_mask(cand, key, least);
    const __mmask32 put = valid & ~known.any & (stale.first | (worst & ~stale.any));
    R = _mm512_mask_mov_epi16(R, lift, rep_lifted);
    R = _mm512_mask_mov_epi16(R, put, zero);
    _mm512_mask_storeu_epi16(slots_p, put, G);
    _mm512_mask_cvtepi16_storeu_epi8(rep_p, put | lift, R);
  }
  return mixed;
}

}  // namespace avx512
MISSIONSIM_TARGET_END

MISSIONSIM_TARGET_BEGIN("avx2")
namespace avx2 {

// Per 64-bit lane (a customer) of 16-bit lane masks x: the first set 16-bit lane, and all ones where
// the customer has one.
struct Lanes {
  __m256i first, any;
};
inline Lanes lanes_of(__m256i x) {
  __m256i p = _mm256_or_si256(x, _mm256_slli_epi64(x, 16));
  p = _mm256_or_si256(p, _mm256_slli_epi64(p, 32));
  const __m256i none = _mm256_cmpeq_epi64(x, _mm256_setzero_si256());
  return {_mm256_andnot_si256(_mm256_slli_epi64(p, 16), x), _mm256_xor_si256(none, _mm256_set1_epi32(-1))};
}

// 4 uint16 -> each one in all four 16-bit lanes of its 64-bit lane.
inline __m256i spread(__m128i v) {
  __m256i x = _mm256_cvtepu16_epi64(v);
  x = _mm256_or_si256(x, _mm256_slli_epi64(x, 16));
  return _mm256_or_si256(x, _mm256_slli_epi64(x, 32));
}

// The 16-bit lanes of each 64-bit lane rotated as imm says (within each half of a 128-bit lane).
template <int imm>
inline __m256i rotate(__m256i x) {
  return _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(x, imm), imm);
}

// Returns the customers whose bucket is mixed (bit k: customer first + k), left to the scalar code.
std::uint64_t notice(const mech::CustomerContext& c, const StepTables& t, std::uint32_t first,
                     std::uint32_t m, const std::uint32_t* words, std::uint64_t reached) {
  std::uint64_t mixed = 0;
  const __m128i no_firm = _mm_set1_epi32(kNoFirm), low16_4 = _mm_set1_epi32(0xFFFF);
  const __m128i mixed_g = _mm_set1_epi32(mech::kAwarenessMixed);
  const __m128i bit_of = _mm_setr_epi32(1, 2, 4, 8);
  const __m256i above = _mm256_set1_epi16(static_cast<short>(mech::kAwarenessMixed));
  const __m256i flip = _mm256_set1_epi16(static_cast<short>(0x8000));  // unsigned compares as signed
  const __m256i alive_lo = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(t.alive_bits)));
  const __m256i alive_hi =
      _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(t.alive_bits >> 32)));
  const __m256i low16 = _mm256_set1_epi32(0xFFFF), one32 = _mm256_set1_epi32(1), n32 = _mm256_set1_epi32(32);
  const __m256i one16 = _mm256_set1_epi16(1);
  const __m256i rep_min = _mm256_set1_epi16(-128), rep_lifted = _mm256_set1_epi16(-127);
  const __m256i bias = _mm256_set1_epi16(128), none_key = _mm256_set1_epi16(0x7FFF);
  const __m256i slot_k = _mm256_set1_epi64x(0x0003000200010000);
  for (std::uint32_t j = 0; j < m; j += 4) {
    const int here_bits = static_cast<int>((reached >> j) & 0xF);
    if (here_bits == 0) continue;
    const std::uint32_t cnt = std::min<std::uint32_t>(4, m - j);
    // g of the reached customers (kNoFirm for the others), as in the AVX-512 path.
    alignas(16) std::uint32_t word_buf[4] = {};
    const std::uint32_t* wp = words + j;
    if (cnt < 4) {
      std::memcpy(word_buf, wp, cnt * sizeof(std::uint32_t));
      wp = word_buf;
    }
    const __m128i here = _mm_cmpeq_epi32(_mm_and_si128(_mm_set1_epi32(here_bits), bit_of), bit_of);
    const __m128i bucket = _mm_srli_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wp)), kShift);
    const __m128i g32 = _mm_and_si128(
        _mm_mask_i32gather_epi32(no_firm, reinterpret_cast<const int*>(t.awareness), bucket, here, 2),
        low16_4);
    mixed |= static_cast<std::uint64_t>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(g32, mixed_g))))
             << j;
    // No firm: g is kNoFirm or kAwarenessMixed for all four.
    if (_mm_movemask_ps(_mm_castsi128_ps(_mm_cmplt_epi32(g32, mixed_g))) == 0) continue;
    const std::size_t i0 = std::size_t{first} + j;
    std::uint16_t* slots_p = c.consider + i0 * 4;
    std::int8_t* rep_p = c.reputation + i0 * 4;
    // A short last group goes through a buffer: past m lie other customers (or the end of the arrays).
    alignas(32) std::uint16_t slots_buf[16] = {};
    alignas(16) std::int8_t rep_buf[16] = {};
    alignas(16) std::uint16_t inc_buf[8] = {};
    std::uint16_t* sp = slots_p;
    std::int8_t* rp = rep_p;
    const std::uint16_t* ip = c.firm_prev + i0;
    if (cnt < 4) {
      std::memcpy(slots_buf, slots_p, cnt * 4 * sizeof(std::uint16_t));
      std::memcpy(rep_buf, rep_p, cnt * 4);
      std::memcpy(inc_buf, ip, cnt * sizeof(std::uint16_t));
      sp = slots_buf;
      rp = rep_buf;
      ip = inc_buf;
    }
    const __m256i S = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sp));
    __m256i R = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rp)));
    const __m256i G = spread(_mm_packus_epi32(g32, g32));
    const __m256i I = spread(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(ip)));
    // The customer has a firm g: g < kAwarenessMixed, unsigned.
    const __m256i valid = _mm256_cmpgt_epi16(_mm256_xor_si256(above, flip), _mm256_xor_si256(G, flip));
    const Lanes known = lanes_of(_mm256_and_si256(valid, _mm256_cmpeq_epi16(S, G)));
    const __m256i lift = _mm256_and_si256(known.first, _mm256_cmpeq_epi16(R, rep_min));
    // Alive: bit s of alive_bits, from the two 32-bit halves with per-lane shifts (a shift of 32 or more
    // gives 0, so kNoFirm and firms past 63 are not alive), even and odd 16-bit lanes apart.
    const __m256i s_even = _mm256_and_si256(S, low16), s_odd = _mm256_srli_epi32(S, 16);
    const __m256i b_even =
        _mm256_and_si256(_mm256_or_si256(_mm256_srlv_epi32(alive_lo, s_even),
                                         _mm256_srlv_epi32(alive_hi, _mm256_sub_epi32(s_even, n32))),
                         one32);
    const __m256i b_odd =
        _mm256_and_si256(_mm256_or_si256(_mm256_srlv_epi32(alive_lo, s_odd),
                                         _mm256_srlv_epi32(alive_hi, _mm256_sub_epi32(s_odd, n32))),
                         one32);
    const __m256i live = _mm256_cmpeq_epi16(_mm256_or_si256(b_even, _mm256_slli_epi32(b_odd, 16)), one16);
    const Lanes stale = lanes_of(_mm256_xor_si256(live, _mm256_set1_epi32(-1)));
    const __m256i cand = _mm256_andnot_si256(_mm256_cmpeq_epi16(S, I), live);
    const __m256i key = _mm256_blendv_epi8(
        none_key, _mm256_or_si256(_mm256_slli_epi16(_mm256_add_epi16(R, bias), 2), slot_k), cand);
    __m256i least = _mm256_min_epu16(key, rotate<_MM_SHUFFLE(0, 3, 2, 1)>(key));
    least = _mm256_min_epu16(least, rotate<_MM_SHUFFLE(1, 0, 3, 2)>(least));
    const __m256i worst = _mm256_and_si256(cand, _mm256_cmpeq_epi16(key, least));
    const __m256i put = _mm256_andnot_si256(
        known.any,
        _mm256_and_si256(valid, _mm256_or_si256(stale.first, _mm256_andnot_si256(stale.any, worst))));
    if (_mm256_testz_si256(_mm256_or_si256(put, lift), _mm256_or_si256(put, lift))) continue;
    R = _mm256_blendv_epi8(R, rep_lifted, lift);
    R = _mm256_andnot_si256(put, R);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(sp), _mm256_blendv_epi8(S, G, put));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(rp),
                     _mm_packs_epi16(_mm256_castsi256_si128(R), _mm256_extracti128_si256(R, 1)));
    if (cnt < 4) {
      std::memcpy(slots_p, slots_buf, cnt * 4 * sizeof(std::uint16_t));
      std::memcpy(rep_p, rep_buf, cnt * 4);
    }
  }
  return mixed;
}

}  // namespace avx2
MISSIONSIM_TARGET_END

#endif  // MISSIONSIM_MARKETING_X86

}  // namespace

Isa best_isa() {
  static const Isa best = simd::widest({Isa::Avx512, Isa::Avx2});
  return best;
}

void StepTables::build(const mech::CustomerContext& c, Isa wanted) {
  std::fill(std::begin(alive), std::end(alive), std::uint16_t{0});
  alive_bits = 0;
  const bool suits = c.K == 4 && c.awareness != nullptr && c.n_firms <= kMaxFirms;
  isa = suits && (wanted == Isa::Avx2 || wanted == Isa::Avx512) ? wanted : Isa::Scalar;
  if (!suits) return;
  std::copy_n(c.awareness, kBuckets, awareness);
  awareness[kBuckets] = kNoFirm;
  for (std::uint32_t f = 0; f < c.n_firms; ++f) {
    alive[f] = c.off[f].alive ? 1 : 0;
    alive_bits |= static_cast<std::uint64_t>(alive[f]) << f;
  }
}

void notice_run(const mech::CustomerContext& c, const StepTables& t, std::uint32_t first, std::uint32_t m,
                const std::uint32_t* awareness, std::uint64_t reached) {
#if MISSIONSIM_MARKETING_X86
  if (t.isa != Isa::Scalar) {
    const std::uint64_t mixed = t.isa == Isa::Avx512 ? avx512::notice(c, t, first, m, awareness, reached)
                                                     : avx2::notice(c, t, first, m, awareness, reached);
    notice_mixed(c, first, awareness, mixed);
    return;
  }
#endif
  notice_scalar(c, first, awareness, reached);
}

}  // namespace missionsim::marketing
