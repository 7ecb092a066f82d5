// Engine throughput and memory: runs a scenario (default scenarios/bench-1m.toml)
// several times and prints customer-steps per second (median), per core, and
// memory per customer. By default it times stepping only (no output); with
// --end-to-end each repetition is a whole run as `missionsim run` makes it:
// set-up, stepping and the HDF5 trajectory (written to a temporary file).
//
//   bench_step [SCENARIO.toml] [--repeats N] [--threads N] [--steps N] [--customers N] [--end-to-end]
//
// The last line is a summary for scripts (bench/scaling.sh reads it):
//   result threads=T customers=N steps=S mode=step|end-to-end rate=R rss_per_customer=B
// with R the median customer-steps per second and B the peak resident set in bytes per customer.
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
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_scenario.hpp"
#include "core/simulation.hpp"
#include "output/run_file.hpp"
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

void usage() {
  std::printf(
      "bench_step: engine throughput (customer-steps per second) and memory per customer\n\n"
      "usage: bench_step [SCENARIO.toml] [options]\n"
      "  SCENARIO.toml      scenario to run (default scenarios/bench-1m.toml)\n"
      "  --repeats N        repetitions; the median is printed (default 5)\n"
      "  --threads N        engine threads (default: all cores)\n"
      "  --steps N          override run.steps\n"
      "  --customers N      override customers.count\n"
      "  --end-to-end       time whole runs: set-up, stepping and the HDF5 trajectory\n"
      "  --help             this text\n");
}
}  // namespace

int main(int argc, char** argv) {
  bench::Options o;
  o.threads = tbb::info::default_concurrency();
  bool end_to_end = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else if (bench::shared_option("bench_step", argc, argv, i, o)) {
    } else if (a == "--end-to-end") {
      end_to_end = true;
    } else {
      std::fprintf(stderr, "bench_step: unknown option %s (see --help)\n", a.c_str());
      return 2;
    }
  }
  const std::string path = o.path;
  const long long repeats = o.repeats, threads = o.threads, steps = o.steps, customers = o.customers;
  try {
    const Params p = bench::load_bench_scenario(path, steps, customers);
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    const std::string h5 =
        (std::filesystem::temp_directory_path() / ("bench_step-" + std::to_string(getpid()) + ".h5"))
            .string();
    const double customer_steps = static_cast<double>(p.customers) * p.steps;
    std::vector<double> rates, inits, cpu_rates;
    std::size_t state = 0, edges = 0, net_bytes = 0;
    for (long long r = 0; r < repeats; ++r) {
      if (end_to_end) {
        const double c1 = cpu_seconds();
        const auto t0 = std::chrono::steady_clock::now();
        const RunFileResult res = run_to_file(p, h5, RunFileOptions{path, 10, {}, {}});
        const double run = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double c2 = cpu_seconds();
        std::filesystem::remove(h5);
        rates.push_back(customer_steps / run);
        cpu_rates.push_back(customer_steps / (c2 - c1));
        inits.push_back(res.setup_s);
        std::printf("run %lld: set-up %.2f s, whole run %.2f s, %.2f M customer-steps/s end to end\n", r + 1,
                    res.setup_s, run, rates.back() / 1e6);
        continue;
      }
      const auto t0 = std::chrono::steady_clock::now();
      Simulation sim(p);
      const auto t1 = std::chrono::steady_clock::now();
      const double c1 = cpu_seconds();
      for (int t = 0; t < p.steps; ++t) sim.step();
      const double c2 = cpu_seconds();
      const auto t2 = std::chrono::steady_clock::now();
      cpu_rates.push_back(customer_steps / (c2 - c1));
      const double run = std::chrono::duration<double>(t2 - t1).count();
      rates.push_back(customer_steps / run);
      inits.push_back(std::chrono::duration<double>(t1 - t0).count());
      state = sim.state_bytes();
      edges = sim.network_edges();
      net_bytes = sim.network_bytes();
      std::printf("run %lld: init %.2f s, %d steps %.2f s, %.2f M customer-steps/s\n", r + 1, inits.back(),
                  p.steps, run, rates.back() / 1e6);
    }
    std::sort(rates.begin(), rates.end());
    std::sort(inits.begin(), inits.end());
    std::sort(cpu_rates.begin(), cpu_rates.end());
    const double median = rates[rates.size() / 2];
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double n = static_cast<double>(p.customers);
    const double rss_per_customer = static_cast<double>(ru.ru_maxrss) * 1024.0 / n;
    int firm_count = 0;
    for (const auto& g : p.firms) firm_count += g.count;
    std::printf("scenario            %s (%lld customers, %d firms, %d steps)\n", path.c_str(),
                static_cast<long long>(p.customers), firm_count, p.steps);
    std::printf("threads             %lld\n", threads);
    std::printf("customer-steps/s    %.2f M (median of %lld%s), %.2f M per thread\n", median / 1e6, repeats,
                end_to_end ? "; set-up, stepping and HDF5" : "; stepping only",
                median / 1e6 / static_cast<double>(threads));
    std::printf("per CPU-second      %.2f M customer-steps (median; CPU time of all threads)\n",
                cpu_rates[cpu_rates.size() / 2] / 1e6);
    std::printf("%-19s %.2f s\n", end_to_end ? "set-up (median)" : "init (median)", inits[inits.size() / 2]);
    if (!end_to_end) {
      const double nb = static_cast<double>(net_bytes);
      std::printf(
          "state per customer  %.1f bytes (network %.1f bytes/customer: %zu entries, %.2f bytes each)\n",
          (static_cast<double>(state) - nb) / n, nb / n, edges,
          edges > 0 ? nb / static_cast<double>(edges) : 0.0);
    }
    std::printf("peak RSS            %.1f MiB, %.1f bytes per customer\n", ru.ru_maxrss / 1024.0,
                rss_per_customer);
    std::printf("result threads=%lld customers=%lld steps=%d mode=%s rate=%.0f rss_per_customer=%.1f\n",
                threads, static_cast<long long>(p.customers), p.steps, end_to_end ? "end-to-end" : "step",
                median, rss_per_customer);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_step: %s\n", e.what());
    return 1;
  }
  return 0;
}
