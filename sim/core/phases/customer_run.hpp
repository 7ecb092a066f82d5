// Helpers of the customer pass (phases/customers.cpp) that work on a run of customers at a time.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace missionsim {

// Eq. 35 over n contiguous reputations: r becomes r * keep / 256 rounded toward zero (0 <= keep < 256),
// the formula of decay_reputation's table (decay_table), 16 at a time in 16-bit lanes (SSE2, the
// x86-64 baseline): |r * keep| < 2^15.
inline void decay_run(std::int8_t* rep, std::size_t n, int keep) {
  std::size_t b = 0;
#if defined(__SSE2__)
  const __m128i k = _mm_set1_epi16(static_cast<short>(keep));
  const __m128i round = _mm_set1_epi16(255);
  auto decay16 = [&](__m128i x) {  // x: int8 values sign-extended to int16
    x = _mm_mullo_epi16(x, k);
    return _mm_srai_epi16(_mm_add_epi16(x, _mm_and_si128(_mm_srai_epi16(x, 15), round)), 8);
  };
  for (; b + 16 <= n; b += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rep + b));
    const __m128i lo = decay16(_mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8));
    const __m128i hi = decay16(_mm_srai_epi16(_mm_unpackhi_epi8(v, v), 8));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(rep + b), _mm_packs_epi16(lo, hi));
  }
#endif
  for (; b < n; ++b) rep[b] = static_cast<std::int8_t>(rep[b] * keep / 256);
}

// Masks over a run of m <= 64 customers: bit k stands for customer k of the run. The pass walks a mask's
// set bits in ascending order (customer order), which replaces one branch per customer on a random draw
// by one per listed customer. SSE2 compares 4 (or 8) customers at a time; the rest one by one.
inline std::uint64_t run_bits(std::uint32_t m) {
  return m >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << m) - 1;
}

// Bit k set when w[k] < bound (0 <= bound <= 2^32; 2^32 sets every bit).
inline std::uint64_t mask_below(const std::uint32_t* w, std::uint64_t bound, std::uint32_t m) {
  if (bound > 0xFFFFFFFFu) return run_bits(m);
  std::uint64_t bits = 0;
  std::uint32_t k = 0;
#if defined(__SSE2__)
  // Unsigned x < b as signed (x ^ 2^31) < (b ^ 2^31).
  const __m128i flip = _mm_set1_epi32(static_cast<int>(0x80000000u));
  const __m128i b = _mm_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(bound) ^ 0x80000000u));
  for (; k + 4 <= m; k += 4) {
    const __m128i x = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + k)), flip);
    bits |= static_cast<std::uint64_t>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmplt_epi32(x, b)))) << k;
  }
#endif
  for (; k < m; ++k) bits |= static_cast<std::uint64_t>(w[k] < bound) << k;
  return bits;
}

// Bit k set when x[k] != 0.
inline std::uint64_t mask_nonzero(const std::uint32_t* x, std::uint32_t m) {
  std::uint64_t zero = 0;
  std::uint32_t k = 0;
#if defined(__SSE2__)
  const __m128i z = _mm_setzero_si128();
  for (; k + 4 <= m; k += 4) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + k));
    zero |= static_cast<std::uint64_t>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, z)))) << k;
  }
#endif
  for (; k < m; ++k) zero |= static_cast<std::uint64_t>(x[k] == 0) << k;
  return ~zero & run_bits(m);
}

// Bit k set when x[k] == v.
inline std::uint64_t mask_equal(const std::uint16_t* x, std::uint16_t v, std::uint32_t m) {
  std::uint64_t bits = 0;
  std::uint32_t k = 0;
#if defined(__SSE2__)
  const __m128i vv = _mm_set1_epi16(static_cast<short>(v));
  for (; k + 8 <= m; k += 8) {
    const __m128i eq = _mm_cmpeq_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + k)), vv);
    bits |= static_cast<std::uint64_t>(_mm_movemask_epi8(_mm_packs_epi16(eq, eq)) & 0xFF) << k;
  }
#endif
  for (; k < m; ++k) bits |= static_cast<std::uint64_t>(x[k] == v) << k;
  return bits;
}

// Bit k set when a[k] != b[k].
inline std::uint64_t mask_differ(const std::uint16_t* a, const std::uint16_t* b, std::uint32_t m) {
  std::uint64_t same = 0;
  std::uint32_t k = 0;
#if defined(__SSE2__)
  for (; k + 8 <= m; k += 8) {
    const __m128i eq = _mm_cmpeq_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + k)),
                                       _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + k)));
    same |= static_cast<std::uint64_t>(_mm_movemask_epi8(_mm_packs_epi16(eq, eq)) & 0xFF) << k;
  }
#endif
  for (; k < m; ++k) same |= static_cast<std::uint64_t>(a[k] == b[k]) << k;
  return ~same & run_bits(m);
}

}  // namespace missionsim
