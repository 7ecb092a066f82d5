// Sweep designs, the run plan, seeds, shards and sweep-file errors.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sweep/runner.hpp"
#include "sweep/sweep.hpp"

using namespace missionsim::sweep;

namespace {

const std::string kBase = std::string(MISSIONSIM_SOURCE_DIR) + "/scenarios";

SweepSpec spec_of(const std::string& body) { return parse_sweep(body, "t.toml", kBase); }

std::string sweep(const std::string& design_lines, const std::string& parameters) {
  return "[sweep]\nbase = \"tiny.toml\"\n" + design_lines + "\n" + parameters;
}

// Expects a SweepError whose message contains every fragment.
void expect_sweep_error(const std::string& body, std::initializer_list<std::string> fragments) {
  try {
    Plan plan(spec_of(body));
    FAIL("no error for:\n" << body);
  } catch (const SweepError& e) {
    const std::string msg = e.what();
    for (const auto& f : fragments) CHECK_THAT(msg, Catch::Contains(f));
  }
}

const char* kTwoRanges =
    "[[parameters]]\nkey = \"choice.churn_base\"\nrange = [0.001, 0.1]\nscale = \"log-uniform\"\n"
    "[[parameters]]\nkey = \"economics.bankrupt_after\"\nrange = [2, 9]\nscale = \"integer\"\n";

}  // namespace

TEST_CASE("sweep: grid is the full product of the levels, last parameter fastest", "[sweep]") {
  Plan plan(
      spec_of(sweep("design = \"grid\"\nreplicates = 2",
                    "[[parameters]]\nkey = \"network.kind\"\nlevels = [\"complete\", \"erdos-renyi\"]\n"
                    "[[parameters]]\nkey = \"word_of_mouth.talk_rate\"\nrange = [0.1, 0.5]\npoints = 3\n")));
  REQUIRE(plan.points() == 6);
  REQUIRE(plan.size() == 12);
  CHECK(plan.value_text(0, 0) == "\"complete\"");
  CHECK(plan.value_text(2, 0) == "\"complete\"");
  CHECK(plan.value_text(3, 0) == "\"erdos-renyi\"");
  CHECK(plan.value(0, 1) == 0.1);
  CHECK(plan.value(1, 1) == Approx(0.3));
  CHECK(plan.value(2, 1) == 0.5);  // the end point exactly
  CHECK(plan.run(5).id == "p000002-r01");
  CHECK(plan.run(5).point == 2);
  CHECK(plan.run(5).replicate == 1);
}

TEST_CASE("sweep: LHS puts one point in each stratum of every dimension", "[sweep]") {
  for (std::size_t n : {1u, 7u, 50u}) {
    const std::size_t d = 3;
    const auto u = unit_design(Design::Lhs, n, d, 42);
    REQUIRE(u.size() == n * d);
    for (std::size_t k = 0; k < d; ++k) {
      std::set<std::size_t> strata;
      for (std::size_t i = 0; i < n; ++i) {
        const double x = u[i * d + k];
        REQUIRE(x > 0);
        REQUIRE(x < 1);
        strata.insert(static_cast<std::size_t>(x * n));
      }
      CHECK(strata.size() == n);
    }
  }
  CHECK(unit_design(Design::Lhs, 20, 2, 1) == unit_design(Design::Lhs, 20, 2, 1));
  CHECK(unit_design(Design::Lhs, 20, 2, 1) != unit_design(Design::Lhs, 20, 2, 2));
}

TEST_CASE("sweep: log-uniform and integer scales", "[sweep]") {
  Parameter log;
  log.has_range = true, log.lo = 0.001, log.hi = 0.1, log.scale = Scale::LogUniform;
  CHECK(range_value(log, 0.5) == Approx(0.01));  // the geometric mid-point
  CHECK(range_value(log, 0.0) == Approx(0.001));
  CHECK(range_value(log, 1.0) == Approx(0.1));
  Parameter integer;
  integer.has_range = true, integer.lo = 2, integer.hi = 4, integer.scale = Scale::Integer;
  CHECK(range_value(integer, 0.01) == 2);
  CHECK(range_value(integer, 0.34) == 3);
  CHECK(range_value(integer, 0.99) == 4);
  CHECK(grid_values(integer) == std::vector<double>{2, 3, 4});
  log.points = 3;
  const auto g = grid_values(log);
  REQUIRE(g.size() == 3);
  CHECK(g[1] == Approx(0.01));

  Plan plan(spec_of(sweep("design = \"random\"\nsamples = 200", kTwoRanges)));
  std::size_t below = 0;
  for (std::size_t p = 0; p < plan.points(); ++p) {
    CHECK(plan.value(p, 0) >= 0.001);
    CHECK(plan.value(p, 0) <= 0.1);
    below += plan.value(p, 0) < 0.01;
    CHECK(plan.value(p, 1) == std::round(plan.value(p, 1)));
    CHECK(plan.value_text(p, 1).find('.') == std::string::npos);  // "5", not "5.0"
  }
  CHECK(below > 70);  // about half below the geometric mid-point
  CHECK(below < 130);
}

TEST_CASE("sweep: Saltelli layout [A; B; AB_1; ...; AB_d]", "[sweep]") {
  const std::size_t n = 8, d = 3;
  const auto u = unit_design(Design::Sobol, n, d, 9);
  REQUIRE(u.size() == n * (d + 2) * d);
  auto at = [&](std::size_t row, std::size_t k) { return u[row * d + k]; };
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < d; ++c)
      for (std::size_t k = 0; k < d; ++k) CHECK(at((2 + c) * n + i, k) == (k == c ? at(n + i, k) : at(i, k)));
  Plan plan(spec_of(sweep("design = \"sobol\"\nsamples = 8\nreplicates = 2", kTwoRanges)));
  CHECK(plan.points() == 8 * 4);
  CHECK(plan.size() == 64);
  CHECK(plan.saltelli_matrix(0) == "A");
  CHECK(plan.saltelli_matrix(8) == "B");
  CHECK(plan.saltelli_matrix(16) == "AB");
  CHECK(plan.saltelli_column(16) == 0);
  CHECK(plan.saltelli_column(31) == 1);
  CHECK(plan.saltelli_column(7) == -1);
}

TEST_CASE("sweep: run seeds are distinct, stable and depend on the base seed", "[sweep]") {
  Plan a(spec_of(sweep("design = \"random\"\nsamples = 100\nreplicates = 5\nseed = 3", kTwoRanges)));
  Plan b(spec_of(sweep("design = \"random\"\nsamples = 100\nreplicates = 5\nseed = 3", kTwoRanges)));
  Plan c(spec_of(sweep("design = \"random\"\nsamples = 100\nreplicates = 5\nseed = 4", kTwoRanges)));
  std::set<std::uint64_t> seeds;
  for (const auto& run : a.runs()) {
    seeds.insert(run.seed);
    CHECK(run.seed <= static_cast<std::uint64_t>(INT64_MAX));
    CHECK(run.seed == run_seed(3, run.point, run.replicate));
    CHECK(b.run(run.index).seed == run.seed);
    CHECK(c.run(run.index).seed != run.seed);
  }
  CHECK(seeds.size() == a.size());
  CHECK(a.sha256() == b.sha256());
  CHECK(a.sha256() != c.sha256());
  // Pinned: changing the derivation changes every sweep's results.
  CHECK(run_seed(2026, 0, 0) == run_seed(2026, 0, 0));
  CHECK(run_seed(2026, 0, 0) != run_seed(2026, 0, 1));
  CHECK(run_seed(2026, 1, 0) != run_seed(2026, 0, 1));
}

TEST_CASE("sweep: paired = true gives every design point the same seeds (common random numbers)", "[sweep]") {
  const std::string params =
      "[[parameters]]\nkey = \"word_of_mouth.talk_rate\"\nlevels = [0.1, 0.3]\n"
      "[[parameters]]\nkey = \"network.kind\"\nlevels = [\"complete\", \"erdos-renyi\"]\n";
  Plan paired(spec_of(sweep("design = \"grid\"\nreplicates = 4\nseed = 7\npaired = true", params)));
  Plan plain(spec_of(sweep("design = \"grid\"\nreplicates = 4\nseed = 7", params)));
  REQUIRE(paired.size() == 16);
  std::set<std::uint64_t> first;
  for (const auto& run : paired.runs()) {
    // Replicate r runs with the seed it has at point 0 in an unpaired sweep.
    CHECK(run.seed == paired.run(static_cast<std::size_t>(run.replicate)).seed);
    CHECK(run.seed == run_seed(7, 0, run.replicate));
    if (run.point == 0) first.insert(run.seed);
  }
  CHECK(first.size() == 4);  // replicates still differ
  // Unpaired sweeps keep their seeds and hash; pairing changes the hash.
  CHECK(plain.run(4).seed == run_seed(7, 1, 0));
  CHECK(plain.run(4).seed != paired.run(4).seed);
  CHECK(plain.sha256() != paired.sha256());
  expect_sweep_error(sweep("design = \"grid\"\npaired = 1", params),
                     {"t.toml:4:10: key 'sweep.paired'", "a boolean"});
}

TEST_CASE("sweep: shards partition the runs, each run exactly once", "[sweep]") {
  for (std::size_t runs : {1u, 7u, 100u})
    for (std::size_t n : {1u, 2u, 3u, 8u, 150u}) {
      std::vector<int> seen(runs, 0);
      for (std::size_t i = 0; i < n; ++i) {
        const Shard s = parse_shard(std::to_string(i) + "/" + std::to_string(n));
        for (std::size_t r = 0; r < runs; ++r) seen[r] += s.contains(r);
      }
      CHECK(std::all_of(seen.begin(), seen.end(), [](int k) { return k == 1; }));
    }
  CHECK_THROWS_AS(parse_shard("3/3"), SweepError);
  CHECK_THROWS_AS(parse_shard("1"), SweepError);
  CHECK_THROWS_AS(parse_shard("-1/3"), SweepError);
  CHECK_THROWS_AS(parse_shard("0/0"), SweepError);
  CHECK_THROWS_AS(parse_shard("a/3"), SweepError);
}

TEST_CASE("sweep: overrides and the reproduce command", "[sweep]") {
  Plan plan(
      spec_of("[sweep]\nbase = \"tiny.toml\"\ndesign = \"grid\"\nset = [\"run.steps=3\"]\n"
              "[[parameters]]\nkey = \"customers.count\"\nlevels = [100, 200]\n"));
  const auto o = plan.overrides(plan.run(1));
  REQUIRE(o.size() == 3);
  CHECK(o[0] == "run.steps=3");
  CHECK(o[1] == "customers.count=200");
  CHECK(o[2] == "run.seed=" + std::to_string(plan.run(1).seed));
  CHECK(plan.params(plan.run(1)).customers == 200);
  CHECK(plan.params(plan.run(1)).seed == plan.run(1).seed);
  CHECK(plan.command(plan.run(1), "b.toml") ==
        "missionsim run b.toml --set run.steps=3 --set customers.count=200 --seed " +
            std::to_string(plan.run(1).seed));
}

TEST_CASE("sweep: inline [base] table", "[sweep]") {
  Plan plan(
      spec_of("[sweep]\ndesign = \"grid\"\n[[parameters]]\nkey = \"run.steps\"\nlevels = [2, 3]\n"
              "[base.customers]\ncount = 50\n[[base.firms]]\nstrategy = \"success\"\n"));
  CHECK(plan.params(plan.run(0)).customers == 50);
  CHECK(plan.params(plan.run(1)).steps == 3);
  // An error inside it is reported at the sweep file's line.
  expect_sweep_error(
      "[sweep]\ndesign = \"grid\"\n[[parameters]]\nkey = \"run.steps\"\nlevels = [2]\n"
      "[base.customers]\ncount = -5\n[[base.firms]]\nstrategy = \"success\"\n",
      {"t.toml:7:9: [base] key 'customers.count'"});
}

TEST_CASE("sweep: sweep-file errors name the file, line, column and key", "[sweep]") {
  expect_sweep_error("[sweep]\nbase = \"tiny.toml\"\ndesing = \"grid\"\n",
                     {"t.toml:3:1: unknown key 'sweep.desing'", "did you mean 'sweep.design'?"});
  expect_sweep_error(sweep("design = \"grids\"", kTwoRanges),
                     {"t.toml:3:10: key 'sweep.design' must be one of", "did you mean 'grid'?"});
  expect_sweep_error(sweep("design = \"lhs\"", kTwoRanges), {"missing key 'sweep.samples'"});
  expect_sweep_error(sweep("design = \"lhs\"\nsamples = 0", kTwoRanges),
                     {"t.toml:4:11: key 'sweep.samples' must be in [1, "});
  expect_sweep_error(
      sweep("design = \"lhs\"\nsamples = 4", "[[parameters]]\nkey = \"choice.churn_bse\"\nrange = [0, 1]\n"),
      {"t.toml:6:7: parameters.0 'choice.churn_bse'", "did you mean 'choice.churn_base'?"});
  expect_sweep_error(
      sweep("design = \"lhs\"\nsamples = 4", "[[parameters]]\nkey = \"choice.churn_base\"\nrange = [0, 2]\n"),
      {"t.toml:7:9: parameters.0 'choice.churn_base' = 2", "must be in [0, 1], got 2"});
  expect_sweep_error(sweep("design = \"lhs\"\nsamples = 4",
                           "[[parameters]]\nkey = \"choice.churn_base\"\nrange = [0, 1]\nscale = \"log\"\n"),
                     {"key 'parameters.0.scale' must be one of", "did you mean 'log-uniform'?"});
  expect_sweep_error(
      sweep("design = \"lhs\"\nsamples = 4",
            "[[parameters]]\nkey = \"choice.churn_base\"\nrange = [0, 0.1]\nscale = \"log-uniform\"\n"),
      {"must be positive for scale \"log-uniform\""});
  expect_sweep_error(
      sweep("design = \"lhs\"\nsamples = 4",
            "[[parameters]]\nkey = \"economics.bankrupt_after\"\nrange = [2, 9]\n"),
      {"parameters.0 'economics.bankrupt_after'", "must be an integer", "scale = \"integer\""});
  expect_sweep_error(
      sweep("design = \"grid\"", "[[parameters]]\nkey = \"choice.churn_base\"\nrange = [0, 1]\n"),
      {"a grid needs 'points = K'"});
  expect_sweep_error(
      sweep("design = \"grid\"", "[[parameters]]\nkey = \"choice.churn_base\"\nlevels = [0.1]\nrnage = 1\n"),
      {"unknown key 'parameters.0.rnage'; did you mean 'parameters.0.range'?"});
  expect_sweep_error("[sweep]\ndesign = \"grid\"\n[[parameters]]\nkey = \"run.steps\"\nlevels = [2]\n",
                     {"no base scenario"});
  expect_sweep_error("[sweep]\nbase = \"nope.toml\"\ndesign = \"grid\"\n",
                     {"t.toml:2:8: key 'sweep.base': cannot open scenario"});
  expect_sweep_error("[sweep\n", {"t.toml:1:", "invalid TOML"});
  expect_sweep_error(sweep("design = \"grid\"\nset = [\"run.stepz=3\"]",
                           "[[parameters]]\nkey = \"run.seed\"\nlevels = [1]\n"),
                     {"t.toml:4:8: key 'sweep.set.0'", "did you mean 'run.steps'?"});
}

namespace {

// A fresh, empty directory under the system's temporary directory.
std::string scratch_dir(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("missionsim-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace

TEST_CASE("sweep: a run claim excludes every other claimant, threads of the same process too", "[sweep]") {
  const std::string dir = scratch_dir("claim");
  const std::string lock = lock_file(dir, "p000001-r00");
  {
    auto first = RunClaim::try_acquire(dir, "p000001-r00");
    REQUIRE(first);
    CHECK(std::filesystem::exists(lock));
    CHECK_FALSE(lock_holder(dir, "p000001-r00").empty());
    // A POSIX lock owned by the process would let this through; the claim is owned by its open file.
    CHECK_FALSE(RunClaim::try_acquire(dir, "p000001-r00"));
    CHECK(RunClaim::try_acquire(dir, "p000002-r00"));  // other runs are free
  }
  CHECK_FALSE(std::filesystem::exists(lock));  // removed by the holder on release
  // A lock file nobody holds (its worker died) blocks nothing.
  std::ofstream(lock) << "elsewhere:1\n";
  CHECK(RunClaim::try_acquire(dir, "p000001-r00"));

  // Threads racing for one run, claims released (and their files removed)
  // all the time: never two holders at once.
  std::atomic<int> holders{0}, most{0}, wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        auto claim = RunClaim::try_acquire(dir, "p000003-r00");
        if (!claim) continue;
        ++wins;
        const int now = ++holders;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --holders;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(most == 1);
  CHECK(wins > 0);
  std::filesystem::remove_all(dir);
}
