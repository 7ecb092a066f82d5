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

}  // namespace missionsim
