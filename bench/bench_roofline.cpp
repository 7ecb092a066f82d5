// Roofline of a customer-step: measures, in one run on one machine,
//   (a) the counter-based draws one customer-step makes: Philox4x32-10 blocks
//       with the counter layout of sim/core/draws.hpp. Block 0, which every
//       customer-step draws, made as the engine makes it (Rng::words_run, 64
//       customers at a time with SIMD across them, sim/core/philox_batch.hpp);
//       block 1, as often as the engine drew it in a counted run of the same
//       scenario (Simulation::count_work), one block at a time as the engine
//       makes it. The scalar cost of block 0 is printed too;
//   (b) the customer state one step touches: the bytes per customer the
//       customer pass reads and writes (sizeof of the arrays in
//       sim/core/state.hpp), streamed over a buffer larger than the last-level
//       cache; and the far neighbours' firm_prev and voice_prev, read at
//       random places as often as the counted run read them;
//   (c) the engine's own time per customer-step, --threads 1 by default:
//       stepping only (set-up and HDF5 excluded) and a whole run_to_file
//       (set-up, stepping and the HDF5 trajectory included);
// and prints the floor (a) + (b), the engine as a multiple of it, and the
// customer-steps per second, as medians of --repeats runs with min and max.
// The floor of block 0 and the streamed state alone, a lower bound, is
// printed with its ratios too.
// Figures and how to read them: docs/PERFORMANCE.md, "Where the time goes".
//
//   bench_roofline [SCENARIO.toml] [--repeats N] [--customers N] [--steps N] [--threads N]
//                  [--stream-mib M] [--no-hdf5]
//
// The draw count: block 0 of Purpose::Customer is drawn for every customer
// every step (draws.hpp); block 1 only when a customer needs one of its
// words (a referral or warning heard, an adoption, a reconsideration), and
// blocks 5 and 12 only with demand.outside_option or
// society.nonprofit_clients. The floor counts block 0 and the block-1 draws
// the counted run made; blocks 5 and 12 are not counted (both off in
// bench-1m). The line "floor with block 1 always" gives the floor if every
// customer-step drew block 1, an upper bound on the draws of bench-1m.
#include <Random123/philox.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include "bench_scenario.hpp"
#include "core/draws.hpp"
#include "core/huge_pages.hpp"
#include "core/network.hpp"
#include "core/philox_batch.hpp"
#include "core/prefetch.hpp"
#include "core/rng.hpp"
#include "core/simulation.hpp"
#include "core/state.hpp"
#include "output/run_file.hpp"
#include "scenario/scenario.hpp"

using namespace missionsim;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Summary {
  double median, min, max;
};

Summary summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

void print_row(const char* label, const Summary& s, const char* unit) {
  std::printf("%-34s %9.2f %s  (min %.2f, max %.2f)\n", label, s.median, unit, s.min, s.max);
}

// (a) `steps` x `customers` Philox4x32-10 blocks with the counter of Purpose::Customer block 0, one at a
// time as Rng::words makes them. The empty asm takes every word in a register, so the compiler can neither
// drop a block nor vectorise the loop across customers (the engine does neither).
double draw_seconds(std::uint64_t seed, std::uint32_t customers, int steps, std::uint32_t block) {
  const r123::Philox4x32::key_type key = {
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  r123::Philox4x32 philox;
  const auto t0 = Clock::now();
  for (int t = 1; t <= steps; ++t) {
    for (std::uint32_t i = 0; i < customers; ++i) {
      const r123::Philox4x32::ctr_type ctr = {
          {i, static_cast<std::uint32_t>(t), block, static_cast<std::uint32_t>(Purpose::Customer)}};
      const auto r = philox(ctr, key);
      asm volatile("" : : "r"(r.v[0]), "r"(r.v[1]), "r"(r.v[2]), "r"(r.v[3]));
    }
  }
  return seconds_since(t0);
}

// (a) as the engine makes block 0: runs of 64 customers (the customer pass's run, phases/customers.cpp)
// through Rng::words_run, the widest SIMD path this CPU runs. The empty asm with a memory clobber keeps
// every run's words.
double draw_run_seconds(std::uint64_t seed, std::uint32_t customers, int steps, std::uint32_t block) {
  const Rng rng(seed);
  constexpr std::uint32_t kRun = 64;
  alignas(64) std::uint32_t w[4][kRun];
  const auto t0 = Clock::now();
  for (int t = 1; t <= steps; ++t) {
    for (std::uint32_t first = 0; first < customers; first += kRun) {
      const std::uint32_t m = std::min(kRun, customers - first);
      rng.words_run(Purpose::Customer, first, static_cast<std::uint32_t>(t), block, m,
                    {{w[0], w[1], w[2], w[3]}});
      asm volatile("" : : "r"(&w[0][0]) : "memory");
    }
  }
  return seconds_since(t0);
}

// (b) Bytes per customer the customer pass touches in its own arrays, from the element types of state.hpp
// (K consideration slots), and of the network's rows, which the pass reads in order, every row every step
// (row_bytes: the columns in the layout the scenario's network is stored in, over the customers). The
// talkers' near neighbours (within 64 places) are read from the lines of firm_prev and voice_prev the run
// streams: firm_prev is among the customer's own entries, voice_prev is added where the network has rows.
// The far neighbours' reads are random accesses, costed apart (far_read_seconds).
struct StateTraffic {
  std::size_t read_only = 0;   // read, not written
  std::size_t read_write = 0;  // read and written back
  std::size_t write_only = 0;  // written without being read
  double network = 0;          // of read_only: the network rows' bytes per customer
};

StateTraffic state_traffic(int K, double network_row_bytes, bool rows) {
  const Customers c;
  auto sz = [](const auto& v) { return sizeof(v[0]); };
  StateTraffic s;
  // firm_prev[i], difficulty, effort, traits, adopted_neighbours[i], the network's offsets[i] (degree),
  // voice_prev (the near neighbours' voices).
  s.read_only = sz(c.firm_prev) + sz(c.difficulty) + sz(c.effort) + sz(c.traits) + sz(c.adopted_neighbours) +
                sizeof(std::uint32_t) + static_cast<std::size_t>(std::lround(network_row_bytes)) +
                (rows ? sz(c.voice_prev) : 0);
  s.network = network_row_bytes;
  // tenure, expectation, satisfaction, success, K consideration slots and K reputations.
  s.read_write = sz(c.tenure) + sz(c.expectation) + sz(c.satisfaction) + sz(c.success) +
                 static_cast<std::size_t>(K) * (sz(c.consider) + sz(c.reputation));
  // firm_next[i], voice_next[i].
  s.write_only = sz(c.firm_next) + sz(c.voice_next);
  return s;
}

// Seconds per byte of three streaming kernels over `words` 64-bit words: a read (sum), a read-modify-write
// and a write. Several accumulators keep the read bound by memory, not by an add chain.
struct StreamCost {
  double read, read_write, write;  // seconds per byte
};

StreamCost stream_seconds_per_byte(HugeVector<std::uint64_t>& buf) {
  const std::size_t n = buf.size();
  const double bytes = static_cast<double>(n) * sizeof(std::uint64_t);
  std::uint64_t* a = buf.data();
  StreamCost c{};

  auto t0 = Clock::now();
  std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (std::size_t i = 0; i + 4 <= n; i += 4) {
    s0 += a[i];
    s1 += a[i + 1];
    s2 += a[i + 2];
    s3 += a[i + 3];
  }
  std::uint64_t sum = s0 + s1 + s2 + s3;
  asm volatile("" : : "r"(sum));
  c.read = seconds_since(t0) / bytes;

  t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) a[i] = a[i] * 3 + 1;
  asm volatile("" : : "r"(a) : "memory");
  c.read_write = seconds_since(t0) / bytes;

  t0 = Clock::now();
  const std::uint64_t v = sum | 1;
  for (std::size_t i = 0; i < n; ++i) a[i] = v + i;
  asm volatile("" : : "r"(a) : "memory");
  c.write = seconds_since(t0) / bytes;
  return c;
}

// (b) the far neighbours' reads: `reads` pairs of firm_prev[j] and voice_prev[j] (the engine's element
// types, arrays of `customers` on huge pages as the engine's) at random places j, each pair's lines
// fetched 16 reads ahead, as prepare fetches a run's far neighbours a run before converse_with reads them.
// Seconds per pair. The places come from Philox (a purpose and block the engine does not use for them).
double far_read_seconds(std::uint32_t customers, std::uint64_t seed, std::size_t reads) {
  const Customers c;
  using Firm = std::remove_cvref_t<decltype(c.firm_prev[0])>;
  using Voice = std::remove_cvref_t<decltype(c.voice_prev[0])>;
  HugeVector<Firm> firm(customers, Firm{1});
  HugeVector<Voice> voice(customers, Voice{1});
  std::vector<std::uint32_t> at(reads);
  const Rng rng(seed);
  for (std::size_t k = 0; k < reads; k += 4) {
    const auto w = rng.words(Purpose::Customer, static_cast<std::uint32_t>(k / 4), 0, 31);
    for (std::size_t v = 0; v < 4 && k + v < reads; ++v) at[k + v] = Rng::index(w[v], customers);
  }
  constexpr std::size_t kAhead = 16;
  const auto t0 = Clock::now();
  std::uint64_t sum = 0;
  for (std::size_t k = 0; k < reads; ++k) {
    if (k + kAhead < reads) {
      fetch_line(firm.data() + at[k + kAhead]);
      fetch_line(voice.data() + at[k + kAhead]);
    }
    sum += static_cast<std::uint64_t>(firm[at[k]]) + static_cast<std::uint64_t>(voice[at[k]]);
  }
  asm volatile("" : : "r"(sum));
  return seconds_since(t0) / static_cast<double>(reads);
}

std::size_t last_level_cache_bytes() {
  for (int name : {_SC_LEVEL4_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE, _SC_LEVEL2_CACHE_SIZE}) {
    const long v = sysconf(name);
    if (v > 0) return static_cast<std::size_t>(v);
  }
  return std::size_t{32} << 20;  // unknown: assume 32 MiB
}

void usage() {
  std::printf(
      "bench_roofline: the engine's time per customer-step as a multiple of its floor\n"
      "(the Philox blocks a customer-step draws + the customer state it streams and the far\n"
      "neighbours it reads).\n\n"
      "usage: bench_roofline [SCENARIO.toml] [options]\n"
      "  SCENARIO.toml      scenario to run (default scenarios/bench-1m.toml)\n"
      "  --repeats N        repetitions; medians, min and max are printed (default 5)\n"
      "  --customers N      override customers.count (a smaller copy of the scenario)\n"
      "  --steps N          override run.steps\n"
      "  --threads N        engine threads (default 1; the floor is per core)\n"
      "  --stream-mib M     streaming buffer in MiB (default: twice the last-level cache, at least 64)\n"
      "  --no-hdf5          skip the run with set-up and HDF5 included\n"
      "  --help             this text\n");
}

}  // namespace

int main(int argc, char** argv) {
  bench::Options o;
  long long stream_mib = -1;
  bool hdf5 = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else if (bench::shared_option("bench_roofline", argc, argv, i, o)) {
    } else if (a == "--stream-mib") {
      stream_mib = bench::positive_option("bench_roofline", argc, argv, i);
    } else if (a == "--no-hdf5") {
      hdf5 = false;
    } else {
      std::fprintf(stderr, "bench_roofline: unknown option %s (see --help)\n", a.c_str());
      return 2;
    }
  }
  const std::string path = o.path;
  const int repeats = static_cast<int>(o.repeats), threads = static_cast<int>(o.threads),
            steps = static_cast<int>(o.steps);
  const long long customers = o.customers;
  try {
    const Params p = bench::load_bench_scenario(path, steps, customers);
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    const auto n = static_cast<std::uint32_t>(p.customers);
    const double customer_steps = static_cast<double>(n) * p.steps;
    const int K = std::clamp(p.consideration_size, 1, 8);
    // The scenario's network, built as the engine builds it, for its rows' size.
    const double row_bytes =
        static_cast<double>(Network::build(p.network, n, Rng(p.seed)).row_bytes()) / static_cast<double>(n);
    const StateTraffic traffic = state_traffic(K, row_bytes, p.network.kind != NetworkKind::Complete);

    // How often a customer-step draws block 1 and reads a far neighbour: counted in a run of its own (the
    // same trajectory as the timed ones; counting costs a little, so the timed runs do not count).
    WorkCounts work;
    {
      std::printf("counting the draws and far reads of one run...\n");
      std::fflush(stdout);
      Simulation sim(p);
      sim.count_work(true);
      for (int t = 0; t < p.steps; ++t) sim.step();
      work = sim.work();
    }
    const double per_step = 1.0 / static_cast<double>(work.customer_steps);
    const double block1_share = static_cast<double>(work.customer_block1) * per_step;
    const double far_share = static_cast<double>(work.far_neighbour_reads) * per_step;
    const std::size_t far_reads = static_cast<std::size_t>(
        std::clamp<std::int64_t>(work.far_neighbour_reads, std::int64_t{1} << 20, std::int64_t{1} << 22));

    const std::size_t llc = last_level_cache_bytes();
    const std::size_t stream_bytes = stream_mib > 0 ? static_cast<std::size_t>(stream_mib) << 20
                                                    : std::max(2 * llc, std::size_t{64} << 20);
    // Touched, so that its pages are mapped; on huge pages where the kernel offers them, as the engine's
    // arrays.
    HugeVector<std::uint64_t> buf(stream_bytes / sizeof(std::uint64_t), 1);

    const std::string h5 =
        (std::filesystem::temp_directory_path() / ("bench_roofline-" + std::to_string(getpid()) + ".h5"))
            .string();

    std::vector<double> draw_ns, draw0_ns, draw_scalar_ns, draw1_ns, draw1_made_ns, state_ns, stream_ns,
        far_ns, far_pair_ns, floor_ns, floor_low_ns, floor2_ns, engine_ns, full_ns, setup_s;
    std::vector<double> read_gbs, rw_gbs, write_gbs;
    for (int r = 0; r < repeats; ++r) {
      // (a) block 0 for every customer-step, as the engine makes it; the same blocks one at a time
      // (scalar), for comparison; block 1 one at a time, as the engine makes it, for as many
      // customer-steps as drew it.
      const double a0 = draw_run_seconds(p.seed, n, p.steps, draw::kCustomerBlock0) / customer_steps * 1e9;
      draw0_ns.push_back(a0);
      draw_scalar_ns.push_back(draw_seconds(p.seed, n, p.steps, draw::kCustomerBlock0) / customer_steps *
                               1e9);
      const double a1 = draw_seconds(p.seed, n, p.steps, draw::kCustomerBlock1) / customer_steps * 1e9;
      draw1_ns.push_back(a1);
      draw1_made_ns.push_back(block1_share * a1);
      const double a = a0 + block1_share * a1;
      draw_ns.push_back(a);
      // (b) the customer state, bytes per customer at the measured cost per byte, and the far reads.
      const StreamCost sc = stream_seconds_per_byte(buf);
      const double bs = 1e9 * (static_cast<double>(traffic.read_only) * sc.read +
                               static_cast<double>(traffic.read_write) * sc.read_write +
                               static_cast<double>(traffic.write_only) * sc.write);
      stream_ns.push_back(bs);
      const double pair = work.far_neighbour_reads > 0 ? far_read_seconds(n, p.seed, far_reads) * 1e9 : 0.0;
      far_pair_ns.push_back(pair);
      far_ns.push_back(far_share * pair);
      const double b = bs + far_share * pair;
      state_ns.push_back(b);
      read_gbs.push_back(1e-9 / sc.read);
      rw_gbs.push_back(1e-9 / sc.read_write);
      write_gbs.push_back(1e-9 / sc.write);
      floor_ns.push_back(a + b);
      floor_low_ns.push_back(a0 + bs);
      floor2_ns.push_back(a0 + a1 + b);
      // (c) the engine: stepping only, then a whole run into an HDF5 trajectory.
      auto t0 = Clock::now();
      {
        Simulation sim(p);
        setup_s.push_back(seconds_since(t0));
        t0 = Clock::now();
        for (int t = 0; t < p.steps; ++t) sim.step();
        engine_ns.push_back(seconds_since(t0) / customer_steps * 1e9);
      }
      if (hdf5) {
        t0 = Clock::now();
        run_to_file(p, h5, RunFileOptions{path, 10, {}, {}});
        full_ns.push_back(seconds_since(t0) / customer_steps * 1e9);
        std::filesystem::remove(h5);
      }
      std::printf("run %d: floor %.2f ns (draws %.2f + state %.2f), engine %.2f ns", r + 1, a + b, a, b,
                  engine_ns.back());
      if (hdf5) std::printf(", with set-up and HDF5 %.2f ns", full_ns.back());
      std::printf(" per customer-step\n");
      std::fflush(stdout);
    }

    const Summary fl = summarise(floor_ns), en = summarise(engine_ns);
    std::vector<double> ratio, ratio_full, ratio_low, ratio_low_full;
    for (std::size_t r = 0; r < engine_ns.size(); ++r) {
      ratio.push_back(engine_ns[r] / floor_ns[r]);
      ratio_low.push_back(engine_ns[r] / floor_low_ns[r]);
    }
    for (std::size_t r = 0; r < full_ns.size(); ++r) {
      ratio_full.push_back(full_ns[r] / floor_ns[r]);
      ratio_low_full.push_back(full_ns[r] / floor_low_ns[r]);
    }

    int firm_count = 0;
    for (const auto& g : p.firms) firm_count += g.count;
    std::printf("\nscenario   %s (%u customers, %d firms, %d steps), %d engine thread(s), medians of %d\n",
                path.c_str(), n, firm_count, p.steps, threads, repeats);
    std::printf(
        "draws      Philox4x32-10 blocks of Purpose::Customer: block 0 for every customer-step, %u x %d\n"
        "           per repetition, 64 customers at a time with SIMD across them (path %s), as the\n"
        "           engine makes them; block 1 in %.2f%% of the customer-steps (counted: %lld blocks),\n"
        "           one at a time, as the engine makes them\n",
        n, p.steps, philox::isa_name(philox::best_isa()), 100.0 * block1_share,
        static_cast<long long>(work.customer_block1));
    std::printf(
        "state      %zu bytes per customer streamed: %zu read (%.1f of them the network's rows), %zu read\n"
        "           and written, %zu written (K = %d); stream buffer %.0f MiB (last-level cache %.0f MiB);\n"
        "           a far neighbour's firm_prev and voice_prev read at random places in %.2f%% of the\n"
        "           customer-steps (counted: %lld; costed over %zu reads)\n",
        traffic.read_only + traffic.read_write + traffic.write_only, traffic.read_only, traffic.network,
        traffic.read_write, traffic.write_only, K, static_cast<double>(stream_bytes) / (1 << 20),
        static_cast<double>(llc) / (1 << 20), 100.0 * far_share,
        static_cast<long long>(work.far_neighbour_reads), far_reads);
    print_row("bandwidth read", summarise(read_gbs), "GB/s");
    print_row("bandwidth read+write", summarise(rw_gbs), "GB/s (bytes of the array)");
    print_row("bandwidth write", summarise(write_gbs), "GB/s");
    print_row("(a) draws", summarise(draw_ns), "ns per customer-step");
    print_row("    block 0", summarise(draw0_ns), "ns per customer-step");
    print_row("    block 0, scalar", summarise(draw_scalar_ns), "ns per customer-step (one block at a time)");
    print_row("    block 1 as drawn", summarise(draw1_made_ns), "ns per customer-step");
    print_row("(b) state", summarise(state_ns), "ns per customer-step");
    print_row("    streamed", summarise(stream_ns), "ns per customer-step");
    print_row("    far neighbours", summarise(far_ns), "ns per customer-step");
    print_row("    one far read", summarise(far_pair_ns), "ns (firm_prev and voice_prev of one neighbour)");
    print_row("floor (a)+(b)", fl, "ns per customer-step");
    print_row("floor of block 0 and the stream", summarise(floor_low_ns),
              "ns per customer-step (lower bound)");
    print_row("floor with block 1 always", summarise(floor2_ns), "ns per customer-step");
    print_row("engine, stepping only", en, "ns per customer-step");
    print_row("engine set-up", summarise(setup_s), "s");
    if (hdf5) print_row("engine, set-up and HDF5 included", summarise(full_ns), "ns per customer-step");
    print_row("ratio engine/floor", summarise(ratio), "x (stepping only)");
    if (hdf5)
      print_row("ratio engine/floor, with HDF5", summarise(ratio_full), "x (set-up and HDF5 included)");
    print_row("ratio to the lower bound", summarise(ratio_low), "x (stepping only)");
    if (hdf5) print_row("the same, with HDF5", summarise(ratio_low_full), "x (set-up and HDF5 included)");
    std::printf("%-34s %9.2f M  (floor %.2f M)\n", "customer-steps/s, stepping only", 1e3 / en.median,
                1e3 / fl.median);
    if (hdf5) std::printf("%-34s %9.2f M\n", "customer-steps/s, with HDF5", 1e3 / summarise(full_ns).median);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_roofline: %s\n", e.what());
    return 1;
  }
  return 0;
}
