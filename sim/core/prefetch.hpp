// Software prefetch that the compiler keeps.
#pragma once

#include <cstdint>

namespace missionsim {

// The cache a prefetch asks for: the first level (data wanted soon), or the second only (data wanted a
// little later, without taking one of the first level's few line-fill buffers meanwhile).
enum class Cache { L1, L2 };

// Asks the CPU to bring the cache line holding p into its caches (a hint: p need not be valid to
// dereference, only to form). An instruction the compiler must keep: GCC 12 drops __builtin_prefetch
// from loops whose only effect it is in some inlining contexts (the customer pass's prefetches of its
// own entries vanished from one build and not from another).
template <Cache C = Cache::L1>
inline void fetch_line(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (C == Cache::L1)
    asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
  else
    asm volatile("prefetcht1 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 0, C == Cache::L1 ? 3 : 2);
#endif
}

// fetch_line for every cache line that [begin, end) overlaps, each once (end > begin).
template <Cache C = Cache::L1>
inline void fetch_lines(const void* begin, const void* end) {
  constexpr std::uintptr_t kLine = 64;
  const std::uintptr_t last = (reinterpret_cast<std::uintptr_t>(end) - 1) & ~(kLine - 1);
  for (std::uintptr_t a = reinterpret_cast<std::uintptr_t>(begin) & ~(kLine - 1); a <= last; a += kLine)
    fetch_line<C>(reinterpret_cast<const void*>(a));
}

}  // namespace missionsim
