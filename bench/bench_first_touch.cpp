// What the first touch of fresh memory costs on this machine: the part of a run's set-up that is not the
// engine's own work. A run maps its arrays fresh (sim/core/huge_pages.hpp) and the kernel zeroes each page
// on its first write; in a virtual machine whose guest reports free memory to its host (virtio-balloon
// free page reporting, e.g. page_reporting.page_reporting_order on the kernel command line), memory that
// stayed free for a few seconds has been handed back, and its first touch also waits for the host to map
// it again. Each round maps --mib MiB as the engine maps a large array (huge-page aligned, MADV_HUGEPAGE),
// writes every byte, unmaps it, then pauses: rounds after no pause reuse memory freed a moment before
// ("warm"), rounds after --pause seconds find it reported ("cold", where the machine does so). Prints the
// medians in ms and in ms per MiB. Figures and how to read them: docs/PERFORMANCE.md, "Set-up".
//
//   bench_first_touch [--mib M] [--rounds N] [--pause S]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "bench_scenario.hpp"
#include "core/huge_pages.hpp"

using namespace missionsim;

namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds to write every byte of a fresh array of `bytes`, mapped as the engine maps its arrays.
double touch_ms(std::size_t bytes) {
  HugePageAllocator<unsigned char> alloc;
  unsigned char* p = alloc.allocate(bytes);
  const auto t0 = Clock::now();
  std::memset(p, 1, bytes);
  asm volatile("" : : "r"(p) : "memory");
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  alloc.deallocate(p, bytes);
  return ms;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

void usage() {
  std::printf(
      "bench_first_touch: the cost of writing fresh memory for the first time (a run's set-up pays it\n"
      "for every array it makes)\n\n"
      "usage: bench_first_touch [options]\n"
      "  --mib M      MiB mapped and written each round (default 96, about a 1,000,000-customer run)\n"
      "  --rounds N   rounds of each kind (default 4)\n"
      "  --pause S    seconds the memory stays free before a cold round (default 4)\n"
      "  --help       this text\n");
}

}  // namespace

int main(int argc, char** argv) {
  long long mib = 96, rounds = 4, pause = 4;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else if (a == "--mib") {
      mib = bench::positive_option("bench_first_touch", argc, argv, i);
    } else if (a == "--rounds") {
      rounds = bench::positive_option("bench_first_touch", argc, argv, i);
    } else if (a == "--pause") {
      pause = bench::positive_option("bench_first_touch", argc, argv, i);
    } else {
      std::fprintf(stderr, "bench_first_touch: unknown option %s (see --help)\n", a.c_str());
      return 2;
    }
  }
  try {
    const std::size_t bytes = static_cast<std::size_t>(mib) << 20;
    std::vector<double> warm, cold;
    touch_ms(bytes);  // the process's first: whatever the memory was before
    for (long long r = 0; r < rounds; ++r) {
      warm.push_back(touch_ms(bytes));  // right after the previous round freed the same amount
      std::this_thread::sleep_for(std::chrono::seconds(pause));
      cold.push_back(touch_ms(bytes));
      std::printf("round %lld: warm %.1f ms, after %lld s free %.1f ms\n", r + 1, warm.back(), pause,
                  cold.back());
      std::fflush(stdout);
    }
    const double w = median(warm), c = median(cold), m = static_cast<double>(mib);
    std::printf("first touch, memory freed a moment before   %8.1f ms for %lld MiB (%.2f ms per MiB)\n", w,
                mib, w / m);
    std::printf("first touch, memory free for %lld s           %8.1f ms for %lld MiB (%.2f ms per MiB)\n",
                pause, c, mib, c / m);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_first_touch: %s\n", e.what());
    return 1;
  }
  return 0;
}
