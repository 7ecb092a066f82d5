// Large per-customer arrays on transparent huge pages (2 MiB) where Linux offers them on request
// (/sys/kernel/mm/transparent_hugepage/enabled set to madvise or always). The customer pass walks some
// twenty arrays side by side; with 4 KiB pages a 1,000,000-customer run crosses a page of one array or
// another every few dozen customers, and each crossing can cost a page walk. A hint only: where the
// kernel refuses or has no huge pages, nothing changes; no value computed depends on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace missionsim {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

// An allocator that maps an array of a quarter of a huge page (512 KiB) or more on its own, at a huge-page
// boundary, and asks the kernel to back its whole huge pages with huge pages before they are first touched
// (memory from malloc may have been touched before, and then keeps its small pages). An array smaller than
// a huge page gets one whole huge page (a 1,000,000-customer byte array of 1.0 MB: the customer pass
// reads such arrays at the places of rewired neighbours too, where each small page would be a miss of the
// translation cache). A larger one is rounded up to whole huge pages when that adds at most an eighth (a
// 1,000,000-customer float array of 4.0 MB becomes two huge pages, 4.9% more); otherwise its partial last
// huge page stays in small pages. Smaller arrays, and every array off Linux, come from the ordinary
// allocator.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  static constexpr std::size_t kSmallPage = 4096;
  static bool large(std::size_t n) { return n * sizeof(T) >= kHugePage / 4; }
  static std::size_t mapped(std::size_t n) {  // bytes mapped for n elements of a large array
    const std::size_t bytes = n * sizeof(T);
    const std::size_t whole = (bytes + kHugePage - 1) & ~(kHugePage - 1);
    return bytes < kHugePage || (whole - bytes) <= bytes / 8 ? whole
                                                             : (bytes + kSmallPage - 1) & ~(kSmallPage - 1);
  }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  T* allocate(std::size_t n) {
    if (!large(n)) return std::allocator<T>{}.allocate(n);
    if (n > static_cast<std::size_t>(-1) / sizeof(T) / 2) throw std::bad_array_new_length();
    const std::size_t len = mapped(n);
    void* map = mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) throw std::bad_alloc();
    const auto base = reinterpret_cast<std::uintptr_t>(map);
    const std::uintptr_t aligned = (base + kHugePage - 1) & ~(kHugePage - 1);
    if (aligned > base) munmap(map, aligned - base);  // the part before the boundary
    const std::uintptr_t tail = aligned + len, end = base + len + kHugePage;
    if (end > tail) munmap(reinterpret_cast<void*>(tail), end - tail);                 // and after the array
    madvise(reinterpret_cast<void*>(aligned), len & ~(kHugePage - 1), MADV_HUGEPAGE);  // a hint
    return reinterpret_cast<T*>(aligned);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (!large(n)) return std::allocator<T>{}.deallocate(p, n);
    munmap(p, mapped(n));
  }
#else
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>{}.deallocate(p, n); }
#endif
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

// The customers' and the network's arrays.
template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

// Memory to fault in by first_touch: the storage of a vector whose elements are not made yet.
struct Storage {
  void* data;
  std::size_t bytes;
};

// Gives each vector room for n elements (reserve) and returns its storage, for first_touch.
template <class T>
Storage room_for(HugeVector<T>& v, std::size_t n) {
  v.reserve(n);
  return {v.data(), v.capacity() * sizeof(T)};
}

// Writes to every 4 KiB page of the storages once, in parallel over their huge pages (the calling
// thread's TBB arena), before their elements are made. The first write to fresh memory is where Linux
// clears the page (2 MiB at once for a huge page), which on a virtual machine is also where the host
// backs it: most of a 1,000,000-customer set-up's memory cost (docs/PERFORMANCE.md, "Fresh memory on this
// machine"). Made by the one thread that then fills the arrays, it is serial; made here, it is split
// among the threads. The storage must hold no values yet (right after room_for): the bytes written are
// zeros, which the elements' own construction overwrites.
void first_touch(std::initializer_list<Storage> storages);

}  // namespace missionsim
