// Engine throughput and memory: runs a scenario (default scenarios/bench-1m.toml)
// several times without output and prints customer-steps per second (median),
// per core, and memory per customer.
//
//   bench_step [SCENARIO.toml] [--repeats N] [--threads N] [--steps N] [--customers N]
//
// Wall-clock figures move by 10-20% on a shared machine. For a repeatable
// comparison of two builds, count instructions on a reduced run instead:
//
//   valgrind --tool=callgrind --callgrind-out-file=cg.out build/release/bench/bench_step
//       scenarios/bench-1m.toml --repeats 1 --threads 1 --steps 10 --customers 100000
//   (one command line)
//   callgrind_annotate --inclusive=yes cg.out | grep -E "Impl::step|customer_pass"
#include <sys/resource.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "bench_scenario.hpp"
#include "core/simulation.hpp"
#include "scenario/scenario.hpp"

using namespace missionsim;

namespace {
// CPU seconds used by the whole process (all threads), for a throughput
// figure that a busy machine distorts less than wall time.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
}  // namespace

int main(int argc, char** argv) {
  std::string path = "scenarios/bench-1m.toml";
  int repeats = 5, threads = tbb::info::default_concurrency(), steps = -1, customers = -1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> int {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_step: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return std::atoi(argv[++i]);
    };
    if (a == "--repeats")
      repeats = std::max(1, next());
    else if (a == "--threads")
      threads = std::max(1, next());
    else if (a == "--steps")
      steps = next();
    else if (a == "--customers")
      customers = next();
    else
      path = a;
  }
  try {
    const Params p = bench::load_bench_scenario(path, steps, customers);
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    std::vector<double> rates, inits, cpu_rates;
    std::size_t state = 0, edges = 0;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      Simulation sim(p);
      const auto t1 = std::chrono::steady_clock::now();
      const double c1 = cpu_seconds();
      for (int t = 0; t < p.steps; ++t) sim.step();
      const double c2 = cpu_seconds();
      const auto t2 = std::chrono::steady_clock::now();
      cpu_rates.push_back(static_cast<double>(p.customers) * p.steps / (c2 - c1));
      const double run = std::chrono::duration<double>(t2 - t1).count();
      rates.push_back(static_cast<double>(p.customers) * p.steps / run);
      inits.push_back(std::chrono::duration<double>(t1 - t0).count());
      state = sim.state_bytes();
      edges = sim.network_edges();
      std::printf("run %d: init %.2f s, %d steps %.2f s, %.2f M customer-steps/s\n", r + 1, inits.back(),
                  p.steps, run, rates.back() / 1e6);
    }
    std::sort(rates.begin(), rates.end());
    std::sort(inits.begin(), inits.end());
    std::sort(cpu_rates.begin(), cpu_rates.end());
    const double median = rates[rates.size() / 2];
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double n = static_cast<double>(p.customers);
    int firm_count = 0;
    for (const auto& g : p.firms) firm_count += g.count;
    const double edge_bytes = static_cast<double>(edges) * sizeof(std::uint32_t);
    std::printf("scenario            %s (%lld customers, %d firms, %d steps)\n", path.c_str(),
                static_cast<long long>(p.customers), firm_count, p.steps);
    std::printf("threads             %d\n", threads);
    std::printf("customer-steps/s    %.2f M (median of %d), %.2f M per thread\n", median / 1e6, repeats,
                median / 1e6 / threads);
    std::printf("per CPU-second      %.2f M customer-steps (median; CPU time of all threads)\n",
                cpu_rates[cpu_rates.size() / 2] / 1e6);
    std::printf("init (median)       %.2f s\n", inits[inits.size() / 2]);
    std::printf("state per customer  %.1f bytes (network rows %.1f bytes/customer = %zu entries x 4 bytes)\n",
                (static_cast<double>(state) - edge_bytes) / n, edge_bytes / n, edges);
    std::printf("peak RSS            %.1f MiB, %.1f bytes per customer\n", ru.ru_maxrss / 1024.0,
                ru.ru_maxrss * 1024.0 / n);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_step: %s\n", e.what());
    return 1;
  }
  return 0;
}
