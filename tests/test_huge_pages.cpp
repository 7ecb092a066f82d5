// The allocator of the customers' and the network's arrays (sim/core/huge_pages.hpp).
#include <tbb/task_arena.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/huge_pages.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

using namespace missionsim;

namespace {

// The VmFlags line of the mapping of /proc/self/smaps that holds address a ("" when none does).
std::string vm_flags(const void* a) {
  std::ifstream smaps("/proc/self/smaps");
  const auto x = reinterpret_cast<std::uintptr_t>(a);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= x && x < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

#if defined(__linux__)
// How many of the small pages of [p, p + bytes) are in memory (mincore), and how many there are.
std::pair<std::size_t, std::size_t> resident_pages(const void* p, std::size_t bytes) {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const std::uintptr_t lo = reinterpret_cast<std::uintptr_t>(p) & ~(page - 1);
  const std::uintptr_t hi = (reinterpret_cast<std::uintptr_t>(p) + bytes + page - 1) & ~(page - 1);
  std::vector<unsigned char> in((hi - lo) / page);
  REQUIRE(mincore(reinterpret_cast<void*>(lo), hi - lo, in.data()) == 0);
  std::size_t n = 0;
  for (unsigned char c : in) n += c & 1;
  return {n, in.size()};
}
#endif

}  // namespace

TEST_CASE("huge pages: first_touch brings every page of the storages in before the fills, on any thread count",
          "[huge_pages]") {
  for (int threads : {1, 2, 3}) {
    tbb::task_arena arena(threads);
    arena.execute([&] {
      HugeVector<float> a;                // 20 MB: ten huge pages
      HugeVector<std::uint16_t> b;        // 1 MB: one huge page
      HugeVector<std::uint8_t> small, e;  // the ordinary allocator; nothing
      const Storage sa = room_for(a, 5'000'000), sb = room_for(b, 500'000), ss = room_for(small, 1000);
      const Storage se = room_for(e, 0);
      CHECK(sa.data == a.data());
      CHECK(sa.bytes == a.capacity() * sizeof(float));
      CHECK(sa.bytes >= 5'000'000 * sizeof(float));
      CHECK(se.bytes == 0);
#if defined(__linux__)
      // Fresh mappings: nothing in memory before the first write.
      CHECK(resident_pages(sa.data, sa.bytes).first == 0);
      CHECK(resident_pages(sb.data, sb.bytes).first == 0);
#endif
      first_touch({sa, sb, ss, se});
#if defined(__linux__)
      const auto [ra, na] = resident_pages(sa.data, sa.bytes);
      const auto [rb, nb] = resident_pages(sb.data, sb.bytes);
      CHECK(ra == na);
      CHECK(rb == nb);
#endif
      // The storages stay where they are and the fills see only their own values.
      a.assign(5'000'000, 1.5f);
      b.resize(500'000);
      small.assign(1000, 9);
      CHECK(a.data() == sa.data);
      CHECK(b.data() == sb.data);
      bool same = true;
      for (float x : a) same = same && x == 1.5f;
      for (std::uint16_t x : b) same = same && x == 0;
      for (std::uint8_t x : small) same = same && x == 9;
      CHECK(same);
    });
  }
}

TEST_CASE("huge pages: a large array starts on a huge-page boundary, is advised, and keeps its values",
          "[huge_pages]") {
  HugeVector<float> v(3'000'000);  // 12 MB
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % kHugePage == 0);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // MADV_HUGEPAGE on the mapping, where the kernel has transparent huge pages at all.
  if (std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled")) {
    const std::string flags = vm_flags(v.data());
    INFO(flags);
    CHECK(flags.find(" hg") != std::string::npos);
  }
#endif
  // Growth moves the values to a new mapping and unmaps the old one; they stay the same values.
  v.resize(7'000'001, -1.0f);
  CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % kHugePage == 0);
  bool same = true;
  for (std::size_t i = 0; i < 3'000'000; ++i) same = same && v[i] == static_cast<float>(i);
  CHECK(same);
  CHECK(v.back() == -1.0f);
  v.resize(10);
  v.shrink_to_fit();  // now small: the ordinary allocator
  CHECK(v.size() == 10);
  CHECK(v[9] == 9.0f);
}

TEST_CASE("huge pages: one whole huge page below one, else whole ones when that adds at most an eighth",
          "[huge_pages]") {
  using A8 = HugePageAllocator<std::uint8_t>;
  CHECK_FALSE(A8::large(kHugePage / 4 - 1));
  CHECK(A8::large(kHugePage / 4));
  CHECK(HugePageAllocator<std::uint16_t>::large(kHugePage / 8));  // counted in bytes, not elements
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  CHECK(A8::mapped(kHugePage / 4) == kHugePage);  // below a huge page: one whole one
  CHECK(A8::mapped(1'000'000) == kHugePage);
  CHECK(A8::mapped(kHugePage - 1) == kHugePage);
  CHECK(A8::mapped(4'000'000) == 2 * kHugePage);                 // +4.9%: two whole huge pages
  CHECK(A8::mapped(2 * kHugePage + 1) == 2 * kHugePage + 4096);  // +50% would be too much: small tail
  CHECK(A8::mapped(2 * kHugePage) == 2 * kHugePage);
#endif
  // Arrays of every size class, allocated and freed in turn, hold what was written.
  for (std::size_t n :
       {std::size_t{1}, std::size_t{100'000}, kHugePage / 4, kHugePage - 1, kHugePage, 5 * kHugePage + 3}) {
    HugeVector<std::uint8_t> b(n, 7);
    CHECK(b.front() == 7);
    CHECK(b.back() == 7);
  }
}
